/**
 * A token issued without a claim (the `web` grant) against the two things that must stop it: the
 * deletion of its client (D12) and the block of its user. Codes and refresh tokens are claimed,
 * and a deletion or a block consumes and revokes them; a `web` token is not, so `tokens.create`
 * itself refuses a deleted client or a blocked user, atomically with one in progress
 * (`issuable` in src/store/sql/issue-after.ts).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Client, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aToken, accessKey, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

interface Stop {
  name: string;
  /** The stop as the store makes it, revoking every token it can see. */
  apply(h: Harness, client: Client, user: User, now: number): Promise<unknown>;
  /** Its first statement, which marks the row: held open to race an insert. */
  mark: string;
  markParams(client: Client, user: User): (string | number)[];
}

const STOPS: Stop[] = [
  {
    name: "the client's deletion",
    apply: (h, client, _user, now) => h.store.clients.delete(client.clientId, now),
    mark: 'UPDATE oauth2_clients SET deleted_at = ? WHERE client_id = ?',
    markParams: (client) => [NOW, client.clientId],
  },
  {
    name: "the user's block",
    apply: (h, _client, user, now) => h.store.users.block(user.id, now),
    mark: 'UPDATE users SET blocked_at = ? WHERE id = ?',
    markParams: (_client, user) => [NOW, user.id],
  },
];

describe(`store contract: tokens.create against a client's deletion and a user's block (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  const parties = async () => ({ client: await storedClient(h.store), user: await storedUser(h.store) });

  for (const stop of STOPS) {
    describe(stop.name, () => {
      // With down-scope organizations the insert is a transaction of its own; without, one statement.
      for (const organizationIds of [[], [randomUUID()]]) {
        const shape = organizationIds.length ? 'with organizations' : 'without organizations';
        test(`after it, no token (${shape}): false, and nothing is stored`, async () => {
          const { client, user } = await parties();
          await stop.apply(h, client, user, NOW);
          const token = aToken(client.clientId, user.id, { organizationIds });
          assert.equal(await h.store.tokens.create(token), false);
          assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
          // Inside a transaction the store does not batch; the same rule holds there.
          assert.equal(await h.store.transaction((tx) => tx.tokens.create(token)), false);
          assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
        });
      }

      test('of tokens issued in one turn, only the stopped party’s are refused', async () => {
        const live = await parties();
        const stopped = await parties();
        await stop.apply(h, stopped.client, stopped.user, NOW);
        const tokens = Array.from({ length: 10 }, (_, i) => {
          const { client, user } = i % 2 ? stopped : live;
          return aToken(client.clientId, user.id);
        });
        const results = await Promise.all(tokens.map((t) => h.store.tokens.create(t)));
        assert.deepEqual(results, tokens.map((_, i) => i % 2 === 0));
        const stored = await Promise.all(tokens.map((t) => h.store.tokens.findByAccess(accessKey(t))));
        assert.deepEqual(stored.map(Boolean), results);
      });

      /**
       * Under READ COMMITTED a stop's revocation cannot see a token committed after it. SQLite runs
       * one writer at a time, so there one simply comes before the other.
       */
      describe('racing it (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
        test('an insert during it waits for it, then stores nothing', async () => {
          const { client, user } = await parties();
          const token = aToken(client.clientId, user.id);
          // Its first step, held open: the row is marked but not committed.
          const created = await waitsFor(h.raw, stop.mark, stop.markParams(client, user), () => h.store.tokens.create(token), 'the insert');
          assert.equal(created, false);
          assert.equal(await h.store.tokens.findByAccess(accessKey(token)), undefined);
        });

        test('it waits for an insert in progress, then revokes the token', async () => {
          const { client, user } = await parties();
          const token = aToken(client.clientId, user.id);
          let stopping: Promise<unknown> | undefined;
          let settled = false;
          await h.store.transaction(async (tx) => {
            assert.equal(await tx.tokens.create(token), true);
            // Started while the insert holds the rows and has not committed.
            stopping = stop.apply(h, client, user, NOW + 1).finally(() => (settled = true));
            await new Promise((resolve) => setTimeout(resolve, 200));
            assert.equal(settled, false, 'it waits for the inserting transaction');
          });
          await stopping;
          const stored = await h.store.tokens.findByAccess(accessKey(token));
          assert.equal(stored?.accessTokenRevokedAt, NOW + 1);
        });
      });
    });
  }

  test('a live client and user get their token, and an unblocked user again', async () => {
    const { client, user } = await parties();
    assert.equal(await h.store.tokens.create(aToken(client.clientId, user.id)), true);
    assert.equal(await h.store.users.block(user.id, NOW), true);
    assert.equal(await h.store.users.unblock(user.id), true);
    const token = aToken(client.clientId, user.id, { organizationIds: [randomUUID()] });
    assert.equal(await h.store.tokens.create(token), true);
    assert.equal((await h.store.tokens.findByAccess(accessKey(token)))?.organizationIds.length, 1);
  });
});
