/**
 * The exact wire of POST /v1/oauth2/revoke (RFC 7009; polar-oauth2.md §3.8 with D11): 200
 * `application/json` `{}` also for unknown tokens; row-wide revocation of an access token;
 * family-wide revocation of a refresh token; 400 invalid_grant for another client's token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, form, obtainCode, pkcePair, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

const EMPTY = '{}';
const INVALID_GRANT = '{"error": "invalid_grant"}';
const CANNOT_AUTHENTICATE = "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post', 'none']";

const basicAuth = (client: TestClient) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

const asPost = (client: TestClient, fields: Record<string, string | undefined>) => ({
  client_id: client.clientId,
  client_secret: client.clientSecret,
  ...fields,
});

async function call(server: TestServer, path: string, fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body: form(fields), headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}
const revoke = (server: TestServer, fields: Record<string, string | undefined>, headers: Record<string, string> = {}) =>
  call(server, '/v1/oauth2/revoke', fields, headers);

function expectAuthlib(result: { status: number; headers: Headers; text: string }, status: number, text: string) {
  assert.equal(result.text, text);
  assert.equal(result.status, status);
  assert.equal(result.headers.get('content-type'), 'application/json');
  assert.equal(result.headers.get('cache-control'), 'no-store');
  assert.equal(result.headers.get('pragma'), 'no-cache');
}

describe('revocation', () => {
  let server: TestServer;
  before(async () => {
    // A clock that stands still: the D4 grace replays below happen inside the window however
    // slow the machine is (past it a replay is plain reuse, with the same invalid_grant).
    server = await startServer({ now: fakeClock() });
  });
  after(() => server.close());

  async function issued(overrides: Parameters<typeof aClient>[1] = {}) {
    const client = await aClient(server, overrides);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    return { client, tokens: tokens as typeof tokens & { refresh_token: string } };
  }

  const userinfoStatus = async (accessToken: string) =>
    (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const active = async (client: TestClient, token: string) =>
    JSON.parse((await call(server, '/v1/oauth2/introspect', asPost(client, { token }))).text).active as boolean;
  const refresh = (client: TestClient, refreshToken: string) =>
    postToken(server, { grant_type: 'refresh_token', ...asPost(client, { refresh_token: refreshToken }) });

  test('unknown or malformed tokens → 200 application/json {} (RFC 7009 §2.2)', async () => {
    const { client } = await issued();
    for (const token of ['garbage', `polar_at_u_${'A'.repeat(43)}`, `polar_rt_u_${'A'.repeat(43)}`]) {
      for (const hint of [undefined, 'access_token', 'refresh_token']) {
        expectAuthlib(await revoke(server, asPost(client, { token, token_type_hint: hint })), 200, EMPTY);
      }
    }
  });

  test('an access token: its whole row dies, so the refresh token no longer refreshes; revoking again is still 200 {}', async () => {
    for (const hint of [undefined, 'access_token']) {
      const { client, tokens } = await issued();
      assert.equal(await userinfoStatus(tokens.access_token), 200);
      expectAuthlib(await revoke(server, asPost(client, { token: tokens.access_token, token_type_hint: hint })), 200, EMPTY);
      assert.equal(await userinfoStatus(tokens.access_token), 401);
      assert.equal(await active(client, tokens.access_token), false);
      assert.equal(await active(client, tokens.refresh_token), false);
      const refreshed = await refresh(client, tokens.refresh_token);
      assert.equal(refreshed.status, 400, String(hint));
      assert.equal(refreshed.text, INVALID_GRANT);
      expectAuthlib(await revoke(server, asPost(client, { token: tokens.access_token, token_type_hint: hint })), 200, EMPTY);
    }
  });

  test('a refresh token: its access token dies with it and it no longer refreshes', async () => {
    for (const hint of [undefined, 'refresh_token']) {
      const { client, tokens } = await issued();
      expectAuthlib(await revoke(server, asPost(client, { token: tokens.refresh_token, token_type_hint: hint })), 200, EMPTY);
      assert.equal(await userinfoStatus(tokens.access_token), 401);
      assert.equal(await active(client, tokens.refresh_token), false);
      const refreshed = await refresh(client, tokens.refresh_token);
      assert.equal(refreshed.status, 400);
      assert.equal(refreshed.text, INVALID_GRANT);
    }
  });

  test('a refresh token kills the whole family: revoking a rotated ancestor ends the current pair too (RFC 7009 §2.1)', async () => {
    const { client, tokens } = await issued();
    const second = await refresh(client, tokens.refresh_token);
    assert.equal(second.status, 200, second.text);
    const pair2 = JSON.parse(second.text) as { access_token: string; refresh_token: string };
    const third = await refresh(client, pair2.refresh_token);
    assert.equal(third.status, 200, third.text);
    const pair3 = JSON.parse(third.text) as { access_token: string; refresh_token: string };
    assert.equal(await userinfoStatus(pair3.access_token), 200);

    // The first refresh token, already rotated, is still found (§3.8) and revokes its family.
    expectAuthlib(await revoke(server, asPost(client, { token: tokens.refresh_token })), 200, EMPTY);
    assert.equal(await userinfoStatus(pair3.access_token), 401);
    assert.equal(await active(client, pair3.access_token), false);
    assert.equal(await active(client, pair3.refresh_token), false);
    const refreshed = await refresh(client, pair3.refresh_token);
    assert.equal(refreshed.status, 400);
    assert.equal(refreshed.text, INVALID_GRANT);
    // Within the D4 grace window (the clock stands still), the replay of a rotated token must
    // not resurrect anything.
    const replay = await refresh(client, pair2.refresh_token);
    assert.equal(replay.status, 400);
    assert.equal(replay.text, INVALID_GRANT);
  });

  // D4 grace replay vs. revocation: the replay must never hand out a pair revoked meanwhile
  // (docs/compatibility.md). Found broken at 6ebeb80 (200 with the revoked pair), fixed in 5f9d0f8.
  test('after the newest access token is revoked, the grace replay of its predecessor is invalid_grant', async () => {
    const { client, tokens } = await issued();
    const second = await refresh(client, tokens.refresh_token);
    assert.equal(second.status, 200, second.text);
    const pair2 = JSON.parse(second.text) as { access_token: string; refresh_token: string };
    // Inside the window, the replay answers the same pair...
    const graced = await refresh(client, tokens.refresh_token);
    assert.equal(graced.status, 200);
    assert.equal(graced.text, second.text);
    // ...until that pair is revoked.
    expectAuthlib(await revoke(server, asPost(client, { token: pair2.access_token })), 200, EMPTY);
    const replay = await refresh(client, tokens.refresh_token);
    assert.equal(replay.text, INVALID_GRANT);
    assert.equal(replay.status, 400);
  });

  // The client raced ahead (RT1 → pair 2 → pair 3) and then revoked the already-replaced access
  // token 2. A straggling parallel refresh of RT1 gets nothing, but is no reuse: pair 3 lives.
  test('revoking an already-replaced access token does not turn a parallel refresh into the end of the family', async () => {
    const { client, tokens } = await issued();
    const pair2 = JSON.parse((await refresh(client, tokens.refresh_token)).text) as { access_token: string; refresh_token: string };
    const third = await refresh(client, pair2.refresh_token);
    assert.equal(third.status, 200, third.text);
    const pair3 = JSON.parse(third.text) as { access_token: string; refresh_token: string };
    expectAuthlib(await revoke(server, asPost(client, { token: pair2.access_token })), 200, EMPTY);
    const straggler = await refresh(client, tokens.refresh_token);
    assert.equal(straggler.text, INVALID_GRANT);
    assert.equal(straggler.status, 400);
    assert.equal(await userinfoStatus(pair3.access_token), 200);
    assert.equal(await active(client, pair2.access_token), false);
    assert.equal((await refresh(client, pair3.refresh_token)).status, 200);
  });

  test("another client's token → 400 {\"error\": \"invalid_grant\"}, and the token stays alive", async () => {
    const { client, tokens } = await issued();
    const other = await aClient(server);
    expectAuthlib(await revoke(server, asPost(other, { token: tokens.access_token })), 400, INVALID_GRANT);
    expectAuthlib(await revoke(server, asPost(other, { token: tokens.refresh_token })), 400, INVALID_GRANT);
    expectAuthlib(await revoke(server, asPost(other, { token: tokens.refresh_token, token_type_hint: 'refresh_token' })), 400, INVALID_GRANT);
    assert.equal(await userinfoStatus(tokens.access_token), 200);
    assert.equal(await active(client, tokens.refresh_token), true);
  });

  test('D11: an unsupported hint → 400 {"error": "unsupported_token_type"} (RFC 7009 §2.2.1; Polar 401), nothing revoked', async () => {
    const { client, tokens } = await issued();
    for (const hint of ['foo', 'Bearer', 'ACCESS_TOKEN', 'id_token']) {
      const result = await revoke(server, asPost(client, { token: tokens.access_token, token_type_hint: hint }));
      expectAuthlib(result, 400, '{"error": "unsupported_token_type"}');
      assert.equal(result.headers.get('www-authenticate'), null);
    }
    assert.equal(await userinfoStatus(tokens.access_token), 200);
  });

  // RFC 7009 §2.1: "If the server is unable to locate the token using the given hint, it MUST
  // extend its search across all of its supported token types." Polar searches only the hinted
  // column (§3.8); Borealis deviates (docs/compatibility.md). Found broken at 6ebeb80 (200 {} and
  // the token left alive: the client believes it logged the user out), fixed in 5f9d0f8.
  test('a wrong (but known) hint still revokes the token (RFC 7009 §2.1 MUST)', async () => {
    const first = await issued();
    expectAuthlib(await revoke(server, asPost(first.client, { token: first.tokens.access_token, token_type_hint: 'refresh_token' })), 200, EMPTY);
    assert.equal(await userinfoStatus(first.tokens.access_token), 401);
    const second = await issued();
    expectAuthlib(await revoke(server, asPost(second.client, { token: second.tokens.refresh_token, token_type_hint: 'access_token' })), 200, EMPTY);
    assert.equal(await active(second.client, second.tokens.refresh_token), false);
  });

  test('missing token → 400 {"error": "invalid_request"}; an empty value counts as missing (RFC 6749 §3.1), an empty hint as none', async () => {
    const { client, tokens } = await issued();
    expectAuthlib(await revoke(server, asPost(client, {})), 400, '{"error": "invalid_request"}');
    expectAuthlib(await revoke(server, asPost(client, { token: '' })), 400, '{"error": "invalid_request"}');
    expectAuthlib(await revoke(server, asPost(client, { token_type_hint: 'foo' })), 400, '{"error": "invalid_request"}');
    expectAuthlib(await revoke(server, asPost(client, { token: tokens.access_token, token_type_hint: '' })), 200, EMPTY);
    assert.equal(await userinfoStatus(tokens.access_token), 401);
  });

  test('basic and post both work whatever the client registered (§2.6)', async () => {
    for (const registered of ['client_secret_basic', 'client_secret_post'] as const) {
      const client = await aClient(server, { token_endpoint_auth_method: registered });
      const cookie = await signIn(server, await aUser(server));
      const exchange = async () => {
        const { code } = await obtainCode(server, client, cookie);
        const fields = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI };
        const result =
          registered === 'client_secret_basic'
            ? await postToken(server, fields, { authorization: basicAuth(client) })
            : await postToken(server, asPost(client, fields));
        assert.equal(result.status, 200, result.text);
        return JSON.parse(result.text) as { access_token: string };
      };
      const a = await exchange();
      expectAuthlib(await revoke(server, asPost(client, { token: a.access_token })), 200, EMPTY);
      assert.equal(await userinfoStatus(a.access_token), 401, `${registered} via post`);
      const b = await exchange();
      expectAuthlib(await revoke(server, { token: b.access_token }, { authorization: basicAuth(client) }), 200, EMPTY);
      assert.equal(await userinfoStatus(b.access_token), 401, `${registered} via basic`);
    }
  });

  // RFC 7009 §2.1 asks credentials of confidential clients only; Polar refuses public clients,
  // which leaves a native or single-page app no way to end its tokens (docs/compatibility.md).
  test('a public client revokes its own tokens by client_id alone; a confidential one still needs its secret', async () => {
    const client = await aClient(server, { token_endpoint_auth_method: 'none' });
    const cookie = await signIn(server, await aUser(server));
    const exchange = async () => {
      const { verifier, challenge } = pkcePair();
      const { code } = await obtainCode(server, client, cookie, { code_challenge: challenge, code_challenge_method: 'S256' });
      const exchanged = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
      assert.equal(exchanged.status, 200, exchanged.text);
      return JSON.parse(exchanged.text) as { access_token: string; refresh_token: string };
    };
    const first = await exchange();
    expectAuthlib(await revoke(server, { token: first.access_token, client_id: client.clientId }), 200, EMPTY);
    assert.equal(await userinfoStatus(first.access_token), 401);
    // A refresh token ends its family (sign-out).
    const second = await exchange();
    expectAuthlib(await revoke(server, { token: second.refresh_token, client_id: client.clientId, token_type_hint: 'refresh_token' }), 200, EMPTY);
    const refreshed = await postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, refresh_token: second.refresh_token });
    assert.equal(refreshed.text, INVALID_GRANT);

    // Not someone else's token, and a confidential client's id alone authenticates nothing.
    const { client: other, tokens } = await issued();
    expectAuthlib(await revoke(server, { token: tokens.access_token, client_id: client.clientId }), 400, INVALID_GRANT);
    const anonymous = await revoke(server, { token: tokens.access_token, client_id: other.clientId });
    expectAuthlib(anonymous, 401, `{"error": "invalid_client", "error_description": "${CANNOT_AUTHENTICATE}"}`);
    assert.equal(anonymous.headers.get('www-authenticate'), `Basic error="invalid_client", error_description="${CANNOT_AUTHENTICATE}"`);
    assert.equal(await userinfoStatus(tokens.access_token), 200);
  });
});
