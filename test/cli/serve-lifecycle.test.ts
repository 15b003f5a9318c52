/**
 * `borealis serve`'s life cycle, as an orchestrator drives it: at start it removes what has
 * expired (§5.5), not only an hour later; stopped (SIGTERM) while a keep-alive connection is
 * busy, it answers the request in flight and exits without waiting out the connection's
 * keep-alive timeout (72 s), well inside a container's grace period.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrations } from '../../src/store/sql/migrate.js';
import { openStore } from '../../src/store/sql/index.js';
import { TEST_SECRET, type TestDatabase, freePort, freshDatabase } from '../support/server.js';
import { aSession, aUser, hex64 } from '../store/fixtures.js';

describe('borealis serve: start and stop', () => {
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

  const serve = (port: number) =>
    spawn(process.execPath, ['bin/borealis.js', 'serve', '--port', String(port), '--database', database.url], {
      env: { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir, HOST: '127.0.0.1' },
      stdio: 'ignore',
    });

  test('at start, what has expired is removed at once (an instance restarted hourly would never clean otherwise)', async () => {
    const store = await openStore(database.url, { migrate: true });
    const user = aUser();
    await store.users.create(user);
    const now = Math.floor(Date.now() / 1000);
    const expired = hex64();
    await store.sessions.create(aSession(user.id, { createdAt: now - 100, expiresAt: now - 10 }), expired);
    const child = serve(await freePort());
    try {
      for (let i = 0; (await store.sessions.findActive(expired, now - 20)) !== undefined; i++) {
        if (i > 100) assert.fail('the expired session is still stored 10 s after the start');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await store.close();
    }
  });

  test('an upgrade shows in the log: the migrations a start applied, and none at the next start', async () => {
    const fresh = await freshDatabase();
    /** The messages logged by a `serve` on `fresh` up to its listening line; then it is stopped. */
    const startLog = async () => {
      const child = spawn(process.execPath, ['bin/borealis.js', 'serve', '--port', String(await freePort()), '--database', fresh.url], {
        env: { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const lines: { msg: string; migrations?: number[] }[] = [];
      let buffered = '';
      await new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
        child.stdout!.on('data', (chunk: Buffer) => {
          buffered += chunk.toString();
          const complete = buffered.split('\n');
          buffered = complete.pop()!;
          for (const line of complete) {
            const entry = JSON.parse(line) as { msg: string; migrations?: number[] };
            lines.push(entry);
            if (entry.msg.startsWith('Borealis listening')) resolve();
          }
        });
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      return lines.filter((l) => l.msg === 'applied database migrations').map((l) => l.migrations);
    };
    try {
      assert.deepEqual(await startLog(), [migrations.map((m) => m.version)]);
      assert.deepEqual(await startLog(), []);
    } finally {
      await fresh.drop();
    }
  });

  test('a request in flight on a keep-alive connection is answered, then the process exits (not after 72 s)', async () => {
    const port = await freePort();
    const child = serve(port);
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
      assert.equal(await inFlight, 400);
      const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('still running after 9 s'), 9000).unref());
      assert.equal(await Promise.race([exited, timeout]), 0);
    } finally {
      agent.destroy();
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
