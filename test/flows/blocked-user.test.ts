/**
 * Blocking a user (`borealis users block`): they cannot sign in, and everything they hold ends
 * in the same transaction, so introspection (RFC 7662) and refresh agree with userinfo at once.
 * Polar has no such command; its blocked users' tokens stay active (see docs/compatibility.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setBlocked } from '../../src/accounts/accounts.js';
import { PASSWORD, REDIRECT_URI, aClient, aUser, form, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { afterFirstCall } from '../support/hooks.js';
import { type TestServer, startServer } from '../support/server.js';

describe('a blocked user', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const introspect = async (client: { clientId: string; clientSecret: string }, token: string) => {
    const response = await fetch(`${server.url}/v1/oauth2/introspect`, {
      method: 'POST',
      body: form({ client_id: client.clientId, client_secret: client.clientSecret, token }),
    });
    return JSON.parse(await response.text()) as { active: boolean };
  };
  const userinfoStatus = async (token: string) =>
    (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;
  const signInStatus = async (email: string) =>
    (await fetch(`${server.url}/login`, { method: 'POST', body: form({ email, password: PASSWORD }), redirect: 'manual' })).status;

  /** Runs `work` with the user blocked right after the first call of `target[method]` returns. */
  const blockedAfterFirst = <T extends object, K extends keyof T>(target: T, method: K, email: string, work: () => Promise<void>) =>
    afterFirstCall(target, method, () => setBlocked(server.borealis.accounts, email, true), work);

  // The `web` grant reads the session, then stores the token: a block committed in between must
  // not leave a token it could not see (test/store/issue-guards.test.ts has the engine races).
  test('blocked between the web grant reading the session and storing the token: invalid_grant, no token', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const session = (await signIn(server, user)).replace(/^polar_session=/, '');
    await blockedAfterFirst(server.borealis.ctx.store.sessions, 'findActive', user.email, async () => {
      const result = await postToken(server, { grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret, session_token: session });
      assert.equal(result.status, 400);
      assert.equal(result.text, '{"error": "invalid_grant"}');
    });
  });

  test('blocked between authorize reading the remembered consent and storing the code: access_denied, no code', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    await obtainCode(server, client, cookie); // consent remembered: the next request issues at once
    // (A block forgets the consents: landing before their read, it would leave a consent screen to show.)
    await blockedAfterFirst(server.borealis.ctx.store.consents, 'find', user.email, async () => {
      const query = form({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st' });
      const response = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') ?? '');
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), 'st');
      assert.equal(location.searchParams.get('code'), null);
    });
  });

  test('blocked right after authorize read the session: its consent is forgotten, so no code (prompt=none: consent_required)', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    await obtainCode(server, client, cookie);
    await blockedAfterFirst(server.borealis.ctx.store.sessions, 'findActive', user.email, async () => {
      const query = form({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st', prompt: 'none' });
      const response = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') ?? '');
      assert.deepEqual([location.searchParams.get('error'), location.searchParams.get('code')], ['consent_required', null]);
    });
  });

  test('blocked between the password check and the session: the sign-in is refused, no cookie', async () => {
    const user = await aUser(server);
    await blockedAfterFirst(server.borealis.ctx.store.users, 'findByEmail', user.email, async () => {
      const response = await fetch(`${server.url}/login`, { method: 'POST', body: form({ email: user.email, password: PASSWORD }), redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.doesNotMatch(response.headers.get('set-cookie') ?? '', /polar_session=/);
      assert.match(await response.text(), /Wrong email or password\./);
    });
  });

  test('loses every session, code and token at once; unblocking revives none of them', async () => {
    const user = await aUser(server);
    const bystander = await aUser(server);
    const [a, b] = [await aClient(server), await aClient(server)];
    const cookie = await signIn(server, user);
    const tokens = [await tokensFor(server, a, cookie), await tokensFor(server, b, cookie)];
    const pending = await obtainCode(server, a, cookie);
    const theirs = await tokensFor(server, a, await signIn(server, bystander));

    const { accounts } = server.borealis;
    assert.deepEqual(await setBlocked(accounts, user.email, true), { user, changed: true });
    assert.equal((await setBlocked(accounts, user.email, true)).changed, false, 'blocking twice changes nothing');

    for (const [client, t] of [[a, tokens[0]], [b, tokens[1]]] as const) {
      assert.equal((await introspect(client, t?.access_token ?? '')).active, false);
      assert.equal((await introspect(client, t?.refresh_token ?? '')).active, false);
      assert.equal(await userinfoStatus(t?.access_token ?? ''), 401);
      const refreshed = await postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: t?.refresh_token });
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.text, '{"error": "invalid_grant"}');
    }
    const exchanged = await postToken(server, { grant_type: 'authorization_code', client_id: a.clientId, client_secret: a.clientSecret, code: pending.code, redirect_uri: REDIRECT_URI });
    assert.equal(exchanged.status, 400);
    const session = await fetch(`${server.url}/settings/oauth`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(session.status, 303, 'the session is gone');
    assert.equal(await signInStatus(user.email), 400);
    // Someone else's tokens are untouched.
    assert.equal((await introspect(a, theirs.access_token)).active, true);

    assert.equal((await setBlocked(accounts, user.email, false)).changed, true);
    assert.equal((await setBlocked(accounts, user.email, false)).changed, false);
    assert.equal(await signInStatus(user.email), 303, 'they can sign in again');
    assert.equal((await introspect(a, tokens[0]?.access_token ?? '')).active, false, 'what was revoked stays revoked');
    assert.equal(await userinfoStatus(tokens[1]?.access_token ?? ''), 401);
  });
});
