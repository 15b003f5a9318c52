/**
 * Stopping `borealis serve` (SIGTERM, as an orchestrator does) while a keep-alive connection is
 * busy: the request in flight is answered, and the process exits without waiting out the
 * connection's keep-alive timeout (72 s), well inside a container's grace period.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TEST_SECRET, type TestDatabase, freePort, freshDatabase } from '../support/server.js';

describe('borealis serve: SIGTERM', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'borealis-stop-'));
  });
  after(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a request in flight on a keep-alive connection is answered, then the process exits (not after 72 s)', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['bin/borealis.js', 'serve', '--port', String(port), '--database', database.url], {
      env: { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir, HOST: '127.0.0.1' },
      stdio: 'ignore',
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; ; i++) {
        try {
          await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
          break;
        } catch (error) {
          if (i > 200) throw error;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const request = (method: string, path: string, body = '') =>
        new Promise<number | string>((resolve) => {
          const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body) };
          const req = http.request({ host: '127.0.0.1', port, path, method, agent, headers }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          req.end(body);
        });
      assert.equal(await request('GET', '/.well-known/jwks.json'), 200);
      // A sign-in checks a password (scrypt): the connection is busy when SIGTERM arrives.
      const inFlight = request('POST', '/login', 'email=nobody%40example.com&password=not-the-password&return_to=%2F');
      setTimeout(() => child.kill('SIGTERM'), 5);
      assert.equal(await inFlight, 401);
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 9 s'), 9000).unref());
      assert.equal(await Promise.race([exited, timeout]), 0);
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
