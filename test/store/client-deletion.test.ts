/**
 * A token issued without a claim (the `web` grant) and the deletion of its client (D12). Codes
 * and refresh tokens are claimed, and a deletion consumes and revokes them; a `web` token is not,
 * so `tokens.create` itself refuses a deleted client, atomically with a deletion in progress.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aToken, accessKey, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

describe(`store contract: tokens.create and client deletion (${ENGINE})`, () => {
  let h: Harness;
  let user: User;
  before(async () => {
    h = await harness();
    user = await storedUser(h.store);
  });
  after(() => h.close());

  // With down-scope organizations the insert is a transaction of its own; without, one statement.
  for (const organizationIds of [[], [randomUUID()]]) {
    const shape = organizationIds.length ? 'with organizations' : 'without organizations';
    test(`a deleted client gets no token (${shape}): false, and nothing is stored`, async () => {
      const client = await storedClient(h.store);
      await h.store.clients.delete(client.clientId, NOW);
      const token = aToken(client.clientId, user.id, { organizationIds });
      assert.equal(await h.store.tokens.create(token), false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
      // Inside a transaction the store does not batch; the same rule holds there.
      assert.equal(await h.store.transaction((tx) => tx.tokens.create(token)), false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
    });

    test(`a live client's token is stored (${shape}): true`, async () => {
      const client = await storedClient(h.store);
      const token = aToken(client.clientId, user.id, { organizationIds });
      assert.equal(await h.store.tokens.create(token), true);
      assert.deepEqual((await h.store.tokens.findByAccess(accessKey(token)))?.organizationIds, organizationIds);
    });
  }

  test('of tokens issued in one turn, only the deleted client’s are refused', async () => {
    const live = await storedClient(h.store);
    const deleted = await storedClient(h.store);
    await h.store.clients.delete(deleted.clientId, NOW);
    const tokens = Array.from({ length: 10 }, (_, i) => aToken((i % 2 ? deleted : live).clientId, user.id));
    const results = await Promise.all(tokens.map((t) => h.store.tokens.create(t)));
    assert.deepEqual(results, tokens.map((_, i) => i % 2 === 0));
    const stored = await Promise.all(tokens.map((t) => h.store.tokens.findByAccess(accessKey(t))));
    assert.deepEqual(stored.map(Boolean), results);
  });

  /**
   * Under READ COMMITTED a deletion's revocation cannot see a token committed after it. SQLite runs
   * one writer at a time, so there one simply comes before the other.
   */
  describe('racing a deletion (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
    test('an insert during a deletion waits for it, then stores nothing', async () => {
      const client = await storedClient(h.store);
      const token = aToken(client.clientId, user.id);
      // The deletion's first step, held open: the client row is marked but not committed.
      const created = await waitsFor(h.raw, 'UPDATE oauth2_clients SET deleted_at = ? WHERE client_id = ?', [NOW, client.clientId], () =>
        h.store.tokens.create(token), 'the insert');
      assert.equal(created, false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
    });

    test('a deletion during an insert waits for it, then revokes the token', async () => {
      const client = await storedClient(h.store);
      const token = aToken(client.clientId, user.id);
      let deleting: Promise<void> | undefined;
      let settled = false;
      await h.store.transaction(async (tx) => {
        assert.equal(await tx.tokens.create(token), true);
        // Started while the insert holds the client row and has not committed.
        deleting = h.store.clients.delete(client.clientId, NOW + 1).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(settled, false, 'the deletion waits for the inserting transaction');
      });
      await deleting;
      const stored = await h.store.tokens.findByAccess(accessKey(token));
      assert.equal(stored?.accessTokenRevokedAt, NOW + 1);
    });
  });
});
