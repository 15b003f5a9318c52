/**
 * `borealis users create` and its password: from standard input (`--password-stdin`), or from
 * `--password` with a warning, since every local user can read a command's arguments while it
 * runs. Run as a user runs it, a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { verifyPassword } from '../../src/accounts/passwords.js';
import { openDb } from '../../src/store/sql/db.js';
import { startMailbox } from '../support/mailbox.js';
import { TEST_SECRET, type TestDatabase, freshDatabase } from '../support/server.js';

const run = promisify(execFile);

describe('borealis users create: the password', () => {
  let database: TestDatabase;
  let dataDir: string;
  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'borealis-cli-password-'));
    const env = { ...process.env, DATABASE_URL: database.url, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir };
    await run(process.execPath, ['bin/borealis.js', 'migrate'], { env });
  });
  after(async () => {
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const cliEnv = () => ({ ...process.env, DATABASE_URL: database.url, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: dataDir });
  /** The CLI as a user runs it, `input` on its standard input. */
  const withInput = (input: string, ...args: string[]) => {
    const pending = run(process.execPath, ['bin/borealis.js', ...args], { env: cliEnv() });
    pending.child.stdin?.end(input);
    return pending;
  };

  test('users create reads the password from standard input; --password works with a warning; a stray value is not echoed', async () => {
    const db = await openDb(database.url);
    const hashOf = async (email: string) => ((await db.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = ?', [email]))?.password_hash ?? '');
    try {
      const piped = await withInput('stdin horse pw\nignored second line\n', 'users', 'create', '--email', 'piped@example.com', '--password-stdin', '--json');
      assert.equal(piped.stderr, '');
      assert.deepEqual(Object.keys(JSON.parse(piped.stdout) as object), ['id', 'email', 'name', 'email_verified']);
      assert.equal((JSON.parse(piped.stdout) as { email: string }).email, 'piped@example.com');
      const checked = await withInput('stdin horse pw\n', 'users', 'create', '--email', 'checked@example.com', '--password-stdin', '--email-verified', '--json');
      assert.deepEqual([(JSON.parse(checked.stdout) as { email_verified: boolean }).email_verified, (JSON.parse(piped.stdout) as { email_verified: boolean }).email_verified], [true, false]);
      assert.ok(await verifyPassword('stdin horse pw', await hashOf('piped@example.com')));

      const argv = await withInput('', 'users', 'create', '--email', 'argv@example.com', '--password', 'argv horse pw', '--json');
      assert.match(argv.stderr, /^warning: other users of this machine can read --password while the command runs, .* --password-stdin reads it from standard input\n$/);
      assert.ok(await verifyPassword('argv horse pw', await hashOf('argv@example.com')));
    } finally {
      await db.close();
    }
    const refused = [
      [['users', 'create', '--email', 'none@example.com', '--password-stdin'], '', 'borealis: --password-stdin read no password from standard input\n'],
      [['users', 'create', '--email', 'both@example.com', '--password-stdin', '--password', 'x'], 'x\n', 'borealis: give --password or --password-stdin, not both\n'],
      [['users', 'create', '--email', 'bare@example.com'], '', 'borealis: --password-stdin (or --password) is required\n'],
      [['users', 'create', '--email', 'stray@example.com', 'hunter2-stray-secret'], '', 'borealis: an argument without its --option (not shown: it may be a secret)\n'],
    ] as const;
    // A terminal (script(1) gives the command one) is refused at once instead of echoing the password.
    const onTerminal = await run('script', ['-qec', `${process.execPath} bin/borealis.js users create --email tty@example.com --password-stdin`, '/dev/null'], { env: cliEnv(), timeout: 20_000 }).then(
      (done) => done.stdout,
      (error: { stdout: string }) => error.stdout,
    );
    assert.match(onTerminal, /borealis: --password-stdin reads a pipe or a file, not a terminal/);
    for (const [args, input, message] of refused) {
      const failed = await withInput(input, ...args).then(
        () => assert.fail(`${args.join(' ')} succeeded`),
        (error: { code: number; stderr: string }) => error,
      );
      assert.equal(failed.code, 2, args.join(' '));
      assert.ok(failed.stderr.startsWith(message), failed.stderr);
      assert.doesNotMatch(failed.stderr, /hunter2/);
    }
  });

  // A forgotten password, reset by the operator: the new one works, the old one no longer does,
  // and every web session of the user ends (one a thief held among them).
  test('users set-password: from standard input; the sessions end; an unknown email or a short password exits 2', async () => {
    await withInput('old horse pw\n', 'users', 'create', '--email', 'reset@example.com', '--password-stdin', '--json');
    const db = await openDb(database.url);
    try {
      const user = await db.get<{ id: string }>('SELECT id FROM users WHERE email = ?', ['reset@example.com']);
      await db.run('INSERT INTO user_sessions (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', ['s-reset', 'h'.repeat(64), user?.id ?? '', 1, 9_999_999_999]);
      const done = await withInput('new horse pw\n', 'users', 'set-password', '--email', 'reset@example.com', '--password-stdin', '--json');
      assert.deepEqual([JSON.parse(done.stdout), done.stderr], [{ id: user?.id, email: 'reset@example.com', tokens_revoked: false }, '']);
      const hash = (await db.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = ?', [user?.id ?? '']))?.password_hash ?? '';
      assert.deepEqual([await verifyPassword('new horse pw', hash), await verifyPassword('old horse pw', hash)], [true, false]);
      assert.deepEqual(await db.all('SELECT id FROM user_sessions WHERE user_id = ?', [user?.id ?? '']), []);
      // After a compromise: the tokens go too (store/contract.test.ts checks what is revoked).
      const revoking = await withInput('newer horse pw\n', 'users', 'set-password', '--email', 'reset@example.com', '--password-stdin', '--revoke-tokens');
      assert.deepEqual([revoking.stdout, revoking.stderr], ['set the password of reset@example.com: their sessions ended, codes and tokens revoked\n', '']);
      // Stored before the command exits (compose.ts waits for the writes): the person's security log shows both.
      const events = await db.all('SELECT type, details FROM security_events WHERE user_id = ? ORDER BY id', [user?.id ?? '']);
      assert.deepEqual(events, [
        { type: 'password.changed', details: '{"by":"operator","tokens_revoked":false}' },
        { type: 'password.changed', details: '{"by":"operator","tokens_revoked":true}' },
      ]);
    } finally {
      await db.close();
    }
    for (const [email, input, message] of [
      ['nobody@example.com', 'new horse pw\n', 'borealis: No user with email nobody@example.com.\n'],
      ['reset@example.com', 'short\n', 'borealis: The password must be at least 8 characters.\n'],
    ]) {
      const failed = await withInput(input as string, 'users', 'set-password', '--email', email as string, '--password-stdin').then(
        () => assert.fail('succeeded'),
        (error: { code: number; stderr: string }) => error,
      );
      assert.deepEqual([failed.code, failed.stderr], [2, message]);
    }
  });

  test('users set-password with a mail relay: the owner is mailed; a relay that refuses is a warning, and the password stays set', async () => {
    const mailbox = await startMailbox();
    try {
      await withInput('old horse pw\n', 'users', 'create', '--email', 'told@example.com', '--password-stdin');
      const withRelay = (input: string, ...args: string[]) => {
        const pending = run(process.execPath, ['bin/borealis.js', ...args], { env: { ...cliEnv(), BOREALIS_SMTP_URL: mailbox.url } });
        pending.child.stdin?.end(input);
        return pending;
      };
      const done = await withRelay('new horse pw\n', 'users', 'set-password', '--email', 'told@example.com', '--password-stdin');
      assert.equal(done.stderr, '');
      assert.match((await mailbox.next('told@example.com', 'Your password was changed')).text, /was set by an administrator just now, and every session was signed out\./);
      mailbox.refuse(true);
      const refused = await withRelay('newer horse pw\n', 'users', 'set-password', '--email', 'told@example.com', '--password-stdin');
      assert.match(refused.stderr, /^warning: the password was set, but the mail telling told@example\.com was not sent \(.+\)\n$/);
      assert.equal(refused.stdout, 'set the password of told@example.com: their sessions ended\n');
      const db = await openDb(database.url);
      try {
        const hash = (await db.get<{ password_hash: string }>('SELECT password_hash FROM users WHERE email = ?', ['told@example.com']))?.password_hash ?? '';
        assert.ok(await verifyPassword('newer horse pw', hash));
      } finally {
        await db.close();
      }
    } finally {
      await mailbox.close();
    }
  });
});
