/**
 * Transactions arriving together (SQLite runs them in one commit, and after a failure runs the
 * group again with each in a savepoint): a failing one rolls back only its own writes, and every
 * caller hears the outcome of its own work.
 */
import assert from 'node:assert/strict';
import { readdirSync, readlinkSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { tokens as tokensOn } from '../../src/store/sql/tokens.js';
import { StoreUnavailable } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { NOW, aToken, count, type Harness, harness, accessKey, storedClient, storedUser } from './fixtures.js';

describe(`store: concurrent transactions are isolated from each other's failures (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('20 concurrent transactions, every third fails after writing: exactly the others persist', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const tokens = Array.from({ length: 20 }, () => aToken(client.clientId, user.id, { issuedAt: NOW }));
    const outcomes = await Promise.allSettled(
      tokens.map((token, i) =>
        h.store.transaction(async (tx) => {
          await tx.tokens.create(token);
          if (i % 3 === 0) throw new Error(`fail ${i}`);
          return i;
        }),
      ),
    );
    outcomes.forEach((outcome, i) => {
      if (i % 3 === 0) assert.equal(outcome.status === 'rejected' && (outcome.reason as Error).message, `fail ${i}`);
      else assert.deepEqual(outcome, { status: 'fulfilled', value: i });
    });
    for (const [i, token] of tokens.entries()) {
      const stored = await h.store.tokens.findByAccess(accessKey(token));
      assert.equal(stored !== undefined, i % 3 !== 0, `token ${i}`);
    }
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE client_id = ?', [client.clientId]), 13);
  });

  test('20 concurrent transactions that all succeed: each work runs exactly once', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const runs = Array.from({ length: 20 }, () => 0);
    const values = await Promise.all(
      runs.map((_, i) =>
        h.store.transaction(async (tx) => {
          runs[i]! += 1;
          await tx.tokens.create(aToken(client.clientId, user.id, { issuedAt: NOW }));
          return i;
        }),
      ),
    );
    assert.deepEqual(values, runs.map((_, i) => i));
    assert.deepEqual(runs, runs.map(() => 1));
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE client_id = ?', [client.clientId]), 20);
  });

  test('a transaction failing alone writes nothing and runs once', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    let runs = 0;
    await assert.rejects(
      h.store.transaction(async (tx) => {
        runs += 1;
        await tx.tokens.create(aToken(client.clientId, user.id, { issuedAt: NOW }));
        throw new Error('alone');
      }),
      /alone/,
    );
    assert.equal(runs, 1);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE client_id = ?', [client.clientId]), 0);
  });
});

describe('store: a full disk inside a group commit (sqlite)', { skip: ENGINE !== 'sqlite' && 'runs in the SQLite pass' }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  // SQLITE_FULL ends the whole transaction, savepoints included; `max_page_count` stands in for
  // the full disk. Before, the isolated rerun then failed on its own ROLLBACK TO: no caller was
  // ever answered and the rejection took the process down.
  test('every caller is answered: those that no longer fit fail, one that fits commits; the writer stays usable', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const existing = aToken(client.clientId, user.id, { issuedAt: NOW });
    await h.store.tokens.create(existing);
    const pages = (await h.raw.get<{ page_count: number }>('PRAGMA page_count'))!.page_count;
    await h.raw.exec(`PRAGMA max_page_count = ${pages}`);
    try {
      const fits = h.raw.transaction((tx) => tx.run('UPDATE oauth2_tokens SET scope = ? WHERE id = ?', ['email', existing.id]));
      const tooBig = Array.from({ length: 2 }, () =>
        h.raw.transaction(async (tx) => {
          for (let k = 0; k < 40; k++) await tokensOn(tx).create(aToken(client.clientId, user.id, { issuedAt: NOW }));
        }),
      );
      const outcomes = await Promise.race([
        Promise.allSettled([fits, ...tooBig]),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('a caller was never answered')), 5000)),
      ]);
      assert.deepEqual(outcomes[0], { status: 'fulfilled', value: 1 });
      // Unavailable, not broken: 503 with Retry-After (respond.ts), as for another process's lock.
      for (const outcome of outcomes.slice(1)) {
        assert.ok(outcome.status === 'rejected' && outcome.reason instanceof StoreUnavailable, String(outcome.status === 'rejected' && outcome.reason));
        assert.equal((outcome.reason.cause as Error).message, 'database or disk is full');
      }
      assert.equal((await h.store.tokens.findByAccess(accessKey(existing)))?.scope, 'email');
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE client_id = ?', [client.clientId]), 1);
    } finally {
      await h.raw.exec('PRAGMA max_page_count = 1073741823');
    }
    assert.equal(await h.raw.run('UPDATE oauth2_tokens SET scope = ? WHERE id = ?', ['openid', existing.id]), 1);
  });
});

describe('store: a group commit keeps its savepoint sub-journal in memory (sqlite)', { skip: ENGINE !== 'sqlite' && 'runs in the SQLite pass' }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  /** SQLite's temporary files are unlinked as soon as they are opened; they show as "(deleted)". */
  const deletedFiles = () =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`).endsWith('(deleted)');
      } catch {
        return false; // closed between the listing and the read
      }
    }).length;

  test('200 rotations in one batch, each in a savepoint, open no temporary file (each page a savepoint touches is journaled)', { skip: process.platform !== 'linux' }, async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const parents = Array.from({ length: 200 }, () => aToken(client.clientId, user.id, { issuedAt: NOW }));
    for (const parent of parents) await h.store.tokens.create(parent);
    const before = deletedFiles();
    // A failing transaction first: the batch then runs again with a savepoint around each one.
    const failing = h.store.transaction(async () => {
      throw new Error('fails');
    });
    // 200 transactions in one commit journal far more than SQLite's 64 KiB in-memory start. The
    // last one of the batch looks while the batch is still open (a spilled file lives until COMMIT).
    const rotations = parents.map((parent) =>
      h.store.tokens.rotateTo(parent.id, NOW + 1, 'sealed', aToken(client.clientId, user.id, { familyId: parent.familyId, issuedAt: NOW })),
    );
    const during = h.store.transaction(async () => deletedFiles());
    await assert.rejects(failing, /fails/);
    assert.equal((await Promise.all(rotations)).filter(Boolean).length, 200);
    assert.equal(await during, before);
  });
});
