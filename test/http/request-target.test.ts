/**
 * Request lines browsers do not send but HTTP/1.1 allows: a target in absolute form is the same
 * request as its origin form (RFC 9112 §3.2.2), and a method a path does not support is 405 with
 * every method it does in `Allow` (RFC 9110 §15.5.6), as FastAPI answers.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { exchangeRaw, statusLines } from '../support/raw-http.js';
import { type TestServer, startServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const headerOf = (answer: string, name: string) => new RegExp(`\r\n${name}: ([^\r]*)\r\n`, 'i').exec(answer)?.[1];

test('absolute form: the same answer, CORS included, as the origin form', async () => {
  const { host } = new URL(server.url);
  for (const target of ['/.well-known/jwks.json', `http://${host}/.well-known/jwks.json`]) {
    const answer = await exchangeRaw(server, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://spa.example\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(statusLines(answer), [200], target);
    assert.equal(headerOf(answer, 'access-control-allow-origin'), '*', target);
  }
  const preflight = `OPTIONS http://${host}/v1/oauth2/token HTTP/1.1\r\nHost: ${host}\r\nOrigin: https://spa.example\r\nAccess-Control-Request-Method: POST\r\nConnection: close\r\n\r\n`;
  const answer = await exchangeRaw(server, preflight);
  assert.equal(statusLines(answer)[0], (await fetch(`${server.url}/v1/oauth2/token`, { method: 'OPTIONS', headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST' } })).status);
  assert.equal(headerOf(answer, 'access-control-allow-origin'), '*');
});

test('TRACE and QUERY, which fetch cannot send, are 405 where a path does not take them', async () => {
  for (const [method, path, allow] of [
    ['TRACE', '/v1/oauth2/token', 'POST'],
    ['QUERY', '/.well-known/jwks.json', 'GET, HEAD'],
  ] as const) {
    const body = method === 'QUERY' ? 'Content-Type: text/plain\r\nContent-Length: 1\r\n\r\nx' : '\r\n';
    const answer = await exchangeRaw(server, `${method} ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${body}`);
    assert.deepEqual(statusLines(answer), [405], `${method} ${path}`);
    assert.equal(headerOf(answer, 'allow'), allow);
    assert.ok(answer.endsWith('{"detail":"Method Not Allowed"}'), answer);
  }
});

test('absolute form without a host, or with userinfo, names nothing here: 404 (RFC 9110 §4.2.1, §4.2.4)', async () => {
  for (const target of ['http:///.well-known/jwks.json', 'http://a@b/.well-known/jwks.json']) {
    const answer = await exchangeRaw(server, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(statusLines(answer), [404], target);
  }
});
