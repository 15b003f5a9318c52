/**
 * Removing a member from an organization (`borealis orgs remove-member`; docs/compatibility.md).
 * A down-scope holds only while the user is a member of its organizations (polar-oauth2.md §6):
 * at every read the organizations the user has left drop out of introspection's `organizations`,
 * and a token or code left with none of them is refused everywhere (an empty list would read as
 * unrestricted). The tokens a removal leaves with none are also revoked, so adding the user back
 * revives none of them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addMember, removeMember } from '../../src/accounts/accounts.js';
import { openDb } from '../../src/store/sql/db.js';
import type { Organization, User } from '../../src/store/store.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, authorizeQuery, downScopedSession, form, obtainCode, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const INACTIVE = '{"active": false}';
const INVALID_GRANT = '{"error": "invalid_grant"}';
const INVALID_CODE = `{"error": "invalid_grant", "error_description": "Invalid 'code' in request."}`;

describe('removing a member from an organization', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** The owner of a new organization, a member of a second one, and a client with refresh tokens. */
  async function setting() {
    const owner = await aUser(server);
    const user = await aUser(server);
    const a = await anOrganization(server, owner);
    const b = await anOrganization(server, owner);
    for (const org of [a, b]) await addMember(server.borealis.accounts, { slug: org.slug, email: user.email });
    const client = await aClient(server, { grant_types: ['authorization_code', 'refresh_token'] });
    return { user, a, b, client, cookie: await signIn(server, user) };
  }
  const remove = (org: Organization, user: User) => removeMember(server.borealis.accounts, { slug: org.slug, email: user.email });
  const readd = (org: Organization, user: User) => addMember(server.borealis.accounts, { slug: org.slug, email: user.email });

  const exchange = (client: TestClient, code: string) =>
    postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
  async function tokensFor(client: TestClient, cookie: string, organizations: Organization[]) {
    const { code } = await obtainCode(server, client, cookie, { scope: 'openid' }, organizations.map((o) => o.id));
    const result = await exchange(client, code);
    assert.equal(result.status, 200, result.text);
    return JSON.parse(result.text) as { access_token: string; refresh_token: string };
  }
  const refresh = (client: TestClient, token: string) =>
    postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: token });
  async function introspect(client: TestClient, token: string) {
    const response = await fetch(`${server.url}/v1/oauth2/introspect`, {
      method: 'POST',
      body: form({ client_id: client.clientId, client_secret: client.clientSecret, token }),
    });
    assert.equal(response.status, 200);
    return response.text();
  }
  const organizationsOf = async (client: TestClient, token: string) => {
    const body = JSON.parse(await introspect(client, token)) as { active: boolean; organizations?: string[] };
    assert.equal(body.active, true);
    return body.organizations;
  };
  const userinfoStatus = async (token: string) =>
    (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;
  const inByteOrder = (...orgs: Organization[]) => orgs.map((o) => o.id).sort();

  test('a token down-scoped to two organizations keeps the other one, through refresh too; adding back restores it', async () => {
    const { user, a, b, client, cookie } = await setting();
    const tokens = await tokensFor(client, cookie, [a, b]);
    assert.deepEqual(await organizationsOf(client, tokens.access_token), inByteOrder(a, b));

    await remove(a, user);
    assert.deepEqual(await organizationsOf(client, tokens.access_token), [b.id]);
    assert.equal(await userinfoStatus(tokens.access_token), 200);
    const rotated = await refresh(client, tokens.refresh_token);
    assert.equal(rotated.status, 200, rotated.text);
    const successor = JSON.parse(rotated.text) as { access_token: string };
    assert.deepEqual(await organizationsOf(client, successor.access_token), [b.id]);

    // The down-scope is judged against membership when read (§6: "only while the user is still a member").
    await readd(a, user);
    assert.deepEqual(await organizationsOf(client, successor.access_token), inByteOrder(a, b));
  });

  test('a token left with none of its organizations is inactive, refused by userinfo and refresh, and stays revoked', async () => {
    const { user, a, client, cookie } = await setting();
    const tokens = await tokensFor(client, cookie, [a]);
    await remove(a, user);
    assert.equal(await introspect(client, tokens.access_token), INACTIVE);
    assert.equal(await introspect(client, tokens.refresh_token), INACTIVE);
    assert.equal(await userinfoStatus(tokens.access_token), 401);
    const refused = await refresh(client, tokens.refresh_token);
    assert.equal(refused.status, 400);
    assert.equal(refused.text, INVALID_GRANT);

    await readd(a, user);
    assert.equal(await introspect(client, tokens.access_token), INACTIVE);
    assert.equal((await refresh(client, tokens.refresh_token)).text, INVALID_GRANT);
  });

  test('an unrestricted token is not touched', async () => {
    const { user, a, client, cookie } = await setting();
    const tokens = await tokensFor(client, cookie, []);
    await remove(a, user);
    assert.deepEqual(await organizationsOf(client, tokens.access_token), []);
    assert.equal((await refresh(client, tokens.refresh_token)).status, 200);
  });

  test('a code left with none of its organizations is spent by the removal; one partly left issues a token for the rest', async () => {
    const { user, a, b, client, cookie } = await setting();
    const other = await aClient(server); // its own consent: the first client's remembers [a]
    const lost = await obtainCode(server, client, cookie, { scope: 'openid' }, [a.id]);
    const kept = await obtainCode(server, other, cookie, { scope: 'openid' }, [a.id, b.id]);
    await remove(a, user);
    assert.equal((await exchange(client, lost.code)).text, INVALID_CODE);
    const issued = await exchange(other, kept.code);
    assert.equal(issued.status, 200, issued.text);
    assert.deepEqual(await organizationsOf(other, (JSON.parse(issued.text) as { access_token: string }).access_token), [b.id]);
    // Adding the user back within the code's 300 s does not revive it.
    await readd(a, user);
    assert.equal((await exchange(client, lost.code)).text, INVALID_CODE);
  });

  /** Runs `work` while a removal commits right after the store's next `listForUser` (the organizations a request checks). */
  async function removedAfterMembershipCheck(org: Organization, user: User, work: () => Promise<void>) {
    const organizations = server.borealis.ctx.store.organizations;
    const read = organizations.listForUser;
    organizations.listForUser = async (...args) => {
      organizations.listForUser = read;
      const found = await read.apply(organizations, args);
      await remove(org, user);
      return found;
    };
    try {
      await work();
    } finally {
      organizations.listForUser = read;
    }
  }

  test('a token issued while the removal commits acts on nothing, and adding the user back ends it', async () => {
    const { user, a } = await setting();
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const session = (await signIn(server, user)).replace(/^polar_session=/, '');
    let token = '';
    await removedAfterMembershipCheck(a, user, async () => {
      const fields = { grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret, session_token: session };
      const result = await postToken(server, { ...fields, sub_type: 'organization', sub: a.id });
      assert.equal(result.status, 200, result.text);
      token = (JSON.parse(result.text) as { access_token: string }).access_token;
    });
    assert.equal(await introspect(client, token), INACTIVE);
    assert.equal(await userinfoStatus(token), 401);
    await readd(a, user);
    assert.equal(await introspect(client, token), INACTIVE);
  });

  test('a code issued while the removal commits is refused at the exchange, and adding the user back spends it', async () => {
    const { user, a, client, cookie } = await setting();
    const query = form(authorizeQuery(client, { scope: 'openid' })).toString();
    const shown = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie } });
    const { csrf_token } = (await shown.json()) as { csrf_token: string };
    let code = '';
    await removedAfterMembershipCheck(a, user, async () => {
      const body = form({ action: 'allow', csrf_token, organizations: a.id });
      const answer = await fetch(`${server.url}/v1/oauth2/consent?${query}`, { method: 'POST', headers: { cookie }, body, redirect: 'manual' });
      code = new URL(answer.headers.get('location') ?? '').searchParams.get('code') ?? '';
    });
    assert.notEqual(code, '');
    const refused = await exchange(client, code);
    assert.equal(refused.status, 400);
    assert.equal(refused.text, `{"error": "invalid_grant", "error_description": "The user is no longer a member of the code's organizations."}`);
    await readd(a, user);
    assert.equal((await exchange(client, code)).text, INVALID_CODE);
  });

  test('a token two removals at once both missed (memberships gone, nothing revoked) is refused by refresh and by its parent\'s grace replay', async () => {
    const { user, a, b, client, cookie } = await setting();
    const parent = await tokensFor(client, cookie, [a, b]);
    const child = JSON.parse((await refresh(client, parent.refresh_token)).text) as { access_token: string; refresh_token: string };
    const db = await openDb(server.database.url);
    try {
      await db.run('DELETE FROM memberships WHERE user_id = ?', [user.id]);
    } finally {
      await db.close();
    }
    assert.equal(await introspect(client, child.access_token), INACTIVE);
    assert.equal((await refresh(client, child.refresh_token)).text, INVALID_GRANT);
    // Within the grace window (D4) the parent would hand out the child's pair again.
    assert.equal((await refresh(client, parent.refresh_token)).text, INVALID_GRANT);
    await readd(a, user);
    assert.equal(await introspect(client, child.access_token), INACTIVE);
  });

  test('the web grant: a session down-scoped to organizations all left is refused, one partly left hands on the rest', async () => {
    const { user, a, b } = await setting();
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const web = async (cookie: string, fields: Record<string, string> = {}) =>
      postToken(server, {
        grant_type: 'web',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        session_token: cookie.replace(/^polar_session=/, ''),
        ...fields,
      });
    const onlyA = await downScopedSession(server, user, [a.id]);
    const both = await downScopedSession(server, user, [a.id, b.id]);
    await remove(a, user);
    for (const refused of [await web(onlyA), await web(both, { sub_type: 'organization', sub: a.id })]) {
      assert.equal(refused.status, 400);
      assert.equal(refused.text, INVALID_GRANT);
    }
    const issued = await web(both);
    assert.equal(issued.status, 200, issued.text);
    const token = (JSON.parse(issued.text) as { access_token: string }).access_token;
    assert.deepEqual(await organizationsOf(client, token), [b.id]);
    // It was issued for what the session still reached: adding the user back does not widen it.
    await readd(a, user);
    assert.deepEqual(await organizationsOf(client, token), [b.id]);
  });

  test('the console lists an authorized app with the chosen organizations the user still belongs to', async () => {
    const { user, a, b, client, cookie } = await setting();
    const other = await aClient(server, { client_name: 'Other App' });
    await obtainCode(server, client, cookie, { scope: 'openid' }, [a.id, b.id]);
    await obtainCode(server, other, cookie, { scope: 'openid' }, [a.id]);
    await remove(a, user);
    const page = await (await fetch(`${server.url}/settings/oauth`, { headers: { cookie } })).text();
    assert.match(page, new RegExp(`<span class="muted">Organizations: ${b.slug}</span>`));
    assert.match(page, /<span class="muted">No organization: you are no longer a member of those chosen<\/span>/);
    assert.doesNotMatch(page, new RegExp(a.id));
  });

  test('removing someone who is not a member says so and changes nothing', async () => {
    const { user, a } = await setting();
    await remove(a, user);
    await assert.rejects(remove(a, user), { message: `${user.email} is not a member of ${a.slug}.` });
    await assert.rejects(removeMember(server.borealis.accounts, { slug: 'no-such-org', email: user.email }), { message: 'No organization with slug no-such-org.' });
  });
});
