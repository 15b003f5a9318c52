/**
 * D9 and the code lifetime, on a fake clock. D9 (decisions.md): the id_token's `auth_time` is when
 * the user signed in, not when the code was issued (Polar, §5.4). The code still lives 300 s from
 * its own issue (§5.1; docs/compatibility.md "the code has its own issue and expiry times").
 * The boundary: polar-oauth2.md §4.1 step 4 says "expired when auth_time + 300 < now", with an
 * integer issue time against Polar's fractional `time.time()`, so a code is expired from the first
 * instant after issue + 300 s. Borealis's clock is whole seconds (the floor of real time), and
 * `now = issue + 300` covers [issue + 300, issue + 301): expired, as in Polar for all but the
 * exact instant. So +299 is accepted and +300 refused (src/oauth/grants/authorization-code.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { REDIRECT_URI, type TestClient, aClient, aUser, obtainCode, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

const INVALID_CODE = `{"error": "invalid_grant", "error_description": "Invalid 'code' in request."}`;

describe('code lifetime and auth_time on a fake clock (D9, §4.1, §5.1)', () => {
  const clock = fakeClock();
  let server: TestServer;
  let client: TestClient;
  let cookie: string;
  before(async () => {
    server = await startServer({ now: clock });
    client = await aClient(server);
    cookie = await signIn(server, await aUser(server));
  });
  after(() => server.close());

  const exchange = (code: string) =>
    postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });

  function assertTokenResponse(result: Awaited<ReturnType<typeof exchange>>) {
    assert.equal(result.status, 200, result.text);
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('pragma'), 'no-cache');
    const body = JSON.parse(result.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['token_type', 'access_token', 'expires_in', 'refresh_token', 'scope', 'id_token']);
    assert.equal(body.scope, 'openid');
    assert.equal(body.expires_in, 864000);
    return body as { access_token: string; id_token: string };
  }

  test('signed in at T, code at T+120, exchanged at T+419 (code age 299 s) → 200, auth_time = T', async () => {
    const T = clock();
    const session = await signIn(server, await aUser(server));
    clock.advance(120);
    const { code } = await obtainCode(server, client, session, { scope: 'openid' });
    clock.advance(299);
    // 419 s after sign-in: were the lifetime counted from auth_time, this code would be dead.
    const body = assertTokenResponse(await exchange(code));
    const claims = decodeJwt(body.id_token);
    assert.equal(claims.auth_time, T);
    assert.equal(claims.iat, T + 419);
    assert.equal(claims.exp, T + 419 + 3600);
    assert.equal(claims.nonce, undefined);
    const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${body.access_token}` } });
    assert.equal(userinfo.status, 200);
  });

  test('a code exchanged in the second that starts 300 s after issue → 400 invalid_grant (whole-second clock)', async () => {
    const { code } = await obtainCode(server, client, cookie, { scope: 'openid' });
    clock.advance(300);
    const result = await exchange(code);
    assert.equal(result.status, 400);
    assert.equal(result.text, INVALID_CODE);
  });

  test('a code exchanged 301 s after issue → 400 invalid_grant, and it is not consumed', async () => {
    const { code } = await obtainCode(server, client, cookie, { scope: 'openid' });
    clock.advance(301);
    for (let i = 0; i < 2; i++) {
      const result = await exchange(code);
      assert.equal(result.status, 400);
      assert.equal(result.text, INVALID_CODE);
      assert.equal(result.headers.get('content-type'), 'application/json');
      assert.equal(result.headers.get('cache-control'), 'no-store');
      assert.equal(result.headers.get('pragma'), 'no-cache');
    }
    const { ctx } = server.borealis;
    const row = await ctx.store.codes.find(ctx.credentials.hash(code));
    assert.ok(row);
    assert.equal(row.consumedAt, null);
    assert.equal(row.expiresAt, row.issuedAt + 300);
  });
});
