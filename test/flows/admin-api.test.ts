/**
 * The admin API (src/http/routes/admin.ts): off without BOREALIS_ADMIN_TOKEN; with it, a platform's
 * backend creates, finds, blocks and resets users, and manages organizations and their members,
 * each as the CLI does, in FastAPI's bodies and errors.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { PASSWORD, aClient, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const TOKEN = 'admin-token-0123456789abcdef0123456789abcdef';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('the admin API', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_ADMIN_TOKEN: TOKEN } });
  });
  after(() => server.close());

  async function call(method: string, path: string, body?: unknown, token: string | null = TOKEN) {
    const headers: Record<string, string> = token === null ? {} : { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(`${server.url}/admin/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
  }
  let n = 0;
  const newUser = async (fields: Record<string, unknown> = {}) => {
    const created = await call('POST', '/users', { email: `admin-made-${++n}-${Date.now()}@example.com`, password: PASSWORD, name: 'Made', ...fields });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return created.json as { id: string; email: string };
  };
  const login = (email: string, password: string) =>
    fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' });
  const signsIn = async (email: string, password: string) => (await login(email, password)).status === 303;
  /** The session cookie of a sign-in with the user's password. */
  const sessionOf = async (email: string) => ((await login(email, PASSWORD)).headers.get('set-cookie') ?? '').split(';')[0] ?? '';

  test('off unless BOREALIS_ADMIN_TOKEN is set: its paths are unknown', async () => {
    const plain = await startServer();
    try {
      const response = await fetch(`${plain.url}/admin/v1/users?email=a@example.com`, { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(response.status, 404);
      assert.equal(await response.text(), '{"detail":"Not Found"}');
    } finally {
      await plain.close();
    }
  });

  test('a path Fastify cannot decode: the token first (401), then 404 {"detail"}, as any admin path', async () => {
    for (const path of ['/users/%', '/%ff', '/organizations/%zz/members']) {
      const refused = await call('GET', path, undefined, null);
      assert.deepEqual([refused.status, refused.json], [401, { detail: 'Unauthorized' }], path);
      assert.equal(refused.headers.get('www-authenticate'), 'Bearer realm="borealis-admin"');
      assert.equal(refused.headers.get('cache-control'), 'no-store');
      const unknown = await call('GET', path);
      assert.deepEqual([unknown.status, unknown.json], [404, { detail: 'Not Found' }], path);
      assert.equal(unknown.headers.get('cache-control'), 'no-store');
    }
  });

  test('without the token, or with another: 401 with a Bearer challenge, and nothing cached', async () => {
    for (const token of [null, 'wrong', `${TOKEN}x`, TOKEN.slice(0, -1)]) {
      const answer = await call('GET', '/users?email=a@example.com', undefined, token);
      assert.deepEqual([answer.status, answer.json], [401, { detail: 'Unauthorized' }], String(token));
      assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="borealis-admin"');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
    }
    const lower = await fetch(`${server.url}/admin/v1/users?email=nobody@example.com`, { headers: { authorization: `bearer ${TOKEN}` } });
    assert.equal(lower.status, 404, 'the scheme is case-insensitive (RFC 7235 §2.1)');
    // What is not there answers as what is, without the token: nothing tells them apart.
    for (const [method, path] of [['GET', '/nothing'], ['PATCH', '/users/x'], ['OPTIONS', '/users'], ['GET', '/users/x/nothing']]) {
      const answer = await call(method as string, path as string, undefined, null);
      assert.deepEqual([answer.status, answer.headers.get('cache-control')], [401, 'no-store'], `${method} ${path}`);
    }
  });

  test('with the token, an unknown path is a 404 and another method a 405 naming those allowed', async () => {
    const unknown = await call('GET', '/nothing');
    assert.deepEqual([unknown.status, unknown.json, unknown.headers.get('cache-control')], [404, { detail: 'Not Found' }, 'no-store']);
    const patch = await call('PATCH', '/users/x');
    assert.deepEqual([patch.status, patch.json, patch.headers.get('allow')], [405, { detail: 'Method Not Allowed' }, 'GET, HEAD, DELETE']);
    const members = await call('POST', '/organizations/x/members/y');
    assert.deepEqual([members.status, members.headers.get('allow')], [405, 'PUT, DELETE']);
  });

  test('a user created, found by email and by id, signs in with the password given', async () => {
    const email = `ada-${Date.now()}@example.com`;
    const created = await call('POST', '/users', { email, password: PASSWORD, name: 'Ada' });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('cache-control'), 'no-store');
    const user = created.json;
    assert.deepEqual(Object.keys(user), ['id', 'email', 'email_verified', 'name', 'avatar_url', 'created_at', 'blocked_at']);
    assert.match(user.id, UUID);
    assert.match(user.created_at, ISO);
    assert.deepEqual({ ...user, id: 'ID', created_at: 'AT' }, { id: 'ID', email, email_verified: false, name: 'Ada', avatar_url: null, created_at: 'AT', blocked_at: null });
    assert.deepEqual((await call('GET', `/users?email=${encodeURIComponent(email.toUpperCase())}`)).json, user);
    assert.deepEqual((await call('GET', `/users/${user.id}`)).json, user);
    assert.equal(await signsIn(email, PASSWORD), true);
    const again = await call('POST', '/users', { email, password: PASSWORD });
    assert.deepEqual([again.status, again.json], [409, { detail: 'A user with this email already exists.' }]);
  });

  test('a platform that checked the address says so: email_verified, as userinfo will tell apps; not a boolean is a 422', async () => {
    const email = `checked-${Date.now()}@example.com`;
    const created = await call('POST', '/users', { email, password: PASSWORD, email_verified: true });
    assert.deepEqual([created.status, created.json.email_verified], [201, true]);
    assert.equal((await call('GET', `/users/${created.json.id}`)).json.email_verified, true);
    const wrong = await call('POST', '/users', { email: `x-${email}`, password: PASSWORD, email_verified: 'yes' });
    assert.equal(wrong.status, 422);
    assert.deepEqual(wrong.json, {
      error: 'RequestValidationError',
      detail: [{ type: 'bool_type', loc: ['body', 'email_verified'], msg: 'Input should be a valid boolean', input: 'yes' }],
    });
  });

  test('bodies are checked as FastAPI checks them: every problem in one 422', async () => {
    const missing = await call('POST', '/users', {});
    assert.equal(missing.status, 422);
    assert.deepEqual(missing.json, {
      error: 'RequestValidationError',
      detail: [
        { type: 'missing', loc: ['body', 'email'], msg: 'Field required', input: {} },
        { type: 'missing', loc: ['body', 'password'], msg: 'Field required', input: {} },
      ],
    });
    const typed = await call('POST', '/users', { email: 1, password: PASSWORD, name: ['x'] });
    assert.deepEqual(typed.json.detail.map((d: { type: string; loc: string[] }) => [d.type, d.loc.join('.')]), [['string_type', 'body.email'], ['string_type', 'body.name']]);
    const short = await call('POST', '/users', { email: 'short@example.com', password: 'short' });
    assert.deepEqual(short.json, { error: 'RequestValidationError', detail: [{ type: 'value_error', loc: ['body', 'password'], msg: 'Value error, The password must be at least 8 characters.', input: 'short' }] });
    // Every rule broken is listed, not the first alone.
    const both = await call('POST', '/users', { email: 'bad', password: 'x' });
    assert.deepEqual(both.json.detail.map((d: { loc: string[]; msg: string }) => [d.loc[1], d.msg]), [
      ['email', 'Value error, A valid email address is required.'],
      ['password', 'Value error, The password must be at least 8 characters.'],
    ]);
    const org = await call('POST', '/organizations', { slug: 'BAD SLUG', name: ' ', owner_id: 'nobody' });
    assert.deepEqual(org.json.detail.map((d: { loc: string[] }) => d.loc[1]), ['slug', 'name', 'owner_id']);
    // Half a UTF-16 pair is no text: stored, it would be found by no address (SQLite) or become another (PostgreSQL).
    const lone = await call('POST', '/users', JSON.parse('{"email":"\\udc00y@example.com","password":"a good password","name":"\\udfff"}'));
    assert.deepEqual(lone.json.detail.map((d: { loc: string[] }) => d.loc[1]), ['email', 'name']);
    // The body is checked before the user it names is looked up, as FastAPI does.
    assert.equal((await call('PUT', '/users/nobody/password', [])).status, 422);
    const list = await call('POST', '/users', [1]);
    assert.deepEqual(list.json.detail[0].type, 'model_attributes_type');
    const query = await call('GET', '/users');
    assert.deepEqual([query.status, query.json.detail], [422, [{ type: 'missing', loc: ['query', 'email'], msg: 'Field required', input: null }]]);
    for (const path of ['/users?email=nobody@example.com', '/users/not-a-user', '/users/a%00b', '/organizations/no-such-org']) {
      const answer = await call('GET', path);
      assert.deepEqual([answer.status, answer.json], [404, { detail: 'Not Found' }], path);
    }
  });

  test('blocked: sessions end and sign-in is refused; unblocked: sign-in works again', async () => {
    const user = await newUser();
    const cookie = await sessionOf(user.email);
    const blocked = await call('POST', `/users/${user.id}/block`);
    assert.equal(blocked.status, 200);
    assert.match(blocked.json.blocked_at, ISO);
    const page = await fetch(`${server.url}/settings/account`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(page.status, 303, 'the session ended');
    assert.equal(await signsIn(user.email, PASSWORD), false);
    const unblocked = await call('POST', `/users/${user.id}/unblock`);
    assert.deepEqual([unblocked.status, unblocked.json.blocked_at], [200, null]);
    assert.equal(await signsIn(user.email, PASSWORD), true);
    assert.equal((await call('POST', '/users/not-a-user/block')).status, 404);
  });

  test('a password reset: 204; the old password no longer signs in; with revoke_tokens, tokens end too', async () => {
    const user = await newUser();
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await sessionOf(user.email));
    const introspect = async () =>
      ((await (await fetch(`${server.url}/v1/oauth2/introspect`, { method: 'POST', body: new URLSearchParams({ token: tokens.access_token, client_id: client.clientId, client_secret: client.clientSecret }) })).json()) as { active: boolean }).active;
    const reset = await call('PUT', `/users/${user.id}/password`, { password: 'a new horse staple' });
    assert.deepEqual([reset.status, reset.json], [204, undefined]);
    assert.deepEqual([await signsIn(user.email, PASSWORD), await signsIn(user.email, 'a new horse staple')], [false, true]);
    assert.equal(await introspect(), true, 'an app acts for the user, not for the password');
    assert.equal((await call('PUT', `/users/${user.id}/password`, { password: 'another horse staple', revoke_tokens: true })).status, 204);
    assert.equal(await introspect(), false);
    const bad = await call('PUT', `/users/${user.id}/password`, { password: 'x', revoke_tokens: 'yes' });
    assert.deepEqual(bad.json.detail.map((d: { type: string }) => d.type), ['bool_type']);
    const short = await call('PUT', `/users/${user.id}/password`, { password: 'x' });
    assert.deepEqual([short.status, short.json.detail[0].loc], [422, ['body', 'password']]);
  });

  test('organizations: created with an owner, its members listed, added and removed', async () => {
    const [owner, member] = [await newUser(), await newUser()];
    const slug = `admin-org-${Date.now()}`;
    const created = await call('POST', '/organizations', { slug, name: 'Admin Org', owner_id: owner.id });
    assert.equal(created.status, 201);
    assert.deepEqual({ ...created.json, id: 'ID', created_at: 'AT' }, { id: 'ID', slug, name: 'Admin Org', avatar_url: null, created_at: 'AT' });
    assert.deepEqual((await call('GET', `/organizations/${slug}`)).json, created.json);
    const emails = async () => (await call('GET', `/organizations/${slug}/members`)).json.items.map((u: { email: string }) => u.email);
    assert.deepEqual(await emails(), [owner.email]);
    assert.equal((await call('PUT', `/organizations/${slug}/members/${member.id}`)).status, 204);
    assert.equal((await call('PUT', `/organizations/${slug}/members/${member.id}`)).status, 204, 'idempotent');
    assert.deepEqual((await emails()).sort(), [owner.email, member.email].sort());
    assert.equal((await call('DELETE', `/organizations/${slug}/members/${member.id}`)).status, 204);
    assert.deepEqual((await call('DELETE', `/organizations/${slug}/members/${member.id}`)).json, { detail: 'Not Found' });
    assert.deepEqual(await emails(), [owner.email]);
    assert.equal((await call('PUT', `/organizations/${slug}/members/not-a-user`)).status, 404);
    const taken = await call('POST', '/organizations', { slug, name: 'Again', owner_id: owner.id });
    assert.deepEqual([taken.status, taken.json], [409, { detail: `The slug ${slug} is taken.` }]);
    const nobody = await call('POST', '/organizations', { slug: `${slug}-2`, name: 'X', owner_id: 'not-a-user' });
    assert.deepEqual([nobody.status, nobody.json.detail[0].loc], [422, ['body', 'owner_id']]);
  });

  test('BOREALIS_ADMIN_TOKEN shorter than 32 characters, or with spaces: refused at start', () => {
    const base = { BOREALIS_SECRET: 'x'.repeat(32) };
    for (const value of ['short', `${'a'.repeat(31)}`, `${'a'.repeat(32)} b`]) {
      assert.throws(() => loadConfig({ ...base, BOREALIS_ADMIN_TOKEN: value }, {}, () => {}), /BOREALIS_ADMIN_TOKEN must be at least 32 characters/);
    }
    assert.equal(loadConfig({ ...base, BOREALIS_ADMIN_TOKEN: TOKEN }, {}, () => {}).adminToken, TOKEN);
  });
});
