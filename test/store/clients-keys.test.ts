/** The store contract for OAuth clients and signing keys (see contract.test.ts for the rest). */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import type { SigningKey, Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aClient, aCode, aToken, count, harness, hex64, metadata, storedUser, accessKey } from './fixtures.js';

describe(`store contract: clients and signing keys (${ENGINE})`, () => {
  let h: Harness;
  let store: Store;
  let user: User;
  before(async () => {
    h = await harness();
    store = h.store;
    user = await storedUser(store);
  });
  after(() => h.close());

  describe('clients', () => {
    test('create then findByClientId round-trips the metadata and flags', async () => {
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
        userId: user.id,
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

    test('client_id is unique', async () => {
      const client = aClient();
      await store.clients.create(client);
      await assert.rejects(store.clients.create(aClient({ clientId: client.clientId })));
      assert.deepEqual(await store.clients.findByClientId(client.clientId), client);
    });

    test('updateMetadata writes the change of the stored metadata, and modifiedAt only', async () => {
      const client = aClient();
      await store.clients.create(client);
      const updated = metadata({ client_name: 'Renamed', redirect_uris: ['https://new.example.com/cb'], logo_uri: 'https://new.example.com/l.png' });
      const seen: unknown[] = [];
      const written = await store.clients.updateMetadata(client.clientId, (stored) => (seen.push(stored), updated), NOW + 30);
      assert.deepEqual([seen, written], [[client.metadata], updated]);
      assert.deepEqual(await store.clients.findByClientId(client.clientId), { ...client, metadata: updated, modifiedAt: NOW + 30 });
    });

    // RFC 7592 PUT merges over what is stored: each change is made on the row as the one before left it.
    test('updateMetadata: 20 changes at once, each to its own field, all land', async () => {
      const client = aClient();
      await store.clients.create(client);
      const uris = Array.from({ length: 20 }, (_, i) => `https://app.example/cb${i}`);
      await Promise.all(uris.map((uri) => store.clients.updateMetadata(client.clientId, (stored) => ({ ...stored, redirect_uris: [...stored.redirect_uris, uri] }), NOW + 30)));
      const stored = await store.clients.findByClientId(client.clientId);
      assert.deepEqual([...(stored?.metadata.redirect_uris ?? [])].sort(), [...client.metadata.redirect_uris, ...uris].sort());
    });

    test('delete hides the client and stops its codes and tokens (D12), leaving other clients alone', async () => {
      const client = aClient({ userId: user.id });
      const bystander = aClient();
      for (const c of [client, bystander]) await store.clients.create(c);
      const code = aCode(client.clientId, user.id, { nonce: 'n-' + hex64() });
      const otherCode = aCode(bystander.clientId, user.id);
      const rotated = aToken(client.clientId, user.id);
      const live = aToken(client.clientId, user.id, { familyId: rotated.familyId });
      const otherToken = aToken(bystander.clientId, user.id);
      for (const c of [code, otherCode]) assert.equal(await store.codes.create(c), 'created');
      for (const t of [rotated, live, otherToken]) await store.tokens.create(t);
      assert.equal(await store.tokens.rotate(rotated.id, NOW + 1, 'sealed'), true);

      await store.clients.delete(client.clientId, NOW + 10);
      assert.equal(await store.clients.findByClientId(client.clientId), undefined);
      assert.deepEqual(await store.clients.findByClientId(bystander.clientId), bystander);
      assert.equal((await store.codes.find(code.codeHash))?.consumedAt, NOW + 10);
      assert.equal(await store.codes.consume(code.id, NOW + 11), false);
      assert.equal(await store.codes.nonceInUse(client.clientId, code.nonce!), false);
      const revoked = await Promise.all([rotated, live].map((t) => store.tokens.findByAccess(accessKey(t))));
      assert.deepEqual(
        revoked.map((t) => [t?.accessTokenRevokedAt, t?.refreshTokenRevokedAt]),
        [
          [NOW + 10, NOW + 1],
          [NOW + 10, NOW + 10],
        ],
      );
      assert.equal(await store.tokens.rotate(live.id, NOW + 11, 'sealed'), false);
      assert.equal(await store.codes.consume(otherCode.id, NOW + 11), true);
      assert.equal((await store.tokens.findByAccess(accessKey(otherToken)))?.accessTokenRevokedAt, 0);

      // A second delete changes nothing; a deleted client is no longer updated.
      await store.clients.delete(client.clientId, NOW + 20);
      assert.equal(await store.clients.updateMetadata(client.clientId, () => metadata({ client_name: 'Ghost' }), NOW + 20), undefined);
      assert.deepEqual(await h.raw.all('SELECT deleted_at, modified_at FROM oauth2_clients WHERE client_id = ?', [client.clientId]), [
        { deleted_at: NOW + 10, modified_at: client.modifiedAt },
      ]);
    });

    test('listByOwner pages the owner’s live clients, newest first, with the total', async () => {
      const owner = await storedUser(store);
      const other = await storedUser(store);
      const [c1, c2, c3, gone] = [1, 2, 3, 4].map((i) => aClient({ userId: owner.id, createdAt: NOW + i }));
      for (const c of [c2, gone, c1, c3, aClient({ userId: other.id })]) await store.clients.create(c!);
      await store.clients.delete(gone!.clientId, NOW + 5);
      assert.deepEqual(await store.clients.listByOwner(owner.id, 0, 10), { items: [c3, c2, c1], total: 3 });
      assert.deepEqual(await store.clients.listByOwner(owner.id, 1, 1), { items: [c2], total: 3 });
      assert.deepEqual(await store.clients.listByOwner(owner.id, 3, 10), { items: [], total: 3 });
      assert.deepEqual(await store.clients.listByOwner(hex64(), 0, 10), { items: [], total: 0 });
    });
  });

  describe('signing keys', () => {
    const key = (kid: string, createdAt: number, retiredAt: number | null = null, expiresAt: number | null = null): SigningKey => ({
      kid,
      alg: 'RS256',
      publicJwk: JSON.stringify({ kty: 'RSA', kid, n: hex64(), e: 'AQAB' }),
      privateJwkSealed: 'sealed:' + hex64(),
      createdAt,
      retiredAt,
      expiresAt,
    });

    // Each test starts with no keys, so list() sees only its own.
    beforeEach(() => h.raw.run('DELETE FROM signing_keys'));

    test('list returns every key ordered by creation time, then kid', async () => {
      assert.deepEqual(await store.signingKeys.list(), []);
      const newest = key('k-c', NOW + 200);
      const oldest = key('k-z', NOW - 200, NOW + 100, NOW + 4000);
      const tieB = key('k-b', NOW);
      const tieA = key('k-a', NOW);
      for (const k of [newest, oldest, tieB, tieA]) await store.signingKeys.create(k);
      assert.deepEqual(await store.signingKeys.list(), [oldest, tieA, tieB, newest]);
      await assert.rejects(store.signingKeys.create(key('k-a', NOW + 1)));
    });

    test('rotate adds the key and retires every live key, atomically', async () => {
      const live = key('k-live', NOW - 100);
      const retired = key('k-retired', NOW - 500, NOW - 100, NOW + 50);
      for (const k of [live, retired]) await store.signingKeys.create(k);
      const next = key('k-next', NOW + 60);
      await store.signingKeys.rotate(next, NOW + 4000);
      assert.deepEqual(await store.signingKeys.list(), [retired, { ...live, retiredAt: NOW + 60, expiresAt: NOW + 4000 }, next]);

      // A failing insert (duplicate kid) leaves the live key unretired.
      await assert.rejects(store.signingKeys.rotate(key('k-next', NOW + 120), NOW + 9000));
      assert.deepEqual((await store.signingKeys.list()).find((k) => k.kid === 'k-next'), next);
    });

    // Instances starting together on an empty database (several processes, not --workers).
    test('createFirst: of 8 stores on one database creating a first key at once, one does', async () => {
      const stores = [store, ...(await Promise.all(Array.from({ length: 7 }, () => h.open())))];
      const created = await Promise.all(stores.map((s, i) => s.signingKeys.createFirst(key(`k-first-${i}`, NOW))));
      assert.equal(created.filter(Boolean).length, 1);
      assert.equal((await store.signingKeys.list()).filter((k) => k.retiredAt === null).length, 1);
      assert.equal(await store.signingKeys.createFirst(key('k-late', NOW)), false);
    });

    test('two rotations at once from two stores leave one live key', async () => {
      await store.signingKeys.create(key('k-live', NOW - 100));
      const other = await h.open();
      await Promise.all([store.signingKeys.rotate(key('k-one', NOW + 60), NOW + 4000), other.signingKeys.rotate(key('k-two', NOW + 61), NOW + 4001)]);
      assert.equal((await store.signingKeys.list()).filter((k) => k.retiredAt === null).length, 1);
    });

    test('prune removes only keys whose expiry has passed, and names them', async () => {
      const expired = key('k-expired', NOW - 900, NOW - 500, NOW - 1);
      const expiring = key('k-expiring', NOW - 800, NOW - 400, NOW + 100);
      const live = key('k-live', NOW - 400);
      for (const k of [expired, expiring, live]) await store.signingKeys.create(k);
      assert.deepEqual(await store.signingKeys.prune(NOW), ['k-expired']);
      assert.deepEqual(await store.signingKeys.list(), [expiring, live]);
      assert.deepEqual(await store.signingKeys.prune(NOW), []);
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM signing_keys'), 2);
    });
  });
});
