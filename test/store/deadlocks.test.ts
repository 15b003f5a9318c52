/**
 * A deadlock aborts one transaction of the cycle (40P01). Batched claims lock several rows in one
 * statement, so one can cross a concurrent multi-row revocation or client deletion; the aborted
 * statement or transaction changed nothing and runs again (postgres.ts). Played by a function
 * that reports a deadlock on chosen attempts: a sequence counts them, since it ignores rollbacks.
 * SQLite runs one writer at a time and has no deadlocks.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aToken, accessKey, harness, storedClient, storedUser } from './fixtures.js';

describe('PostgreSQL: work aborted by a deadlock runs again', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time and has no deadlocks' }, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
    await h.raw.exec(`CREATE SEQUENCE attempts;
      CREATE FUNCTION deadlocked_on(first bigint, last bigint) RETURNS bigint LANGUAGE plpgsql AS $$
        DECLARE n bigint := nextval('attempts');
        BEGIN
          IF n BETWEEN first AND last THEN RAISE EXCEPTION 'deadlock detected' USING ERRCODE = '40P01'; END IF;
          RETURN n;
        END $$;
      CREATE TABLE written (n bigint)`);
  });
  after(() => h.close());
  beforeEach(() => h.raw.exec("SELECT setval('attempts', 1, false); DELETE FROM written"));
  const attempts = async () => (await h.raw.get<{ n: number }>('SELECT last_value AS n FROM attempts'))!.n;

  test('a statement outside a transaction runs again and answers', async () => {
    assert.deepEqual(await h.raw.get('SELECT deadlocked_on(1, 2) AS n'), { n: 3 });
  });

  test('a statement deadlocked on every attempt fails after three, with the deadlock', async () => {
    await assert.rejects(h.raw.get('SELECT deadlocked_on(1, 1000) AS n'), { code: '40P01' });
    assert.equal(await attempts(), 3);
  });

  test('a transaction runs again as a whole; the aborted attempt leaves nothing', async () => {
    const result = await h.raw.transaction(async (tx) => {
      await tx.run('INSERT INTO written (n) VALUES (1)');
      return tx.get<{ n: number }>('SELECT deadlocked_on(1, 1) AS n');
    });
    assert.deepEqual(result, { n: 2 });
    assert.equal((await h.raw.all('SELECT n FROM written')).length, 1);
  });

  test('a transaction deadlocked on every attempt fails after three, having written nothing', async () => {
    await assert.rejects(
      h.raw.transaction(async (tx) => {
        await tx.run('INSERT INTO written (n) VALUES (1)');
        await tx.get('SELECT deadlocked_on(1, 1000) AS n');
      }),
      { code: '40P01' },
    );
    assert.equal(await attempts(), 3);
    assert.deepEqual(await h.raw.all('SELECT n FROM written'), []);
  });

  /**
   * A family revocation runs UPDATEs until one changes nothing (tokens.ts). Here the second
   * statement deadlocks on every attempt: the revocation fails, and must not leave the family half
   * revoked, its first statement committed on its own.
   */
  test('a family revocation that fails revokes nothing rather than part of the family', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const token = aToken(client.clientId, user.id);
    await h.store.tokens.create(token);
    await h.raw.exec(`CREATE FUNCTION deadlock_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM deadlocked_on(2, 1000); RETURN NULL; END $$;
      CREATE TRIGGER deadlock_revocation BEFORE UPDATE ON oauth2_tokens FOR EACH STATEMENT EXECUTE FUNCTION deadlock_revocation()`);
    try {
      await assert.rejects(h.store.tokens.revokeFamily(token, NOW + 1), { code: '40P01' });
    } finally {
      await h.raw.exec('DROP TRIGGER deadlock_revocation ON oauth2_tokens; DROP FUNCTION deadlock_revocation()');
    }
    const stored = await h.store.tokens.findByAccess(accessKey(token));
    assert.equal(stored?.accessTokenRevokedAt, 0);
    assert.equal(stored?.refreshTokenRevokedAt, 0);
    // With the statements free to run, the revocation completes.
    await h.store.tokens.revokeFamily(token, NOW + 2);
    assert.equal((await h.store.tokens.findByAccess(accessKey(token)))?.accessTokenRevokedAt, NOW + 2);
  });
});
