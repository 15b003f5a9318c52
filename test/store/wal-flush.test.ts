/**
 * SQLite's WAL reaches the disk within FLUSH_DELAY_MS of a commit even on a quiet store, before
 * the checkpoint thread has started (wal-flush.ts). The flushes are observed as fsync calls on
 * a file handle of the database's WAL (read back from /proc).
 */
import assert from 'node:assert/strict';
import { readlinkSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, mock, test } from 'node:test';
import { openStore } from '../../src/store/sql/index.js';
import { FLUSH_DELAY_MS } from '../../src/store/sql/wal-flush.js';
import { ENGINE, freshDatabase } from '../support/server.js';
import { NOW, type Harness, aUser, harness } from './fixtures.js';

describe('store: the SQLite WAL is flushed soon after a commit', {
  skip: ENGINE !== 'sqlite' ? 'SQLite only' : process.platform !== 'linux' ? 'reads file handles back from /proc (Linux)' : false,
}, () => {
  const synced: string[] = [];
  const walOf = (h: { database: { url: string } }) => `${h.database.url}-wal`;
  const flushesOf = (file: string) => synced.filter((path) => path === file).length;
  /** Waits for the flush the migrations' commits scheduled, so that later counts are the test's own. */
  const migrationsFlushed = async (file: string) => {
    for (let waited = 0; flushesOf(file) === 0; waited += 10) {
      assert.ok(waited < 5000, 'the migrations were never flushed');
      await sleep(10);
    }
  };
  let h: Harness;

  before(async () => {
    const probe = await open(new URL(import.meta.url));
    const proto = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const original = proto.sync;
    mock.method(proto, 'sync', function (this: FileHandle) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      return original.call(this);
    });
    h = await harness();
    await migrationsFlushed(walOf(h));
  });
  after(async () => {
    await h.close();
    mock.restoreAll();
  });

  test('a write is on disk within FLUSH_DELAY_MS; writes committed together share one flush', async () => {
    const before = flushesOf(walOf(h));
    await Promise.all(Array.from({ length: 10 }, () => h.store.users.create(aUser())));
    assert.equal(flushesOf(walOf(h)), before, 'not while the commit is answered');
    await sleep(FLUSH_DELAY_MS * 5);
    assert.equal(flushesOf(walOf(h)), before + 1);
  });

  test('closing the store flushes a pending flush at once', async () => {
    const database = await freshDatabase();
    try {
      const store = await openStore(database.url, { migrate: true, now: NOW });
      await migrationsFlushed(walOf({ database }));
      const before = flushesOf(walOf({ database }));
      await store.users.create(aUser());
      await store.close();
      assert.equal(flushesOf(walOf({ database })), before + 1);
    } finally {
      await database.drop();
    }
  });
});
