/**
 * Sessions and authorization codes against a user's block (`users.block`, `borealis users block`).
 * The block deletes the user's sessions and consumes their codes; one stored while it ran must not
 * escape it and come back on `unblock`. So `sessions.create` and `codes.create` refuse a blocked
 * user, atomically with a block in progress (`holdActiveUser` in src/store/sql/accounts.ts).
 * Tokens: test/store/issue-guards.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aCode, aSession, hex64, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

interface Stored {
  name: string;
  /** Stores one for `user`: whether it was stored, as the store reports it. */
  create(store: Store, user: User): Promise<{ stored: boolean; live(): Promise<boolean> }>;
}

const KINDS: Stored[] = [
  {
    name: 'a session',
    async create(store, user) {
      const hash = hex64();
      const stored = await store.sessions.create(aSession(user.id, { expiresAt: NOW + 3600 }), hash);
      return { stored, live: async () => (await store.sessions.findActive(hash, NOW)) !== undefined };
    },
  },
  {
    name: 'a code',
    async create(store, user) {
      const client = await storedClient(store);
      const code = aCode(client.clientId, user.id);
      const result = await store.codes.create(code);
      assert.ok(result === 'created' || result === 'refused', result);
      return { stored: result === 'created', live: async () => (await store.codes.find(code.codeHash))?.consumedAt === null };
    },
  },
];

describe(`store contract: sessions and codes against a user's block (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  for (const kind of KINDS) {
    describe(kind.name, () => {
      test('a blocked user gets none; unblocked, they do again', async () => {
        const user = await storedUser(h.store);
        assert.equal(await h.store.users.block(user.id, NOW), true);
        const refused = await kind.create(h.store, user);
        assert.equal(refused.stored, false);
        assert.equal(await h.store.users.unblock(user.id), true);
        assert.equal(await refused.live(), false, 'unblocking revives nothing');
        const stored = await kind.create(h.store, user);
        assert.equal(stored.stored, true);
        assert.equal(await stored.live(), true);
      });

      describe('racing the block (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
        test('stored while the block runs: it waits for the block, then stores nothing', async () => {
          const user = await storedUser(h.store);
          const mark = 'UPDATE users SET blocked_at = ? WHERE id = ?';
          const result = await waitsFor(h.raw, mark, [NOW, user.id], () => kind.create(h.store, user), `storing ${kind.name}`);
          assert.equal(result.stored, false);
          assert.equal(await h.store.users.unblock(user.id), true);
          assert.equal(await result.live(), false);
        });

        test('a block while it is being stored waits for it, then ends it', async () => {
          const user = await storedUser(h.store);
          let blocking: Promise<boolean> | undefined;
          let settled = false;
          const result = await h.store.transaction(async (tx) => {
            const created = await kind.create(tx, user);
            blocking = h.store.users.block(user.id, NOW + 1).finally(() => (settled = true));
            await new Promise((resolve) => setTimeout(resolve, 200));
            assert.equal(settled, false, 'the block waits for the storing transaction');
            return created;
          });
          assert.equal(result.stored, true);
          assert.equal(await blocking, true);
          assert.equal(await h.store.users.unblock(user.id), true);
          assert.equal(await result.live(), false, 'the block ended it, and unblocking does not revive it');
        });
      });
    });
  }
});
