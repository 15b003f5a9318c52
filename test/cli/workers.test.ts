/**
 * `borealis serve --workers N` (node:cluster), run as an operator runs it: one primary, N workers
 * on one port, over the same database as an in-process server the fixtures use. On SQLite this
 * is several processes writing one WAL file; on PostgreSQL several pools.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { workerThreadpool } from '../../src/cli/workers.js';
import { openDb } from '../../src/store/sql/db.js';
import { type TestClient, aClient, aUser, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { TEST_SECRET, type TestServer, freePort, startServer } from '../support/server.js';
import { seriesOf } from '../support/prometheus.js';

const METRICS_TOKEN = 'workers-test-metrics-token-0123456789abcdef';

/** A GET on a connection of its own: node:cluster hands each connection to the next worker. */
const getAlone = (url: string, headers: Record<string, string> = {}) =>
  new Promise<{ status: number; body: string }>((resolve, reject) => {
    get(url, { agent: false, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    }).on('error', reject);
  });

interface Cluster {
  url: string;
  child: ChildProcess;
  /** Worker pids from their "listening" log lines, in order of appearance. */
  workers: number[];
  /** Worker pids the primary has logged as exited. */
  exitedWorkers: number[];
  exited: Promise<number | null>;
  waitForWorkers(count: number): Promise<void>;
}

function startCluster(server: TestServer, port: number, workers: string, dataDir: string): Cluster {
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE; // as an operator who never heard of it runs it
  delete env.BOREALIS_THREADPOOL_DEFAULT;
  const child = spawn(process.execPath, ['bin/borealis.js', 'serve', '--workers', workers, '--port', String(port), '--database', server.database.url], {
    env: { ...env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir, BOREALIS_PUBLIC_URL: server.url, LOG_LEVEL: 'info', HOST: '127.0.0.1', BOREALIS_METRICS_TOKEN: METRICS_TOKEN },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const cluster: Cluster = {
    url: `http://127.0.0.1:${port}`,
    child,
    workers: [],
    exitedWorkers: [],
    exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    async waitForWorkers(count) {
      for (let i = 0; cluster.workers.length < count; i++) {
        if (child.exitCode !== null) throw new Error(`cluster exited ${child.exitCode}`);
        if (i > 300) throw new Error(`only ${cluster.workers.length} of ${count} workers started`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
  let buffered = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const listening = /Borealis listening .*worker \d+ \(pid (\d+)\)/.exec(line);
      if (listening) cluster.workers.push(Number(listening[1]));
      const gone = /"worker":(\d+).*worker exited; starting a replacement/.exec(line);
      if (gone) cluster.exitedWorkers.push(Number(gone[1]));
    }
  });
  child.stderr!.resume();
  return cluster;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('borealis serve --workers', () => {
  let server: TestServer;
  let cluster: Cluster;
  let client: TestClient;
  let cookie: string;
  const dataDir = mkdtempSync(join(tmpdir(), 'borealis-workers-'));

  before(async () => {
    server = await startServer();
    cluster = startCluster(server, await freePort(), '2', dataDir);
    await cluster.waitForWorkers(2);
    client = await aClient(server);
    cookie = await signIn(server, await aUser(server));
  });
  after(async () => {
    if (cluster.child.exitCode === null) cluster.child.kill('SIGKILL');
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('two workers share one port; 50 parallel refreshes through it give one answer and one new pair (D4)', async () => {
    assert.equal(new Set(cluster.workers).size, 2);
    const first = await tokensFor(server, client, cookie);
    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        postToken({ url: cluster.url } as TestServer, {
          grant_type: 'refresh_token',
          client_id: client.clientId,
          client_secret: client.clientSecret,
          refresh_token: first.refresh_token as string,
        }),
      ),
    );
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(results.map((r) => r.text)).size, 1);
    const { ctx } = server.borealis;
    const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(first.access_token));
    const db = await openDb(server.database.url);
    try {
      const family = await db.all<{ id: string }>('SELECT id FROM oauth2_tokens WHERE family_id = ?', [row!.familyId]);
      assert.equal(family.length, 2);
    } finally {
      await db.close();
    }
  });

  test("each worker starts with its share of the cores for libuv's pool (cli/workers.ts)", (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc/<pid>/environ, which only Linux has');
    for (const pid of cluster.workers) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.ok(environ.includes(`UV_THREADPOOL_SIZE=${workerThreadpool(availableParallelism(), 2)}`), `worker ${pid}`);
    }
  });

  test("one scrape through the port answers for every worker, each series labelled with its worker", async () => {
    const jwks = { method: 'GET', route: '/.well-known/jwks.json', status_code: '200' };
    const scrape = async () => {
      const answer = await getAlone(`${cluster.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` });
      assert.equal(answer.status, 200);
      return seriesOf(answer.body, 'borealis_http_requests_total', jwks);
    };
    const total = (series: { value: number }[]) => series.reduce((sum, s) => sum + s.value, 0);
    const before = total(await scrape());
    // Twelve connections, handed out in turn: each worker serves about half of them.
    for (let i = 0; i < 12; i++) assert.equal((await getAlone(`${cluster.url}/.well-known/jwks.json`)).status, 200);
    for (let i = 0; i < 4; i++) {
      const series = await scrape();
      assert.equal(total(series), before + 12, `scrape ${i}`);
      assert.equal(new Set(series.map((s) => s.labels.worker)).size, 2, 'one series per worker');
    }
    assert.equal((await getAlone(`${cluster.url}/metrics`)).status, 401);
  });

  test('a worker that dies is replaced and the port keeps answering', async () => {
    const victim = cluster.workers[0]!;
    process.kill(victim, 'SIGKILL');
    // Until the primary has seen the exit, node:cluster may still hand it a connection, which
    // then waits for an answer that never comes (a crash's cost, not the scrape's).
    for (let i = 0; !cluster.exitedWorkers.includes(victim); i++) {
      if (i > 300) throw new Error('the primary did not see the worker exit');
      await new Promise((r) => setTimeout(r, 10));
    }
    // While its replacement starts (no answer to the primary yet), a scrape still answers.
    assert.equal((await getAlone(`${cluster.url}/metrics`, { authorization: `Bearer ${METRICS_TOKEN}` })).status, 200);
    await cluster.waitForWorkers(3);
    const replacement = cluster.workers[2]!;
    assert.notEqual(replacement, victim);
    assert.ok(alive(replacement));
    for (let i = 0; i < 6; i++) assert.equal((await fetch(`${cluster.url}/.well-known/jwks.json`)).status, 200);
  });

  test('SIGTERM to the primary stops every worker and exits 0', async () => {
    const workers = cluster.workers.filter(alive);
    assert.equal(workers.length, 2);
    cluster.child.kill('SIGTERM');
    assert.equal(await cluster.exited, 0);
    assert.deepEqual(workers.filter(alive), []);
  });

  test('workers that cannot start (port taken) stop the primary with exit 1 instead of a restart loop', async () => {
    const taken = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve));
    try {
      const failing = startCluster(server, port, '2', dataDir);
      assert.equal(await failing.exited, 1);
      assert.deepEqual(failing.workers, []);
    } finally {
      taken.close();
    }
  });

  test('--workers must be a positive integer or auto (usage error, exit 2)', async () => {
    for (const bad of ['0', '257', 'two', '1.5']) {
      const failed = await promisify(execFile)(process.execPath, ['bin/borealis.js', 'serve', '--workers', bad], {
        env: { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir },
      }).then(
        () => assert.fail(`--workers ${bad} was accepted`),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2);
      assert.match(failed.stderr, /^borealis: --workers must be an integer from 1 to 256 or "auto", got /);
    }
  });
});
