/**
 * What `borealis serve` writes to its log: never a credential (README, LOG_LEVEL). A client may put
 * one in the query string by mistake (a `web` grant's `session_token`), and Fastify logged each
 * request's whole URL; at trace it logged a malformed request's raw bytes, headers and body.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/store/sql/db.js';
import { TEST_SECRET, type TestDatabase, freePort, freshDatabase, untilServing } from '../support/server.js';

const SECRET_VALUE = 'polar_us_LoggedNowhere0123456789abcdefghijklmnopq';
const BASIC = Buffer.from('polar_ci_someone:polar_cs_NeverInTheLog').toString('base64');

describe('borealis serve: the log holds no credential', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'borealis-logs-'));
  });
  after(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Runs the server at `level`, lets `work` talk to it, and returns everything it logged. */
  async function logged(level: string, work: (url: string, port: number) => Promise<void>): Promise<string> {
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, ['bin/borealis.js', 'serve', '--port', String(port), '--database', database.url], {
      env: { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir, HOST: '127.0.0.1', LOG_LEVEL: level },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += chunk));
    child.stderr?.on('data', (chunk) => (output += chunk));
    const url = `http://127.0.0.1:${port}`;
    try {
      await untilServing(url);
      await work(url, port);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    return output;
  }

  test('a request is logged by its path alone: a session_token in the query string stays out', async () => {
    const output = await logged('info', async (url) => {
      const response = await fetch(`${url}/v1/oauth2/token?grant_type=web&session_token=${SECRET_VALUE}`, {
        method: 'POST',
        headers: { authorization: `Basic ${BASIC}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'scope=openid',
      });
      assert.equal(response.status, 401);
    });
    assert.match(output, /"url":"\/v1\/oauth2\/token"/);
    assert.ok(!output.includes('LoggedNowhere'), output);
    assert.ok(!output.includes(BASIC), output);
  });

  test('health probes leave no line at info; a failed readiness check leaves one, with its reason', async () => {
    const output = await logged('info', async (url) => {
      for (let i = 0; i < 3; i++) assert.equal((await fetch(`${url}/health/live`)).status, 200);
      assert.equal((await fetch(`${url}/health/ready`)).status, 200);
      const db = await openDb(database.url);
      await db.exec('ALTER TABLE schema_migrations RENAME TO schema_migrations_away');
      try {
        assert.equal((await fetch(`${url}/health/ready`)).status, 503);
      } finally {
        await db.exec('ALTER TABLE schema_migrations_away RENAME TO schema_migrations');
        await db.close();
      }
    });
    // Neither the probes' requests nor their answers (Fastify's info lines) were logged.
    assert.ok(!output.includes('/health/'), output);
    assert.match(output, /"level":40,.*schema_migrations.*"msg":"not ready: the database did not answer"/);
  });

  test('at trace, a malformed request is answered 400 and none of its bytes are logged', async () => {
    let answer = '';
    const output = await logged('trace', async (_url, port) => {
      answer = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`POST /v1/oauth2/token HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${BASIC}\r\nCookie: polar_session=${SECRET_VALUE}\r\nBad Header\r\n\r\n`);
        });
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    });
    assert.match(answer, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.ok(!output.includes('LoggedNowhere') && !output.includes(BASIC), output);
    assert.ok(!output.includes('rawPacket'), output);
  });

  test('a failed sign-in is one audit line at info, with the address and no email or password', async () => {
    const email = 'audited-nobody@example.com';
    const output = await logged('info', async (url) => {
      const response = await fetch(`${url}/login`, { method: 'POST', body: new URLSearchParams({ email, password: 'AuditedPassword', return_to: '/' }), redirect: 'manual' });
      assert.equal(response.status, 400);
    });
    const lines = output.split('\n').filter((line) => line.includes('"audit"')).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map(({ level, audit, reason, ip, msg }) => ({ level, audit, reason, ip, msg })), [
      { level: 30, audit: 'sign_in.failed', reason: 'wrong_credentials', ip: '127.0.0.1', msg: 'sign_in.failed' },
    ]);
    assert.ok(!output.includes(email) && !output.includes('AuditedPassword'), output);
  });
});
