/**
 * SQLite WAL checkpoints on a worker thread (src/store/sql/checkpointer.ts): committed frames reach
 * the database file without any checkpoint on the writer, and the thread stops with the store.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { CHECKPOINT_THREAD_AFTER_WRITES, startCheckpointer } from '../../src/store/sql/checkpointer.js';
import { openSqlite } from '../../src/store/sql/sqlite.js';
import { ENGINE } from '../support/server.js';

const until = async (condition: () => boolean, what: string) => {
  for (let i = 0; !condition(); i++) {
    if (i > 100) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('SQLite checkpoints on a worker thread', { skip: ENGINE !== 'sqlite' && 'SQLite only' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'borealis-checkpoint-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('frames a writer left in the WAL are copied into the database file by the thread', async () => {
    const file = join(dir, 'frames.db');
    const writer = new Database(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0'); // only the thread may checkpoint
    writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = writer.prepare('INSERT INTO t (v) VALUES (?)');
    for (let i = 0; i < 200; i++) insert.run('x'.repeat(1000));
    const before = statSync(file).size;
    assert.ok(statSync(`${file}-wal`).size > 200 * 1000, 'the rows are in the WAL');

    const checkpointer = startCheckpointer(file, () => assert.fail('the checkpoint thread failed'));
    await until(() => statSync(file).size > before + 200 * 1000, 'the database file to receive the rows');
    await checkpointer.stop();
    writer.close();
  });

  test('a store hands checkpoints to the thread after enough writes and stops it on close', async () => {
    const file = join(dir, 'store.db');
    const db = openSqlite(file);
    await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    for (let i = 0; i < CHECKPOINT_THREAD_AFTER_WRITES; i++) await db.run('INSERT INTO t (v) VALUES (?)', [String(i)]);
    // An empty WAL, then ≈250 frames: far below SQLite's own 1,000-page automatic checkpoint,
    // so only the thread can bring these rows into the database file.
    await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    const before = statSync(file).size;
    for (let i = 0; i < 200; i++) await db.run('INSERT INTO t (v) VALUES (?)', ['y'.repeat(1000)]);
    await until(() => statSync(file).size > before + 200 * 1000, 'the thread to checkpoint the new rows');
    assert.equal((await db.get<{ n: number }>('SELECT count(*) AS n FROM t'))?.n, CHECKPOINT_THREAD_AFTER_WRITES + 200);
    // close() awaits the thread: the runner would report a handle left open otherwise.
    await db.close();
  });
});
