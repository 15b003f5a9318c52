/**
 * A token issued without a claim (the `web` grant) and the block of its user (`users.block`).
 * A block revokes every token it can see; a `web` token committed after it would be missed, so
 * `tokens.create` refuses a blocked user, atomically with a block in progress.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aToken, accessKey, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

describe(`store contract: tokens.create and a user's block (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  for (const organizationIds of [[], [randomUUID()]]) {
    const shape = organizationIds.length ? 'with organizations' : 'without organizations';
    test(`a blocked user gets no token (${shape}); unblocked, they do again`, async () => {
      const client = await storedClient(h.store);
      const user = await storedUser(h.store);
      assert.equal(await h.store.users.block(user.id, NOW), true);
      const refused = aToken(client.clientId, user.id, { organizationIds });
      assert.equal(await h.store.tokens.create(refused), false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(refused)), undefined);
      assert.equal(await h.store.transaction((tx) => tx.tokens.create(refused)), false);
      assert.equal(await h.store.users.unblock(user.id), true);
      const issued = aToken(client.clientId, user.id, { organizationIds });
      assert.equal(await h.store.tokens.create(issued), true);
    });
  }

  test('of tokens issued in one turn, only the blocked user’s are refused', async () => {
    const client = await storedClient(h.store);
    const [live, blocked] = [await storedUser(h.store), await storedUser(h.store)];
    await h.store.users.block(blocked.id, NOW);
    const tokens = Array.from({ length: 10 }, (_, i) => aToken(client.clientId, (i % 2 ? blocked : live).id));
    const results = await Promise.all(tokens.map((t) => h.store.tokens.create(t)));
    assert.deepEqual(results, tokens.map((_, i) => i % 2 === 0));
  });

  describe('racing a block (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
    test('an insert during a block waits for it, then stores nothing', async () => {
      const client = await storedClient(h.store);
      const user = await storedUser(h.store);
      const token = aToken(client.clientId, user.id);
      // The block's first step, held open: the user row is marked but not committed.
      const created = await waitsFor(h.raw, 'UPDATE users SET blocked_at = ? WHERE id = ?', [NOW, user.id], () => h.store.tokens.create(token), 'the insert');
      assert.equal(created, false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
    });

    test('a block during an insert waits for it, then revokes the token', async () => {
      const client = await storedClient(h.store);
      const user = await storedUser(h.store);
      const token = aToken(client.clientId, user.id);
      let blocking: Promise<boolean> | undefined;
      let settled = false;
      await h.store.transaction(async (tx) => {
        assert.equal(await tx.tokens.create(token), true);
        // Started while the insert holds the user row and has not committed.
        blocking = h.store.users.block(user.id, NOW + 1).finally(() => (settled = true));
        await new Promise((resolve) => setTimeout(resolve, 200));
        assert.equal(settled, false, 'the block waits for the inserting transaction');
      });
      assert.equal(await blocking, true);
      const stored = await h.store.tokens.findByAccess(accessKey(token));
      assert.equal(stored?.accessTokenRevokedAt, NOW + 1);
    });
  });
});
