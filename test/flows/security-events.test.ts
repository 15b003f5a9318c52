/**
 * Stored security events (src/audit.ts, `keepIn`): the admin API lists them, exactly, filtered
 * and paged as Polar's lists are; each person reads their own on /settings/security-log; with
 * BOREALIS_SECURITY_EVENT_DAYS=0 none is stored and the page is not served.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORD, aClient, aUser, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const TOKEN = 'admin-token-0123456789abcdef0123456789abcdef';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('stored security events', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_ADMIN_TOKEN: TOKEN, BOREALIS_REFRESH_GRACE_SECONDS: '0' } });
  });
  after(() => server.close());

  const admin = async (path: string, init: RequestInit = {}, token = TOKEN) => {
    const response = await fetch(`${server.url}/admin/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
  };
  const login = (email: string, password: string) =>
    fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' });
  /** Writes run after the answer: wait for them, as a reader a moment later would find them. */
  const settled = () => server.borealis.ctx.audit.settled();

  /** Each item with its id and time checked, then left out. */
  const withoutIds = (items: Record<string, unknown>[]) =>
    items.map(({ id, created_at, ...rest }) => {
      assert.match(String(id), UUID7);
      assert.match(String(created_at), ISO);
      return rest;
    });

  test("a user's events, newest first, each with its own fields; a failed sign-in is not stored", async () => {
    const user = await aUser(server);
    const client = await aClient(server, { client_name: 'Reuse App' });
    assert.equal((await login(user.email, 'not the password')).status, 400);
    const tokens = await tokensFor(server, client, await signIn(server, user));
    const refresh = () => postToken(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.clientId, client_secret: client.clientSecret });
    assert.equal((await refresh()).status, 200);
    assert.equal((await refresh()).status, 400);
    assert.equal((await admin(`/users/${user.id}/block`, { method: 'POST' })).status, 200);
    assert.equal((await admin(`/users/${user.id}/unblock`, { method: 'POST' })).status, 200);
    const put = await admin(`/users/${user.id}/password`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: `${PASSWORD}!`, revoke_tokens: true }) });
    assert.equal(put.status, 204);
    await settled();

    const listed = await admin(`/events?user_id=${user.id}`);
    assert.equal(listed.status, 200);
    assert.equal(listed.headers.get('content-type'), 'application/json');
    assert.equal(listed.headers.get('cache-control'), 'no-store');
    assert.deepEqual(listed.json.pagination, { total_count: 5, max_page: 1 });
    const none = { client_id: null, organization_id: null, ip: null };
    const family = (await server.borealis.ctx.store.tokens.findByAccess(server.borealis.ctx.credentials.tokenKey(tokens.access_token)))?.familyId;
    assert.deepEqual(withoutIds(listed.json.items), [
      { ...none, type: 'password.changed', user_id: user.id, details: { by: 'operator', tokens_revoked: true } },
      { ...none, type: 'user.unblocked', user_id: user.id, details: {} },
      { ...none, type: 'user.blocked', user_id: user.id, details: {} },
      { ...none, type: 'refresh_token.reuse_detected', user_id: user.id, client_id: client.clientId, details: { family_id: family } },
      { ...none, type: 'sign_in.succeeded', user_id: user.id, ip: '127.0.0.1', details: {} },
    ]);
    const ids = listed.json.items.map((e: { id: string }) => e.id);
    assert.deepEqual([...ids].sort().reverse(), ids, 'newest first is descending id order');

    // Filters together; a page of one; a page past the last.
    const reuse = await admin(`/events?client_id=${client.clientId}&type=refresh_token.reuse_detected`);
    assert.deepEqual(withoutIds(reuse.json.items).map((e) => e.type), ['refresh_token.reuse_detected']);
    const second = await admin(`/events?user_id=${user.id}&page=2&limit=1`);
    assert.deepEqual(second.json, { items: [listed.json.items[1]], pagination: { total_count: 5, max_page: 5 } });
    assert.deepEqual((await admin(`/events?user_id=${user.id}&page=9`)).json, { items: [], pagination: { total_count: 5, max_page: 1 } });
    const failed = await admin('/events?type=sign_in.failed');
    assert.deepEqual(failed.json, { items: [], pagination: { total_count: 0, max_page: 0 } });
  });

  test("bad input: FastAPI's 422 for a page, no match for a NUL, 401 without the token, 405 for a write", async () => {
    const bad = await admin('/events?page=0&limit=x');
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json, {
      error: 'RequestValidationError',
      detail: [
        { type: 'greater_than', loc: ['query', 'page'], msg: 'Input should be greater than 0', input: '0', ctx: { gt: 0 } },
        { type: 'int_parsing', loc: ['query', 'limit'], msg: 'Input should be a valid integer, unable to parse string as an integer', input: 'x' },
      ],
    });
    const nul = await admin('/events?user_id=%00');
    assert.deepEqual([nul.status, nul.json], [200, { items: [], pagination: { total_count: 0, max_page: 0 } }]);
    const anonymous = await admin('/events', {}, 'wrong-token');
    assert.deepEqual([anonymous.status, anonymous.json], [401, { detail: 'Unauthorized' }]);
    const post = await admin('/events', { method: 'POST' });
    assert.deepEqual([post.status, post.headers.get('allow'), post.json], [405, 'GET, HEAD', { detail: 'Method Not Allowed' }]);
  });

  test('/settings/security-log: the signed-in person reads their own events in words, fifty a page', async () => {
    const [user, stranger] = [await aUser(server), await aUser(server)];
    const client = await aClient(server, { client_name: 'Log <App>' });
    const cookie = await signIn(server, user);
    await signIn(server, stranger);
    server.borealis.ctx.audit.record({ audit: 'consent.revoked', client_id: client.clientId, user_id: user.id });
    server.borealis.ctx.audit.record({ audit: 'consent.revoked', client_id: 'polar_ci_gone', user_id: user.id });
    await settled();
    const page = async (query = '') => {
      const response = await fetch(`${server.url}/settings/security-log${query}`, { headers: { cookie }, redirect: 'manual' });
      return { status: response.status, body: await response.text() };
    };
    const first = await page();
    assert.equal(first.status, 200);
    const rows = [...first.body.matchAll(/<tr><td><time datetime="[^"]+">[^<]+<\/time><\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [m[1], m[2]]);
    const dash = '<span class="muted">—</span>';
    assert.deepEqual(rows, [
      ['You ended the access of an app since deleted', dash],
      ['You ended the access of <strong>Log &lt;App&gt;</strong>', dash],
      ['Signed in', '127.0.0.1'],
    ]);
    assert.equal(first.body.includes('Older'), false);

    for (let i = 0; i < 50; i++) server.borealis.ctx.audit.record({ audit: 'email.verification_sent', user_id: user.id });
    await settled();
    const newest = await page();
    assert.equal((newest.body.match(/<tr><td>/g) ?? []).length, 50);
    assert.match(newest.body, /<a href="\/settings\/security-log\?page=2">Older<\/a>/);
    const older = await page('?page=2');
    assert.equal((older.body.match(/<tr><td>/g) ?? []).length, 3);
    assert.match(older.body, /<a href="\/settings\/security-log\?page=1">Newer<\/a>/);
    assert.equal((await page('?page=abc')).body, (await page()).body, 'a page that is no number is the first');

    const signedOut = await fetch(`${server.url}/settings/security-log`, { redirect: 'manual' });
    assert.deepEqual([signedOut.status, signedOut.headers.get('location')], [303, '/login?return_to=%2Fsettings%2Fsecurity-log']);
    const account = await (await fetch(`${server.url}/settings/account`, { headers: { cookie } })).text();
    assert.match(account, /<a href="\/settings\/security-log">security log<\/a>/);
  });

  test('BOREALIS_SECURITY_EVENT_DAYS=0: nothing is stored, and there is no page for it', async () => {
    const plain = await startServer({ env: { BOREALIS_SECURITY_EVENT_DAYS: '0', BOREALIS_ADMIN_TOKEN: TOKEN } });
    try {
      const user = await aUser(plain);
      const cookie = await signIn(plain, user);
      await plain.borealis.ctx.audit.settled();
      assert.deepEqual(await plain.borealis.ctx.store.securityEvents.list({ userId: user.id }, 0, 10), { items: [], total: 0 });
      assert.equal((await fetch(`${plain.url}/settings/security-log`, { headers: { cookie } })).status, 404);
      const account = await (await fetch(`${plain.url}/settings/account`, { headers: { cookie } })).text();
      assert.equal(account.includes('security-log'), false);
    } finally {
      await plain.close();
    }
  });
});
