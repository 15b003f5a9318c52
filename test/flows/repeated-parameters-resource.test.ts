/**
 * D16 (decisions.md: any OAuth parameter sent more than once, across query and body, is 400
 * `invalid_request` `Multiple '<param>' in request.`, on every OAuth endpoint) at
 * POST /v1/oauth2/revoke (§3.8) and POST /v1/oauth2/introspect (§3.9). The check
 * (src/oauth/presented-token.ts) runs before anything else, so nothing is revoked; the body is
 * authlib's dialect (src/http/json.ts, §2.3-A).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestClient, aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const multiple = (name: string) => `{"error": "invalid_request", "error_description": "Multiple '${name}' in request."}`;

describe('repeated parameters at revoke and introspect (D16)', () => {
  let server: TestServer;
  let client: TestClient;
  let a: { access_token: string; refresh_token?: string };
  let b: { access_token: string; refresh_token?: string };
  before(async () => {
    server = await startServer();
    client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    a = await tokensFor(server, client, cookie);
    b = await tokensFor(server, client, cookie);
  });
  after(() => server.close());

  /** client_secret_post, then `pairs` in order (so a name may repeat); `query` goes on the URL. */
  async function call(path: string, pairs: [string, string][], query = '') {
    const body = new URLSearchParams([['client_id', client.clientId], ['client_secret', client.clientSecret], ...pairs]);
    const response = await fetch(`${server.url}${path}${query}`, { method: 'POST', body, redirect: 'manual' });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  function assertMultiple(result: Awaited<ReturnType<typeof call>>, name: string) {
    assert.equal(result.status, 400, result.text);
    assert.equal(result.text, multiple(name));
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('pragma'), 'no-cache');
    assert.equal(result.headers.get('www-authenticate'), null);
  }

  const userinfoStatus = async (accessToken: string) =>
    (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;

  for (const path of ['/v1/oauth2/revoke', '/v1/oauth2/introspect']) {
    test(`${path}: token=A&token=B → 400 Multiple 'token'; A and B still work`, async () => {
      assertMultiple(await call(path, [['token', a.access_token], ['token', b.access_token]]), 'token');
      // The same value twice is still twice.
      assertMultiple(await call(path, [['token', a.access_token], ['token', a.access_token]]), 'token');
      // Across query and body.
      assertMultiple(await call(path, [['token', a.access_token]], `?token=${encodeURIComponent(b.access_token)}`), 'token');
      assert.equal(await userinfoStatus(a.access_token), 200);
      assert.equal(await userinfoStatus(b.access_token), 200);
    });

    test(`${path}: token_type_hint twice → 400 Multiple 'token_type_hint'; the token still works`, async () => {
      const pairs: [string, string][] = [['token', a.access_token], ['token_type_hint', 'access_token'], ['token_type_hint', 'access_token']];
      assertMultiple(await call(path, pairs), 'token_type_hint');
      assertMultiple(await call(path, [['token', a.access_token], ['token_type_hint', 'access_token'], ['token_type_hint', 'refresh_token']]), 'token_type_hint');
      assert.equal(await userinfoStatus(a.access_token), 200);
    });
  }

  test('control: the same requests with each parameter once are answered (introspect active, then revoke {})', async () => {
    const introspected = await call('/v1/oauth2/introspect', [['token', a.access_token], ['token_type_hint', 'access_token']]);
    assert.equal(introspected.status, 200, introspected.text);
    assert.match(introspected.text, /^\{"active": true, /);
    const revoked = await call('/v1/oauth2/revoke', [['token', a.access_token], ['token_type_hint', 'access_token']]);
    assert.equal(revoked.status, 200, revoked.text);
    assert.equal(revoked.text, '{}');
    assert.equal(await userinfoStatus(a.access_token), 401);
    assert.equal(await userinfoStatus(b.access_token), 200);
  });
});
