/**
 * The store contract: users, organizations, sessions, clients, consents and signing keys, on the
 * engine DATABASE_URL selects (SQLite temp file by default, a fresh PostgreSQL schema otherwise).
 * Codes and tokens: codes-tokens.test.ts; cleanup, transactions, migrations: maintenance.test.ts;
 * races: concurrency.test.ts.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { SigningKey, Store } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import {
  type Harness,
  NOW,
  aClient,
  aSession,
  aUser,
  anOrganization,
  count,
  harness,
  hex64,
  metadata,
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

  describe('clients', () => {
    test('create then findByClientId round-trips the metadata and flags', async () => {
      const owner = await storedUser(store);
      const full = aClient({
        metadata: metadata({
          redirect_uris: ['https://app.example.com/cb', 'http://localhost:3000/cb'],
          token_endpoint_auth_method: 'client_secret_basic',
          client_name: 'Ünïcode “App” \\ 🚀',
          client_uri: 'https://app.example.com',
          logo_uri: 'https://app.example.com/logo.png',
          tos_uri: 'https://app.example.com/tos',
          policy_uri: 'https://app.example.com/privacy',
          scope: 'openid profile email products:read',
          default_sub_type: 'organization',
        }),
        firstParty: true,
        userId: owner.id,
        clientSecretExpiresAt: NOW + 86_400,
        modifiedAt: NOW + 1,
      });
      const publicClient = aClient({ metadata: metadata({ token_endpoint_auth_method: 'none', grant_types: ['authorization_code'] }) });
      await store.clients.create(full);
      await store.clients.create(publicClient);
      assert.deepEqual(await store.clients.findByClientId(full.clientId), full);
      assert.deepEqual(await store.clients.findByClientId(publicClient.clientId), publicClient);
      assert.equal((await store.clients.findByClientId(full.clientId))?.firstParty, true);
      assert.equal((await store.clients.findByClientId(publicClient.clientId))?.firstParty, false);
      assert.equal(await store.clients.findByClientId('polar_ci_missing'), undefined);
    });

    test('client_id is unique and a deleted client is not found', async () => {
      const client = aClient();
      await store.clients.create(client);
      await assert.rejects(store.clients.create(aClient({ clientId: client.clientId })));
      await h.raw.run('UPDATE oauth2_clients SET deleted_at = ? WHERE id = ?', [NOW, client.id]);
      assert.equal(await store.clients.findByClientId(client.clientId), undefined);
    });
  });

  describe('consents', () => {
    test('remember is an upsert: the second call replaces the scope', async () => {
      const user = await storedUser(store);
      const clientId = aClient().clientId;
      assert.equal(await store.consents.find(clientId, user.id), undefined);
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid' }, NOW);
      assert.deepEqual(await store.consents.find(clientId, user.id), { clientId, userId: user.id, scope: 'openid' });
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid email profile' }, NOW + 10);
      assert.deepEqual(await store.consents.find(clientId, user.id), { clientId, userId: user.id, scope: 'openid email profile' });
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [clientId, user.id]), 1);
    });

    test('consents are per (client, user)', async () => {
      const user = await storedUser(store);
      const other = await storedUser(store);
      const clientId = aClient().clientId;
      await store.consents.remember({ clientId, userId: user.id, scope: 'openid' }, NOW);
      assert.equal(await store.consents.find(clientId, other.id), undefined);
      assert.equal(await store.consents.find(aClient().clientId, user.id), undefined);
    });
  });

  describe('signing keys', () => {
    test('list returns every key ordered by creation time, then kid', async () => {
      assert.deepEqual(await store.signingKeys.list(), []);
      const key = (kid: string, createdAt: number, retiredAt: number | null = null): SigningKey => ({
        kid,
        alg: 'RS256',
        publicJwk: JSON.stringify({ kty: 'RSA', kid, n: hex64(), e: 'AQAB' }),
        privateJwkSealed: 'sealed:' + hex64(),
        createdAt,
        retiredAt,
      });
      const newest = key('k-c', NOW + 200);
      const oldest = key('k-z', NOW - 200, NOW + 100);
      const tieB = key('k-b', NOW);
      const tieA = key('k-a', NOW);
      for (const k of [newest, oldest, tieB, tieA]) await store.signingKeys.create(k);
      assert.deepEqual(await store.signingKeys.list(), [oldest, tieA, tieB, newest]);
      await assert.rejects(store.signingKeys.create(key('k-a', NOW + 1)));
    });
  });
});
