/**
 * The SQLite file Borealis creates (sqlite.ts): private to its user, as it holds password hashes
 * and emails, and a WAL that is cut back after it restarts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openDb } from '../../src/store/sql/db.js';
import { openStore } from '../../src/store/sql/index.js';
import { NOW, storedUser } from './fixtures.js';

test('a database Borealis creates is 0600 in a 0700 folder, its -wal and -shm too; the WAL is bounded to 64 MiB', async () => {
  const root = mkdtempSync(join(tmpdir(), 'borealis-file-'));
  const file = join(root, 'data', 'borealis.db');
  const store = await openStore(file, { migrate: true, now: NOW });
  try {
    await storedUser(store);
    assert.equal(statSync(join(root, 'data')).mode & 0o777, 0o700);
    for (const path of [file, `${file}-wal`, `${file}-shm`]) assert.equal(statSync(path).mode & 0o777, 0o600, path);
    const db = await openDb(file);
    assert.deepEqual(await db.get('PRAGMA journal_size_limit'), { journal_size_limit: 64 * 1024 * 1024 });
    await db.close();
  } finally {
    await store.close();
    rmSync(root, { recursive: true, force: true });
  }
});
