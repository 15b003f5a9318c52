/**
 * Deleting an account (accounts.ts, deleteAccount): by its person on /settings/account/delete,
 * with their password, or by an operator (DELETE /admin/v1/users/{id}). Afterwards nothing the
 * account held works, its apps are gone for everyone, and its address can sign up again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleCsrf } from '../support/console.js';
import { AccountError, createOrganization } from '../../src/accounts/accounts.js';
import { createClient, withDefaults } from '../../src/oauth/clients.js';
import { PASSWORD, REDIRECT_URI, aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const TOKEN = 'admin-token-0123456789abcdef0123456789abcdef';

describe('deleting an account', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_ADMIN_TOKEN: TOKEN, BOREALIS_SIGNUP: 'open' } });
  });
  after(() => server.close());

  const userinfo = async (token: string) => (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;
  const login = async (email: string, password: string) =>
    (await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' })).status;
  const deletion = async (cookie: string, password: string, csrf?: string) => {
    const body = new URLSearchParams({ csrf_token: csrf ?? (await consoleCsrf(server, cookie)), password });
    const response = await fetch(`${server.url}/settings/account/delete`, { method: 'POST', headers: { cookie, origin: server.url }, body, redirect: 'manual' });
    return { status: response.status, cookie: response.headers.get('set-cookie'), body: await response.text() };
  };
  const storedEvents = async (userId: string) => {
    await server.borealis.ctx.audit.settled();
    return (await server.borealis.ctx.store.securityEvents.list({ userId, type: 'user.deleted' }, 0, 10)).items.map((e) => e.details);
  };

  test('by its person, with their password: everything it held ends, and the address can sign up again', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const tokens = await tokensFor(server, await aClient(server), cookie);
    const account = await (await fetch(`${server.url}/settings/account`, { headers: { cookie } })).text();
    assert.ok(account.includes('<a class="button secondary" href="/settings/account/delete">Delete my account…</a>'), account);
    const asked = await fetch(`${server.url}/settings/account/delete`, { headers: { cookie } });
    assert.equal(asked.status, 200);
    assert.match(await asked.text(), /<h1>Delete your account\?<\/h1>[\s\S]*<button class="danger" type="submit">Delete my account<\/button>/);

    const wrong = await deletion(cookie, 'not the password');
    assert.equal(wrong.status, 400);
    assert.ok(wrong.body.includes('The password is wrong.'), wrong.body);
    assert.equal(await userinfo(tokens.access_token), 200, 'nothing changed');
    assert.equal((await deletion(cookie, PASSWORD, 'forged')).status, 403);

    const done = await deletion(cookie, PASSWORD);
    assert.equal(done.status, 200);
    assert.match(done.body, /<h1>Account deleted<\/h1>/);
    assert.match(done.cookie ?? '', /^polar_session=; .*Expires=Thu, 01 Jan 1970/);
    assert.equal(await userinfo(tokens.access_token), 401);
    const after = await fetch(`${server.url}/settings/account`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(after.status, 303, 'the session ended');
    assert.equal(await login(user.email, PASSWORD), 400);
    assert.deepEqual(await storedEvents(user.id), [{ by: 'user', apps_deleted: 0 }]);

    const signup = await fetch(`${server.url}/signup`, {
      method: 'POST',
      body: new URLSearchParams({ email: user.email, password: 'a fresh start pw', name: 'Again', return_to: '/' }),
      redirect: 'manual',
    });
    assert.equal(signup.status, 303, 'the address is free');
    assert.notEqual((await server.borealis.ctx.store.users.findByEmail(user.email))?.id, user.id);
  });

  test('by an operator: 204, then the user is not found; the apps they made go for everyone', async () => {
    const call = async (method: string, path: string) => {
      const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers: { authorization: `Bearer ${TOKEN}` } });
      const text = await response.text();
      return { status: response.status, json: text ? JSON.parse(text) : undefined };
    };
    const owner = await aUser(server);
    const someone = await aUser(server);
    const created = await createClient(server.borealis.ctx, withDefaults({ client_name: 'Owned App', redirect_uris: [REDIRECT_URI], scope: 'openid email' }), { userId: owner.id });
    const made = { clientId: created.client.clientId, clientSecret: created.clientSecret, metadata: created.client.metadata };
    const theirs = await tokensFor(server, made, await signIn(server, someone));
    assert.equal(await userinfo(theirs.access_token), 200);

    assert.deepEqual(await call('DELETE', `/users/${owner.id}`), { status: 204, json: undefined });
    assert.deepEqual(await call('GET', `/users/${owner.id}`), { status: 404, json: { detail: 'Not Found' } });
    assert.deepEqual(await call('DELETE', `/users/${owner.id}`), { status: 404, json: { detail: 'Not Found' } });
    assert.equal(await userinfo(theirs.access_token), 401, 'D12: the app is deleted');
    assert.deepEqual(await storedEvents(owner.id), [{ by: 'operator', apps_deleted: 1 }]);

    // A request that found the owner before the deletion: its organization is refused, not stored with an erased member.
    const slug = `after-${owner.id.slice(0, 8)}`;
    await assert.rejects(createOrganization(server.borealis.accounts, { slug, name: 'Too late', owner }), new AccountError(`No user with id ${owner.id}.`));
    assert.equal(await server.borealis.ctx.store.organizations.findBySlug(slug), undefined);
  });
});

