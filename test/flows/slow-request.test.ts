/**
 * A client that announces a body and never finishes sending it (src/http/app.ts,
 * REQUEST_TIMEOUT_MS): answered 408 and disconnected, instead of holding its connection for good.
 * It waits out the real limit (30 s, checked every 5 s), in a file of its own so that other files
 * run meanwhile.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { REQUEST_TIMEOUT_MS } from '../../src/http/app.js';
import { type TestServer, startServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

test('a body that never arrives: 408 and the connection closed, within the request timeout', { timeout: 60_000 }, async () => {
  const { port } = new URL(server.url);
  const started = Date.now();
  const answer = await new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => {
      socket.write('POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 60000\r\n\r\ngrant_type=');
    });
    let text = '';
    socket.on('data', (chunk) => (text += chunk));
    socket.on('close', () => resolve(text));
    socket.on('error', reject);
  });
  const took = Date.now() - started;
  assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  assert.ok(took >= REQUEST_TIMEOUT_MS - 1000 && took < REQUEST_TIMEOUT_MS + 10_000, `closed after ${took} ms`);
  // Meanwhile, and after, the server answers everyone else.
  assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
});
