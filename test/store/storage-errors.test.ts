/**
 * A database that cannot do the work now (a PostgreSQL standby after a failover, a statement or
 * lock timeout; a full disk on SQLite: group-commit.test.ts) is unavailable, not broken:
 * StoreUnavailable, answered 503 with Retry-After like an outage (respond.ts; the HTTP answer is
 * asserted in write-lock.test.ts), and the store works on. A SQLite file this process may only
 * read is refused when it is opened, with a message that names it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { StoreUnavailable } from '../../src/store/store.js';
import { ENGINE, TEST_SECRET } from '../support/server.js';
import { type Harness, harness, storedUser } from './fixtures.js';

const run = promisify(execFile);

describe('store: a PostgreSQL server that cannot do the work now', { skip: ENGINE !== 'postgres' && 'PostgreSQL only (a full SQLite disk: group-commit.test.ts)' }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('PostgreSQL: a read-only transaction (a standby) is StoreUnavailable; the pool works on', { skip: ENGINE !== 'postgres' && 'PostgreSQL only' }, async () => {
    await assert.rejects(
      h.raw.transaction(async (tx) => {
        await tx.exec('SET TRANSACTION READ ONLY');
        await tx.run('CREATE TABLE filler (v TEXT)');
      }),
      (error: unknown) => {
        assert.ok(error instanceof StoreUnavailable, String(error));
        assert.equal((error.cause as { code?: unknown }).code, '25006');
        return true;
      },
    );
    await storedUser(h.store);
  });

  test('PostgreSQL: a statement cancelled by statement_timeout, or a lock not granted, is StoreUnavailable', { skip: ENGINE !== 'postgres' && 'PostgreSQL only' }, async () => {
    const user = await storedUser(h.store);
    const holder = new pg.Client({ connectionString: h.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM users WHERE id = $1 FOR UPDATE', [user.id]);
      for (const [statement, code] of [
        ['SELECT pg_sleep(2)', '57014'],
        ['SELECT id FROM users WHERE id = ? FOR UPDATE', '55P03'],
      ] as const) {
        await assert.rejects(
          h.raw.transaction(async (tx) => {
            await tx.exec("SET LOCAL statement_timeout = '2s'");
            await tx.exec(code === '57014' ? "SET LOCAL statement_timeout = '50ms'" : "SET LOCAL lock_timeout = '50ms'");
            await tx.get(statement, code === '55P03' ? [user.id] : []);
          }),
          (error: unknown) => {
            assert.ok(error instanceof StoreUnavailable, String(error));
            assert.equal((error.cause as { code?: unknown }).code, code);
            return true;
          },
        );
      }
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    await storedUser(h.store);
  });
});

/**
 * The file's mode only binds a process that is not root: as root the test runs the command as
 * `nobody`, in a folder that user owns.
 */
describe('SQLite: a database file this process may only read', { skip: ENGINE !== 'sqlite' && 'SQLite only' }, () => {
  const isRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'borealis-readonly-'));
  const borealis = (args: string[]) => {
    const env: NodeJS.ProcessEnv = { ...process.env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: join(dir, 'data') };
    delete env.DATABASE_URL;
    const command = isRoot ? ['runuser', ['-u', 'nobody', '--', process.execPath, 'bin/borealis.js', ...args]] : [process.execPath, ['bin/borealis.js', ...args]];
    return run(command[0] as string, command[1] as string[], { env });
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('is refused at start with a message naming it, not served with every write failing', { skip: process.platform !== 'linux' && 'needs runuser and POSIX modes' }, async (t) => {
    if (isRoot) {
      const readable = await run('runuser', ['-u', 'nobody', '--', 'test', '-r', resolve('bin/borealis.js')]).then(() => true, () => false);
      if (!readable) return t.skip('as root the command runs as nobody, who cannot read this checkout');
      chownSync(dir, 65534, 65534);
    }
    chmodSync(dir, 0o755);
    await borealis(['migrate']);
    chmodSync(join(dir, 'data', 'borealis.db'), 0o444);
    const failed = await borealis(['clients', 'list']).then(
      () => assert.fail('a read-only database was opened for writing'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^borealis: the database \S+borealis\.db cannot be written by this process \(SQLITE_READONLY\): check the permissions/);
  });
});
