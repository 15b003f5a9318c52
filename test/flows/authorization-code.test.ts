import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { MAX_NONCE_LENGTH } from '../../src/oauth/authorize/request.js';
import { REDIRECT_URI, aClient, aUser, obtainCode, pkcePair, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('authorization_code grant', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('a confidential client completes the flow: exact token response, headers and id_token', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const { code, location } = await obtainCode(server, client, cookie, { nonce: 'n-1' });
    assert.equal(location.origin + location.pathname, REDIRECT_URI);
    assert.deepEqual([...location.searchParams.keys()], ['code', 'state', 'iss']);
    assert.equal(location.searchParams.get('state'), 'st');
    assert.equal(location.searchParams.get('iss'), server.url);
    assert.match(code, /^polar_ac_[0-9A-Za-z]{43}$/);

    const result = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    });
    assert.equal(result.status, 200);
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('pragma'), 'no-cache');
    const body = JSON.parse(result.text);
    assert.deepEqual(Object.keys(body), ['token_type', 'access_token', 'expires_in', 'refresh_token', 'scope', 'id_token']);
    assert.equal(
      result.text,
      `{"token_type": "Bearer", "access_token": "${body.access_token}", "expires_in": 864000, "refresh_token": "${body.refresh_token}", "scope": "openid email", "id_token": "${body.id_token}"}`,
    );
    assert.match(body.access_token, /^polar_at_u_[0-9A-Za-z]{43}$/);
    assert.match(body.refresh_token, /^polar_rt_u_[0-9A-Za-z]{43}$/);

    const header = decodeProtectedHeader(body.id_token);
    assert.equal(header.alg, 'RS256');
    assert.equal(typeof header.kid, 'string');
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload } = await jwtVerify(body.id_token, jwks, { issuer: server.url, audience: client.clientId });
    assert.deepEqual(Object.keys(payload), ['iss', 'exp', 'iat', 'auth_time', 'aud', 'nonce', 'at_hash', 'sub', 'email', 'email_verified']);
    assert.equal(payload.sub, user.id);
    assert.equal(payload.nonce, 'n-1');
    assert.equal(payload.email, user.email);
    assert.equal((payload.exp as number) - (payload.iat as number), 3600);
  });

  test('the longest nonce, in 3-byte characters, reaches the id_token (PostgreSQL indexes it with the code)', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const nonce = '€'.repeat(MAX_NONCE_LENGTH);
    const body = await tokensFor(server, client, cookie, { nonce });
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    assert.equal((await jwtVerify(body.id_token ?? '', jwks)).payload.nonce, nonce);
  });

  test('without openid there is no id_token, and a refresh token only when the client may refresh', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { grant_types: ['authorization_code'] });
    const cookie = await signIn(server, user);
    const body = await tokensFor(server, client, cookie, { scope: 'products:read' });
    assert.deepEqual(Object.keys(body), ['token_type', 'access_token', 'expires_in', 'scope']);
    assert.equal(body.scope, 'products:read');
  });

  test('a public client must use PKCE S256 and exchanges with its verifier', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { token_endpoint_auth_method: 'none' });
    const cookie = await signIn(server, user);
    const { verifier, challenge } = pkcePair();
    const { code } = await obtainCode(server, client, cookie, { code_challenge: challenge, code_challenge_method: 'S256' });
    const wrong = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: pkcePair().verifier,
    });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.text, '{"error": "invalid_grant", "error_description": "Code challenge failed."}');
    // A failed exchange does not consume the code (polar-oauth2.md §4.1).
    const right = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      code,
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(right.status, 200, right.text);
  });

  test('a replayed code is refused and revokes the tokens issued from it (D5)', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const { code } = await obtainCode(server, client, cookie, { scope: 'email' });
    const exchange = () =>
      postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    const first = await exchange();
    assert.equal(first.status, 200);
    const { refresh_token } = JSON.parse(first.text);
    const replay = await exchange();
    assert.equal(replay.status, 400);
    assert.equal(replay.text, `{"error": "invalid_grant", "error_description": "Invalid 'code' in request."}`);
    const refresh = await postToken(server, {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token,
    });
    assert.equal(refresh.status, 400);
    assert.equal(refresh.text, '{"error": "invalid_grant"}');
  });

  // D5 "also when two exchanges race": the losers of a race for one code are replays too
  // (RFC 6749 §4.1.2), so the winner's tokens are revoked once they have lost.
  test('parallel exchanges of one code: one wins, the others are refused, and the winner\'s tokens are revoked (D5)', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    for (let round = 0; round < 3; round++) {
      const { code } = await obtainCode(server, client, cookie, { scope: 'email' });
      const exchange = () =>
        postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
      const answers = await Promise.all(Array.from({ length: 10 }, exchange));
      const won = answers.filter((a) => a.status === 200);
      assert.equal(won.length, 1, `round ${round}: exactly one exchange wins`);
      for (const lost of answers.filter((a) => a.status !== 200)) {
        assert.equal(lost.status, 400);
        assert.equal(lost.text, `{"error": "invalid_grant", "error_description": "Invalid 'code' in request."}`);
      }
      const { access_token, refresh_token } = JSON.parse(won[0]?.text ?? '{}');
      const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
      assert.equal(userinfo.status, 401, `round ${round}: the winner's access token is revoked`);
      assert.match(userinfo.headers.get('www-authenticate') ?? '', /^Bearer realm="polar", error="invalid_token"/);
      const refresh = await postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token });
      assert.equal(refresh.status, 400);
      assert.equal(refresh.text, '{"error": "invalid_grant"}');
    }
  });
});
