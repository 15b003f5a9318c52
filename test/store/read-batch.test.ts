/**
 * Reads of one event-loop turn are answered together: on SQLite from one read transaction
 * (sqlite.ts), on PostgreSQL as one statement per read statement (postgres-read-batch.ts). That
 * is only as fresh as reading at once if the snapshot is taken after every read in it was asked
 * for, and each caller must get its own answer, whatever the others asked. On SQLite another
 * process is played by a second connection to the same file, writing synchronously between two
 * reads of the same turn.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import type { Param } from '../../src/store/sql/db.js';
import { readBatcher } from '../../src/store/sql/postgres-read-batch.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aClient, aSession, aToken, aUser, accessKey, harness, hex64, storedUser } from './fixtures.js';

describe('store: reads batched per turn see every commit made before they were asked for (sqlite)', { skip: ENGINE !== 'sqlite' && 'runs in the SQLite pass' }, () => {
  let h: Harness;
  let other: Database.Database;
  const commitElsewhere = () => other.prepare('INSERT INTO probe (n) VALUES (1)').run();
  const probes = () => h.raw.get<{ n: number }>('SELECT count(*) AS n FROM probe');

  before(async () => {
    h = await harness();
    await h.raw.exec('CREATE TABLE probe (n INTEGER)');
    other = new Database(h.database.url);
    other.pragma('busy_timeout = 5000');
  });
  after(async () => {
    other.close();
    await h.close();
  });

  test('a read asked for after another process committed sees it, though an earlier read of the same turn was waiting', async () => {
    const before = (await probes())!.n;
    const first = probes();
    commitElsewhere();
    const second = probes();
    assert.deepEqual(await second, { n: before + 1 });
    // Both were answered from the one snapshot, taken after both were asked for.
    assert.deepEqual(await first, { n: before + 1 });
  });

  test('a read asked for while a batch is being answered waits for the next batch and its fresher snapshot', async () => {
    const before = (await probes())!.n;
    const later = probes().then(() => {
      commitElsewhere();
      return probes();
    });
    assert.deepEqual(await later, { n: before + 1 });
  });

  test('a read asked for while a transaction body awaits is answered at once, without its uncommitted writes', async () => {
    const before = (await probes())!.n;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let wrote!: () => void;
    const written = new Promise<void>((resolve) => (wrote = resolve));
    const open = h.raw.transaction(async (tx) => {
      await tx.run('INSERT INTO probe (n) VALUES (1)');
      wrote();
      await gate; // awaits something other than the store: the writer stays inside its transaction
    });
    await written;
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(await probes(), { n: before });
    release();
    await open;
    assert.deepEqual(await probes(), { n: before + 1 });
  });

  test('a failing read is rejected alone; the others of its batch are answered', async () => {
    const outcomes = await Promise.allSettled([probes(), h.raw.get('SELECT * FROM no_such_table'), probes()]);
    assert.equal(outcomes[0].status, 'fulfilled');
    assert.equal(outcomes[1].status === 'rejected' && /no such table/.test(String(outcomes[1].reason)), true);
    assert.deepEqual(outcomes[2], outcomes[0]);
  });

  test('reads in one turn and the next are answered in order with what each asked for', async () => {
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => h.raw.get<{ i: number }>('SELECT ? AS i FROM probe LIMIT 1', [i])),
    );
    assert.deepEqual(
      answers.map((a) => a?.i),
      Array.from({ length: 50 }, (_, i) => i),
    );
  });
});

describe(`store: each read of a batch gets its own answer (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('50 lookups of one statement in one turn, found and not found, each answered with its own row', async () => {
    const user = await storedUser(h.store);
    const client = aClient();
    await h.store.clients.create(client);
    const tokens = Array.from({ length: 25 }, () => aToken(client.clientId, user.id));
    for (const token of tokens) await h.store.tokens.create(token);
    const missing = Array.from({ length: 25 }, () => aToken(client.clientId, user.id));
    const asked = [...tokens, ...missing].sort(() => Math.random() - 0.5);
    const answers = await Promise.all(asked.map((t) => h.store.tokens.findWithClient(client.clientId, { kind: 'access_token', ...accessKey(t) })));
    answers.forEach((answer, i) => {
      assert.equal(answer.client?.clientId, client.clientId);
      assert.equal(answer.token?.id, tokens.includes(asked[i]!) ? asked[i]!.id : undefined);
    });
  });

  test('lookups with an integer parameter (active sessions at a time) batch too, each answered with its own row', async () => {
    const user = await storedUser(h.store);
    const sessions = Array.from({ length: 20 }, (_, i) => ({ session: aSession(user.id, { expiresAt: NOW + (i % 2 === 0 ? 600 : -600) }), hash: hex64() }));
    for (const { session, hash } of sessions) await h.store.sessions.create(session, hash);
    const answers = await Promise.all(sessions.map(({ hash }) => h.store.sessions.findActive(hash, NOW)));
    answers.forEach((answer, i) => assert.equal(answer?.session.id, i % 2 === 0 ? sessions[i]!.session.id : undefined));
  });

  test('on PostgreSQL, reads of one statement with text and integer parameters are one statement, not a fallback to one each', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, async () => {
    const pool = new pg.Pool({ connectionString: h.database.url, max: 2 });
    try {
      const alone: Param[][] = [];
      const first = readBatcher(
        async (_sql, params) => (alone.push(params), undefined),
        (config) => pool.query(config),
        (text) => 'test_' + createHash('sha1').update(text).digest('hex').slice(0, 20),
      );
      const sql = 'SELECT ? AS name, n.k FROM (SELECT (? + 0)::int AS k) n WHERE n.k > ?';
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => first(sql, [`read ${i}`, i, 4])));
      assert.deepEqual(alone, []);
      assert.deepEqual(
        answers,
        Array.from({ length: 10 }, (_, i) => (i > 4 ? [`read ${i}`, i] : undefined)),
      );
    } finally {
      await pool.end();
    }
  });

  test('a read whose parameters the database refuses fails alone; the others of its turn are answered', async () => {
    const user = await storedUser(h.store);
    // PostgreSQL cannot even compare text holding a NUL; SQLite finds nothing.
    const outcomes = await Promise.allSettled([h.store.users.findById(user.id), h.store.users.findById('bad\u0000id'), h.store.users.findById(user.id)]);
    assert.equal(outcomes[0].status === 'fulfilled' && outcomes[0].value?.id, user.id);
    assert.deepEqual(outcomes[2], outcomes[0]);
    if (ENGINE === 'postgres') assert.equal(outcomes[1].status, 'rejected');
    else assert.deepEqual(outcomes[1], { status: 'fulfilled', value: undefined });
  });

  test('reads asked for after another process committed see the commit', async () => {
    const other = await h.open();
    const user = aUser();
    const concurrent = h.store.users.findById(user.id); // asked before the commit: either answer is right
    await other.users.create(user);
    const reads = [h.store.users.findById(user.id), h.store.users.findById(user.id)];
    for (const read of reads) assert.equal((await read)?.id, user.id);
    await concurrent;
  });
});
