/**
 * The store contract under concurrency: single-winner code consumption and refresh rotation,
 * and race-free consent upserts. Every race runs through one store; on PostgreSQL it runs again
 * through two stores (two connection pools) on the same schema, racing each other.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NewToken, Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aClient, aCode, aToken, aUser, anOrganization, count, harness, accessKey, refreshKey, storedUser, waitsFor } from './fixtures.js';

const RACERS = 50;

describe(`store contract: concurrency (${ENGINE})`, () => {
  let h: Harness;
  let user: User;
  before(async () => {
    h = await harness();
    user = await storedUser(h.store);
  });
  after(() => h.close());

  const setups: [string, () => Promise<Store[]>][] = [['one store', async () => [h.store]]];
  if (ENGINE === 'postgres') setups.push(['two stores (two pools) on one schema', async () => [h.store, await h.open()]]);

  for (const [label, storesFor] of setups) {
    describe(label, () => {
      let stores: Store[];
      // Racer i uses store i mod n, so with two stores the pools interleave.
      const pick = (i: number) => stores[i % stores.length]!;
      before(async () => {
        stores = await storesFor();
      });

      test(`${RACERS} concurrent codes.consume: exactly one wins`, async () => {
        const code = aCode(aClient().clientId, user.id, { organizationIds: [randomUUID()] });
        await h.store.codes.create(code);
        const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => pick(i).codes.consume(code.id, NOW + 1)));
        assert.equal(results.filter(Boolean).length, 1);
        assert.equal((await h.store.codes.find(code.codeHash))?.consumedAt, NOW + 1);
      });

      test(`${RACERS} concurrent code exchanges (consume then create, in one transaction): one token`, async () => {
        const clientId = aClient().clientId;
        const code = aCode(clientId, user.id);
        await h.store.codes.create(code);
        const minted = Array.from({ length: RACERS }, () => aToken(clientId, user.id, { familyId: code.id, organizationIds: [randomUUID()] }));
        const results = await Promise.all(
          minted.map((token, i) =>
            pick(i).transaction(async (tx) => {
              if (!(await tx.codes.consume(code.id, NOW + 1))) return false;
              await tx.tokens.create(token);
              return true;
            }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const stored = await Promise.all(minted.map((t) => h.store.tokens.findByAccess(accessKey(t))));
        assert.deepEqual(
          stored.map((t) => t !== undefined),
          results,
        );
      });

      test(`${RACERS} concurrent bare tokens.rotate: exactly one wins`, async () => {
        const original = aToken(aClient().clientId, user.id);
        await h.store.tokens.create(original);
        const results = await Promise.all(Array.from({ length: RACERS }, (_, i) => pick(i).tokens.rotate(original.id, NOW + 1, `sealed-${i}`)));
        assert.equal(results.filter(Boolean).length, 1);
        const rotated = await h.store.tokens.findByAccess(accessKey(original));
        assert.equal(rotated?.rotatedResponse, `sealed-${results.indexOf(true)}`);
      });

      test(`${RACERS} concurrent rotations (rotate then create, in one transaction): one rotation, one new row`, async () => {
        const clientId = aClient().clientId;
        const original = aToken(clientId, user.id, { organizationIds: [randomUUID()] });
        await h.store.tokens.create(original);
        const minted = Array.from({ length: RACERS }, (_, i) =>
          aToken(clientId, user.id, { familyId: original.familyId, organizationIds: i % 2 ? [] : [randomUUID()] }),
        );
        const results = await Promise.all(
          minted.map((token, i) =>
            pick(i).transaction(async (tx) => {
              if (!(await tx.tokens.rotate(original.id, NOW + 1, `sealed-${i}`))) return false;
              await tx.tokens.create(token);
              return true;
            }),
          ),
        );
        assert.equal(results.filter(Boolean).length, 1);
        const winner = results.indexOf(true);

        const rotated = await h.store.tokens.findByRefresh(refreshKey(original));
        assert.equal(rotated?.rotatedAt, NOW + 1);
        assert.equal(rotated?.refreshTokenRevokedAt, NOW + 1);
        assert.equal(rotated?.rotatedResponse, `sealed-${winner}`);

        const stored = await Promise.all(minted.map((t) => h.store.tokens.findByAccess(accessKey(t))));
        assert.deepEqual(
          stored.map((t) => t !== undefined),
          results,
        );
        assert.equal(stored[winner]?.familyId, original.familyId);
        assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE family_id = ?', [original.familyId]), 2);
      });

      test('20 concurrent codes.create with one (client, nonce): one created, the rest nonce-in-use', async () => {
        const clientId = aClient().clientId;
        const nonce = `n-${randomUUID()}`;
        const candidates = Array.from({ length: 20 }, () => aCode(clientId, user.id, { nonce, organizationIds: [randomUUID()] }));
        const outcomes = await Promise.allSettled(candidates.map((c, i) => pick(i).codes.create(c)));
        const values = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : `rejected: ${String(o.reason)}`));
        assert.equal(values.filter((v) => v === 'created').length, 1);
        assert.equal(values.filter((v) => v === 'nonce-in-use').length, candidates.length - 1);
        const stored = await Promise.all(candidates.map((c) => h.store.codes.find(c.codeHash)));
        assert.deepEqual(
          stored.map((c) => c !== undefined),
          values.map((v) => v === 'created'),
        );
        assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_authorization_codes WHERE client_id = ?', [clientId]), 1);
      });

      test('20 concurrent consents.remember for one (client, user): no error, one row', async () => {
        const clientId = aClient().clientId;
        const scopes = Array.from({ length: 20 }, (_, i) => `openid scope:${i}`);
        const outcomes = await Promise.allSettled(
          scopes.map((scope, i) => pick(i).consents.remember({ clientId, userId: user.id, scope, organizationIds: [] }, NOW + i)),
        );
        assert.deepEqual(
          outcomes.filter((o) => o.status === 'rejected'),
          [],
        );
        assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [clientId, user.id]), 1);
        const consent = await h.store.consents.find(clientId, user.id);
        assert.ok(consent && scopes.includes(consent.scope));
      });

      test('30 concurrent independent transactions all commit', async () => {
        const work = Array.from({ length: 30 }, () => ({ owner: aUser(), org: anOrganization() }));
        await Promise.all(
          work.map(({ owner, org }, i) =>
            pick(i).transaction(async (tx) => {
              await tx.users.create(owner);
              await tx.organizations.create(org, owner.id);
            }),
          ),
        );
        const listed = await Promise.all(work.map(({ owner }) => h.store.organizations.listForUser(owner.id)));
        assert.deepEqual(
          listed,
          work.map(({ org }) => [org]),
        );
      });
    });
  }

  /**
   * A consent revoked while an authorization request approved on it creates its code: the code
   * waits for the revocation's deletion and then is not created (store.ts, codes.create). SQLite
   * runs one writer at a time, so there one simply comes before the other.
   */
  describe('a code created on a consent being revoked (postgres)', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, () => {
    test('waits for the revocation, then writes nothing', async () => {
      const user = await storedUser(h.store);
      const clientId = `polar_ci_${randomUUID()}`;
      await h.store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
      const code = aCode(clientId, user.id);
      // The revocation's first step, held open: the consent deleted but not committed.
      const creation = await waitsFor(h.raw, 'DELETE FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [clientId, user.id], () =>
        h.store.codes.create(code, { whileConsented: true }), 'the creation');
      assert.equal(creation, 'not-consented');
      assert.equal(await h.store.codes.find(code.codeHash), undefined);
    });
  });

  /** A failover, a restart or an idle-in-transaction timeout ends a backend mid-transaction. */
  describe('a connection lost inside a transaction (postgres)', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, () => {
    test('the transaction fails; the process and the store live on', async () => {
      await assert.rejects(
        h.raw.transaction(async (tx) => {
          const { pid } = (await tx.get<{ pid: number }>('SELECT pg_backend_pid() AS pid'))!;
          await h.raw.get('SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE pid = ?', [pid]);
          await tx.get('SELECT 1 AS n');
        }),
      );
      // Before, the checked-out client's 'error' event had no listener and ended the process.
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.deepEqual(await h.raw.transaction((tx) => tx.get('SELECT 1 AS n')), { n: 1 });
    });
  });

  /**
   * Revocation racing a rotation. Under READ COMMITTED an UPDATE does not see rows committed after
   * it started: a family revocation that waits on the row a rotation is claiming re-reads that row
   * once it is free, but never sees the successor the rotation inserted. That successor must not
   * outlive the revocation (RFC 9700 §4.14.2; nothing revoked ever works again). SQLite runs one
   * writer at a time, so there the revocation simply comes before or after the rotation.
   */
  describe('a revocation while a rotation of its tokens commits (postgres)', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, () => {
    for (const [label, revoke] of [
      ['family revocation (reuse detection)', (s: Store, t: NewToken) => s.tokens.revokeFamily(t, NOW + 2)],
      ['client deletion', (s: Store, t: NewToken) => s.clients.delete(t.clientId, NOW + 2)],
      ['consent revocation', (s: Store, t: NewToken) => s.consents.revoke(t.clientId, t.userId, NOW + 2)],
    ] as const) {
      test(`${label}: the successor the rotation committed meanwhile is revoked too`, async () => {
        const client = aClient();
        await h.store.clients.create(client);
        const parent = aToken(client.clientId, user.id);
        await h.store.tokens.create(parent);
        const child = aToken(client.clientId, user.id, { familyId: parent.familyId });
        let revoking: Promise<void> | undefined;
        await h.store.transaction(async (tx) => {
          assert.equal(await tx.tokens.rotateTo(parent.id, NOW + 1, 'sealed', child), true);
          // Started while the rotation holds the parent's row lock and has not committed.
          revoking = revoke(h.store, parent);
          await new Promise((resolve) => setTimeout(resolve, 300));
        });
        await revoking;
        const successor = await h.store.tokens.findByAccess(accessKey(child));
        assert.equal(successor?.accessTokenRevokedAt, NOW + 2);
        assert.equal(successor?.refreshTokenRevokedAt, NOW + 2);
      });
    }
  });
});
