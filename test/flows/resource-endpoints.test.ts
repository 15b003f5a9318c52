/**
 * The exact wire of the resource-side endpoints, part 1: discovery (polar-oauth2.md §3.1 with D10,
 * D15), the JWK Set (§3.2) and userinfo (§3.10, Bearer resolution §2.4, §5.2).
 * Introspection and revocation are in resource-endpoints-introspect / -revoke.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { REDIRECT_URI, aClient, aUser, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';
import { SPEC_PUBLIC_SCOPES } from '../support/spec.js';

/** The 61 public scopes in declaration order (§7: the 63 minus organization_access_tokens:*). */

const INVALID_TOKEN_DESCRIPTION = 'The access token provided is expired, revoked, malformed, or invalid for other reasons.';
const INVALID_TOKEN_BODY = `{"error": "invalid_token", "error_description": "${INVALID_TOKEN_DESCRIPTION}"}`;
const INVALID_TOKEN_CHALLENGE = `Bearer realm="polar", error="invalid_token", error_description="${INVALID_TOKEN_DESCRIPTION}"`;
const UNAUTHORIZED_BODY = '{"error":"Unauthorized","detail":"Unauthorized"}';

function userinfo(server: TestServer, method: 'GET' | 'POST', authorization?: string) {
  return fetch(`${server.url}/v1/oauth2/userinfo`, { method, headers: authorization === undefined ? {} : { authorization } });
}

async function expectInvalidToken(response: Response) {
  assert.equal(response.status, 401);
  assert.equal(response.headers.get('content-type'), 'application/json');
  assert.equal(response.headers.get('www-authenticate'), INVALID_TOKEN_CHALLENGE);
  assert.equal(await response.text(), INVALID_TOKEN_BODY);
}

describe('discovery and JWKS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('openid-configuration: §3.1 keys in order, then RFC 9207 last; issuer = the server URL (D15); stable arrays (D10)', async () => {
    const url = server.url;
    const expected = {
      issuer: url,
      authorization_endpoint: `${url}/oauth2/authorize`,
      token_endpoint: `${url}/v1/oauth2/token`,
      jwks_uri: `${url}/.well-known/jwks.json`,
      registration_endpoint: `${url}/v1/oauth2/register`,
      scopes_supported: SPEC_PUBLIC_SCOPES,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: ['authorization_code', 'refresh_token', 'web'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      service_documentation: 'https://polar.sh/docs',
      revocation_endpoint: `${url}/v1/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      introspection_endpoint: `${url}/v1/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      code_challenge_methods_supported: ['S256', 'plain'],
      userinfo_endpoint: `${url}/v1/oauth2/userinfo`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      claims_supported: ['sub', 'name', 'email', 'email_verified'],
      authorization_response_iss_parameter_supported: true,
      request_uri_parameter_supported: false,
    };
    const response = await fetch(`${url}/.well-known/openid-configuration`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const text = await response.text();
    // Exact text: key order, values and the compact FastAPI serialisation all at once.
    assert.equal(text, JSON.stringify(expected));
    const body = JSON.parse(text) as { scopes_supported: string[] };
    assert.equal(body.scopes_supported.length, 61);
    assert.ok(!body.scopes_supported.includes('organization_access_tokens:read'));
    assert.ok(!body.scopes_supported.includes('organization_access_tokens:write'));
    // D10: the order is stable from one request to the next.
    assert.equal(await (await fetch(`${url}/.well-known/openid-configuration`)).text(), text);
  });

  test('oauth-authorization-server (RFC 8414, D10) serves the identical document', async () => {
    const oidc = await fetch(`${server.url}/.well-known/openid-configuration`);
    const rfc8414 = await fetch(`${server.url}/.well-known/oauth-authorization-server`);
    assert.equal(rfc8414.status, 200);
    assert.equal(rfc8414.headers.get('content-type'), 'application/json');
    assert.equal(await rfc8414.text(), await oidc.text());
  });

  test('the issuer follows BOREALIS_PUBLIC_URL, not the listening address (D15)', async () => {
    const other = await startServer({ env: { BOREALIS_PUBLIC_URL: 'https://auth.example.test' } });
    try {
      const body = (await (await fetch(`${other.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
      assert.equal(body.issuer, 'https://auth.example.test');
      assert.equal(body.token_endpoint, 'https://auth.example.test/v1/oauth2/token');
      assert.equal(body.jwks_uri, 'https://auth.example.test/.well-known/jwks.json');
      assert.equal(body.userinfo_endpoint, 'https://auth.example.test/v1/oauth2/userinfo');
      // What a flow emits follows it too: the redirect's `iss` (RFC 9207) and the id_token's.
      const client = await aClient(other);
      const cookie = await signIn(other, await aUser(other));
      const { location } = await obtainCode(other, client, cookie);
      assert.equal(location.searchParams.get('iss'), 'https://auth.example.test');
      const { id_token } = await tokensFor(other, client, cookie);
      assert.equal(decodeJwt(id_token ?? '').iss, 'https://auth.example.test');
    } finally {
      await other.close();
    }
  });

  test('jwks.json: public RSA signing keys with kid, alg RS256, use sig, and no private members', async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const jwks = (await response.json()) as { keys: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(jwks), ['keys']);
    assert.ok(jwks.keys.length >= 1);
    for (const key of jwks.keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.equal(key.kty, 'RSA');
      assert.equal(key.alg, 'RS256');
      assert.equal(key.use, 'sig');
      assert.equal(key.e, 'AQAB');
      assert.equal(typeof key.kid, 'string');
      assert.ok((key.kid as string).length > 0);
      assert.match(key.n as string, /^[A-Za-z0-9_-]+$/);
      assert.ok(Buffer.from(key.n as string, 'base64url').length >= 256, 'RSA 2048 bits at least');
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']) assert.equal(key[member], undefined, member);
    }
    assert.equal(new Set(jwks.keys.map((k) => k.kid)).size, jwks.keys.length, 'kids are unique');
  });

  test('the id_token is signed by a published key: its header kid is in the JWK Set (D9)', async () => {
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const header = decodeProtectedHeader(tokens.id_token ?? '');
    const jwks = (await (await fetch(`${server.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
    assert.equal(header.alg, 'RS256');
    assert.ok(jwks.keys.some((k) => k.kid === header.kid), `kid ${String(header.kid)} not published`);
  });

  // Found missing at 6ebeb80 (404 {"detail":"Not Found"}); served since 5f9d0f8 (src/http/routes/authorize-page.ts).
  test('the advertised authorization_endpoint is served: an anonymous browser is sent to sign in and back', async () => {
    const body = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string };
    const client = await aClient(server);
    const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st' });
    const response = await fetch(`${body.authorization_endpoint}?${query}`, { redirect: 'manual' });
    assert.equal(response.status, 303, await response.text());
    const location = new URL(response.headers.get('location') ?? '', server.url);
    assert.equal(location.pathname, '/login');
    assert.equal(location.searchParams.get('return_to'), `/oauth2/authorize?${query}`);
  });
});

describe('userinfo', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('GET and POST with the email scope: sub, email, email_verified as compact JSON', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, user), { scope: 'openid email' });
    for (const method of ['GET', 'POST'] as const) {
      const response = await userinfo(server, method, `Bearer ${tokens.access_token}`);
      assert.equal(response.status, 200, method);
      assert.equal(response.headers.get('content-type'), 'application/json');
      assert.equal(response.headers.get('cache-control'), 'no-store', 'the claims are not cached (compatibility.md)');
      assert.equal(await response.text(), `{"sub":"${user.id}","email":"${user.email}","email_verified":false}`, method);
    }
  });

  test('without the email scope only sub; profile adds nothing; openid is not required', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    for (const scope of ['openid', 'openid profile', 'products:read']) {
      const tokens = await tokensFor(server, client, cookie, { scope });
      for (const method of ['GET', 'POST'] as const) {
        const response = await userinfo(server, method, `Bearer ${tokens.access_token}`);
        assert.equal(response.status, 200, `${scope} ${method}`);
        assert.equal(await response.text(), `{"sub":"${user.id}"}`, `${scope} ${method}`);
      }
    }
    const emailOnly = await tokensFor(server, client, cookie, { scope: 'email' });
    const response = await userinfo(server, 'GET', `Bearer ${emailOnly.access_token}`);
    assert.equal(await response.text(), `{"sub":"${user.id}","email":"${user.email}","email_verified":false}`);
  });

  test('the scheme is case-insensitive (RFC 6750 §2.1 via RFC 7235)', async () => {
    const user = await aUser(server);
    const tokens = await tokensFor(server, await aClient(server), await signIn(server, user), { scope: 'openid' });
    const response = await userinfo(server, 'GET', `bearer ${tokens.access_token}`);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), `{"sub":"${user.id}"}`);
  });

  test('no Authorization header, a non-Bearer scheme, a registration token or a non-ASCII value → 401 Unauthorized (shape D) with Bearer realm="polar"', async () => {
    const client = await aClient(server);
    // §2.4: a registration token is anonymous, and a value that is not ASCII (here the UTF-8 bytes
    // of "é", as the header carries them) is no Bearer credential at all.
    const registrationToken = `Bearer ${server.borealis.ctx.credentials.mint('registrationToken')}`;
    const nonAscii = `Bearer polar_at_u_${Buffer.from('éabc').toString('latin1')}`;
    const basic = `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`;
    for (const method of ['GET', 'POST'] as const) {
      for (const authorization of [undefined, basic, registrationToken, nonAscii]) {
        const response = await userinfo(server, method, authorization);
        assert.equal(response.status, 401, `${method} ${authorization}`);
        assert.equal(response.headers.get('content-type'), 'application/json');
        assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="polar"');
        assert.equal(await response.text(), UNAUTHORIZED_BODY);
      }
    }
  });

  test('garbage, an unknown well-formed token, a refresh token as Bearer → 401 invalid_token with the Bearer challenge', async () => {
    const tokens = await tokensFor(server, await aClient(server), await signIn(server, await aUser(server)));
    const unknown = `polar_at_u_${'A'.repeat(43)}`;
    // A value with a space in it is a value all the same (§2.4: "any other value"), not a missing header.
    for (const value of ['garbage', unknown, tokens.refresh_token ?? '', `${tokens.access_token}x`, `${tokens.access_token} x`, 'a b']) {
      for (const method of ['GET', 'POST'] as const) await expectInvalidToken(await userinfo(server, method, `Bearer ${value}`));
    }
  });

  test('a revoked access token → 401 invalid_token', async () => {
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    assert.equal((await userinfo(server, 'GET', `Bearer ${tokens.access_token}`)).status, 200);
    const revoked = await fetch(`${server.url}/v1/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: tokens.access_token, client_id: client.clientId, client_secret: client.clientSecret }),
    });
    assert.equal(revoked.status, 200);
    await expectInvalidToken(await userinfo(server, 'GET', `Bearer ${tokens.access_token}`));
    await expectInvalidToken(await userinfo(server, 'POST', `Bearer ${tokens.access_token}`));
  });

  test('the access token of a rotated row → 401 invalid_token; the new one works', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, user));
    const refreshed = await postToken(server, {
      grant_type: 'refresh_token',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      refresh_token: tokens.refresh_token,
    });
    assert.equal(refreshed.status, 200, refreshed.text);
    await expectInvalidToken(await userinfo(server, 'GET', `Bearer ${tokens.access_token}`));
    const fresh = JSON.parse(refreshed.text) as { access_token: string };
    assert.equal(await (await userinfo(server, 'GET', `Bearer ${fresh.access_token}`)).text(), `{"sub":"${user.id}","email":"${user.email}","email_verified":false}`);
  });
});

describe('userinfo: expiry on a fake clock (§5.2: issued_at + expires_in >= now)', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
  });
  after(() => server.close());

  test('valid through the 864000th second, invalid_token one second later', async () => {
    const user = await aUser(server);
    const tokens = await tokensFor(server, await aClient(server), await signIn(server, user), { scope: 'openid' });
    assert.equal(tokens.expires_in, 864000);
    clock.advance(864000);
    const last = await userinfo(server, 'GET', `Bearer ${tokens.access_token}`);
    assert.equal(last.status, 200);
    assert.equal(await last.text(), `{"sub":"${user.id}"}`);
    clock.advance(1);
    await expectInvalidToken(await userinfo(server, 'GET', `Bearer ${tokens.access_token}`));
    await expectInvalidToken(await userinfo(server, 'POST', `Bearer ${tokens.access_token}`));
  });
});
