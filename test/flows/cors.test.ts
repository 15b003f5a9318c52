/**
 * CORS on the API (src/http/cors.ts): any origin, never credentials, as Polar's API answers
 * browsers from other origins. test/browser/cors.test.ts runs a single-page app's calls in Chromium.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const ORIGIN = 'https://spa.example';
const PREFLIGHT_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT',
  'access-control-max-age': '600',
  'access-control-allow-headers': 'Accept, Accept-Language, Authorization, Content-Language, Content-Type',
  'content-type': 'text/plain; charset=utf-8',
};

describe('CORS', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const preflight = async (path: string, method: string, headers?: string) => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: ORIGIN, 'access-control-request-method': method, ...(headers ? { 'access-control-request-headers': headers } : {}) },
    });
    const picked = Object.fromEntries(Object.keys(PREFLIGHT_HEADERS).map((h) => [h, response.headers.get(h)]));
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
    return { status: response.status, headers: picked, text: await response.text() };
  };

  test('a preflight for the API: 200 OK allowing every method and the Authorization header, for 600 s', async () => {
    for (const [path, method, headers] of [
      ['/v1/oauth2/token', 'POST', 'content-type'],
      ['/v1/oauth2/userinfo', 'GET', 'Authorization'],
      ['/v1/oauth2/register', 'POST', 'authorization, content-type'],
      ['/.well-known/jwks.json', 'GET', undefined],
    ] as const) {
      assert.deepEqual(await preflight(path, method, headers), { status: 200, headers: PREFLIGHT_HEADERS, text: 'OK' }, path);
    }
  });

  test('a preflight asking for another header or method: 400 naming it', async () => {
    assert.deepEqual(await preflight('/v1/oauth2/token', 'POST', 'content-type, x-custom'), { status: 400, headers: PREFLIGHT_HEADERS, text: 'Disallowed CORS headers' });
    assert.deepEqual(await preflight('/v1/oauth2/token', 'TRACE', 'x-custom'), { status: 400, headers: PREFLIGHT_HEADERS, text: 'Disallowed CORS method, headers' });
  });

  test('answers to another origin carry Access-Control-Allow-Origin: *, errors too; never credentials', async () => {
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const calls: [string, RequestInit, number][] = [
      ['/.well-known/openid-configuration', {}, 200],
      ['/.well-known/jwks.json', {}, 200],
      ['/v1/oauth2/userinfo', { headers: { authorization: `Bearer ${tokens.access_token}` } }, 200],
      ['/v1/oauth2/userinfo', {}, 401],
      ['/v1/oauth2/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'nope' }) }, 400],
      // Refused before routing (an undecodable path): no hook ran, the header is still there.
      ['/v1/oauth2/%E0%A4%A', {}, 400],
      ['/v1/oauth2/nothing-here', {}, 404],
    ];
    for (const [path, init, status] of calls) {
      const response = await fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), origin: ORIGIN } });
      assert.equal(response.status, status, path);
      assert.equal(response.headers.get('access-control-allow-origin'), '*', path);
      // Not Starlette's: a browser app may read a 401's challenge and a 503's Retry-After (compatibility.md).
      assert.equal(response.headers.get('access-control-expose-headers'), 'WWW-Authenticate, Retry-After', path);
      assert.equal(response.headers.get('access-control-allow-credentials'), null, path);
      assert.equal(response.headers.get('vary'), null, path);
    }
  });

  test('with cookies, the origin is named instead of *, still without credentials (so a browser will not expose it)', async () => {
    const cookie = await signIn(server, await aUser(server));
    const response = await fetch(`${server.url}/v1/oauth2/`, { headers: { origin: ORIGIN, cookie } });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('access-control-allow-origin'), ORIGIN);
    assert.equal(response.headers.get('vary'), 'Origin');
    assert.equal(response.headers.get('access-control-allow-credentials'), null);
  });

  test('no Origin, or a page rather than the API: no CORS headers', async () => {
    const plain = await fetch(`${server.url}/.well-known/jwks.json`);
    assert.equal(plain.headers.get('access-control-allow-origin'), null);
    const page = await fetch(`${server.url}/login`, { headers: { origin: ORIGIN } });
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('access-control-allow-origin'), null);
    const pagePreflight = await fetch(`${server.url}/login`, { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    assert.equal(pagePreflight.headers.get('access-control-allow-origin'), null);
  });
});
