/**
 * RFC 7592 client management, GET | PUT | DELETE /v1/oauth2/register/{client_id}
 * (polar-oauth2.md §3.12, §2.4, Appendix B.1/B.2; D3, D12).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aUser, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

/** Python's json.dumps defaults (§2.3-A): `", "` and `": "`, insertion order. ASCII input only. */
const py = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(py).join(', ')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`
      : JSON.stringify(v);

const hasNull = (v: unknown): boolean => v === null || (typeof v === 'object' && Object.values(v as object).some(hasNull));

const ACCESS_DENIED = '{"error": "access_denied", "error_description": "The resource owner or authorization server denied the request"}';
const NOT_FOUND = '{"error": "invalid_client", "error_description": "The client does not exist on this server."}';
const INVALID_TOKEN_DESCRIPTION = 'The access token provided is expired, revoked, malformed, or invalid for other reasons.';

type Json = Record<string, unknown>;

describe('RFC 7592: /v1/oauth2/register/{client_id}', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: '10000' } });
  });
  after(() => server.close());

  async function call(method: string, path: string, options: { json?: unknown; cookie?: string; bearer?: string } = {}) {
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.bearer !== undefined) headers.authorization = `Bearer ${options.bearer}`;
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    const body = options.json === undefined ? undefined : JSON.stringify(options.json);
    const response = await fetch(`${server.url}${path}`, { method, headers, body });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async function register(body: Json, cookie?: string): Promise<Json> {
    const result = await call('POST', '/v1/oauth2/register', { json: body, ...(cookie ? { cookie } : {}) });
    assert.equal(result.status, 201, result.text);
    return JSON.parse(result.text) as Json;
  }

  const path = (client: Json) => `/v1/oauth2/register/${client.client_id}`;
  const asTestClient = (json: Json): TestClient => ({ clientId: json.client_id, clientSecret: json.client_secret, metadata: json }) as unknown as TestClient;

  function assertRfc(result: { status: number; headers: Headers; text: string }, status: number, text: string) {
    assert.equal(result.status, status, result.text);
    assert.equal(result.text, text);
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(result.headers.get('cache-control'), 'no-store');
    assert.equal(result.headers.get('pragma'), 'no-cache');
  }

  /** §3.12 GET: credentials first, then the metadata, then the registration URI and token. */
  const configuration = (client: Json, metadata: Json) =>
    py({
      client_id: client.client_id,
      ...(metadata.token_endpoint_auth_method === 'none' ? {} : { client_secret: client.client_secret }),
      client_id_issued_at: client.client_id_issued_at,
      ...(metadata.token_endpoint_auth_method === 'none' ? {} : { client_secret_expires_at: 0 }),
      ...metadata,
      registration_client_uri: `${server.url}/v1/oauth2/register/${client.client_id}`,
      registration_access_token: client.registration_access_token,
    });

  const BASE = { client_name: 'Managed', redirect_uris: [REDIRECT_URI], scope: 'openid email' };
  const baseMetadata = (overrides: Json = {}) => ({
    redirect_uris: [REDIRECT_URI],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'Managed',
    scope: 'openid email',
    default_sub_type: 'user',
    ...overrides,
  });

  test('GET with the registration token, and by the owner session: key order, no nulls', async () => {
    const cookie = await signIn(server, await aUser(server));
    const client = await register({ ...BASE, logo_uri: 'https://managed.example/logo.png' }, cookie);
    // logo_uri sits between client_name and scope (RFC 7591 order).
    const ordered = configuration(client, {
      redirect_uris: [REDIRECT_URI], token_endpoint_auth_method: 'client_secret_post', grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'], client_name: 'Managed', logo_uri: 'https://managed.example/logo.png', scope: 'openid email', default_sub_type: 'user',
    });
    const viaToken = await call('GET', path(client), { bearer: client.registration_access_token as string });
    assertRfc(viaToken, 200, ordered);
    assert.equal(hasNull(JSON.parse(viaToken.text)), false);
    assertRfc(await call('GET', path(client), { cookie }), 200, ordered);
    const lower = await fetch(`${server.url}${path(client)}`, { headers: { authorization: `bearer ${client.registration_access_token}` } });
    assert.equal(lower.status, 200);
  });

  test('GET of a public client: no client_secret, no client_secret_expires_at', async () => {
    const client = await register({ ...BASE, token_endpoint_auth_method: 'none' });
    const result = await call('GET', path(client), { bearer: client.registration_access_token as string });
    assertRfc(result, 200, configuration(client, baseMetadata({ token_endpoint_auth_method: 'none' })));
  });

  test('no credentials → 400 access_denied', async () => {
    const client = await register(BASE);
    for (const method of ['GET', 'DELETE']) assertRfc(await call(method, path(client)), 400, ACCESS_DENIED);
    assertRfc(await call('PUT', path(client), { json: { ...BASE, client_id: client.client_id } }), 400, ACCESS_DENIED);
    assertRfc(await call('GET', '/v1/oauth2/register/polar_ci_unknown'), 400, ACCESS_DENIED);
  });

  test('wrong credentials → 401 invalid_client without a challenge; the session wins over a valid token', async () => {
    const owner = await signIn(server, await aUser(server));
    const stranger = await signIn(server, await aUser(server));
    const client = await register(BASE, owner);
    const other = await register(BASE);
    const anonymousClient = await register(BASE);
    const forged = `polar_crt_${'A'.repeat(43)}`;
    const cases: [string, Json, { cookie?: string; bearer?: string }][] = [
      ["another client's registration token", client, { bearer: other.registration_access_token as string }],
      ['a wrong polar_crt_ token', client, { bearer: forged }],
      ['a logged-in non-owner', client, { cookie: stranger }],
      ['a logged-in non-owner holding the valid token', client, { cookie: stranger, bearer: client.registration_access_token as string }],
      ['a session user on an ownerless client', anonymousClient, { cookie: owner }],
      ['an unknown client', { client_id: 'polar_ci_nope' }, { bearer: client.registration_access_token as string }],
    ];
    for (const [label, target, credentials] of cases) {
      for (const method of ['GET', 'PUT', 'DELETE']) {
        const json = method === 'PUT' ? { ...BASE, client_id: target.client_id } : undefined;
        const result = await call(method, path(target), { ...credentials, ...(json ? { json } : {}) });
        assertRfc(result, 401, NOT_FOUND);
        assert.equal(result.headers.get('www-authenticate'), null, `${label} ${method}`);
      }
    }
    assert.equal((await call('GET', path(client), { cookie: owner })).status, 200);
  });

  test('B.2: a Bearer without the polar_crt_ prefix → 401 invalid_token with a Bearer challenge', async () => {
    const client = await register(BASE);
    const token = client.registration_access_token as string;
    for (const bearer of [token.replace('polar_crt_', 'polar_xyz_'), 'garbage', token.slice('polar_'.length)]) {
      const result = await call('GET', path(client), { bearer });
      assertRfc(result, 401, py({ error: 'invalid_token', error_description: INVALID_TOKEN_DESCRIPTION }));
      assert.equal(result.headers.get('www-authenticate'), `Bearer realm="polar", error="invalid_token", error_description="${INVALID_TOKEN_DESCRIPTION}"`);
    }
  });

  test('a valid OAuth access token as Bearer → 403 NotPermitted', async () => {
    const client = await register(BASE);
    const tokens = await tokensFor(server, asTestClient(client), await signIn(server, await aUser(server)));
    for (const method of ['GET', 'DELETE']) {
      const result = await call(method, path(client), { bearer: tokens.access_token });
      assert.equal(result.status, 403);
      assert.equal(result.headers.get('content-type'), 'application/json');
      assert.equal(result.text, '{"error":"NotPermitted","detail":"Not permitted"}');
    }
  });

  test('PUT merges over the metadata: omitted fields with a default are reset to it, omitted or null URLs kept; credentials unchanged', async () => {
    const cookie = await signIn(server, await aUser(server));
    const client = await register(
      {
        ...BASE,
        token_endpoint_auth_method: 'client_secret_basic',
        grant_types: ['authorization_code'],
        client_uri: 'https://managed.example/',
        tos_uri: 'https://managed.example/tos',
        default_sub_type: 'organization',
      },
      cookie,
    );
    const body = {
      client_id: client.client_id,
      client_name: 'Renamed',
      redirect_uris: ['https://Renamed.example'],
      tos_uri: null,
      client_secret: 'polar_cs_mine',
      registration_access_token: 'polar_crt_mine',
      client_id_issued_at: 1,
    };
    const result = await call('PUT', path(client), { json: body, bearer: client.registration_access_token as string });
    const expected = configuration(client, {
      redirect_uris: ['https://renamed.example/'],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'Renamed',
      client_uri: 'https://managed.example/',
      scope: (JSON.parse(result.text) as Json).scope,
      tos_uri: 'https://managed.example/tos',
      default_sub_type: 'user',
    });
    assertRfc(result, 200, expected);
    assert.equal((JSON.parse(result.text) as Json).scope, (await register({ client_name: 'd', redirect_uris: [REDIRECT_URI] })).scope);
    assert.equal(hasNull(JSON.parse(result.text)), false);
    assertRfc(await call('GET', path(client), { cookie }), 200, expected);
    const row = await server.borealis.ctx.store.clients.findByClientId(client.client_id as string);
    assert.equal(row?.metadata.client_name, 'Renamed');
    assert.equal(row?.metadata.default_sub_type, 'user');
    assert.equal(row?.clientIdIssuedAt, client.client_id_issued_at);
  });

  // The merge is made on the row as it is when written (store.ts, updateMetadata): before, each
  // PUT merged over its own earlier read and the last write dropped the other's change.
  test('two PUTs at once, each setting another URL: both answered 200, and both changes kept', async () => {
    for (let round = 0; round < 10; round++) {
      const client = await register(BASE);
      const bearer = client.registration_access_token as string;
      const put = (field: string) => call('PUT', path(client), { json: { ...BASE, client_id: client.client_id, [field]: `https://managed.example/${field}` }, bearer });
      const answers = await Promise.all([put('tos_uri'), put('logo_uri')]);
      assert.deepEqual(answers.map((a) => a.status), [200, 200]);
      const stored = await server.borealis.ctx.store.clients.findByClientId(client.client_id as string);
      assert.deepEqual([stored?.metadata.tos_uri, stored?.metadata.logo_uri], ['https://managed.example/tos_uri', 'https://managed.example/logo_uri'], `round ${round}`);
    }
  });

  test('PUT: client_id is required (422) and must match the path (400 invalid_request)', async () => {
    const client = await register(BASE);
    const bearer = client.registration_access_token as string;
    const missing = await call('PUT', path(client), { json: BASE, bearer });
    assert.equal(missing.status, 422);
    assert.equal(missing.headers.get('content-type'), 'application/json');
    assert.equal(
      missing.text,
      JSON.stringify({ error: 'RequestValidationError', detail: [{ type: 'missing', loc: ['body', 'client_id'], msg: 'Field required', input: BASE }] }),
    );
    // The body is validated before the caller is (FastAPI): no credentials, bad body → 422.
    assert.equal((await call('PUT', path(client), { json: BASE })).status, 422);
    const other = await register(BASE);
    assertRfc(await call('PUT', path(client), { json: { ...BASE, client_id: other.client_id }, bearer }), 400, '{"error": "invalid_request"}');
    assertRfc(
      await call('PUT', path(client), { json: { ...BASE, client_id: client.client_id, scope: 'openid nope' }, bearer }),
      400,
      `{"error": "invalid_client_metadata", "error_description": "Invalid claim: 'scope'"}`,
    );
    // authlib's claim checks come after the caller's and the client_id's (§3.12): a bad scope
    // from no one, from someone else, or for another client_id is answered as such.
    const badScope = { ...BASE, client_id: client.client_id, scope: 'openid nope' };
    assertRfc(await call('PUT', path(client), { json: badScope }), 400, '{"error": "access_denied", "error_description": "The resource owner or authorization server denied the request"}');
    assertRfc(await call('PUT', path(client), { json: badScope, bearer: other.registration_access_token as string }), 401, '{"error": "invalid_client", "error_description": "The client does not exist on this server."}');
    assertRfc(await call('PUT', path(client), { json: { ...badScope, client_id: other.client_id }, bearer }), 400, '{"error": "invalid_request"}');
    // Nothing changed.
    assertRfc(await call('GET', path(client), { bearer }), 200, configuration(client, baseMetadata()));
  });

  test('DELETE → 204; the client is gone and D12: its codes and tokens stop working at once', async () => {
    const cookie = await signIn(server, await aUser(server));
    const client = await register(BASE, cookie);
    const tokens = await tokensFor(server, asTestClient(client), cookie);
    const { code } = await obtainCode(server, asTestClient(client), cookie);
    const userinfo = () => fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal((await userinfo()).status, 200);

    const deleted = await call('DELETE', path(client), { bearer: client.registration_access_token as string });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal(deleted.headers.get('cache-control'), 'no-store');
    assert.equal(deleted.headers.get('pragma'), 'no-cache');

    for (const credentials of [{ bearer: client.registration_access_token as string }, { cookie }]) {
      assertRfc(await call('GET', path(client), credentials), 401, NOT_FOUND);
      assertRfc(await call('DELETE', path(client), credentials), 401, NOT_FOUND);
    }
    const listed = JSON.parse((await call('GET', '/v1/oauth2/', { cookie })).text) as { items: Json[] };
    assert.deepEqual(listed.items, []);

    const gone = { status: 400, text: NOT_FOUND };
    const secret = { client_id: client.client_id as string, client_secret: client.client_secret as string };
    const exchange = await postToken(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, ...secret });
    assert.deepEqual({ status: exchange.status, text: exchange.text }, gone);
    const refresh = await postToken(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, ...secret });
    assert.deepEqual({ status: refresh.status, text: refresh.text }, gone);
    const basic = `Basic ${Buffer.from(`${secret.client_id}:${secret.client_secret}`).toString('base64')}`;
    const viaBasic = await postToken(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { authorization: basic });
    assert.equal(viaBasic.status, 401);
    assert.equal(viaBasic.text, NOT_FOUND);
    assert.equal(viaBasic.headers.get('www-authenticate'), 'Basic error="invalid_client", error_description="The client does not exist on this server."');
    // Introspection needs the (deleted) client's own credentials, so it fails too.
    const introspect = await fetch(`${server.url}/v1/oauth2/introspect`, { method: 'POST', body: new URLSearchParams({ token: tokens.access_token, ...secret }) });
    assert.equal(introspect.status, 400);
    assert.equal(await introspect.text(), NOT_FOUND);

    const after = await userinfo();
    assert.equal(after.status, 401);
    assert.equal(await after.text(), py({ error: 'invalid_token', error_description: INVALID_TOKEN_DESCRIPTION }));
    const { ctx } = server.borealis;
    const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(tokens.access_token));
    assert.ok(row);
    assert.notEqual(row.accessTokenRevokedAt, 0);
    assert.notEqual(row.refreshTokenRevokedAt, 0);
  });

  test('DELETE by the owner session', async () => {
    const cookie = await signIn(server, await aUser(server));
    const client = await register(BASE, cookie);
    const deleted = await call('DELETE', path(client), { cookie });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assertRfc(await call('GET', path(client), { bearer: client.registration_access_token as string }), 401, NOT_FOUND);
  });
});
