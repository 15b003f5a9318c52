/**
 * Ownership of registered clients and GET /v1/oauth2/ (polar-oauth2.md §3.11 Authentication,
 * §3.13, §2.3-C/D): a session cookie at registration makes the user the owner; the owner's list,
 * newest first, with the secret even for public clients; pagination and its validation.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, withDefaults } from '../../src/oauth/clients.js';
import { REDIRECT_URI, type TestClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

/** Pydantic's order for `OAuth2Client(TimestampedSchema, OAuth2ClientConfiguration)`: the last base's fields come first. */
const ITEM_KEYS = [
  'redirect_uris', 'token_endpoint_auth_method', 'grant_types', 'response_types', 'scope',
  'client_name', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri', 'default_sub_type', 'created_at', 'modified_at',
  'client_id', 'client_secret', 'client_id_issued_at', 'client_secret_expires_at',
];

type Item = Record<string, unknown>;
type Page = { items: Item[]; pagination: { total_count: number; max_page: number } };

describe('GET /v1/oauth2/ (owned clients)', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock, env: { BOREALIS_REGISTRATION_RATE_LIMIT: '10000' } });
  });
  after(() => server.close());

  async function register(body: unknown, cookie?: string) {
    const response = await fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 201);
    return (await response.json()) as Record<string, unknown>;
  }

  async function list(query = '', headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}/v1/oauth2/${query}`, { headers });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async function listed(cookie: string, query = ''): Promise<Page> {
    const result = await list(query, { cookie });
    assert.equal(result.status, 200, result.text);
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(result.headers.get('cache-control'), 'no-store', 'it lists client secrets (compatibility.md)');
    return JSON.parse(result.text) as Page;
  }

  const secretOf = async (clientId: string) => {
    const row = await server.borealis.ctx.store.clients.findByClientId(clientId);
    assert.ok(row);
    return row;
  };

  test('anonymous → 401 Unauthorized (shape D); a registration token counts as anonymous', async () => {
    const anonymous = await list();
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/json');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="polar"');
    assert.equal(anonymous.text, '{"error":"Unauthorized","detail":"Unauthorized"}');
    const client = await register({ client_name: 'X', redirect_uris: [REDIRECT_URI] });
    const viaToken = await list('', { authorization: `Bearer ${client.registration_access_token}` });
    assert.equal(viaToken.status, 401);
    assert.equal(viaToken.text, '{"error":"Unauthorized","detail":"Unauthorized"}');
    // §2.4: with a Bearer header the session cookie beside it is not read.
    const cookie = await signIn(server, await aUser(server));
    assert.equal((await list('', { cookie })).status, 200);
    const both = await list('', { cookie, authorization: `Bearer ${client.registration_access_token}` });
    assert.equal(both.status, 401);
    assert.equal(both.text, '{"error":"Unauthorized","detail":"Unauthorized"}');
  });

  test('registering with a session makes the user the owner: exact items, newest first, secret shown for public clients', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const start = clock();
    const first = await register({ client_name: 'First', redirect_uris: [REDIRECT_URI], scope: 'openid email' }, cookie);
    clock.advance(5);
    const second = await register(
      { client_name: 'Second', redirect_uris: ['myapp://cb'], token_endpoint_auth_method: 'none', client_uri: 'https://second.example', default_sub_type: 'organization' },
      cookie,
    );
    // Neither anonymous registrations nor other users' clients are listed.
    await register({ client_name: 'Anonymous', redirect_uris: [REDIRECT_URI] });
    await register({ client_name: 'Other', redirect_uris: [REDIRECT_URI] }, await signIn(server, await aUser(server)));
    assert.equal((await secretOf(first.client_id as string)).userId, user.id);

    const result = await list('', { cookie });
    assert.equal(result.status, 200);
    const page = JSON.parse(result.text) as Page;
    for (const item of page.items) assert.deepEqual(Object.keys(item), ITEM_KEYS);
    // Pydantic's form: no fraction for whole seconds (polar-oauth2.md §3.13).
    const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');
    const expected = {
      items: [
        {
          redirect_uris: ['myapp://cb'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          scope: page.items[0]?.scope,
          client_name: 'Second',
          client_uri: 'https://second.example/',
          logo_uri: null,
          tos_uri: null,
          policy_uri: null,
          default_sub_type: 'organization',
          created_at: iso(start + 5),
          modified_at: iso(start + 5),
          client_id: second.client_id,
          client_secret: page.items[0]?.client_secret,
          client_id_issued_at: start + 5,
          client_secret_expires_at: 0,
        },
        {
          redirect_uris: [REDIRECT_URI],
          token_endpoint_auth_method: 'client_secret_post',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          scope: 'openid email',
          client_name: 'First',
          client_uri: null,
          logo_uri: null,
          tos_uri: null,
          policy_uri: null,
          default_sub_type: 'user',
          created_at: iso(start),
          modified_at: iso(start),
          client_id: first.client_id,
          client_secret: first.client_secret,
          client_id_issued_at: start,
          client_secret_expires_at: 0,
        },
      ],
      pagination: { total_count: 2, max_page: 1 },
    };
    assert.equal(result.text, JSON.stringify(expected));
    // §3.11 hides a public client's secret at registration; the list shows it, and it is the real one.
    assert.equal(second.client_secret, undefined);
    const publicSecret = page.items[0]?.client_secret as string;
    assert.match(publicSecret, /^polar_cs_[0-9A-Za-z]{43}$/);
    const row = await secretOf(second.client_id as string);
    assert.equal(server.borealis.ctx.credentials.hash(publicSecret), row.clientSecretHash);
  });

  test('newest first also within one clock second', async () => {
    const cookie = await signIn(server, await aUser(server));
    const ids: unknown[] = [];
    for (let i = 0; i < 6; i++) ids.push((await register({ client_name: `Same ${i}`, redirect_uris: [REDIRECT_URI] }, cookie)).client_id);
    const page = await listed(cookie);
    // created_at is in whole seconds: the order must not fall back to the random row id.
    assert.deepEqual(page.items.map((i) => i.client_id), ids.reverse());
  });

  test('pagination: page and limit, total_count and max_page', async () => {
    const cookie = await signIn(server, await aUser(server));
    const ids: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(1);
      ids.push((await register({ client_name: `P${i}`, redirect_uris: [REDIRECT_URI] }, cookie)).client_id);
    }
    const newestFirst = [...ids].reverse();
    const ids_ = (p: Page) => p.items.map((i) => i.client_id);
    const all = await listed(cookie);
    assert.deepEqual(ids_(all), newestFirst);
    assert.deepEqual(all.pagination, { total_count: 3, max_page: 1 });
    const one = await listed(cookie, '?limit=2');
    assert.deepEqual(ids_(one), newestFirst.slice(0, 2));
    assert.deepEqual(one.pagination, { total_count: 3, max_page: 2 });
    const two = await listed(cookie, '?page=2&limit=2');
    assert.deepEqual(ids_(two), newestFirst.slice(2));
    assert.deepEqual(two.pagination, { total_count: 3, max_page: 2 });
    const beyond = await listed(cookie, '?page=9&limit=2');
    assert.deepEqual(beyond, { items: [], pagination: { total_count: 3, max_page: 2 } });
    // Pages no integer column holds the offset of are just as empty (never a 5xx).
    for (const page of ['9223372036854775807', '99999999999999999999', '1' + '0'.repeat(400)]) {
      assert.deepEqual(await listed(cookie, `?page=${page}&limit=100`), { items: [], pagination: { total_count: 3, max_page: 1 } }, page);
    }
    const empty = await listed(await signIn(server, await aUser(server)));
    assert.deepEqual(empty, { items: [], pagination: { total_count: 0, max_page: 0 } });
  });

  test('a repeated page or limit: the last value wins, as in FastAPI (never a 5xx)', async () => {
    const cookie = await signIn(server, await aUser(server));
    const ids: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      clock.advance(1);
      ids.push((await register({ client_name: `R${i}`, redirect_uris: [REDIRECT_URI] }, cookie)).client_id);
    }
    const second = await listed(cookie, '?page=1&page=2&limit=5&limit=2');
    assert.deepEqual(second.items.map((i) => i.client_id), [ids[0]]);
    assert.deepEqual(second.pagination, { total_count: 3, max_page: 2 });
    const invalidLast = await list('?page=1&page=x', { cookie });
    assert.equal(invalidLast.status, 422);
    assert.equal(
      invalidLast.text,
      '{"error":"RequestValidationError","detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}',
    );
  });

  test('page and limit validation → 422 (shape C, compact)', async () => {
    const cookie = await signIn(server, await aUser(server));
    const cases: [string, string][] = [
      ['?page=0', '{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["query","page"],"msg":"Input should be greater than 0","input":"0","ctx":{"gt":0}}]}'],
      ['?limit=0', '{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["query","limit"],"msg":"Input should be greater than 0","input":"0","ctx":{"gt":0}}]}'],
      ['?page=abc', '{"error":"RequestValidationError","detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"abc"}]}'],
      ['?limit=ten', '{"error":"RequestValidationError","detail":[{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"ten"}]}'],
      ['?page=', '{"error":"RequestValidationError","detail":[{"type":"int_parsing","loc":["query","page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]}'],
      // FastAPI reports every parameter that fails, in the order they are declared.
      ['?limit=x&page=0', '{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["query","page"],"msg":"Input should be greater than 0","input":"0","ctx":{"gt":0}},{"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"}]}'],
    ];
    for (const [query, body] of cases) {
      const result = await list(query, { cookie });
      assert.equal(result.status, 422, query);
      assert.equal(result.headers.get('content-type'), 'application/json');
      assert.equal(result.text, body, query);
    }
    // Pydantic's lax integers, checked against pydantic 2.13: a fraction of zeros and `_` between
    // digits are integers; any other fraction, `_` elsewhere, exponents and hex are not.
    // A byte order mark is no space to Rust's trim, as it is to JavaScript's.
    for (const bad of ['1.5', '1.', '1__0', '_1', '1e1', '0x10', '%EF%BB%BF1']) assert.equal((await list(`?limit=${bad}`, { cookie })).status, 422, bad);
    const lax = await list('?page=1.0&limit=%201_0.00%20', { cookie });
    assert.equal(lax.status, 200, lax.text);
  });

  test('a negative page or limit is an integer that fails gt=0 (pydantic), not a parsing error', async () => {
    const cookie = await signIn(server, await aUser(server));
    const result = await list('?limit=-1', { cookie });
    assert.equal(result.status, 422);
    // pydantic parses "-1" (and "+1", " 2 ") as integers; only the gt=0 constraint fails.
    assert.equal(
      result.text,
      '{"error":"RequestValidationError","detail":[{"type":"greater_than","loc":["query","limit"],"msg":"Input should be greater than 0","input":"-1","ctx":{"gt":0}}]}',
    );
  });

  test('newest first also for clients created within one millisecond', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const ids: string[] = [];
    for (let i = 0; i < 12; i++) {
      const created = await createClient(server.borealis.ctx, withDefaults({ client_name: `Fast ${i}`, redirect_uris: [REDIRECT_URI] }), { userId: user.id });
      ids.push(created.client.clientId);
    }
    // Clients made back to back (CLI provisioning, scripts) are still listed newest first (§3.13).
    assert.deepEqual((await listed(cookie, '?limit=20')).items.map((i) => i.client_id), ids.reverse());
  });

  test('limit is capped at 100', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    for (let i = 0; i < 101; i++) {
      await createClient(server.borealis.ctx, withDefaults({ client_name: `Bulk ${i}`, redirect_uris: [REDIRECT_URI] }), { userId: user.id });
    }
    const capped = await listed(cookie, '?limit=1000');
    assert.equal(capped.items.length, 100);
    assert.deepEqual(capped.pagination, { total_count: 101, max_page: 2 });
    const last = await listed(cookie, '?page=2&limit=1000');
    assert.equal(last.items.length, 1);
  });

  test('an OAuth access token as Bearer → 403 NotPermitted', async () => {
    const cookie = await signIn(server, await aUser(server));
    const json = await register({ client_name: 'Tok', redirect_uris: [REDIRECT_URI], scope: 'openid email' }, cookie);
    const client = { clientId: json.client_id, clientSecret: json.client_secret, metadata: json } as unknown as TestClient;
    const tokens = await tokensFor(server, client, cookie);
    const result = await list('', { authorization: `Bearer ${tokens.access_token}` });
    assert.equal(result.status, 403);
    assert.equal(result.text, '{"error":"NotPermitted","detail":"Not permitted"}');
  });
});
