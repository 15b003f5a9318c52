/** The store contract: deleteExpired (§5.5) and transactions (migrations: migrations.test.ts). */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { CLEANUP_BATCH, REUSE_DETECTION_SECONDS } from '../../src/store/sql/index.js';
import type { NewToken, Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aClient, aCode, aSession, aToken, aUser, anOrganization, count, harness, hex64, storedUser, accessKey, refreshKey } from './fixtures.js';

describe(`store contract: deleteExpired (${ENGINE})`, () => {
  let h: Harness;
  let store: Store;
  let user: User;
  before(async () => {
    h = await harness();
    store = h.store;
    user = await storedUser(store);
  });
  after(() => h.close());

  test('removes expired codes, sessions and dead tokens; keeps live refresh tokens and unexpired rows', async () => {
    const clientId = aClient().clientId;
    const org = anOrganization();
    await store.organizations.create(org, user.id);

    const expiredCode = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100, organizationIds: [randomUUID()] });
    const consumedExpiredCode = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100 });
    const liveCode = aCode(clientId, user.id, { expiresAt: NOW + 600 });
    for (const c of [expiredCode, consumedExpiredCode, liveCode]) await store.codes.create(c);
    assert.equal(await store.codes.consume(consumedExpiredCode.id, NOW - 200), true);

    const expiredSession = aSession(user.id, { createdAt: NOW - 1000, expiresAt: NOW - 1, organizationIds: [org.id] });
    const liveSession = aSession(user.id, { expiresAt: NOW + 1000 });
    const expiredHash = hex64();
    const liveHash = hex64();
    await store.sessions.create(expiredSession, expiredHash);
    await store.sessions.create(liveSession, liveHash);

    // Access token lifetimes end at issuedAt + expiresIn.
    const old = { issuedAt: NOW - 5000, expiresIn: 3600 };
    const noRefresh = aToken(clientId, user.id, { ...old, refreshTokenHash: null, organizationIds: [randomUUID()] });
    const rotated = aToken(clientId, user.id, old);
    const familyRevoked = aToken(clientId, user.id, old);
    const liveRefresh = aToken(clientId, user.id, old);
    const freshNoRefresh = aToken(clientId, user.id, { refreshTokenHash: null, issuedAt: NOW - 10 });
    const freshRevoked = aToken(clientId, user.id, { issuedAt: NOW - 10 });
    const tokens = [noRefresh, rotated, familyRevoked, liveRefresh, freshNoRefresh, freshRevoked];
    for (const t of tokens) await store.tokens.create(t);
    assert.equal(await store.tokens.rotate(rotated.id, NOW - 2000, 'sealed'), true);
    await store.tokens.revokeFamily(familyRevoked, NOW - 2000);
    await store.tokens.revokeFamily(freshRevoked, NOW - 5);

    const key = { alg: 'RS256', publicJwk: '{}', privateJwkSealed: 'x', createdAt: NOW - 9000, retiredAt: NOW - 5000 };
    await store.signingKeys.create({ ...key, kid: 'k-expired', expiresAt: NOW - 1 });
    await store.signingKeys.create({ ...key, kid: 'k-published', expiresAt: NOW + 100 });
    await store.signingKeys.create({ ...key, kid: 'k-live', retiredAt: null, expiresAt: null });

    // 2 codes + 1 session + 3 tokens + 1 signing key.
    assert.equal(await store.deleteExpired(NOW), 7);

    assert.equal(await store.codes.find(expiredCode.codeHash), undefined);
    assert.equal(await store.codes.find(consumedExpiredCode.codeHash), undefined);
    assert.deepEqual(await store.codes.find(liveCode.codeHash), { ...liveCode, lostOrganizationIds: [] });
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_authorization_code_organizations WHERE code_id = ?', [expiredCode.id]), 0);

    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM user_sessions WHERE id = ?', [expiredSession.id]), 0);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM user_session_organizations WHERE session_id = ?', [expiredSession.id]), 0);
    assert.deepEqual((await store.sessions.findActive(liveHash, NOW))?.session, liveSession);

    const left = async (t: (typeof tokens)[number]) => (await store.tokens.findByAccess(accessKey(t))) !== undefined;
    assert.deepEqual(await Promise.all(tokens.map(left)), [false, false, false, true, true, true]);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_token_organizations WHERE token_id = ?', [noRefresh.id]), 0);
    // The kept expired row still works for refresh (polar-oauth2.md §5.5: refresh tokens have no time-based expiry).
    assert.equal((await store.tokens.findByRefresh(refreshKey(liveRefresh)))?.id, liveRefresh.id);

    assert.deepEqual((await store.signingKeys.list()).map((k) => k.kid).sort(), ['k-live', 'k-published']);

    assert.equal(await store.deleteExpired(NOW), 0);
    assert.ok(await store.users.findById(user.id));
  });

  const alive = async (t: NewToken) => (await store.tokens.findByAccess(accessKey(t))) !== undefined;

  test('a rotated row stays while its family can still refresh, at most REUSE_DETECTION_SECONDS after rotation', async () => {
    const clientId = aClient().clientId;
    const old = { issuedAt: NOW - 7200, expiresIn: 3600 };
    // Family A: the parent was rotated into a live child. Family B: rotated, then the family was revoked.
    const parentA = aToken(clientId, user.id, old);
    const childA = aToken(clientId, user.id, { familyId: parentA.familyId, issuedAt: NOW - 10 });
    const parentB = aToken(clientId, user.id, old);
    const childB = aToken(clientId, user.id, { familyId: parentB.familyId, issuedAt: NOW - 10 });
    for (const t of [parentA, childA, parentB, childB]) await store.tokens.create(t);
    assert.equal(await store.tokens.rotate(parentA.id, NOW - 3000, 'sealed'), true);
    assert.equal(await store.tokens.rotate(parentB.id, NOW - 3000, 'sealed'), true);
    await store.tokens.revokeFamily(parentB, NOW - 5);

    await store.deleteExpired(NOW);
    assert.deepEqual(await Promise.all([parentA, childA, parentB, childB].map((t) => alive(t))), [true, true, false, true]);
    // Long after the rotation the row goes, even though the family lives on.
    await store.deleteExpired(NOW - 3000 + REUSE_DETECTION_SECONDS + 1);
    assert.equal(await alive(parentA), false);
  });

  // A table the cleanup cannot clean (here: one gone; in production, a lock held past the
  // statement bound) no longer stops it: the tables after it are cleaned, and it says what failed.
  test('a table that fails leaves the others cleaned; the failure is reported', async () => {
    const broken = await harness();
    try {
      const owner = await storedUser(broken.store);
      await broken.store.sessions.create(aSession(owner.id, { createdAt: NOW - 1000, expiresAt: NOW - 1 }), hex64());
      const dead = aToken(aClient().clientId, owner.id, { issuedAt: NOW - 5000, expiresIn: 3600, refreshTokenHash: null });
      await broken.store.tokens.create(dead);
      await broken.raw.exec('ALTER TABLE user_sessions RENAME TO user_sessions_elsewhere');
      await assert.rejects(broken.store.deleteExpired(NOW), (error: unknown) => {
        assert.ok(error instanceof AggregateError);
        assert.equal(error.message, 'cleanup: 1 of 10 steps failed; 1 rows removed or scrubbed');
        assert.equal(error.errors.length, 1);
        return true;
      });
      assert.equal(await broken.store.tokens.findByAccess(accessKey(dead)), undefined, 'the tokens after the sessions were cleaned');
    } finally {
      await broken.close();
    }
  });

  test('a backlog larger than one cleanup statement is deleted whole, in batches of CLEANUP_BATCH', async () => {
    await store.deleteExpired(NOW);
    const clientId = aClient().clientId;
    const backlog = 2 * CLEANUP_BATCH + 7;
    const dead = Array.from({ length: backlog }, () =>
      aToken(clientId, user.id, { issuedAt: NOW - 5000, expiresIn: 3600, refreshTokenHash: null }),
    );
    const live = Array.from({ length: 3 }, () => aToken(clientId, user.id, { issuedAt: NOW - 10, refreshTokenHash: null }));
    for (let i = 0; i < dead.length; i += 500) await Promise.all(dead.slice(i, i + 500).map((t) => store.tokens.create(t)));
    for (const t of live) await store.tokens.create(t);

    assert.equal(await store.deleteExpired(NOW), backlog);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE client_id = ?', [clientId]), live.length);
    assert.deepEqual(await Promise.all(live.map((t) => alive(t))), [true, true, true]);
  });

  test('a consumed code stays while the tokens it paid for can still refresh; an unused expired code goes', async () => {
    const clientId = aClient().clientId;
    const used = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100 });
    const usedDead = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100 });
    const unused = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100 });
    for (const c of [used, usedDead, unused]) await store.codes.create(c);
    assert.equal(await store.codes.exchange(used.id, NOW - 600, aToken(clientId, user.id, { familyId: used.id })), true);
    assert.equal(await store.codes.exchange(usedDead.id, NOW - 600, aToken(clientId, user.id, { familyId: usedDead.id })), true);
    await store.tokens.revokeFamily({ familyId: usedDead.id, clientId, userId: user.id }, NOW - 1);

    await store.deleteExpired(NOW);
    assert.equal((await store.codes.find(used.codeHash))?.consumedAt, NOW - 600);
    assert.equal(await store.codes.find(usedDead.codeHash), undefined);
    assert.equal(await store.codes.find(unused.codeHash), undefined);
  });

  // D5: a replayed code revokes what it paid for, so it is kept while that works, refresh or not.
  test('a consumed code whose only token is an unexpired access token (no refresh_token grant) stays until it expires', async () => {
    const clientId = aClient().clientId;
    const code = aCode(clientId, user.id, { issuedAt: NOW - 700, expiresAt: NOW - 100 });
    await store.codes.create(code);
    const token = aToken(clientId, user.id, { familyId: code.id, refreshTokenHash: null, issuedAt: NOW - 600, expiresIn: 864000 });
    assert.equal(await store.codes.exchange(code.id, NOW - 600, token), true);
    await store.deleteExpired(NOW);
    assert.equal((await store.codes.find(code.codeHash))?.consumedAt, NOW - 600);
    await store.deleteExpired(NOW - 600 + 864000 + 1);
    assert.equal(await store.codes.find(code.codeHash), undefined);
  });

  test('an expired row revoked through its access token goes, though its refresh column was never set', async () => {
    const clientId = aClient().clientId;
    const revoked = aToken(clientId, user.id, { issuedAt: NOW - 5000, expiresIn: 3600 });
    await store.tokens.create(revoked);
    await store.tokens.revokeAccess(revoked.id, NOW - 4000);
    await store.deleteExpired(NOW);
    assert.equal(await alive(revoked), false);
  });
});

describe(`store contract: transactions (${ENGINE})`, () => {
  let h: Harness;
  let store: Store;
  let user: User;
  before(async () => {
    h = await harness();
    store = h.store;
    user = await storedUser(store);
  });
  after(() => h.close());

  test('a throw inside transaction rolls back every write in it', async () => {
    const clientId = aClient().clientId;
    const existingCode = aCode(clientId, user.id);
    const existingToken = aToken(clientId, user.id);
    await store.codes.create(existingCode);
    await store.tokens.create(existingToken);
    await store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);

    const newcomer = aUser();
    const org = anOrganization();
    const session = aSession(newcomer.id, { organizationIds: [org.id] });
    const sessionHash = hex64();
    const client = aClient();
    const code = aCode(clientId, newcomer.id, { organizationIds: [org.id] });
    const token = aToken(clientId, newcomer.id, { organizationIds: [org.id] });
    const bareToken = aToken(clientId, user.id);
    const boom = new Error('boom');

    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.users.create(newcomer);
        await tx.organizations.create(org, newcomer.id);
        await tx.organizations.addMember(org.id, user.id, NOW);
        await tx.sessions.create(session, sessionHash);
        await tx.clients.create(client);
        await tx.codes.create(code);
        await tx.tokens.create(token);
        await tx.tokens.create(bareToken);
        await tx.consents.remember({ clientId, userId: user.id, scope: 'openid email', organizationIds: [] }, NOW + 1);
        await tx.signingKeys.create({ kid: 'k-rolled-back', alg: 'RS256', publicJwk: '{}', privateJwkSealed: 'x', createdAt: NOW, retiredAt: null, expiresAt: null });
        assert.equal(await tx.codes.consume(existingCode.id, NOW), true);
        assert.equal(await tx.tokens.rotate(existingToken.id, NOW, 'sealed'), true);
        await tx.tokens.revokeFamily(existingToken, NOW);
        // Inside, the transaction sees its own writes.
        assert.deepEqual(await tx.users.findById(newcomer.id), newcomer);
        assert.equal((await tx.sessions.findActive(sessionHash, NOW))?.session.id, session.id);
        throw boom;
      }),
      (error) => error === boom,
    );

    assert.equal(await store.users.findById(newcomer.id), undefined);
    assert.equal(await store.users.findByEmail(newcomer.email), undefined);
    assert.equal(await store.organizations.findBySlug(org.slug), undefined);
    assert.deepEqual(await store.organizations.listForUser(user.id), []);
    assert.equal(await store.sessions.findActive(sessionHash, NOW), undefined);
    assert.equal(await store.clients.findByClientId(client.clientId), undefined);
    assert.equal(await store.codes.find(code.codeHash), undefined);
    assert.equal(await store.tokens.findByAccess(accessKey(token)), undefined);
    assert.equal(await store.tokens.findByAccess(accessKey(bareToken)), undefined);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_token_organizations WHERE token_id = ?', [token.id]), 0);
    assert.deepEqual(await store.consents.find(clientId, user.id), { clientId, userId: user.id, scope: 'openid', organizationIds: [] });
    assert.deepEqual(await store.signingKeys.list(), []);
    assert.deepEqual(await store.codes.find(existingCode.codeHash), { ...existingCode, lostOrganizationIds: [] });
    assert.deepEqual(await store.tokens.findByAccess(accessKey(existingToken)), {
      ...existingToken,
      accessTokenRevokedAt: 0,
      refreshTokenRevokedAt: 0,
      rotatedAt: null,
      rotatedResponse: null,
      lostOrganizationIds: [],
    });
    // The store is usable afterwards.
    assert.equal(await store.codes.consume(existingCode.id, NOW), true);
  });

  test('a failing statement inside transaction rolls back the earlier writes', async () => {
    const first = aUser();
    await assert.rejects(
      store.transaction(async (tx) => {
        await tx.users.create(first);
        await tx.users.create(aUser({ email: first.email.toUpperCase() }));
      }),
    );
    assert.equal(await store.users.findById(first.id), undefined);
  });

  test('a transaction that returns commits its writes and yields its value', async () => {
    const newcomer = aUser();
    const org = anOrganization();
    const result = await store.transaction(async (tx) => {
      await tx.users.create(newcomer);
      await tx.organizations.create(org, newcomer.id);
      return 'done';
    });
    assert.equal(result, 'done');
    assert.deepEqual(await store.users.findById(newcomer.id), newcomer);
    assert.deepEqual(await store.organizations.listForUser(newcomer.id), [org]);
  });
});
