/** `borealis users delete`: the account is erased (accounts.ts, deleteAccount), run as an operator runs it. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/store/sql/db.js';
import { TEST_SECRET, type TestDatabase, freshDatabase } from '../support/server.js';

const run = promisify(execFile);

describe('borealis users delete', () => {
  let database: TestDatabase;
  let dataDir: string;
  const env = () => ({ ...process.env, DATABASE_URL: database.url, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir });
  const cli = (...args: string[]) => run(process.execPath, ['bin/borealis.js', ...args], { env: env() });
  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'borealis-cli-delete-'));
    await cli('migrate');
  });
  after(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('erases the user and says how many apps went with them; a second time, no such user (exit 2)', async () => {
    const created = JSON.parse((await cli('users', 'create', '--email', 'leaving@example.com', '--password', 'leaving horse pw', '--json')).stdout) as { id: string };
    const done = await cli('users', 'delete', '--email', 'leaving@example.com', '--json');
    assert.deepEqual(JSON.parse(done.stdout), { id: created.id, email: 'leaving@example.com', deleted: true, apps_deleted: 0 });
    const db = await openDb(database.url);
    try {
      const row = await db.get<{ email: string; erased_at: number | string | null }>('SELECT email, erased_at FROM users WHERE id = ?', [created.id]);
      assert.equal(row?.email, `erased:${created.id}`);
      assert.notEqual(row?.erased_at, null);
      const events = await db.all('SELECT type, details FROM security_events WHERE user_id = ? AND type = ?', [created.id, 'user.deleted']);
      assert.equal(events.length, 1);
    } finally {
      await db.close();
    }
    const again = await cli('users', 'delete', '--email', 'leaving@example.com').then(
      () => assert.fail('succeeded'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.deepEqual([again.code, again.stderr], [2, 'borealis: No user with email leaving@example.com.\n']);
  });
});
