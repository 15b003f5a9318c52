/**
 * Invitation links to join an organization (accounts/invitations.ts, routes/organization-pages.ts):
 * a member makes one, shown once; whoever opens it signs in (or up) and joins; it works once, can
 * be withdrawn, and never for a stranger's organization.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Organization, User } from '../../src/store/store.js';
import { consolePost } from '../support/console.js';
import { PASSWORD, aUser, anOrganization, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('organization invitation links', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const PATH = '/settings/organizations/invitation';
  const get = async (path: string, cookie = '') => {
    const response = await fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), headers: response.headers, text: await response.text() };
  };
  /** The hidden fields of the organization's "Make an invitation link" form, as the page shows them. */
  const inviteFields = async (cookie: string, org: Organization) => {
    const page = (await get('/settings/organizations', cookie)).text;
    const form = new RegExp(`action="/settings/organizations/${org.id}/invitations"><input type="hidden" name="csrf_token" value="([^"]+)"><input type="hidden" name="invitation_id" value="([^"]+)"><input type="hidden" name="invitation_proof" value="([^"]+)">`).exec(page);
    assert.ok(form, page);
    return { csrf_token: form[1] ?? '', invitation_id: form[2] ?? '', invitation_proof: form[3] ?? '' };
  };
  const members = async (org: Organization) => (await server.borealis.ctx.store.organizations.listMembers(org.id)).map((m) => m.email);

  /** A member of a new organization, signed in, and a link they made: its token. */
  async function aLink(): Promise<{ org: Organization; owner: User; ownerCookie: string; link: string; token: string }> {
    const owner = await aUser(server);
    const org = await anOrganization(server, owner);
    const ownerCookie = await signIn(server, owner);
    const made = await consolePost(server, ownerCookie, `/settings/organizations/${org.id}/invitations`, await inviteFields(ownerCookie, org));
    assert.equal(made.status, 201, made.text);
    const link = new RegExp(`id="invitation-link" data-page="/settings/organizations">(${server.url}${PATH}\\?token=(polar_oi_\\w{43}))<`).exec(made.text);
    assert.ok(link, made.text);
    return { org, owner, ownerCookie, link: link[1] ?? '', token: link[2] ?? '' };
  }

  test('made by a member: shown once on a page that sends no Referer, and listed as waiting', async () => {
    const owner = await aUser(server);
    const org = await anOrganization(server, owner);
    const cookie = await signIn(server, owner);
    const response = await fetch(`${server.url}/settings/organizations/${org.id}/invitations`, {
      method: 'POST',
      headers: { cookie, origin: server.url },
      body: new URLSearchParams(await inviteFields(cookie, org)),
    });
    assert.deepEqual([response.status, response.headers.get('cache-control'), response.headers.get('referrer-policy')], [201, 'no-store', 'no-referrer']);
    const page = await response.text();
    const expires = new Date((server.borealis.ctx.now() + 7 * 86400) * 1000).toISOString().slice(0, 10);
    assert.ok(page.includes(`<h1>Invite to ${org.name}</h1>\n<p>Send this link to the one person you invite. It is shown only once, works once, and expires on ${expires} (UTC). Whoever opens it, signed in, can join ${org.name}.</p>`), page);
    const token = /token=(polar_oi_\w{43})</.exec(page)?.[1] ?? '';
    const stored = await server.borealis.ctx.store.invitations.find(server.borealis.ctx.credentials.hash(token), server.borealis.ctx.now());
    assert.equal(stored?.organization.id, org.id, 'only its HMAC is stored, and it finds the invitation');
    const list = (await get('/settings/organizations', cookie)).text;
    assert.ok(list.includes(`<h3>Invitations waiting</h3>\n<ul><li>By ${owner.email}, expires ${expires}`), list);
    assert.equal(list.includes(token), false, 'the list never shows a link again');
  });

  test('the form sent again (a reload without JavaScript) makes no second link: 409, and the one made stays listed', async () => {
    const owner = await aUser(server);
    const org = await anOrganization(server, owner);
    const cookie = await signIn(server, owner);
    const fields = await inviteFields(cookie, org);
    const path = `/settings/organizations/${org.id}/invitations`;
    assert.equal((await consolePost(server, cookie, path, fields)).status, 201);
    const again = await consolePost(server, cookie, path, fields);
    assert.equal(again.status, 409);
    assert.ok(again.text.includes('<p class="error" role="alert">This form was already sent, and made a link, shown once then. If it did not reach you, withdraw it below and make another.</p>'), again.text);
    assert.equal(again.text.includes('polar_oi_'), false);
    assert.equal((await server.borealis.ctx.store.invitations.listPending(org.id, server.borealis.ctx.now())).length, 1);
    // Without the form's id, or with another organization's proof: refused, nothing made.
    const other = await anOrganization(server, owner);
    const forOther = await inviteFields(cookie, other);
    for (const sent of [{ csrf_token: fields.csrf_token }, { ...forOther, csrf_token: fields.csrf_token }]) {
      const refused = await consolePost(server, cookie, path, sent);
      assert.equal(refused.status, 400);
      assert.ok(refused.text.includes('This form has expired: make the invitation link again.'), refused.text);
    }
    assert.equal((await server.borealis.ctx.store.invitations.listPending(org.id, server.borealis.ctx.now())).length, 1);
  });

  test('opened signed out: sign-in leads back to it; accepting joins, says so by name, and the link is spent', async () => {
    const { org, link, token } = await aLink();
    const invitee = await aUser(server);
    const path = link.slice(server.url.length);
    const signedOut = await get(path);
    assert.deepEqual([signedOut.status, signedOut.location], [303, `/login?return_to=${encodeURIComponent(path)}`]);
    const login = await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email: invitee.email, password: PASSWORD, return_to: path }), redirect: 'manual' });
    assert.deepEqual([login.status, login.headers.get('location')], [303, path]);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';

    const asked = await get(path, cookie);
    assert.deepEqual([asked.status, asked.headers.get('referrer-policy')], [200, 'no-referrer']);
    assert.ok(asked.text.includes(`<h1>Join ${org.name}?</h1>`), asked.text);
    assert.ok(asked.text.includes(`<input type="hidden" name="token" value="${token}">`), asked.text);
    assert.equal((await members(org)).includes(invitee.email), false, 'opening it changes nothing');

    const joined = await consolePost(server, cookie, PATH, { token });
    assert.equal(joined.status, 303);
    assert.match(joined.location ?? '', new RegExp(`^/settings/organizations\\?notice=joined&organization=${org.slug}&proof=[\\w-]{43}$`));
    assert.ok((await get(joined.location ?? '', cookie)).text.includes(`<p class="notice" role="status">You joined ${org.name}.</p>`));
    assert.ok((await members(org)).includes(invitee.email));

    const again = await get(path, await signIn(server, await aUser(server)));
    assert.equal(again.status, 404);
    assert.ok(again.text.includes('This invitation link was used, withdrawn or has expired, or the member who made it has left the organization. Ask for a new one.'), again.text);
  });

  test('a member already: told so, and the link stays good for the one it was meant for', async () => {
    const { org, ownerCookie, token } = await aLink();
    const opened = await get(`${PATH}?token=${token}`, ownerCookie);
    assert.equal(opened.status, 200);
    assert.ok(opened.text.includes(`You are already a member of ${org.name}.`), opened.text);
    assert.equal((await consolePost(server, ownerCookie, PATH, { token })).status, 200);
    const newcomer = await aUser(server);
    assert.equal((await consolePost(server, await signIn(server, newcomer), PATH, { token })).status, 303);
    assert.ok((await members(org)).includes(newcomer.email));
  });

  test('withdrawn by any member: the link no longer works', async () => {
    const { org, token } = await aLink();
    const other = await aUser(server);
    await server.borealis.ctx.store.organizations.addMember(org.id, other.id, server.borealis.ctx.now());
    const otherCookie = await signIn(server, other);
    const [waiting] = await server.borealis.ctx.store.invitations.listPending(org.id, server.borealis.ctx.now());
    assert.ok(waiting);
    const withdrawn = await consolePost(server, otherCookie, `/settings/organizations/${org.id}/invitations/${waiting.invitation.id}/withdraw`, {});
    assert.deepEqual([withdrawn.status, withdrawn.location], [303, '/settings/organizations?notice=withdrawn']);
    assert.ok((await get('/settings/organizations?notice=withdrawn', otherCookie)).text.includes('The invitation was withdrawn: its link no longer works.'));
    assert.equal((await get(`${PATH}?token=${token}`, await signIn(server, await aUser(server)))).status, 404);
  });

  test('a stranger can neither make nor withdraw a link of an organization they are not in', async () => {
    const { org } = await aLink();
    const stranger = await signIn(server, await aUser(server));
    const [waiting] = await server.borealis.ctx.store.invitations.listPending(org.id, server.borealis.ctx.now());
    for (const path of [`/settings/organizations/${org.id}/invitations`, `/settings/organizations/${org.id}/invitations/${waiting?.invitation.id}/withdraw`]) {
      const refused = await consolePost(server, stranger, path, {});
      assert.equal(refused.status, 400, path);
      assert.ok(refused.text.includes('<p class="error" role="alert">You are not a member of that organization.</p>'), refused.text);
    }
    assert.equal((await server.borealis.ctx.store.invitations.listPending(org.id, server.borealis.ctx.now())).length, 1);
  });

  test('a token that is malformed, unknown or missing: the same 404 page; a forged notice names nothing', async () => {
    const cookie = await signIn(server, await aUser(server));
    const { token } = await aLink();
    const unknown = `polar_oi_${'A'.repeat(43)}`;
    for (const query of ['', '?token=', `?token=${unknown}`, `?token=${token.slice(0, -1)}${token.endsWith('x') ? 'y' : 'x'}`, `?token=${unknown}&token=${token.slice(0, 10)}`]) {
      assert.equal((await get(`${PATH}${query}`, cookie)).status, 404, query);
    }
    assert.equal((await consolePost(server, cookie, PATH, {})).status, 404);
    const forged = await get(`/settings/organizations?notice=joined&organization=acme&proof=${'A'.repeat(43)}`, cookie);
    assert.ok(forged.text.includes('You joined the organization.'), forged.text);
  });

  test('accepting without the page\'s CSRF token: 403, nobody joins', async () => {
    const { org, token } = await aLink();
    const invitee = await aUser(server);
    const cookie = await signIn(server, invitee);
    const response = await fetch(`${server.url}${PATH}`, { method: 'POST', headers: { cookie, origin: server.url }, body: new URLSearchParams({ token }), redirect: 'manual' });
    assert.equal(response.status, 403);
    assert.equal((await members(org)).includes(invitee.email), false);
  });
});
