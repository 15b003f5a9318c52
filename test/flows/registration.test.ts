/**
 * POST /v1/oauth2/register (RFC 7591; polar-oauth2.md §3.11, §2.1, Appendix B.1; D3, D13):
 * defaults, key order, credential formats, public clients, redirect-URI rules and normalisation,
 * dropped fields, and a registered client completing a code flow.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request as httpRequest } from 'node:http';
import { crc32 } from 'node:zlib';
import { REDIRECT_URI, type TestClient, aUser, getAuthorize, obtainCode, pkcePair, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';
import { SPEC_PUBLIC_SCOPES } from '../support/spec.js';

/** §7: the 61 public scopes in declaration order (the two organization_access_tokens:* excluded). */

/** Python's json.dumps defaults (§2.3-A): `", "` and `": "`, insertion order. ASCII input only. */
const py = (v: unknown): string =>
  Array.isArray(v)
    ? `[${v.map(py).join(', ')}]`
    : v !== null && typeof v === 'object'
      ? `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${py(x)}`).join(', ')}}`
      : JSON.stringify(v);

/** §2.1: prefix + 37 base62 + the CRC32 of those 37 in base62 (0-9A-Za-z), left-padded to 6. */
function assertCredential(value: unknown, prefix: string) {
  assert.equal(typeof value, 'string');
  const s = value as string;
  assert.ok(s.startsWith(prefix), s);
  assert.equal(s.length, prefix.length + 43);
  const body = s.slice(prefix.length);
  assert.match(body, /^[0-9A-Za-z]{43}$/);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let n = crc32(body.slice(0, 37));
  let sum = '';
  while (n > 0) {
    sum = alphabet[n % 62] + sum;
    n = Math.floor(n / 62);
  }
  assert.equal(body.slice(37), sum.padStart(6, '0'));
}

const hasNull = (v: unknown): boolean =>
  v === null || (typeof v === 'object' && Object.values(v as object).some(hasNull));

describe('POST /v1/oauth2/register', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock, env: { BOREALIS_REGISTRATION_RATE_LIMIT: '10000' } });
  });
  after(() => server.close());

  async function register(body: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) as Record<string, unknown> };
  }

  function assertRfcHeaders(headers: Headers) {
    assert.equal(headers.get('content-type'), 'application/json');
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(headers.get('pragma'), 'no-cache');
  }

  /** 201 with the RFC headers; returns the parsed body. */
  async function registered(body: unknown, headers: Record<string, string> = {}) {
    const result = await register(body, headers);
    assert.equal(result.status, 201, result.text);
    assertRfcHeaders(result.headers);
    assert.equal(hasNull(result.json), false, result.text);
    return result;
  }

  const asTestClient = (json: Record<string, unknown>): TestClient =>
    ({ clientId: json.client_id, clientSecret: json.client_secret, metadata: json }) as unknown as TestClient;

  test('registration_client_uri is on the configured public URL, whatever Host the request carries', async () => {
    // Polar builds it from the request host (§3.11); behind a proxy that is an internal name, and
    // a forged Host would hand the client a management URL elsewhere (docs/compatibility.md).
    const body = JSON.stringify({ client_name: 'Host', redirect_uris: ['https://host.example/cb'] });
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const url = new URL('/v1/oauth2/register', server.url);
      const request = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { host: 'evil.example', 'content-type': 'application/json' } },
        (response) => {
          let data = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (data += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text: data }));
        },
      );
      request.on('error', reject);
      request.end(body);
    });
    assert.equal(status, 201, text);
    const json = JSON.parse(text) as { client_id: string; registration_client_uri: string };
    assert.equal(json.registration_client_uri, `${server.url}/v1/oauth2/register/${json.client_id}`);
  });

  test('defaults, key order, 201, no nulls, credential formats', async () => {
    const { text, json } = await registered({ client_name: 'Acme', redirect_uris: ['https://acme.example/cb'] });
    const expected = {
      redirect_uris: ['https://acme.example/cb'],
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'Acme',
      scope: SPEC_PUBLIC_SCOPES.join(' '),
      default_sub_type: 'user',
      client_id: json.client_id,
      client_secret: json.client_secret,
      client_id_issued_at: clock(),
      client_secret_expires_at: 0,
      registration_client_uri: `${server.url}/v1/oauth2/register/${json.client_id}`,
      registration_access_token: json.registration_access_token,
    };
    assert.equal(text, py(expected));
    assert.equal(SPEC_PUBLIC_SCOPES.length, 61);
    assertCredential(json.client_id, 'polar_ci_');
    assert.equal((json.client_id as string).length, 52);
    assertCredential(json.client_secret, 'polar_cs_');
    assertCredential(json.registration_access_token, 'polar_crt_');
    const again = await registered({ client_name: 'Acme', redirect_uris: ['https://acme.example/cb'] });
    assert.notEqual(again.json.client_id, json.client_id);
    assert.notEqual(again.json.client_secret, json.client_secret);
  });

  test('every optional field, in RFC 7591 order; D3: the store holds no plaintext secret', async () => {
    const { text, json } = await registered({
      policy_uri: 'https://acme.example/privacy',
      tos_uri: 'https://acme.example/tos',
      scope: 'openid email',
      logo_uri: 'https://acme.example/logo.png',
      client_uri: 'https://acme.example',
      client_name: 'Acme',
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['https://acme.example/cb'],
    });
    const expected = {
      redirect_uris: ['https://acme.example/cb'],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      client_name: 'Acme',
      client_uri: 'https://acme.example/',
      logo_uri: 'https://acme.example/logo.png',
      scope: 'openid email',
      tos_uri: 'https://acme.example/tos',
      policy_uri: 'https://acme.example/privacy',
      default_sub_type: 'user',
      client_id: json.client_id,
      client_secret: json.client_secret,
      client_id_issued_at: clock(),
      client_secret_expires_at: 0,
      registration_client_uri: `${server.url}/v1/oauth2/register/${json.client_id}`,
      registration_access_token: json.registration_access_token,
    };
    assert.equal(text, py(expected));
    const row = await server.borealis.ctx.store.clients.findByClientId(json.client_id as string);
    assert.ok(row);
    const stored = JSON.stringify(row);
    assert.equal(stored.includes(json.client_secret as string), false);
    assert.equal(stored.includes(json.registration_access_token as string), false);
    assert.equal(row.userId, null);
    assert.equal(row.firstParty, false);
  });

  test('a public client (`none`): no client_secret, no client_secret_expires_at', async () => {
    const { text, json } = await registered({ client_name: 'CLI', redirect_uris: ['http://127.0.0.1:3334/cb'], token_endpoint_auth_method: 'none', scope: 'openid' });
    const expected = {
      redirect_uris: ['http://127.0.0.1:3334/cb'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      client_name: 'CLI',
      scope: 'openid',
      default_sub_type: 'user',
      client_id: json.client_id,
      client_id_issued_at: clock(),
      registration_client_uri: `${server.url}/v1/oauth2/register/${json.client_id}`,
      registration_access_token: json.registration_access_token,
    };
    assert.equal(text, py(expected));
  });

  test('redirect URIs are normalised by the URL parser: bare origins gain "/", paths are kept', async () => {
    const { json } = await registered({
      client_name: 'Norm',
      redirect_uris: ['https://Example.com', 'http://localhost:3000', 'HTTPS://EXAMPLE.COM/Call/Back?x=1', 'https://example.com/a/b/'],
      client_uri: 'HTTPS://Acme.Example',
    });
    assert.deepEqual(json.redirect_uris, ['https://example.com/', 'http://localhost:3000/', 'https://example.com/Call/Back?x=1', 'https://example.com/a/b/']);
    assert.equal(json.client_uri, 'https://acme.example/');
  });

  // Python's IPv4Address.is_private (3.12+), which Polar asks: reserved and documentation ranges too.
  test('http is allowed for private, loopback, link-local and 0.0.0.0 IPv4 hosts and *.localhost', async () => {
    for (const uri of [
      'http://127.0.0.1/cb',
      'http://127.0.0.1:8080/cb',
      'http://10.1.2.3/cb',
      'http://172.16.0.1/cb',
      'http://192.168.1.20:5000/cb',
      'http://169.254.10.1/cb',
      'http://0.0.0.0:1234/cb',
      'http://192.0.0.1/cb',
      'http://198.18.0.1/cb',
      'http://203.0.113.5/cb',
      'http://240.0.0.1/cb',
      'http://localhost/cb',
      'http://foo.localhost/cb',
    ]) {
      const { json } = await registered({ client_name: 'Local', redirect_uris: [uri] });
      assert.deepEqual(json.redirect_uris, [uri]);
    }
  });

  test('http for any other host is 422, IPv6 loopback and localhost look-alikes included', async () => {
    for (const uri of ['http://example.com', 'http://[::1]/cb', 'http://localhost.evil/', 'http://localhost./cb', 'http://localhostevil/', 'http://8.8.8.8/cb', 'http://172.32.0.1/', 'http://192.0.0.9/', 'http://100.64.0.1/']) {
      const result = await register({ client_name: 'Bad', redirect_uris: ['https://ok.example/cb', uri] });
      assert.equal(result.status, 422, uri);
      assert.equal(result.headers.get('content-type'), 'application/json');
      assert.equal(
        result.text,
        JSON.stringify({
          error: 'RequestValidationError',
          detail: [{ type: 'value_error', loc: ['body', 'redirect_uris', 1], msg: 'Value error, An HTTPS URL is required.', input: uri }],
        }),
      );
    }
  });

  test('custom schemes are allowed and kept', async () => {
    const { json } = await registered({ client_name: 'Mobile', redirect_uris: ['myapp://cb', 'com.example:/cb', 'com.example.app:/oauth2redirect'] });
    assert.deepEqual(json.redirect_uris, ['myapp://cb', 'com.example:/cb', 'com.example.app:/oauth2redirect']);
  });

  test('non-ASCII metadata is escaped as Python does (\\uXXXX, surrogate pairs for astral characters)', async () => {
    const { text, json } = await registered({ client_name: 'Café 😀', redirect_uris: ['https://café.example/cb'] });
    assert.equal(json.client_name, 'Café 😀');
    assert.ok(text.includes('"client_name": "Caf\\u00e9 \\ud83d\\ude00"'), text);
    assert.deepEqual(json.redirect_uris, ['https://xn--caf-dma.example/cb']);
    assert.equal(/[^\x00-\x7f]/.test(text), false);
  });

  test('unknown and non-registrable fields are silently dropped; the server mints its own credentials', async () => {
    const { json } = await registered({
      client_name: 'Extra',
      redirect_uris: ['https://extra.example/cb'],
      contacts: ['a@example.com'],
      jwks_uri: 'https://extra.example/jwks',
      software_id: 'x',
      software_statement: 'eyJ...',
      client_id: 'polar_ci_mine',
      client_secret: 'polar_cs_mine',
      client_secret_expires_at: 99,
      registration_access_token: 'polar_crt_mine',
      first_party: true,
      whatever: { nested: [1, 2] },
    });
    assert.deepEqual(Object.keys(json), [
      'redirect_uris', 'token_endpoint_auth_method', 'grant_types', 'response_types', 'client_name', 'scope', 'default_sub_type',
      'client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at', 'registration_client_uri', 'registration_access_token',
    ]);
    assertCredential(json.client_id, 'polar_ci_');
    assertCredential(json.client_secret, 'polar_cs_');
    assertCredential(json.registration_access_token, 'polar_crt_');
    assert.equal(json.client_secret_expires_at, 0);
    const row = await server.borealis.ctx.store.clients.findByClientId(json.client_id as string);
    assert.equal(row?.firstParty, false);
    assert.equal(JSON.stringify(row?.metadata).includes('contacts'), false);
  });

  test('D13: default_sub_type is persisted and honoured at authorize; omitted means user', async () => {
    const org = await registered({ client_name: 'Org', redirect_uris: [REDIRECT_URI], scope: 'openid email', default_sub_type: 'organization' });
    assert.equal(org.json.default_sub_type, 'organization');
    const row = await server.borealis.ctx.store.clients.findByClientId(org.json.client_id as string);
    assert.equal(row?.metadata.default_sub_type, 'organization');
    const plain = await registered({ client_name: 'Plain', redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    assert.equal(plain.json.default_sub_type, 'user');

    const cookie = await signIn(server, await aUser(server));
    for (const [client, single] of [[org.json, true], [plain.json, false]] as const) {
      const query = { response_type: 'code', client_id: client.client_id as string, redirect_uri: REDIRECT_URI, scope: 'openid email' };
      const response = await getAuthorize(server, cookie, query);
      assert.equal(response.status, 200, await response.clone().text());
      assert.equal(((await response.json()) as { requires_single_organization: boolean }).requires_single_organization, single);
    }
  });

  test('a registered confidential client completes a code flow (client_secret_post by default)', async () => {
    const { json } = await registered({ client_name: 'Flow', redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const cookie = await signIn(server, await aUser(server));
    const tokens = await tokensFor(server, asTestClient(json), cookie);
    assert.match(tokens.access_token, /^polar_at_u_/);
    assert.match(tokens.refresh_token ?? '', /^polar_rt_u_/);
    assert.equal(tokens.scope, 'openid email');
    assert.ok(tokens.id_token);
    const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200);
  });

  test('a registered public client completes a code flow with PKCE and no secret', async () => {
    const { json } = await registered({ client_name: 'Pub', redirect_uris: [REDIRECT_URI], scope: 'openid email', token_endpoint_auth_method: 'none' });
    const cookie = await signIn(server, await aUser(server));
    const { verifier, challenge } = pkcePair();
    const client = asTestClient(json);
    const { code } = await obtainCode(server, client, cookie, { code_challenge: challenge, code_challenge_method: 'S256' });
    const result = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    assert.equal(result.status, 200, result.text);
    assert.equal(JSON.parse(result.text).scope, 'openid email');
  });

  test('a polar_crt_ Bearer counts as anonymous; an OAuth access token is 403 NotPermitted', async () => {
    const first = await registered({ client_name: 'A', redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const second = await registered({ client_name: 'B', redirect_uris: [REDIRECT_URI] }, { authorization: `Bearer ${first.json.registration_access_token}` });
    const row = await server.borealis.ctx.store.clients.findByClientId(second.json.client_id as string);
    assert.equal(row?.userId, null);

    const cookie = await signIn(server, await aUser(server));
    const tokens = await tokensFor(server, asTestClient(first.json), cookie);
    const refused = await register({ client_name: 'C', redirect_uris: [REDIRECT_URI] }, { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(refused.status, 403);
    assert.equal(refused.text, '{"error":"NotPermitted","detail":"Not permitted"}');
  });
});
