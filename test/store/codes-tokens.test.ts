/** The store contract for authorization codes and tokens (see contract.test.ts for the rest). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Store, Token, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aClient, aCode, aToken, count, harness, hex64, memberOrganizations, sorted, storedUser, accessKey, refreshKey } from './fixtures.js';

describe(`store contract: codes and tokens (${ENGINE})`, () => {
  let h: Harness;
  let store: Store;
  let user: User;
  before(async () => {
    h = await harness();
    store = h.store;
    user = await storedUser(store);
  });
  after(() => h.close());

  describe('codes', () => {
    test('create then find returns every field, with the organization rows', async () => {
      const orgs = await memberOrganizations(store, user.id, 3);
      const code = aCode(aClient().clientId, user.id, {
        nonce: 'n-' + hex64(),
        codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
        codeChallengeMethod: 'S256',
        organizationIds: orgs,
      });
      assert.equal(await store.codes.create(code), 'created');
      const found = await store.codes.find(code.codeHash);
      assert.ok(found);
      assert.deepEqual(sorted(found.organizationIds), sorted(orgs));
      assert.deepEqual({ ...found, organizationIds: [] }, { ...code, organizationIds: [], lostOrganizationIds: [] });

      const bare = aCode(aClient().clientId, user.id, { redirectUri: null });
      assert.equal(await store.codes.create(bare), 'created');
      assert.deepEqual(await store.codes.find(bare.codeHash), { ...bare, lostOrganizationIds: [] });
      assert.equal(await store.codes.find(hex64()), undefined);
    });

    test('findWithClient: the client, the code and its user in one read, either side missing', async () => {
      const client = aClient();
      await h.store.clients.create(client);
      const storedClient = await store.codes.findWithClient(client.clientId, hex64());
      assert.deepEqual(Object.keys(storedClient), ['client']);
      const orgs = await memberOrganizations(store, user.id, 1);
      const created = aCode(client.clientId, user.id, { organizationIds: orgs });
      await store.codes.create(created);
      const code = { ...created, lostOrganizationIds: [] };
      assert.deepEqual(await store.codes.findWithClient(client.clientId, code.codeHash), { client: storedClient.client, code, user });
      assert.deepEqual(await store.codes.findWithClient('polar_ci_unknown', code.codeHash), { code, user });
      assert.deepEqual(await store.codes.findWithClient('polar_ci_unknown', hex64()), {});
    });

    test('code_hash is unique and a failed create leaves no organization rows', async () => {
      const code = aCode(aClient().clientId, user.id);
      await store.codes.create(code);
      const clash = aCode(aClient().clientId, user.id, { codeHash: code.codeHash, organizationIds: [randomUUID()] });
      await assert.rejects(store.codes.create(clash));
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_authorization_code_organizations WHERE code_id = ?', [clash.id]), 0);
    });

    test('create reports nonce-in-use while another live code of the client carries the nonce', async () => {
      const clientId = aClient().clientId;
      const nonce = 'n-' + hex64();
      const first = aCode(clientId, user.id, { nonce });
      assert.equal(await store.codes.create(first), 'created');
      const second = aCode(clientId, user.id, { nonce, organizationIds: [randomUUID()] });
      assert.equal(await store.codes.create(second), 'nonce-in-use');
      assert.equal(await store.codes.find(second.codeHash), undefined);
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_authorization_code_organizations WHERE code_id = ?', [second.id]), 0);
      assert.equal(await store.codes.create(aCode(aClient().clientId, user.id, { nonce })), 'created');
      assert.equal(await store.codes.create(aCode(clientId, user.id)), 'created');
      assert.equal(await store.codes.create(aCode(clientId, user.id)), 'created');
      // Once the first is consumed the nonce is free again.
      assert.equal(await store.codes.consume(first.id, NOW), true);
      assert.equal(await store.codes.create(second), 'created');
      assert.equal(await store.codes.create(aCode(clientId, user.id, { nonce })), 'nonce-in-use');
    });

    test('create whileConsented: only while the consent stands; after its revocation nothing is written', async () => {
      const clientId = aClient().clientId;
      const orphan = aCode(clientId, user.id, { organizationIds: [randomUUID()] });
      assert.equal(await store.codes.create(orphan, { whileConsented: true }), 'not-consented');
      assert.equal(await store.codes.find(orphan.codeHash), undefined);
      assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_authorization_code_organizations WHERE code_id = ?', [orphan.id]), 0);

      await store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
      const code = aCode(clientId, user.id);
      assert.equal(await store.codes.create(code, { whileConsented: true }), 'created');
      await store.consents.revoke(clientId, user.id, NOW + 1);
      assert.equal((await store.codes.find(code.codeHash))?.consumedAt, NOW + 1);
      assert.equal(await store.codes.create(aCode(clientId, user.id), { whileConsented: true }), 'not-consented');
    });

    test('consume is single-use and records when', async () => {
      const code = aCode(aClient().clientId, user.id);
      await store.codes.create(code);
      assert.equal(await store.codes.consume(code.id, NOW + 5), true);
      assert.equal(await store.codes.consume(code.id, NOW + 6), false);
      assert.equal((await store.codes.find(code.codeHash))?.consumedAt, NOW + 5);
      assert.equal(await store.codes.consume(randomUUID(), NOW), false);
    });

    test('an expired code cannot be consumed', async () => {
      const code = aCode(aClient().clientId, user.id, { expiresAt: NOW + 600 });
      await store.codes.create(code);
      assert.equal(await store.codes.consume(code.id, NOW + 600), false);
      assert.equal(await store.codes.consume(code.id, NOW + 10_000), false);
      assert.equal((await store.codes.find(code.codeHash))?.consumedAt, null);
      const live = aCode(aClient().clientId, user.id, { expiresAt: NOW + 600 });
      await store.codes.create(live);
      assert.equal(await store.codes.consume(live.id, NOW + 599), true);
    });

    test('nonceInUse: only unconsumed codes of that client count, expired or not', async () => {
      const clientId = aClient().clientId;
      const nonce = 'n-' + hex64();
      assert.equal(await store.codes.nonceInUse(clientId, nonce), false);
      const code = aCode(clientId, user.id, { nonce });
      await store.codes.create(code);
      assert.equal(await store.codes.nonceInUse(clientId, nonce), true);
      assert.equal(await store.codes.nonceInUse(aClient().clientId, nonce), false);
      assert.equal(await store.codes.nonceInUse(clientId, 'n-other'), false);
      assert.equal(await store.codes.consume(code.id, NOW), true);
      assert.equal(await store.codes.nonceInUse(clientId, nonce), false);

      // polar-oauth2.md §3.4 step 9: the lookup ignores expiry.
      const expiredNonce = 'n-' + hex64();
      await store.codes.create(aCode(clientId, user.id, { nonce: expiredNonce, issuedAt: NOW - 1000, expiresAt: NOW - 400 }));
      assert.equal(await store.codes.nonceInUse(clientId, expiredNonce), true);
    });
  });

  describe('tokens', () => {
    const asStored = (t: ReturnType<typeof aToken>): Token => ({
      ...t,
      accessTokenRevokedAt: 0,
      refreshTokenRevokedAt: 0,
      rotatedAt: null,
      rotatedResponse: null,
      lostOrganizationIds: [],
    });

    test('create with organization rows, found by refresh and by access hash', async () => {
      const orgs = await memberOrganizations(store, user.id, 2);
      const token = aToken(aClient().clientId, user.id, { subType: 'organization', organizationIds: orgs, expiresIn: 864_000 });
      await store.tokens.create(token);
      for (const found of [await store.tokens.findByAccess(accessKey(token)), await store.tokens.findByRefresh(refreshKey(token))]) {
        assert.ok(found);
        assert.deepEqual(sorted(found.organizationIds), sorted(orgs));
        assert.deepEqual({ ...found, organizationIds: [] }, { ...asStored(token), organizationIds: [] });
      }
      assert.equal(await store.tokens.findByAccess({ hash: token.refreshTokenHash!, legacyHash: null }), undefined);
      assert.equal(await store.tokens.findByRefresh({ hash: token.accessTokenHash, legacyHash: null }), undefined);
    });

    test('create without organization rows or refresh token', async () => {
      const token = aToken(aClient().clientId, user.id, { refreshTokenHash: null });
      await store.tokens.create(token);
      assert.deepEqual(await store.tokens.findByAccess(accessKey(token)), asStored(token));
      assert.equal(await store.tokens.findByRefresh({ hash: hex64(), legacyHash: null }), undefined);
      assert.equal(await store.tokens.findByAccess({ hash: hex64(), legacyHash: null }), undefined);
      await assert.rejects(store.tokens.create(aToken(token.clientId, user.id, { accessTokenHash: token.accessTokenHash })));
    });

    test('findAccessGrant: the token and its user in one read; nothing for an unknown hash', async () => {
      const orgs = await memberOrganizations(store, user.id, 1);
      const token = aToken(aClient().clientId, user.id, { subType: 'organization', organizationIds: orgs });
      await store.tokens.create(token);
      assert.deepEqual(await store.tokens.findAccessGrant(accessKey(token)), { token: asStored(token), user });
      assert.equal(await store.tokens.findAccessGrant({ hash: token.refreshTokenHash!, legacyHash: null }), undefined);
      assert.equal(await store.tokens.findAccessGrant({ hash: hex64(), legacyHash: null }), undefined);
    });

    test('findWithClient: the client and the presented token, either or both missing', async () => {
      const client = aClient();
      await store.clients.create(client);
      const token = aToken(client.clientId, user.id, { organizationIds: await memberOrganizations(store, user.id, 1) });
      await store.tokens.create(token);
      const storedClient = await store.clients.findByClientId(client.clientId);
      const both = { client: storedClient, token: asStored(token) };
      assert.deepEqual(await store.tokens.findWithClient(client.clientId, { kind: 'access_token', ...accessKey(token) }), both);
      assert.deepEqual(await store.tokens.findWithClient(client.clientId, { kind: 'refresh_token', ...refreshKey(token) }), both);
      // Each hash is looked up in its own column only.
      assert.deepEqual(await store.tokens.findWithClient(client.clientId, { kind: 'refresh_token', hash: token.accessTokenHash, legacyHash: null }), { client: storedClient });
      assert.deepEqual(await store.tokens.findWithClient(client.clientId, undefined), { client: storedClient });
      assert.deepEqual(await store.tokens.findWithClient('polar_ci_unknown', { kind: 'access_token', ...accessKey(token) }), { token: asStored(token) });
      assert.deepEqual(await store.tokens.findWithClient('polar_ci_unknown', undefined), {});
      // A deleted client is not found; its (revoked, D12) token still is, for the endpoint to judge.
      await store.clients.delete(client.clientId, NOW + 5);
      const after = await store.tokens.findWithClient(client.clientId, { kind: 'access_token', ...accessKey(token) });
      assert.equal(after.client, undefined);
      assert.equal(after.token?.accessTokenRevokedAt, NOW + 5);
    });

    test('rotate marks the refresh token used once and keeps the sealed response', async () => {
      const token = aToken(aClient().clientId, user.id);
      await store.tokens.create(token);
      assert.equal(await store.tokens.rotate(token.id, NOW + 7, 'sealed-1'), true);
      assert.equal(await store.tokens.rotate(token.id, NOW + 8, 'sealed-2'), false);
      assert.deepEqual(await store.tokens.findByRefresh(refreshKey(token)), {
        ...asStored(token),
        refreshTokenRevokedAt: NOW + 7,
        rotatedAt: NOW + 7,
        rotatedResponse: 'sealed-1',
      });
      assert.equal(await store.tokens.rotate(randomUUID(), NOW, 'sealed-x'), false);
    });

    test('a revoked row cannot be rotated', async () => {
      const token = aToken(aClient().clientId, user.id);
      await store.tokens.create(token);
      await store.tokens.revokeFamily(token, NOW + 1);
      assert.equal(await store.tokens.rotate(token.id, NOW + 2, 'sealed'), false);
      const row = await store.tokens.findByAccess(accessKey(token));
      assert.equal(row?.rotatedAt, null);
      assert.equal(row?.rotatedResponse, null);
    });

    test('revokeAccess revokes the access token, which also stops rotation; idempotent', async () => {
      const token = aToken(aClient().clientId, user.id);
      const sibling = aToken(token.clientId, user.id, { familyId: token.familyId });
      await store.tokens.create(token);
      await store.tokens.create(sibling);
      await store.tokens.revokeAccess(token.id, NOW + 3);
      await store.tokens.revokeAccess(token.id, NOW + 9);
      assert.deepEqual(await store.tokens.findByAccess(accessKey(token)), { ...asStored(token), accessTokenRevokedAt: NOW + 3 });
      assert.equal(await store.tokens.rotate(token.id, NOW + 10, 'sealed'), false);
      assert.deepEqual(await store.tokens.findByAccess(accessKey(sibling)), asStored(sibling));
    });

    test('revokeFamily revokes every row of the family, only that family, idempotently', async () => {
      const clientId = aClient().clientId;
      const familyId = randomUUID();
      const family = { familyId, clientId, userId: user.id };
      const rotated = aToken(clientId, user.id, { familyId });
      const current = aToken(clientId, user.id, { familyId, issuedAt: NOW + 10, organizationIds: [randomUUID()] });
      const accessOnly = aToken(clientId, user.id, { familyId, refreshTokenHash: null });
      const bystander = aToken(clientId, user.id);
      for (const t of [rotated, current, accessOnly, bystander]) await store.tokens.create(t);
      assert.equal(await store.tokens.rotate(rotated.id, NOW + 5, 'sealed'), true);

      await store.tokens.revokeFamily(family, NOW + 20);
      const after1 = await Promise.all([rotated, current, accessOnly].map((t) => store.tokens.findByAccess(accessKey(t))));
      assert.deepEqual(
        after1.map((t) => [t?.accessTokenRevokedAt, t?.refreshTokenRevokedAt]),
        [
          [NOW + 20, NOW + 5],
          [NOW + 20, NOW + 20],
          [NOW + 20, NOW + 20],
        ],
      );
      assert.deepEqual(await store.tokens.findByAccess(accessKey(bystander)), asStored(bystander));

      await store.tokens.revokeFamily(family, NOW + 99);
      const after2 = await Promise.all([rotated, current, accessOnly].map((t) => store.tokens.findByAccess(accessKey(t))));
      assert.deepEqual(after2, after1);
      await store.tokens.revokeFamily({ ...family, familyId: randomUUID() }, NOW);
      assert.deepEqual(await store.tokens.findByAccess(accessKey(bystander)), asStored(bystander));
    });
  });
});
