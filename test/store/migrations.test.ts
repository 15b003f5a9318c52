/** The store contract: versioned migrations, applied once however many stores or processes start together. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { migrations } from '../../src/store/sql/migrate.js';
import { migrate, openDb, openStore } from '../../src/store/sql/index.js';
import { ENGINE, freshDatabase } from '../support/server.js';
import type { User } from '../../src/store/store.js';
import { NOW, aSession, aUser, count, hex64 } from './fixtures.js';

const ALL_VERSIONS = migrations.map((m) => m.version);

describe(`store contract: migrations (${ENGINE})`, () => {
  test('a fresh database gets every migration; a second run and a second store apply nothing', async () => {
    const database = await freshDatabase();
    const raw = await openDb(database.url);
    try {
      assert.deepEqual(await migrate(raw, NOW), ALL_VERSIONS);
      assert.deepEqual(await migrate(raw, NOW + 1), []);
      const second = await openStore(database.url, { migrate: true, now: NOW + 2 });
      const user = aUser();
      await second.users.create(user);
      assert.deepEqual(await second.users.findById(user.id), user);
      await second.close();
      assert.deepEqual(
        await raw.all('SELECT version, name, applied_at FROM schema_migrations ORDER BY version'),
        migrations.map((m) => ({ version: m.version, name: m.name, applied_at: NOW })),
      );
    } finally {
      await raw.close();
      await database.drop();
    }
  });

  // Migration 005 folded with SQL lower() (ASCII only); look-ups fold in JavaScript.
  test('009 refolds email look-ups in JavaScript; of two accounts folding to one address the older keeps it', async () => {
    const database = await freshDatabase();
    const raw = await openDb(database.url);
    const store = await openStore(database.url, { migrate: true, now: NOW });
    try {
      const elodie = aUser({ email: 'Élodie@Example.com', createdAt: NOW - 10 });
      const copy = aUser({ email: 'élodie@example.com', createdAt: NOW - 5 });
      const plain = aUser({ email: 'Ada@Example.com', createdAt: NOW - 1 });
      // As 005 left them: the first one's look-up folded in ASCII only, so the copy got in beside it.
      await store.users.create(elodie);
      await raw.run('UPDATE users SET email_lookup = ? WHERE id = ?', ['Élodie@example.com', elodie.id]);
      for (const u of [copy, plain]) await store.users.create(u);
      await raw.run('DELETE FROM schema_migrations WHERE version = 9');
      assert.deepEqual(await migrate(raw, NOW), [9]);
      assert.equal((await store.users.findByEmail('ÉLODIE@example.com'))?.id, elodie.id);
      assert.equal((await store.users.findByEmail('ada@example.com'))?.id, plain.id);
      assert.deepEqual(await store.users.findById(copy.id), copy, 'the newer account stays, unreachable by sign-in');
    } finally {
      await store.close();
      await raw.close();
      await database.drop();
    }
  });

  test('011 refolds look-ups normalised: one account per visible address, the newer twins unreachable and signed out', async () => {
    const database = await freshDatabase();
    const raw = await openDb(database.url);
    const store = await openStore(database.url, { migrate: true, now: NOW });
    try {
      // As case folding alone left them: each twin its own look-up.
      const spellings = ['René@example.com', 'rene\u0301@example.com', 'ＲENÉ@EXAMPLE.COM', 'bob@bücher.example', 'bob@xn--bcher-kva.example'];
      const users = [];
      for (const [i, email] of spellings.entries()) {
        const user = aUser({ email: `placeholder-${i}@example.com`, createdAt: NOW - 10 + i });
        await store.users.create(user);
        await raw.run('UPDATE users SET email = ?, email_lookup = ? WHERE id = ?', [email, email.toLowerCase(), user.id]);
        await store.sessions.create(aSession(user.id, { expiresAt: NOW + 3600 }), hex64());
        users.push({ ...user, email });
      }
      await raw.run('DELETE FROM schema_migrations WHERE version = 11');
      assert.deepEqual(await migrate(raw, NOW), [11]);
      const [rene, reneNfd, reneWide, bob, bobAscii] = users as [User, User, User, User, User];
      for (const typed of ['rené@example.com', 'RENE\u0301@Example.com', 'ｒｅｎé@example.com']) assert.equal((await store.users.findByEmail(typed))?.id, rene.id, typed);
      assert.equal((await store.users.findByEmail('BOB@XN--BCHER-KVA.EXAMPLE'))?.id, bob.id);
      const sessionsOf = async (user: User) => count(raw, 'SELECT count(*) AS n FROM user_sessions WHERE user_id = ?', [user.id]);
      for (const kept of [rene, bob]) assert.equal(await sessionsOf(kept), 1);
      for (const twin of [reneNfd, reneWide, bobAscii]) {
        assert.equal((await store.users.findById(twin.id))?.email, twin.email, 'the newer account stays, unreachable by sign-in');
        assert.equal(await sessionsOf(twin), 0);
        // Not even by typing its set-aside look-up itself (it holds a space, as no address does).
        const marker = (await raw.get<{ email_lookup: string }>('SELECT email_lookup FROM users WHERE id = ?', [twin.id]))?.email_lookup ?? '';
        assert.match(marker, / \(duplicate /);
        assert.equal(await store.users.findByEmail(marker), undefined, marker);
        assert.equal(await store.users.findByEmail(marker.toUpperCase()), undefined, marker);
      }
    } finally {
      await store.close();
      await raw.close();
      await database.drop();
    }
  });

  test('002 builds its unique index over the live codes the first build could leave sharing a nonce', async () => {
    const database = await freshDatabase();
    const raw = await openDb(database.url);
    try {
      await raw.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      await raw.exec(migrations[0]?.sql ?? '');
      await raw.run("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'initial', ?)", [NOW]);
      await raw.run("INSERT INTO users (id, email, created_at) VALUES ('u1', 'ada@example.com', ?)", [NOW]);
      // [id, scope, consumed_at]: all for client c1 with the nonce n, as that build stored them.
      const codes: [string, string, number | null][] = [
        ['a-plain', 'email', null],
        ['b-plain', 'email', null],
        ['c-openid', 'openid email', null],
        ['d-openid', 'email openid', null],
        ['e-used', 'openid', NOW - 5],
      ];
      for (const [id, scope, consumed] of codes) {
        await raw.run(
          `INSERT INTO oauth2_authorization_codes (id, code_hash, client_id, user_id, scope, nonce, auth_time, issued_at, expires_at, consumed_at)
           VALUES (?, ?, 'c1', 'u1', ?, 'n', ?, ?, ?, ?)`,
          [id, `hash-${id}`, scope, NOW, NOW - 10, NOW + 290, consumed],
        );
      }
      assert.deepEqual(await migrate(raw, NOW), ALL_VERSIONS.slice(1));
      assert.deepEqual(await raw.all('SELECT id, nonce, consumed_at FROM oauth2_authorization_codes ORDER BY id'), [
        { id: 'a-plain', nonce: null, consumed_at: null },
        { id: 'b-plain', nonce: null, consumed_at: null },
        { id: 'c-openid', nonce: 'n', consumed_at: null },
        { id: 'd-openid', nonce: 'n', consumed_at: NOW - 10 },
        { id: 'e-used', nonce: 'n', consumed_at: NOW - 5 },
      ]);
    } finally {
      await raw.close();
      await database.drop();
    }
  });

  test('concurrent migrate runs through one connection both succeed, applying once', async () => {
    const database = await freshDatabase();
    const raw = await openDb(database.url);
    try {
      const results = await Promise.all([migrate(raw, NOW), migrate(raw, NOW), migrate(raw, NOW)]);
      assert.deepEqual(results.flat(), ALL_VERSIONS);
      assert.equal(await count(raw, 'SELECT count(*) AS n FROM schema_migrations'), ALL_VERSIONS.length);
    } finally {
      await raw.close();
      await database.drop();
    }
  });

  test('concurrent migrate runs from separate processes all succeed, applying once', async () => {
    const database = await freshDatabase();
    const entry = pathToFileURL(fileURLToPath(new URL('../../src/store/sql/index.ts', import.meta.url))).href;
    const script = `const { openDb, migrate } = await import(process.argv[1]);
      const db = await openDb(process.argv[2]);
      try { process.stdout.write(JSON.stringify(await migrate(db, ${NOW}))); } finally { await db.close(); }`;
    const run = () =>
      promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, entry, database.url], {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
      });
    try {
      const outputs = await Promise.all([run(), run(), run()]);
      assert.deepEqual(outputs.flatMap((o) => JSON.parse(o.stdout) as number[]), ALL_VERSIONS);
      const raw = await openDb(database.url);
      try {
        assert.equal(await count(raw, 'SELECT count(*) AS n FROM schema_migrations'), ALL_VERSIONS.length);
      } finally {
        await raw.close();
      }
    } finally {
      await database.drop();
    }
  });

  if (ENGINE === 'postgres') {
    test('concurrent migrate runs from two pools on a fresh schema both succeed (advisory lock)', async () => {
      const database = await freshDatabase();
      const pools = await Promise.all([openDb(database.url), openDb(database.url), openDb(database.url), openDb(database.url)]);
      try {
        const results = await Promise.all(pools.map((db) => migrate(db, NOW)));
        assert.deepEqual(results.flat(), ALL_VERSIONS);
        assert.equal(results.filter((r) => r.length === 0).length, pools.length - 1);
        const stores = await Promise.all([1, 2].map(() => openStore(database.url, { migrate: true, now: NOW })));
        const user = aUser();
        await stores[0]!.users.create(user);
        assert.deepEqual(await stores[1]!.users.findById(user.id), user);
        for (const s of stores) await s.close();
      } finally {
        for (const db of pools) await db.close();
        await database.drop();
      }
    });
  }
});
