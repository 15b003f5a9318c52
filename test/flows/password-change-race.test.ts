/**
 * A password change that ends app access (`users set-password --revoke-tokens`, the admin API's
 * `revoke_tokens`, a reset with "end app access") landing while a request that already read the
 * session is in flight: the code or `web` token that request goes on to store must not outlive
 * the change (store: test/store/revocation-guards.test.ts has the engine races).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setPassword } from '../../src/accounts/accounts.js';
import type { User } from '../../src/store/store.js';
import { REDIRECT_URI, aClient, aUser, form, obtainCode, postToken, signIn } from '../support/fixtures.js';
import { afterFirstCall } from '../support/hooks.js';
import { type TestServer, startServer } from '../support/server.js';

describe('a password change racing a request that read the session', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** Runs `work` with the password changed (tokens revoked) right after the first call of `target[method]` returns. */
  const changedAfter = <T extends object, K extends keyof T>(target: T, method: K, user: User, work: () => Promise<void>) =>
    afterFirstCall(target, method, () => setPassword(server.borealis.accounts, user, 'a brand new password', { revokeTokens: true }), work);

  test('authorize with a remembered consent: access_denied, no code', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    await obtainCode(server, client, cookie); // consent remembered: the next request issues at once
    // After the consent is read (the change forgets it: landing before, it would leave a consent screen).
    await changedAfter(server.borealis.ctx.store.consents, 'find', user, async () => {
      const query = form({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st' });
      const response = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') ?? '');
      assert.deepEqual([location.searchParams.get('error'), location.searchParams.get('code')], ['access_denied', null]);
    });
  });

  test('the web grant: invalid_grant, no token', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const session = (await signIn(server, user)).replace(/^polar_session=/, '');
    await changedAfter(server.borealis.ctx.store.sessions, 'findActive', user, async () => {
      const result = await postToken(server, { grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret, session_token: session });
      assert.equal(result.status, 400);
      assert.equal(result.text, '{"error": "invalid_grant"}');
    });
  });
});
