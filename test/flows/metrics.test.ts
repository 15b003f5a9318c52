/**
 * GET /metrics (src/http/metrics.ts, routes/metrics.ts): Prometheus's text format for a scraper
 * holding BOREALIS_METRICS_TOKEN; nothing at all without it. Figures are read off the exposition
 * text after real requests through the real server. `serve --workers` sums its workers'
 * figures: test/cli/workers.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { aClient, aUser, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { seriesOf, seriesValue } from '../support/prometheus.js';
import { exchangeRaw, statusLines } from '../support/raw-http.js';
import { ENGINE, TEST_SECRET, type TestServer, startServer } from '../support/server.js';

const METRICS_TOKEN = 'metrics-test-token-0123456789abcdefghij';
const UNAUTHORIZED = { status: 401, body: '{"detail":"Unauthorized"}', challenge: 'Bearer realm="borealis-metrics"' };

describe(`metrics (${ENGINE})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_METRICS_TOKEN: METRICS_TOKEN } });
  });
  after(() => server.close());

  /** `null`: no Authorization header (an `undefined` argument would take the default). */
  const scrape = async (authorization: string | null = `Bearer ${METRICS_TOKEN}`) => {
    const response = await fetch(`${server.url}/metrics`, { headers: authorization === null ? {} : { authorization } });
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      challenge: response.headers.get('www-authenticate'),
      body: await response.text(),
    };
  };

  test('without the token, or with another, 401 and nothing of the figures', async () => {
    for (const authorization of [null, 'Bearer wrong-token', `Basic ${Buffer.from(`x:${METRICS_TOKEN}`).toString('base64')}`, `Bearer ${METRICS_TOKEN}x`, METRICS_TOKEN]) {
      const answer = await scrape(authorization);
      assert.deepEqual({ status: answer.status, body: answer.body, challenge: answer.challenge }, UNAUTHORIZED, String(authorization));
    }
  });

  test("the scraper's token: Prometheus's text format, never cached, with the process's own figures", async () => {
    const answer = await scrape(`bearer ${METRICS_TOKEN}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.contentType, 'text/plain; version=0.0.4; charset=utf-8');
    assert.equal(answer.cacheControl, 'no-store');
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
      assert.match(answer.body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  test('requests are counted and timed by route pattern and status, never by the path sent', async () => {
    const client = await aClient(server);
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const tokens = await tokensFor(server, client, cookie);
    const refresh = { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: tokens.refresh_token as string };
    const before = (await scrape()).body;
    const count = (text: string, status: number) => seriesValue(text, `borealis_http_requests_total{method="POST",route="/v1/oauth2/token",status_code="${status}"}`) ?? 0;
    const timed = (text: string) => seriesValue(text, 'borealis_http_request_duration_seconds_count{method="POST",route="/v1/oauth2/token"}') ?? 0;

    assert.equal((await postToken(server, refresh)).status, 200);
    assert.equal((await postToken(server, { ...refresh, client_secret: 'wrong' })).status, 401);
    assert.equal((await postToken(server, { ...refresh, client_secret: 'wrong' })).status, 401);
    const secretPath = `/v1/oauth2/register/${randomUUID()}-secret-looking-path`;
    assert.equal((await fetch(`${server.url}/nowhere/${randomUUID()}`)).status, 404);
    // Neither a session nor a registration access token: 400 access_denied (polar-oauth2.md §3.12).
    assert.equal((await fetch(`${server.url}${secretPath}`)).status, 400);

    const now = (await scrape()).body;
    assert.equal(count(now, 200) - count(before, 200), 1);
    assert.equal(count(now, 401) - count(before, 401), 2);
    assert.equal(timed(now) - timed(before), 3);
    assert.ok((seriesValue(now, 'borealis_http_requests_total{method="GET",route="unmatched",status_code="404"}') ?? 0) >= 1);
    assert.equal(seriesValue(now, 'borealis_http_requests_total{method="GET",route="/v1/oauth2/register/:client_id",status_code="400"}'), 1);
    assert.ok(!now.includes('secret-looking-path') && !now.includes('/nowhere/'), 'no path as sent');
    // A histogram's buckets are cumulative: the last one counts every request timed.
    assert.equal(seriesValue(now, 'borealis_http_request_duration_seconds_bucket{le="+Inf",method="POST",route="/v1/oauth2/token"}'), timed(now));
  });

  test('every security event has its series from the start, at 0, so that its first occurrence is an increase', async () => {
    const events = seriesOf((await scrape()).body, 'borealis_security_events_total');
    const names = events.map((e) => e.labels.event);
    assert.ok(names.length >= 20 && names.includes('refresh_token.reuse_detected') && names.includes('sign_in.failed'), names.join());
    assert.equal(seriesValue((await scrape()).body, 'borealis_security_events_total{event="authorization_code.reuse_detected"}'), 0);
  });

  test('security events are counted by name, with no id, address or credential in any label', async () => {
    const name = 'borealis_security_events_total{event="sign_in.succeeded"}';
    const before = seriesValue((await scrape()).body, name) ?? 0;
    const user = await aUser(server);
    await signIn(server, user);
    await signIn(server, user);
    const now = (await scrape()).body;
    assert.equal((seriesValue(now, name) ?? 0) - before, 2);
    assert.ok(!now.includes(user.id) && !now.includes(user.email) && !now.includes('127.0.0.1'));
  });

  test('requests Node refuses before routing are counted by status: not HTTP (400), headers too large (431)', async () => {
    const name = (status: number) => `borealis_http_malformed_requests_total{status_code="${status}"}`;
    const before = (await scrape()).body;
    assert.deepEqual([400, 408, 431].map((status) => seriesValue(before, name(status)) !== undefined), [true, true, true], 'each series exists from the start');
    assert.deepEqual(statusLines(await exchangeRaw(server, 'NOT HTTP AT ALL\r\n\r\n')), [400]);
    assert.deepEqual(statusLines(await exchangeRaw(server, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`)), [431]);
    // A good request before the bad one on the same connection: one answer each, one count.
    assert.deepEqual(statusLines(await exchangeRaw(server, 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\nBROKEN\r\n\r\n')), [200, 400]);
    const after = (await scrape()).body;
    const added = (status: number) => (seriesValue(after, name(status)) ?? 0) - (seriesValue(before, name(status)) ?? 0);
    assert.deepEqual([added(400), added(408), added(431)], [2, 0, 1]);
  });
});

describe(`metrics off (${ENGINE})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('without BOREALIS_METRICS_TOKEN there is no /metrics: 404, whatever is presented', async () => {
    for (const headers of [{}, { authorization: `Bearer ${METRICS_TOKEN}` }] as Record<string, string>[]) {
      const response = await fetch(`${server.url}/metrics`, { headers });
      assert.equal(response.status, 404);
      assert.equal(await response.text(), '{"detail":"Not Found"}');
    }
  });

  test('a metrics token too short to be safe, or with characters a header mangles, is refused at start', () => {
    const base = { BOREALIS_SECRET: TEST_SECRET, DATABASE_URL: ':memory:' };
    for (const value of ['short', `${'a'.repeat(40)} b`, `${'é'.repeat(40)}`]) {
      assert.throws(() => loadConfig({ ...base, BOREALIS_METRICS_TOKEN: value }, {}, () => {}), /BOREALIS_METRICS_TOKEN must be at least 32 characters/);
    }
    assert.equal(loadConfig({ ...base, BOREALIS_METRICS_TOKEN: '' }, {}, () => {}).metricsToken, undefined);
    assert.throws(() => loadConfig({ ...base, BOREALIS_METRICS_TOKEN: METRICS_TOKEN, BOREALIS_ADMIN_TOKEN: METRICS_TOKEN }, {}, () => {}), /BOREALIS_METRICS_TOKEN must differ from BOREALIS_ADMIN_TOKEN/);
  });
});
