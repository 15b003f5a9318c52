/**
 * The exact wire of POST /v1/oauth2/introspect (RFC 7662; polar-oauth2.md §3.9 with D2 and D11;
 * client authentication §2.6). Active: the 11 Polar fields in order, authlib's JSON dialect,
 * `token_type` naming the kind of token and `aud` a string (D2). Inactive: `{"active": false}`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, form, obtainCode, pkcePair, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

const INACTIVE = '{"active": false}';
const INVALID_REQUEST = '{"error": "invalid_request"}';
const CANNOT_AUTHENTICATE = "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']";

const basicAuth = (client: TestClient) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.clientSecret)}`).toString('base64')}`;

async function introspect(server: TestServer, fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/oauth2/introspect`, { method: 'POST', body: form(fields), headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** Client authentication in the form body (client_secret_post). */
const asPost = (client: TestClient, fields: Record<string, string | undefined>) => ({
  client_id: client.clientId,
  client_secret: client.clientSecret,
  ...fields,
});

function expectAuthlib(result: { status: number; headers: Headers; text: string }, status: number, text: string) {
  assert.equal(result.text, text);
  assert.equal(result.status, status);
  assert.equal(result.headers.get('content-type'), 'application/json');
  assert.equal(result.headers.get('cache-control'), 'no-store');
  assert.equal(result.headers.get('pragma'), 'no-cache');
}

interface Expected {
  client: TestClient;
  kind: 'access_token' | 'refresh_token';
  scope: string;
  sub: string;
  organizations?: string[];
  iss: string;
  iat: number;
  expiresIn: number;
}

/** The 11 fields of §3.9, in order, in authlib's `", "` / `": "` dialect. */
const activeBody = (e: Expected) =>
  `{"active": true, "client_id": "${e.client.clientId}", "token_type": "${e.kind}", "scope": "${e.scope}", "sub_type": "user", ` +
  `"sub": "${e.sub}", "organizations": [${(e.organizations ?? []).map((o) => `"${o}"`).join(', ')}], "aud": "${e.client.clientId}", ` +
  `"iss": "${e.iss}", "exp": ${e.iat + e.expiresIn}, "iat": ${e.iat}}`;

describe('introspection', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
  });
  after(() => server.close());

  async function issued(scope = 'openid email', overrides: Parameters<typeof aClient>[1] = {}) {
    const user = await aUser(server);
    const client = await aClient(server, overrides);
    const iat = clock();
    if (client.metadata.token_endpoint_auth_method !== 'client_secret_basic') {
      const tokens = await tokensFor(server, client, await signIn(server, user), { scope });
      return { user, client, tokens, iat };
    }
    // The token endpoint insists on the registered method (§2.6): exchange with HTTP Basic.
    const { code } = await obtainCode(server, client, await signIn(server, user), { scope });
    const result = await postToken(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI }, { authorization: basicAuth(client) });
    assert.equal(result.status, 200, result.text);
    const tokens = JSON.parse(result.text) as { access_token: string; refresh_token: string };
    return { user, client, tokens, iat };
  }

  test('an access token: the 11 fields in order; token_type access_token, aud the client_id, iss the server URL, exp = iat + 864000', async () => {
    const { user, client, tokens, iat } = await issued();
    const result = await introspect(server, asPost(client, { token: tokens.access_token }));
    expectAuthlib(result, 200, activeBody({ client, kind: 'access_token', scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 }));
    const body = JSON.parse(result.text) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['active', 'client_id', 'token_type', 'scope', 'sub_type', 'sub', 'organizations', 'aud', 'iss', 'exp', 'iat']);
    assert.equal(typeof body.aud, 'string');
  });

  test('a refresh token: token_type refresh_token; exp is still the access token expiry (§3.9)', async () => {
    const { user, client, tokens, iat } = await issued('products:read');
    const result = await introspect(server, asPost(client, { token: tokens.refresh_token }));
    expectAuthlib(result, 200, activeBody({ client, kind: 'refresh_token', scope: 'products:read', sub: user.id, iss: server.url, iat, expiresIn: 864000 }));
  });

  test('matching hints find the token; after a refresh the new pair has exp = iat + 3600', async () => {
    const { user, client, tokens } = await issued();
    clock.advance(5);
    const iat = clock();
    const refreshed = await postToken(server, { grant_type: 'refresh_token', ...asPost(client, { refresh_token: tokens.refresh_token }) });
    assert.equal(refreshed.status, 200, refreshed.text);
    const pair = JSON.parse(refreshed.text) as { access_token: string; refresh_token: string };
    const expected = { client, scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 3600 };
    expectAuthlib(
      await introspect(server, asPost(client, { token: pair.access_token, token_type_hint: 'access_token' })),
      200,
      activeBody({ ...expected, kind: 'access_token' }),
    );
    expectAuthlib(
      await introspect(server, asPost(client, { token: pair.refresh_token, token_type_hint: 'refresh_token' })),
      200,
      activeBody({ ...expected, kind: 'refresh_token' }),
    );
    // The rotated generation is no longer active.
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.access_token })), 200, INACTIVE);
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.refresh_token })), 200, INACTIVE);
  });

  test('a token down-scoped to an organization lists it in organizations', async () => {
    const user = await aUser(server);
    const organization = await anOrganization(server, user);
    const client = await aClient(server);
    const iat = clock();
    const { code } = await obtainCode(server, client, await signIn(server, user), { scope: 'openid' }, [organization.id]);
    const exchanged = await postToken(server, { grant_type: 'authorization_code', ...asPost(client, { code, redirect_uri: REDIRECT_URI }) });
    assert.equal(exchanged.status, 200, exchanged.text);
    const { access_token } = JSON.parse(exchanged.text) as { access_token: string };
    expectAuthlib(
      await introspect(server, asPost(client, { token: access_token })),
      200,
      activeBody({ client, kind: 'access_token', scope: 'openid', sub: user.id, organizations: [organization.id], iss: server.url, iat, expiresIn: 864000 }),
    );
  });

  test('organizations are listed in byte order of their ids, whatever order they were chosen in, on both engines', async () => {
    const user = await aUser(server);
    const organizations = [];
    for (let i = 0; i < 4; i++) organizations.push(await anOrganization(server, user));
    const ids = organizations.map((o) => o.id).sort();
    const client = await aClient(server);
    const iat = clock();
    // Chosen last-first: PostgreSQL's aggregate followed the insertion order, SQLite's the index.
    const { code } = await obtainCode(server, client, await signIn(server, user), { scope: 'openid' }, [...ids].reverse());
    const exchanged = await postToken(server, { grant_type: 'authorization_code', ...asPost(client, { code, redirect_uri: REDIRECT_URI }) });
    assert.equal(exchanged.status, 200, exchanged.text);
    const { access_token, refresh_token } = JSON.parse(exchanged.text) as { access_token: string; refresh_token: string };
    const expected = { client, scope: 'openid', sub: user.id, organizations: ids, iss: server.url, iat };
    expectAuthlib(await introspect(server, asPost(client, { token: access_token })), 200, activeBody({ ...expected, kind: 'access_token', expiresIn: 864000 }));
    const refreshed = await postToken(server, { grant_type: 'refresh_token', ...asPost(client, { refresh_token }) });
    const rotated = JSON.parse(refreshed.text) as { access_token: string };
    // A refresh copies the organizations to the new pair (and issues a one-hour access token).
    expectAuthlib(await introspect(server, asPost(client, { token: rotated.access_token })), 200, activeBody({ ...expected, kind: 'access_token', expiresIn: 3600 }));
  });

  test('D11: an unknown token_type_hint is ignored (RFC 7662 §2.1), not 401 unsupported_token_type as in Polar', async () => {
    const { user, client, tokens, iat } = await issued();
    for (const hint of ['foo', 'Bearer', 'ACCESS_TOKEN', 'id_token']) {
      expectAuthlib(
        await introspect(server, asPost(client, { token: tokens.access_token, token_type_hint: hint })),
        200,
        activeBody({ client, kind: 'access_token', scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 }),
      );
      expectAuthlib(
        await introspect(server, asPost(client, { token: tokens.refresh_token, token_type_hint: hint })),
        200,
        activeBody({ client, kind: 'refresh_token', scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 }),
      );
    }
  });

  // RFC 7662 §2.1: "If the server is unable to locate the token using the given hint, it MUST
  // extend its search across all of its supported token types." Polar searches only the hinted
  // column (§3.8); Borealis deviates (docs/compatibility.md). Found broken at 6ebeb80 ({"active": false}
  // for a live token), fixed in 5f9d0f8.
  test('a wrong (but known) hint still finds the token (RFC 7662 §2.1 MUST)', async () => {
    const { user, client, tokens, iat } = await issued();
    const expected = { client, scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 };
    expectAuthlib(
      await introspect(server, asPost(client, { token: tokens.access_token, token_type_hint: 'refresh_token' })),
      200,
      activeBody({ ...expected, kind: 'access_token' }),
    );
    expectAuthlib(
      await introspect(server, asPost(client, { token: tokens.refresh_token, token_type_hint: 'access_token' })),
      200,
      activeBody({ ...expected, kind: 'refresh_token' }),
    );
  });

  test('inactive {"active": false}: unknown, malformed and another client\'s tokens', async () => {
    const { client, tokens } = await issued();
    const other = await aClient(server);
    for (const token of [`polar_at_u_${'A'.repeat(43)}`, `polar_rt_u_${'A'.repeat(43)}`, 'garbage', `${tokens.access_token}x`]) {
      expectAuthlib(await introspect(server, asPost(client, { token })), 200, INACTIVE);
    }
    expectAuthlib(await introspect(server, asPost(other, { token: tokens.access_token })), 200, INACTIVE);
    expectAuthlib(await introspect(server, asPost(other, { token: tokens.refresh_token })), 200, INACTIVE);
    // Asking did not hurt it: the owner still sees it active.
    assert.match((await introspect(server, asPost(client, { token: tokens.access_token }))).text, /^\{"active": true, /);
  });

  test('inactive once revoked: the access token and, since revocation is row-wide, its refresh token', async () => {
    const { client, tokens } = await issued();
    const revoked = await fetch(`${server.url}/v1/oauth2/revoke`, { method: 'POST', body: form(asPost(client, { token: tokens.access_token })) });
    assert.equal(revoked.status, 200);
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.access_token })), 200, INACTIVE);
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.refresh_token })), 200, INACTIVE);
  });

  test('missing token → 400 {"error": "invalid_request"}; an empty value counts as missing (RFC 6749 §3.1)', async () => {
    const { client } = await issued();
    expectAuthlib(await introspect(server, asPost(client, {})), 400, INVALID_REQUEST);
    expectAuthlib(await introspect(server, asPost(client, { token: '' })), 400, INVALID_REQUEST);
    expectAuthlib(await introspect(server, asPost(client, { token_type_hint: 'access_token' })), 400, INVALID_REQUEST);
  });

  test('basic and post both work whatever the client registered (§2.6)', async () => {
    for (const registered of ['client_secret_basic', 'client_secret_post'] as const) {
      const { user, client, tokens, iat } = await issued('openid email', { token_endpoint_auth_method: registered });
      const expected = activeBody({ client, kind: 'access_token', scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 });
      expectAuthlib(await introspect(server, asPost(client, { token: tokens.access_token })), 200, expected);
      expectAuthlib(await introspect(server, { token: tokens.access_token }, { authorization: basicAuth(client) }), 200, expected);
    }
  });

  test('public clients cannot introspect: 401 invalid_client listing basic and post, with the Basic challenge', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { token_endpoint_auth_method: 'none' });
    const { verifier, challenge } = pkcePair();
    const { code } = await obtainCode(server, client, await signIn(server, user), { code_challenge: challenge, code_challenge_method: 'S256' });
    const exchanged = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, code, code_verifier: verifier, redirect_uri: REDIRECT_URI });
    assert.equal(exchanged.status, 200, exchanged.text);
    const { access_token } = JSON.parse(exchanged.text) as { access_token: string };
    const result = await introspect(server, { token: access_token, client_id: client.clientId });
    expectAuthlib(result, 401, `{"error": "invalid_client", "error_description": "${CANNOT_AUTHENTICATE}"}`);
    assert.equal(result.headers.get('www-authenticate'), `Basic error="invalid_client", error_description="${CANNOT_AUTHENTICATE}"`);
  });

  test('client authentication comes before the token check; wrong secret and unknown client', async () => {
    const { client, tokens } = await issued();
    const wrong = { ...client, clientSecret: `${client.clientSecret.slice(0, -1)}${client.clientSecret.endsWith('A') ? 'B' : 'A'}` };
    const cannot = `{"error": "invalid_client", "error_description": "${CANNOT_AUTHENTICATE}"}`;
    expectAuthlib(await introspect(server, asPost(wrong, {})), 401, cannot);
    expectAuthlib(await introspect(server, asPost(wrong, { token: tokens.access_token })), 401, cannot);
    expectAuthlib(await introspect(server, { token: tokens.access_token }, { authorization: basicAuth(wrong) }), 401, cannot);
    expectAuthlib(await introspect(server, { token: tokens.access_token }), 401, cannot);

    const unknown = { clientId: `polar_ci_${'A'.repeat(43)}`, clientSecret: client.clientSecret, metadata: client.metadata };
    const notFound = '{"error": "invalid_client", "error_description": "The client does not exist on this server."}';
    const viaPost = await introspect(server, asPost(unknown, { token: tokens.access_token }));
    expectAuthlib(viaPost, 400, notFound);
    assert.equal(viaPost.headers.get('www-authenticate'), null);
    const viaBasic = await introspect(server, { token: tokens.access_token }, { authorization: basicAuth(unknown) });
    expectAuthlib(viaBasic, 401, notFound);
    assert.equal(viaBasic.headers.get('www-authenticate'), 'Basic error="invalid_client", error_description="The client does not exist on this server."');
  });
});

describe('introspection: expiry on a fake clock', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
  });
  after(() => server.close());

  test('active through second 864000; then inactive, the refresh token with it (§3.9)', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const iat = clock();
    const tokens = await tokensFor(server, client, await signIn(server, user));
    clock.advance(864000);
    expectAuthlib(
      await introspect(server, asPost(client, { token: tokens.access_token })),
      200,
      activeBody({ client, kind: 'access_token', scope: 'openid email', sub: user.id, iss: server.url, iat, expiresIn: 864000 }),
    );
    clock.advance(1);
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.access_token })), 200, INACTIVE);
    expectAuthlib(await introspect(server, asPost(client, { token: tokens.refresh_token })), 200, INACTIVE);
  });
});
