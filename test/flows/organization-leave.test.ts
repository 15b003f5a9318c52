/**
 * Leaving an organization on /settings/organizations. It ends the membership as
 * `borealis orgs remove-member` does (member-removal.test.ts): the member's tokens that act for
 * that organization alone stop working. Its only member cannot leave, since nobody could then act
 * for it or add anyone to it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addMember } from '../../src/accounts/accounts.js';
import type { Organization } from '../../src/store/store.js';
import { consolePost } from '../support/console.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, form, obtainCode, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('leaving an organization', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const leavePath = (org: Organization) => `/settings/organizations/${org.id}/leave`;
  const memberIds = async (org: Organization) => (await server.borealis.ctx.store.organizations.listMembers(org.id)).map((u) => u.id).sort();
  const page = async (cookie: string, query = '') =>
    (await fetch(`${server.url}/settings/organizations${query}`, { headers: { cookie } })).text();

  /** An organization of `owner` that `user` also belongs to, and `user` signed in. */
  async function shared() {
    const [owner, user] = [await aUser(server), await aUser(server)];
    const org = await anOrganization(server, owner);
    await addMember(server.borealis.accounts, { slug: org.slug, email: user.email });
    return { owner, user, org, cookie: await signIn(server, user) };
  }

  async function accessToken(client: TestClient, cookie: string, organizations: Organization[]) {
    const { code } = await obtainCode(server, client, cookie, { scope: 'openid' }, organizations.map((o) => o.id));
    const result = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    assert.equal(result.status, 200, result.text);
    return (JSON.parse(result.text) as { access_token: string }).access_token;
  }
  const introspect = async (client: TestClient, token: string) =>
    (await fetch(`${server.url}/v1/oauth2/introspect`, { method: 'POST', body: form({ client_id: client.clientId, client_secret: client.clientSecret, token }) })).text();

  test('a member leaves: back to the page with a notice; tokens acting for that organization alone stop working, others do not', async () => {
    const { owner, org, cookie } = await shared();
    const [client, other] = [await aClient(server), await aClient(server)];
    const downScoped = await accessToken(client, cookie, [org]);
    const unrestricted = await accessToken(other, cookie, []);
    assert.ok((await page(cookie)).includes(`<a class="button secondary" href="${leavePath(org)}">Leave ${org.name}…</a>`));

    const left = await consolePost(server, cookie, leavePath(org), {});
    assert.deepEqual([left.status, left.text], [303, '']);
    assert.match(left.location ?? '', new RegExp(`^/settings/organizations\\?notice=left&organization=${org.slug}&proof=[\\w-]{43}$`));
    assert.deepEqual(await memberIds(org), [owner.id]);
    const after = await page(cookie, `?${(left.location ?? '').split('?')[1]}`);
    assert.ok(after.includes(`<p class="notice" role="status">You left ${org.name}.</p>`), after);
    assert.ok(!after.includes(`<h2>${org.name} `), 'the organization is no longer listed');
    assert.equal(await introspect(client, downScoped), '{"active": false}');
    assert.match(await introspect(other, unrestricted), /^\{"active": true, /);
    // The owner, now alone, is shown no way to leave.
    const ownerPage = await page(await signIn(server, owner));
    assert.ok(ownerPage.includes('You are its only member.') && !ownerPage.includes(leavePath(org)), ownerPage);
  });

  // views/confirm.ts: the list's "Leave …" is a link; only the confirmation's button posts.
  test('leaving is asked first: a page naming the organization and what follows, whose form posts the leave; nothing changes until it is sent', async () => {
    const { owner, user, org, cookie } = await shared();
    const response = await fetch(`${server.url}${leavePath(org)}`, { headers: { cookie } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const html = await response.text();
    assert.ok(html.includes(`<title>Leave ${org.name} · Borealis</title>`), html);
    assert.ok(html.includes(`<h1>Leave ${org.name}?</h1>\n<p>Apps you allowed to act for ${org.name} alone lose their access at once, and you can join again only if you are added again.</p>`), html);
    assert.ok(html.includes(`<form method="post" action="${leavePath(org)}"><input type="hidden" name="csrf_token" value="`), html);
    assert.ok(html.includes('<button class="danger" type="submit">Leave organization</button><a class="button secondary" href="/settings/organizations">Cancel</a>'), html);
    assert.deepEqual(await memberIds(org), [owner.id, user.id].sort());

    // One the user cannot leave (its only member, not theirs, no such id) leads back to the list; signed out, to sign-in.
    const redirect = async (path: string, headers: Record<string, string>) => {
      const r = await fetch(`${server.url}${path}`, { headers, redirect: 'manual' });
      return [r.status, r.headers.get('location')];
    };
    const alone = await anOrganization(server, owner);
    for (const path of [leavePath(alone), '/settings/organizations/not-an-id/leave']) {
      assert.deepEqual(await redirect(path, { cookie }), [303, '/settings/organizations'], path);
    }
    assert.deepEqual(await redirect(leavePath(org), {}), [303, `/login?return_to=${encodeURIComponent(leavePath(org))}`]);
  });

  // http/notice.ts: only the leave itself makes the proof that lets the notice name the
  // organization; a crafted link can neither claim a leave nor reveal a stranger's organization name.
  test('the notice names an organization only with the proof its leave made', async () => {
    const { org, cookie } = await shared();
    const stranger = await anOrganization(server, await aUser(server));
    const generic = '<p class="notice" role="status">You left the organization.</p>';
    for (const query of [`?notice=left&organization=${org.slug}`, `?notice=left&organization=${stranger.slug}&proof=x`, '?notice=left&organization=no-such-org']) {
      const html = await page(cookie, query);
      assert.ok(html.includes(generic), query);
      assert.ok(!html.includes(stranger.name), query);
    }
  });

  test('its only member cannot leave, and neither can anyone who is not a member: the page again (400) with the reason', async () => {
    const owner = await aUser(server);
    const org = await anOrganization(server, owner);
    const cookie = await signIn(server, owner);
    const alone = await consolePost(server, cookie, leavePath(org), {});
    assert.equal(alone.status, 400);
    assert.ok(alone.text.includes('<p class="error" role="alert">You are the only member of that organization, so you cannot leave it.</p>'), alone.text);
    assert.deepEqual(await memberIds(org), [owner.id]);

    const stranger = await signIn(server, await aUser(server));
    for (const path of [leavePath(org), '/settings/organizations/not-an-id/leave']) {
      const refused = await consolePost(server, stranger, path, {});
      assert.equal(refused.status, 400, path);
      assert.ok(refused.text.includes('<p class="error" role="alert">You are not a member of that organization.</p>'), refused.text);
    }
    assert.deepEqual(await memberIds(org), [owner.id]);
  });

  test('refused without the form token or from another site (D14); signed out, it leads to sign-in', async () => {
    const { owner, user, org, cookie } = await shared();
    const both = [owner.id, user.id].sort();
    const post = (headers: Record<string, string>, fields: Record<string, string>) =>
      fetch(`${server.url}${leavePath(org)}`, { method: 'POST', headers, body: new URLSearchParams(fields), redirect: 'manual' });
    assert.equal((await post({ cookie, origin: server.url }, { csrf_token: 'wrong' })).status, 403);
    assert.equal((await post({ cookie, origin: 'https://elsewhere.example' }, {})).status, 403);
    assert.deepEqual(await memberIds(org), both);

    const signedOut = await post({ origin: server.url }, { csrf_token: 'stale' });
    assert.equal(signedOut.status, 303);
    assert.equal(signedOut.headers.get('location'), `/login?return_to=${encodeURIComponent('/settings/organizations')}`);
    assert.deepEqual(await memberIds(org), both);
  });

  test('two members leaving at once: one leaves, the other stays as its only member', async () => {
    const { owner, org, cookie } = await shared();
    const cookies = [await signIn(server, owner), cookie];
    const answers = await Promise.all(cookies.map((cookie) => consolePost(server, cookie, leavePath(org), {})));
    assert.deepEqual(answers.map((a) => a.status).sort(), [303, 400]);
    assert.equal((await memberIds(org)).length, 1);
  });
});
