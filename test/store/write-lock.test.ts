/**
 * SQLite's write lock held by another process (a CLI command, a `sqlite3` shell, a backup): the
 * server waits for it between event-loop turns, so every other request is still answered, and
 * past LOCK_WAIT_MS it answers 503 as for a PostgreSQL outage, never 500 (group-commit.ts).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { openDb } from '../../src/store/sql/db.js';
import { LOCK_WAIT_MS } from '../../src/store/sql/group-commit.js';
import { StoreUnavailable } from '../../src/store/store.js';
import { aClient, aUser, signIn, tokensFor, postToken } from '../support/fixtures.js';
import { ENGINE, type TestServer, startServer } from '../support/server.js';
import { type Harness, harness, storedUser } from './fixtures.js';

/** Another connection, as another process would hold it: BEGIN IMMEDIATE until `release`. */
function holdWriteLock(file: string) {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  return () => {
    other.exec('COMMIT');
    other.close();
  };
}

/** The longest the event loop went without a turn while `work` ran (ms). */
async function longestStall<T>(work: Promise<T>): Promise<{ value: PromiseSettledResult<T>; stall: number }> {
  let last = performance.now();
  let stall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const [value] = await Promise.allSettled([work]);
  clearInterval(timer);
  return { value, stall };
}

describe('store: a write lock held by another connection (SQLite)', { skip: ENGINE !== 'sqlite' ? 'SQLite only: PostgreSQL has row locks and its own outage tests' : false }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('a transaction waits for it without holding up the event loop, then commits', async () => {
    const release = holdWriteLock(h.database.url);
    setTimeout(release, 1000);
    const { value, stall } = await longestStall(storedUser(h.store));
    assert.equal(value.status, 'fulfilled');
    // SQLite's own busy handler slept on the thread until the release (up to 5 s); now one try
    // blocks ≤ 20 ms. The margin is for a machine busy with other tests.
    assert.ok(stall < 500, `the event loop stalled ${stall.toFixed(0)} ms`);
  });

  test('opening the database meanwhile neither waits for it nor fails (a command that only reads)', async () => {
    const release = holdWriteLock(h.database.url);
    try {
      const started = Date.now();
      const another = await openDb(h.database.url);
      try {
        assert.deepEqual(await another.get('SELECT 1 AS one'), { one: 1 });
      } finally {
        await another.close();
      }
      assert.ok(Date.now() - started < LOCK_WAIT_MS, `opening took ${Date.now() - started} ms`);
    } finally {
      release();
    }
  });

  test(`held past ${LOCK_WAIT_MS} ms: StoreUnavailable, and the lock's release leaves the store working`, async () => {
    const release = holdWriteLock(h.database.url);
    const started = Date.now();
    try {
      await assert.rejects(storedUser(h.store), StoreUnavailable);
      assert.ok(Date.now() - started >= LOCK_WAIT_MS);
    } finally {
      release();
    }
    await storedUser(h.store);
  });
});

describe('token endpoint under a write lock held elsewhere (SQLite)', { skip: ENGINE !== 'sqlite' ? 'SQLite only' : false }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('503 temporarily_unavailable with Retry-After; health answered meanwhile; refreshes again once released', async () => {
    const client = await aClient(server);
    const first = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const refresh = (token: string) =>
      postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: token });
    const release = holdWriteLock(server.database.url);
    let refused: Awaited<ReturnType<typeof refresh>>;
    try {
      const pending = refresh(first.refresh_token as string);
      await sleep(200);
      const startedLive = Date.now();
      assert.equal((await fetch(`${server.url}/health/live`)).status, 200);
      assert.ok(Date.now() - startedLive < 1000, 'liveness waited for the lock');
      refused = await pending;
    } finally {
      release();
    }
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('retry-after'), '5');
    assert.equal(
      refused.text,
      '{"error": "temporarily_unavailable", "error_description": "The authorization server is temporarily unavailable; try again later."}',
    );
    // Nothing was done: the same refresh token still rotates.
    assert.equal((await refresh(first.refresh_token as string)).status, 200);
  });
});
