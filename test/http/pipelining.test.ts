/**
 * HTTP/1.1 pipelining (RFC 9112 §9.3.2): requests written back to back on one connection are
 * answered in order. A malformed request behind valid ones ends the connection with a 400, but
 * only after their answers: they have run (a code spent, a token issued), and a client that never
 * sees their answers has lost what they did.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { aClient, aUser, form, obtainCode, REDIRECT_URI, signIn } from '../support/fixtures.js';
import { exchangeRaw, statusLines } from '../support/raw-http.js';
import { type TestServer, startServer } from '../support/server.js';

let server: TestServer;
before(async () => {
  server = await startServer();
});
after(() => server.close());

const MALFORMED = 'GET /health/live HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n';

test('a malformed request behind a code exchange and a probe: their answers first, in order, then 400 and close', async () => {
  const client = await aClient(server);
  const { code } = await obtainCode(server, client, await signIn(server, await aUser(server)));
  const body = form({ grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI }).toString();
  const exchange = `POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const probe = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';

  const answer = await exchangeRaw(server, exchange + probe + MALFORMED);
  assert.deepEqual(statusLines(answer), [200, 200, 400], answer);
  const tokens = /"access_token": "(polar_at_u_[^"]+)"/.exec(answer);
  assert.ok(tokens, answer);
  // The token the client received works.
  const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens[1]}` } });
  assert.equal(userinfo.status, 200);
});

test('a malformed request alone: 400 and close, as before', async () => {
  assert.deepEqual(statusLines(await exchangeRaw(server, MALFORMED)), [400]);
});

test("a body that breaks its framing behind a probe: the probe's answer, then 400 and close", async () => {
  const probe = 'GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n';
  const broken = 'POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n';
  assert.deepEqual(statusLines(await exchangeRaw(server, probe + broken)), [200, 400]);
});

// A client that pipelines, breaks the stream, then never reads its answers and keeps sending:
// the server stops reading (each chunk of a broken stream would otherwise be held until the
// answers went out, which they never do) and cuts the connection off within CLOSING_MS (10 s).
test('after a malformed request the server reads no more, and cuts off a client that never reads its answers', { timeout: 30_000 }, async () => {
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.pause(); // never read
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.on('error', () => {});
  socket.write('GET /assets/style.css HTTP/1.1\r\nHost:x\r\n\r\n'.repeat(1500) + MALFORMED);
  const junk = Buffer.alloc(64 * 1024, 'x');
  const started = Date.now();
  while (Date.now() - started < 3000 && !socket.destroyed) {
    if (!socket.write(junk)) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const accepted = socket.bytesWritten;
  assert.ok(accepted < 64 * 1024 * 1024, `the server kept reading: ${accepted} bytes taken`);
  const took = (await closed) - started;
  assert.ok(took < 16_000, `closed after ${took} ms`);
});
