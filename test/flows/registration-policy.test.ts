/**
 * Who may register (BOREALIS_REGISTRATION: open | authenticated | closed) and the per-IP rate
 * limit (BOREALIS_REGISTRATION_RATE_LIMIT), polar-oauth2.md §3.11, §11.21.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleCreate } from '../support/console.js';
import { REDIRECT_URI, aClient, aUser, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const BODY = { client_name: 'Policy', redirect_uris: [REDIRECT_URI] };
const CLOSED = 'Client registration is closed on this server.';
const UNAUTHORIZED = '{"error":"Unauthorized","detail":"Unauthorized"}';

async function register(server: TestServer, headers: Record<string, string> = {}, body: unknown = BODY) {
  const response = await fetch(`${server.url}/v1/oauth2/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('BOREALIS_REGISTRATION=closed', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION: 'closed' } });
  });
  after(() => server.close());

  test('→ 403 NotPermitted, anonymous or signed in, valid body or not', async () => {
    const cookie = await signIn(server, await aUser(server));
    for (const [headers, body] of [[{}, BODY], [{ cookie }, BODY], [{}, {}], [{ cookie }, 'x']] as const) {
      const result = await register(server, headers, body);
      assert.equal(result.status, 403);
      assert.equal(result.headers.get('content-type'), 'application/json');
      assert.equal(result.text, `{"error":"NotPermitted","detail":"${CLOSED}"}`);
    }
  });

  test('the developer console cannot create apps either: no link, 403 pages, nothing created', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const list = await (await fetch(`${server.url}/settings/oauth`, { headers: { cookie } })).text();
    assert.equal(list.includes('href="/settings/oauth/new"'), false);
    const form = await fetch(`${server.url}/settings/oauth/new`, { headers: { cookie } });
    assert.equal(form.status, 403);
    assert.ok((await form.text()).includes(CLOSED));
    const created = await consoleCreate(server, cookie);
    assert.equal(created.status, 403);
    assert.ok(created.text.includes(CLOSED));
    assert.equal((await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10)).total, 0);
  });

  test('discovery leaves registration_endpoint out (RFC 8414 §2), at both well-known paths', async () => {
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const document = (await (await fetch(`${server.url}${path}`)).json()) as Record<string, unknown>;
      assert.equal(document.token_endpoint, `${server.url}/v1/oauth2/token`, path);
      assert.equal('registration_endpoint' in document, false, path);
    }
  });

  test('the list and the RFC 7592 endpoints still answer', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const list = await fetch(`${server.url}/v1/oauth2/`, { headers: { cookie } });
    assert.equal(list.status, 200);
    const get = await fetch(`${server.url}/v1/oauth2/register/${client.clientId}`);
    assert.equal(get.status, 400);
    assert.equal(JSON.parse(await get.text()).error, 'access_denied');
  });
});

describe('BOREALIS_REGISTRATION=authenticated', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION: 'authenticated' } });
  });
  after(() => server.close());

  test('without a session → 401 Unauthorized, a registration token does not count', async () => {
    const anonymous = await register(server);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/json');
    assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer realm="polar"');
    assert.equal(anonymous.text, UNAUTHORIZED);
    const cookie = await signIn(server, await aUser(server));
    const created = JSON.parse((await register(server, { cookie })).text) as { registration_access_token: string };
    const viaToken = await register(server, { authorization: `Bearer ${created.registration_access_token}` });
    assert.equal(viaToken.status, 401);
    assert.equal(viaToken.text, UNAUTHORIZED);
    const forged = await register(server, { cookie: 'polar_session=polar_us_forged' });
    assert.equal(forged.status, 401);
  });

  test('with a session → 201 and the user owns the client', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const result = await register(server, { cookie });
    assert.equal(result.status, 201, result.text);
    assert.equal(result.headers.get('cache-control'), 'no-store');
    const { client_id } = JSON.parse(result.text) as { client_id: string };
    const row = await server.borealis.ctx.store.clients.findByClientId(client_id);
    assert.equal(row?.userId, user.id);
    const list = JSON.parse(await (await fetch(`${server.url}/v1/oauth2/`, { headers: { cookie } })).text()) as { items: { client_id: string }[] };
    assert.deepEqual(list.items.map((i) => i.client_id), [client_id]);
  });

  /**
   * A page on a sibling subdomain is same-site: the session cookie goes along, and a body with no
   * content type needs no preflight. With the cookie as its credential, a write must come from the
   * server's own origin (D14), else anyone there could register clients as the visitor.
   */
  test('with a session, from another origin → 403 and nothing registered; from our own page or a script → 201', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const owned = async () => (await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10)).total;
    const foreign: Record<string, string>[] = [{ 'sec-fetch-site': 'same-site' }, { 'sec-fetch-site': 'cross-site' }, { origin: 'https://sibling.example' }];
    for (const headers of foreign) {
      const refused = await register(server, { cookie, ...headers });
      assert.equal(refused.status, 403, JSON.stringify(headers));
      assert.equal(refused.text, '{"error":"NotPermitted","detail":"Cross-site request refused."}');
    }
    const untyped = await fetch(`${server.url}/v1/oauth2/register`, { method: 'POST', headers: { cookie, 'sec-fetch-site': 'same-site' }, body: JSON.stringify(BODY) });
    assert.equal(untyped.status, 403);
    assert.equal(await owned(), 0);
    const own: Record<string, string>[] = [{ 'sec-fetch-site': 'same-origin' }, { origin: server.url }, {}];
    for (const headers of own) {
      assert.equal((await register(server, { cookie, ...headers })).status, 201, JSON.stringify(headers));
    }
    assert.equal(await owned(), 3);
  });
});

describe('BOREALIS_REGISTRATION=open (the default)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('anonymous → 201 without an owner; discovery names the endpoint', async () => {
    assert.equal(server.config.registration, 'open');
    const document = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    assert.equal(document.registration_endpoint, `${server.url}/v1/oauth2/register`);
    const result = await register(server);
    assert.equal(result.status, 201);
    const row = await server.borealis.ctx.store.clients.findByClientId((JSON.parse(result.text) as { client_id: string }).client_id);
    assert.equal(row?.userId, null);
  });
});

describe('BOREALIS_REGISTRATION_RATE_LIMIT', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: '3' } });
  });
  after(() => server.close());

  test('the 4th registration within a minute → 429 with Retry-After; management is not limited', async () => {
    const created: { client_id: string; registration_access_token: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const result = await register(server);
      assert.equal(result.status, 201, `registration ${i + 1}`);
      created.push(JSON.parse(result.text));
    }
    const limited = await register(server);
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('content-type'), 'application/json');
    const retryAfter = limited.headers.get('retry-after');
    assert.ok(retryAfter, 'retry-after header');
    assert.match(retryAfter, /^\d+$/);
    assert.ok(Number(retryAfter) > 0 && Number(retryAfter) <= 60, retryAfter);
    // A signed-in caller from the same address is limited too; the RFC 7592 endpoints are not.
    const cookie = await signIn(server, await aUser(server));
    assert.equal((await register(server, { cookie })).status, 429);
    const first = created[0] as { client_id: string; registration_access_token: string };
    for (let i = 0; i < 5; i++) {
      const get = await fetch(`${server.url}/v1/oauth2/register/${first.client_id}`, { headers: { authorization: `Bearer ${first.registration_access_token}` } });
      assert.equal(get.status, 200);
    }
  });

  test('the developer console is registration too: its 4th app within a minute → 429', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    for (let i = 0; i < 3; i++) assert.equal((await consoleCreate(server, cookie)).status, 201, `app ${i + 1}`);
    assert.equal((await consoleCreate(server, cookie)).status, 429);
    assert.equal((await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10)).total, 3);
  });
});

describe('BOREALIS_REGISTRATION_RATE_LIMIT across instances sharing one database', () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    a = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: '3' } });
    b = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: '3' }, database: a.database });
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test('the limit is counted in the database: 10 parallel registrations over two instances → exactly 3 succeed', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => register(i % 2 ? b : a)));
    assert.deepEqual(results.map((r) => r.status).sort(), [201, 201, 201, 429, 429, 429, 429, 429, 429, 429]);
    assert.equal((await register(a)).status, 429);
    assert.equal((await register(b)).status, 429);
  });
});
