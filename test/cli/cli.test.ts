/** The `borealis` command line, run as a user runs it: a child process with --json output. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Credentials } from '../../src/oauth/credentials.js';
import { openDb } from '../../src/store/sql/db.js';
import { migrations } from '../../src/store/sql/migrate.js';
import { count } from '../store/fixtures.js';
import { cliSandbox, run } from '../support/cli.js';
import { TEST_SECRET, freshDatabase } from '../support/server.js';

describe('borealis CLI', () => {
  const cli = cliSandbox();
  const { borealis, json, fails } = cli;

  test('migrate, users, orgs, clients and keys', async () => {
    assert.deepEqual(Object.keys(await json('migrate')), ['applied']);
    const user = await json('users', 'create', '--email', 'Ada@Example.com', '--password', 'correct horse', '--name', 'Ada');
    assert.deepEqual(Object.keys(user), ['id', 'email', 'name', 'email_verified']);
    assert.equal(user.email, 'Ada@Example.com');
    const other = await json('users', 'create', '--email', 'bob@example.com', '--password', 'correct horse');

    // Blocking (test/flows/blocked-user.test.ts shows what it ends); both directions are idempotent.
    const bob = { id: other.id, email: 'bob@example.com' };
    assert.deepEqual(await json('users', 'block', '--email', 'Bob@example.com'), { ...bob, blocked: true, changed: true });
    assert.equal(await borealis('users', 'block', '--email', 'bob@example.com'), 'bob@example.com was already blocked\n');
    assert.equal(await borealis('users', 'unblock', '--email', 'bob@example.com'), 'unblocked bob@example.com\n');
    assert.deepEqual(await json('users', 'unblock', '--email', 'bob@example.com'), { ...bob, blocked: false, changed: false });

    const org = await json('orgs', 'create', '--slug', 'acme', '--name', 'Acme', '--owner', 'ada@example.com');
    assert.deepEqual(Object.keys(org), ['id', 'slug', 'name']);
    const member = await json('orgs', 'add-member', '--slug', 'acme', '--email', 'bob@example.com');
    assert.deepEqual(member, { organization_id: org.id, slug: 'acme', user_id: other.id, email: 'bob@example.com' });

    const client = await json(
      'clients', 'create', '--name', 'App', '--redirect-uri', 'http://127.0.0.1:9999/cb', '--redirect-uri', 'https://app.example/cb',
      '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--auth-method', 'client_secret_basic',
      '--scope', 'openid email', '--first-party', '--default-sub-type', 'organization',
    );
    assert.match(String(client.client_id), /^polar_ci_[0-9A-Za-z]{43}$/);
    assert.match(String(client.client_secret), /^polar_cs_[0-9A-Za-z]{43}$/);
    assert.deepEqual(client.redirect_uris, ['http://127.0.0.1:9999/cb', 'https://app.example/cb']);
    assert.equal(client.token_endpoint_auth_method, 'client_secret_basic');
    assert.equal(client.default_sub_type, 'organization');
    assert.equal(client.first_party, true);

    // A public client's secret is never shown (as RFC 7591 registration answers, §3.11).
    const native = await json('clients', 'create', '--name', 'Native', '--redirect-uri', 'http://127.0.0.1:9999/cb', '--auth-method', 'none');
    assert.deepEqual(Object.keys(native).slice(0, 2), ['client_id', 'registration_access_token']);
    assert.equal('client_secret' in native, false);
    // Without --json: the registration access token too, the owner's only way back to the client.
    const human = await borealis('clients', 'create', '--name', 'Human', '--redirect-uri', 'http://127.0.0.1:9999/cb');
    assert.match(
      human,
      /^created client Human\n {2}client_id: +polar_ci_\w{43}\n {2}client_secret: +polar_cs_\w{43}\n {2}registration_access_token: +polar_crt_\w{43}\n {4}\(RFC 7592: read, update or delete the client at \/v1\/oauth2\/register\/polar_ci_\w{43} with it as a Bearer token\)\n$/,
    );
    const humanPublic = await borealis('clients', 'create', '--name', 'Human', '--redirect-uri', 'http://127.0.0.1:9999/cb', '--auth-method', 'none');
    assert.match(humanPublic, /\n {2}client_secret: +none \(a public client proves itself with PKCE\)\n/);
    assert.equal(humanPublic.includes('polar_cs_'), false);

    const web = await json('clients', 'create', '--name', 'MCP', '--grant-type', 'web');
    assert.deepEqual(web.grant_types, ['web']);
    assert.deepEqual(web.response_types, []);

    const keys = (await json('keys', 'list')).keys as { signing: boolean }[];
    assert.equal(keys.filter((k) => k.signing).length, 1);
    const rotated = await json('keys', 'rotate');
    assert.equal(((await json('keys', 'list')).keys as unknown[]).length, 2);
    assert.equal(typeof rotated.kid, 'string');
    assert.deepEqual(await json('keys', 'prune'), { removed: [] });

    // Emergencies: a key that signs at once, and withdrawing a leaked one.
    const emergency = await json('keys', 'rotate', '--now');
    const signingNow = ((await json('keys', 'list')).keys as { kid: string; signing: boolean }[]).filter((k) => k.signing);
    assert.deepEqual(signingNow.map((k) => k.kid), [emergency.kid]);
    const withdrawn = await json('keys', 'withdraw', '--kid', String(emergency.kid));
    assert.equal(withdrawn.withdrawn, emergency.kid);
    assert.notEqual(withdrawn.signing, emergency.kid);
    const after = (await json('keys', 'list')).keys as { kid: string; signing: boolean }[];
    assert.equal(after.some((k) => k.kid === emergency.kid), false);
    assert.deepEqual(after.filter((k) => k.signing).map((k) => k.kid), [withdrawn.signing]);
  });

  test('bad usage exits 2 with a message, never a stack trace', async () => {
    const cases = [
      ['users', 'create', '--email', 'x@example.com'],
      ['users', 'create', '--email', 'not-an-email', '--password', 'correct horse'],
      ['orgs', 'create', '--slug', 'Bad Slug', '--name', 'x', '--owner', 'ada@example.com'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'not a uri'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'https://a.example/cb', '--auth-method', 'magic'],
      // Registration's rules (registration/redirect-uri.ts) and scopes, and no unusable client.
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'http://evil.example/cb'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'javascript:alert(1)'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'https://a.example/cb', '--scope', 'openid admin'],
      ['clients', 'create', '--name', 'x', '--auth-method', 'none', '--grant-type', 'web'],
      // The default grants redirect: a client without a redirect URI could never complete one.
      ['clients', 'create', '--name', 'x'],
      ['clients', 'create', '--name', 'x', '--grant-type', 'web', '--grant-type', 'authorization_code'],
      ['users', 'block', '--email', 'nobody@example.com'],
      ['users', 'block'],
      ['keys', 'withdraw'],
      ['keys', 'withdraw', '--kid', 'no-such-kid'],
      ['keys', 'list', '--now'],
      ['clients', 'create', '--name', 'x', '--redirect-uri', 'https://a.example/cb', '--scope', '  '],
      ['nonsense'],
    ];
    for (const args of cases) {
      await assert.rejects(borealis(...args), (error: { code: number; stderr: string }) => {
        assert.equal(error.code, 2, args.join(' '));
        assert.match(error.stderr, /borealis: |usage: borealis/);
        assert.doesNotMatch(error.stderr, /\n\s+at /);
        return true;
      });
    }
  });

  test('commands but migrate and serve never migrate: a fresh or behind database is refused with what to run', async () => {
    const fresh = await freshDatabase();
    try {
      const env = { DATABASE_URL: fresh.url };
      const empty = await fails(env, 'users', 'block', '--email', 'eve@example.com');
      assert.equal(empty.code, 2);
      assert.match(empty.stderr, /^borealis: the database( at .+)? has no schema yet: run `borealis migrate` \(or start `borealis serve`\) first\n$/);
      await run(process.execPath, ['bin/borealis.js', 'migrate'], { env: { ...process.env, ...env, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: cli.dataDir } });
      // As a newer build would find a database an older one migrated: the last migration pending.
      const last = migrations.at(-1)!.version;
      const db = await openDb(fresh.url);
      try {
        await db.run('DELETE FROM schema_migrations WHERE version = ?', [last]);
        const behind = await fails(env, 'keys', 'list');
        assert.equal(behind.code, 2);
        assert.match(behind.stderr, new RegExp(`needs migrations ${last}: stop the servers of older builds, then run \`borealis migrate\`\n$`));
        assert.equal(await count(db, 'SELECT count(*) AS n FROM schema_migrations WHERE version = ?', [last]), 0, 'nothing migrated');
      } finally {
        await db.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  test('--help, -h and help print the usage on stdout and exit 0, after any command too', async () => {
    for (const args of [[], ['--help'], ['-h'], ['help'], ['users', 'create', '--help'], ['serve', '-h']]) {
      const { stdout, stderr } = await run(process.execPath, ['bin/borealis.js', ...args]);
      assert.match(stdout, /^usage: borealis <command>\n/, args.join(' '));
      assert.equal(stderr, '');
    }
  });

  test('--scope takes any run of spaces between scopes, and stores one', async () => {
    const client = await json('clients', 'create', '--name', 'Spaces', '--redirect-uri', 'https://app.example/cb', '--scope', ' openid   email ');
    assert.equal(client.scope, 'openid email');
  });

  test("clients list: a client's name cannot write control sequences to the operator's terminal", async () => {
    await json('migrate');
    const name = 'Harmless\rpolar_ci_forged  Internal\n\u001b]0;pwned\u0007\u202e';
    const created = await json('clients', 'create', '--name', name, '--redirect-uri', 'https://tty.example/cb');
    const line = (await borealis('clients', 'list')).split('\n').find((l) => l.startsWith(String(created.client_id)));
    assert.equal(line, `${created.client_id}  Harmless\\u{d}polar_ci_forged  Internal\\u{a}\\u{1b}]0;pwned\\u{7}\\u{202e}`);
    // --json keeps the name as it is: JSON escapes it.
    const listed = (await json('clients', 'list')) as { clients: { client_id: string; client_name: string }[] };
    assert.equal(listed.clients.find((c) => c.client_id === created.client_id)?.client_name, name);
  });

  test('clients list, rotate-secret and delete: the operator keeps hold of what was created', async () => {
    await json('migrate');
    await json('users', 'create', '--email', 'owner@example.com', '--password', 'correct horse');
    const ops = await json('clients', 'create', '--name', 'Ops', '--redirect-uri', 'https://ops.example/cb');
    const listed = (await json('clients', 'list')) as { clients: { client_id: string; created_at: number }[]; total: number };
    assert.equal(listed.total, listed.clients.length);
    const entry = listed.clients.find((c) => c.client_id === ops.client_id);
    assert.equal(typeof entry?.created_at, 'number');
    assert.deepEqual(entry, {
      client_id: ops.client_id,
      client_name: 'Ops',
      owner: null,
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://ops.example/cb'],
      first_party: false,
      created_at: entry?.created_at,
    });
    assert.deepEqual(await json('clients', 'list', '--owner', 'owner@example.com'), { clients: [], total: 0 });

    // rotate-secret: a new secret that authenticates at once; the old one no longer does.
    const rotated = await json('clients', 'rotate-secret', '--client-id', String(ops.client_id));
    assert.deepEqual(Object.keys(rotated), ['client_id', 'client_secret', 'registration_access_token']);
    assert.match(String(rotated.client_secret), /^polar_cs_\w{43}$/);
    assert.match(String(rotated.registration_access_token), /^polar_crt_\w{43}$/);
    const db = await openDb(cli.database.url);
    try {
      const [row] = await db.all<{ client_secret_hash: string; registration_access_token_hash: string }>(
        'SELECT client_secret_hash, registration_access_token_hash FROM oauth2_clients WHERE client_id = ?',
        [String(ops.client_id)],
      );
      const credentials = new Credentials(TEST_SECRET, 'polar_');
      assert.equal(row?.client_secret_hash, credentials.hash(String(rotated.client_secret)));
      assert.equal(row?.registration_access_token_hash, credentials.hash(String(rotated.registration_access_token)));

      assert.deepEqual(await json('clients', 'delete', '--client-id', String(ops.client_id)), { client_id: ops.client_id, deleted: true });
      const [gone] = await db.all<{ deleted_at: number | null }>('SELECT deleted_at FROM oauth2_clients WHERE client_id = ?', [String(ops.client_id)]);
      assert.notEqual(gone?.deleted_at, null);
    } finally {
      await db.close();
    }
    assert.equal(((await json('clients', 'list')) as { clients: { client_id: string }[] }).clients.some((c) => c.client_id === ops.client_id), false);
    // Nothing left to act on: exit 2 with the reason, and no usage text.
    const failed = await fails({}, 'clients', 'delete', '--client-id', String(ops.client_id));
    assert.equal(failed.code, 2);
    assert.equal(failed.stderr, `borealis: no client ${ops.client_id}\n`);
  });

  test('a mistyped keys command opens nothing: no data folder, secret, database or key is created', async () => {
    const untouched = join(cli.dataDir, 'never-created');
    const { DATABASE_URL: _unused, ...env } = process.env;
    const failed = await run(process.execPath, ['bin/borealis.js', 'keys', 'rotat'], { env: { ...env, BOREALIS_DATA_DIR: untouched } }).then(
      () => assert.fail('keys rotat succeeded'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 2);
    assert.match(failed.stderr, /^borealis: unknown keys command: rotat\n/);
    assert.equal(existsSync(untouched), false);
  });

  test('an operational failure (database unreachable) exits 1 with one line; LOG_LEVEL=debug adds where', async () => {
    const env = { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none', LOG_LEVEL: 'info' };
    const plain = await fails(env, 'migrate');
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^borealis: .*ECONNREFUSED.*\n\(LOG_LEVEL=debug shows where it failed\)\n$/);
    assert.doesNotMatch(plain.stderr, /\n\s+at /);
    assert.match((await fails({ ...env, LOG_LEVEL: 'debug' }, 'migrate')).stderr, /\n\s+at /);
  });

  test('a changed BOREALIS_SECRET: the stored signing key cannot be opened, said in one line with the way out', async () => {
    await json('keys', 'list');
    const changed = await fails({ BOREALIS_SECRET: 'z'.repeat(40) }, 'keys', 'list');
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /^borealis: signing key [0-9a-f-]+ cannot be opened with this BOREALIS_SECRET\. Was the secret changed\?/);
    assert.match(changed.stderr, /delete the rows of the signing_keys table/);
    assert.doesNotMatch(changed.stderr, /\n\s+at /);
  });

  test('a database migrated by a newer build: an older build refuses to start, in one line, and writes nothing', async () => {
    await json('keys', 'list');
    const db = await openDb(cli.database.url);
    const known = Math.max(...migrations.map((m) => m.version));
    const newer = known + 1;
    try {
      await db.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [newer, 'from-the-future', 0]);
      const organizations = await count(db, 'SELECT count(*) AS n FROM organizations');
      // `serve` opens the store as these do (compose.ts), and would run on where it should not.
      for (const command of [['migrate'], ['orgs', 'create', '--slug', 'late', '--name', 'Late', '--owner', 'ada@example.com']]) {
        const refused = await fails({}, ...command);
        assert.equal(refused.code, 2);
        assert.equal(
          refused.stderr,
          `borealis: the database's schema is at version ${newer}, newer than this build of Borealis knows (${known}): run a build at least as new as the one that migrated it\n`,
        );
      }
      assert.equal(await count(db, 'SELECT count(*) AS n FROM organizations'), organizations);
    } finally {
      await db.run('DELETE FROM schema_migrations WHERE version = ?', [newer]);
      await db.close();
    }
  });

  // The sources themselves: bin/ runs only a build in production (config.test.ts), and a test run needs none.
  test('production refuses to start without BOREALIS_SECRET', async () => {
    const env = { ...process.env, NODE_ENV: 'production', BOREALIS_SECRET: '', DATABASE_URL: cli.database.url, BOREALIS_DATA_DIR: cli.dataDir };
    await assert.rejects(run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'migrate'], { env }), (error: { code: number; stderr: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr, /BOREALIS_SECRET is required when NODE_ENV=production/);
      return true;
    });
  });
});
