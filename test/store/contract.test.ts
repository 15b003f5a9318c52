/**
 * The store contract: users, organizations, sessions and consents, on the engine DATABASE_URL
 * selects (SQLite temp file by default, a fresh PostgreSQL schema otherwise). Clients and signing
 * keys: clients-keys.test.ts; codes and tokens: codes-tokens.test.ts; cleanup, transactions and
 * migrations: maintenance.test.ts; races: concurrency.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { timeOrderedId } from '../../src/oauth/ids.js';
import { MAX_SESSIONS_PER_USER } from '../../src/store/limits.js';
import type { Store } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import {
  type Harness,
  NOW,
  aClient,
  aSession,
  aToken,
  aUser,
  accessKey,
  anOrganization,
  count,
  harness,
  hex64,
  sorted,
  storedUser,
} from './fixtures.js';

describe(`store contract (${ENGINE})`, () => {
  let h: Harness;
  let store: Store;
  before(async () => {
    h = await harness();
    store = h.store;
    assert.equal(store.engine, ENGINE);
  });
  after(() => h.close());

  describe('users', () => {
    test('create then findById returns every field', async () => {
      const user = aUser({ emailVerified: true, name: 'Ada', avatarUrl: 'https://example.com/a.png', blockedAt: NOW + 5 });
      await store.users.create(user);
      assert.deepEqual(await store.users.findById(user.id), user);
      const bare = aUser({ passwordHash: null, name: null });
      await store.users.create(bare);
      assert.deepEqual(await store.users.findById(bare.id), bare);
      assert.equal(await store.users.findById(randomUUID()), undefined);
    });

    test('findByEmail ignores case and keeps the stored spelling', async () => {
      const user = await storedUser(store, { email: `Mixed.Case-${randomUUID()}@Example.COM` });
      assert.deepEqual(await store.users.findByEmail(user.email), user);
      assert.deepEqual(await store.users.findByEmail(user.email.toLowerCase()), user);
      assert.deepEqual(await store.users.findByEmail(user.email.toUpperCase()), user);
      assert.equal(await store.users.findByEmail(`nobody-${randomUUID()}@example.com`), undefined);
    });

    test('email is unique regardless of case', async () => {
      const user = await storedUser(store, { email: `unique-${randomUUID()}@example.com` });
      await assert.rejects(store.users.create(aUser({ email: user.email })));
      await assert.rejects(store.users.create(aUser({ email: user.email.toUpperCase() })));
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM users WHERE lower(email) = lower(?)', [user.email]), 1);
      assert.deepEqual(await store.users.findByEmail(user.email.toUpperCase()), user);
    });
  });

  describe('organizations', () => {
    test('create stores the organization and makes the owner a member', async () => {
      const owner = await storedUser(store);
      const org = anOrganization({ avatarUrl: 'https://example.com/o.png' });
      await store.organizations.create(org, owner.id);
      assert.deepEqual(await store.organizations.findBySlug(org.slug), org);
      assert.deepEqual(await store.organizations.listForUser(owner.id), [org]);
      assert.equal(await store.organizations.findBySlug(`missing-${randomUUID()}`), undefined);
    });

    test('slug is unique and a failed create leaves no membership', async () => {
      const first = await storedUser(store);
      const second = await storedUser(store);
      const org = anOrganization();
      await store.organizations.create(org, first.id);
      await assert.rejects(store.organizations.create(anOrganization({ slug: org.slug }), second.id));
      assert.deepEqual(await store.organizations.listForUser(second.id), []);
      assert.deepEqual(await store.organizations.findBySlug(org.slug), org);
    });

    test('addMember is idempotent', async () => {
      const owner = await storedUser(store);
      const member = await storedUser(store);
      const org = anOrganization();
      await store.organizations.create(org, owner.id);
      await store.organizations.addMember(org.id, member.id, NOW);
      await store.organizations.addMember(org.id, member.id, NOW + 10);
      await store.organizations.addMember(org.id, owner.id, NOW + 10);
      assert.deepEqual(await store.organizations.listForUser(member.id), [org]);
      assert.deepEqual(await store.organizations.listForUser(owner.id), [org]);
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM memberships WHERE organization_id = ?', [org.id]), 2);
    });

    test('listForUser lists only the user’s organizations, oldest first', async () => {
      const user = await storedUser(store);
      const other = await storedUser(store);
      const newer = anOrganization({ createdAt: NOW + 20 });
      const older = anOrganization({ createdAt: NOW - 20 });
      const foreign = anOrganization();
      await store.organizations.create(newer, user.id);
      await store.organizations.create(older, user.id);
      await store.organizations.create(foreign, other.id);
      assert.deepEqual(await store.organizations.listForUser(user.id), [older, newer]);
      assert.deepEqual(await store.organizations.listForUser(other.id), [foreign]);
      assert.deepEqual(await store.organizations.listForUser(randomUUID()), []);
    });
  });

  describe('sessions', () => {
    test('a session without down-scope is found with its user and no organizations', async () => {
      const user = await storedUser(store, { emailVerified: true });
      const session = aSession(user.id, { createdAt: NOW - 100, expiresAt: NOW + 100 });
      const hash = hex64();
      await store.sessions.create(session, hash);
      assert.deepEqual(await store.sessions.findActive(hash, NOW), { session, user });
      assert.equal(await store.sessions.findActive(hex64(), NOW), undefined);
    });

    test('a down-scoped session returns its organizationIds', async () => {
      const user = await storedUser(store);
      const a = anOrganization();
      const b = anOrganization();
      await store.organizations.create(a, user.id);
      await store.organizations.create(b, user.id);
      const session = aSession(user.id, { organizationIds: [a.id, b.id] });
      const hash = hex64();
      await store.sessions.create(session, hash);
      const found = await store.sessions.findActive(hash, NOW);
      assert.ok(found);
      assert.deepEqual(sorted(found.session.organizationIds), sorted([a.id, b.id]));
      assert.deepEqual({ ...found.session, organizationIds: [] }, { ...session, organizationIds: [] });
      assert.deepEqual(found.user, user);
    });

    test('an expired session is not found', async () => {
      const user = await storedUser(store);
      const session = aSession(user.id, { expiresAt: NOW + 50 });
      const hash = hex64();
      await store.sessions.create(session, hash);
      assert.ok(await store.sessions.findActive(hash, NOW + 49));
      assert.equal(await store.sessions.findActive(hash, NOW + 50), undefined);
      assert.equal(await store.sessions.findActive(hash, NOW + 5000), undefined);
    });

    test('a user keeps at most MAX_SESSIONS_PER_USER sessions: a new one ends the oldest, never itself', async () => {
      const user = await storedUser(store);
      const other = await storedUser(store);
      const hashes: string[] = [];
      for (let i = 0; i < MAX_SESSIONS_PER_USER; i++) {
        hashes.push(hex64());
        await store.sessions.create(aSession(user.id, { createdAt: NOW + i, expiresAt: NOW + 3600 }), hashes[i] as string);
      }
      const foreign = hex64();
      await store.sessions.create(aSession(other.id, { createdAt: NOW, expiresAt: NOW + 3600 }), foreign);
      // The newest of all, yet created in the same second as older ones: it is the one kept.
      const newest = hex64();
      await store.sessions.create(aSession(user.id, { createdAt: NOW, expiresAt: NOW + 3600 }), newest);
      const live = async (hash: string) => (await store.sessions.findActive(hash, NOW + 1)) !== undefined;
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM user_sessions WHERE user_id = ?', [user.id]), MAX_SESSIONS_PER_USER);
      assert.deepEqual([await live(newest), await live(hashes[0] as string), await live(hashes[1] as string), await live(foreign)], [true, false, true, true]);
    });

    // created_at is in seconds; the ids are time-ordered (accounts.ts, startSession), so they order a second's sign-ins.
    test('sessions started in the same second: the cap ends the one started first', async () => {
      const user = await storedUser(store);
      const hashes: string[] = [];
      const started = Date.now() - 10_000;
      for (let i = 0; i <= MAX_SESSIONS_PER_USER + 1; i++) {
        hashes.push(hex64());
        await store.sessions.create(aSession(user.id, { id: timeOrderedId(started + i), createdAt: NOW, expiresAt: NOW + 3600 }), hashes[i] as string);
      }
      const live = await Promise.all(hashes.map(async (hash) => (await store.sessions.findActive(hash, NOW + 1)) !== undefined));
      assert.deepEqual(live.flatMap((alive, i) => (alive ? [] : [i])), [0, 1]);
    });

    test('setPassword replaces the hash and ends every session of the user, others\' stay; with ifHash only if it is still theirs', async () => {
      const [user, other] = [await storedUser(store), await storedUser(store)];
      const [mine, theirs] = [hex64(), hex64()];
      await store.sessions.create(aSession(user.id, { expiresAt: NOW + 3600 }), mine);
      await store.sessions.create(aSession(other.id, { expiresAt: NOW + 3600 }), theirs);
      const before = (await store.users.findById(user.id))?.passwordHash ?? '';
      assert.equal(await store.users.setPassword(user.id, 'new-hash', { ifHash: before }), true);
      const live = async (hash: string) => (await store.sessions.findActive(hash, NOW + 1)) !== undefined;
      assert.deepEqual([await live(mine), await live(theirs)], [false, true]);
      assert.equal((await store.users.findById(user.id))?.passwordHash, 'new-hash');
      // Two changes checked against the same hash: the second finds it gone and changes nothing.
      assert.equal(await store.users.setPassword(user.id, 'other-hash', { ifHash: before }), false);
      assert.equal((await store.users.findById(user.id))?.passwordHash, 'new-hash');
      assert.equal(await store.users.setPassword(user.id, 'newer-hash'), true);
      assert.equal(await store.users.setPassword('no-such-user', 'x'), false);
      // A sign-in that checked the password before the change ends nothing and stores nothing after it.
      const late = hex64();
      assert.equal(await store.sessions.create(aSession(user.id, { expiresAt: NOW + 3600 }), late, 'new-hash'), false);
      assert.equal(await live(late), false);
      assert.equal(await store.sessions.create(aSession(user.id, { expiresAt: NOW + 3600 }), late, 'newer-hash'), true);
    });

    test('setPassword with revokeTokensAt also revokes every token of the user, in the same transaction; without, they stay', async () => {
      const [user, other] = [await storedUser(store), await storedUser(store)];
      const client = aClient();
      await store.clients.create(client);
      const [kept, revoked, theirs] = [aToken(client.clientId, user.id), aToken(client.clientId, user.id), aToken(client.clientId, other.id)];
      for (const t of [kept, theirs]) await store.tokens.create(t);
      assert.equal(await store.users.setPassword(user.id, 'plain-change'), true);
      assert.equal((await store.tokens.findByAccess(accessKey(kept)))?.accessTokenRevokedAt, 0, 'a change alone keeps the tokens');
      await store.tokens.create(revoked);
      assert.equal(await store.users.setPassword(user.id, 'after-compromise', { revokeTokensAt: NOW + 7 }), true);
      const read = async (t: typeof kept) => {
        const row = await store.tokens.findByAccess(accessKey(t));
        return [row?.accessTokenRevokedAt, row?.refreshTokenRevokedAt];
      };
      assert.deepEqual([await read(kept), await read(revoked), await read(theirs)], [[NOW + 7, NOW + 7], [NOW + 7, NOW + 7], [0, 0]]);
    });

    test('delete removes the session and its down-scope rows', async () => {
      const user = await storedUser(store);
      const org = anOrganization();
      await store.organizations.create(org, user.id);
      const session = aSession(user.id, { organizationIds: [org.id] });
      const hash = hex64();
      await store.sessions.create(session, hash);
      await store.sessions.delete(hash);
      assert.equal(await store.sessions.findActive(hash, NOW), undefined);
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM user_session_organizations WHERE session_id = ?', [session.id]), 0);
      await store.sessions.delete(hash);
      await store.sessions.delete(hex64());
    });
  });

  describe('consents', () => {
    test('remember is an upsert: the second call replaces the scope', async () => {
      const user = await storedUser(store);
      const clientId = aClient().clientId;
      assert.equal(await store.consents.find(clientId, user.id), undefined);
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
      assert.deepEqual(await store.consents.find(clientId, user.id), { clientId, userId: user.id, scope: 'openid', organizationIds: [] });
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid email profile', organizationIds: [] }, NOW + 10);
      assert.deepEqual(await store.consents.find(clientId, user.id), { clientId, userId: user.id, scope: 'openid email profile', organizationIds: [] });
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [clientId, user.id]), 1);
    });

    test('consents are per (client, user)', async () => {
      const user = await storedUser(store);
      const other = await storedUser(store);
      const clientId = aClient().clientId;
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
      assert.equal(await store.consents.find(clientId, other.id), undefined);
      assert.equal(await store.consents.find(aClient().clientId, user.id), undefined);
    });
  });
});
