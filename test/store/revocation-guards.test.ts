/**
 * Codes and `web` tokens against what ends the access they would grant, besides a block
 * (block-guards.test.ts, issue-guards.test.ts): a password change, which deletes every session of
 * the user (and with `revokeTokensAt` spends their codes and revokes their tokens), and a client's
 * deletion (D12). One issued through a session read before the password changed (named by the
 * password hash it was read with), or for a client deleted, while its request ran must not outlive
 * that: `codes.create` and `tokens.create` hold the user's and the client's rows
 * (src/store/sql/codes.ts, issue-after.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aCode, aToken, accessKey, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

describe(`store contract: codes against a password change and a client's deletion (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  /** The password hash a session of `user` is read with. */
  const readWith = (user: User) => ({ passwordHash: user.passwordHash ?? '' });
  const live = async (codeHash: string) => (await h.store.codes.find(codeHash))?.consumedAt === null;
  /**
   * PostgreSQL: `issue` runs in a transaction held open while `change` starts; `change` must still
   * wait 200 ms later. Commits, then returns what `change` ended with.
   */
  async function changeWaitsFor<T>(issue: (tx: Store) => Promise<void>, change: () => Promise<T>, what: string): Promise<T> {
    let changing: Promise<T> | undefined;
    let settled = false;
    await h.store.transaction(async (tx) => {
      await issue(tx);
      changing = change().finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.equal(settled, false, `${what} waits for the issuing transaction`);
    });
    return changing as Promise<T>;
  }

  test('after the password changed or the client was deleted, none is issued; before, one is', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    assert.equal(await h.store.codes.create(aCode(client.clientId, user.id), readWith(user)), 'created');

    assert.equal(await h.store.users.setPassword(user.id, '$scrypt$other', { revokeTokensAt: NOW + 1 }), true);
    const afterChange = aCode(client.clientId, user.id);
    assert.equal(await h.store.codes.create(afterChange, readWith(user)), 'refused', 'its session was read before the change');
    assert.equal(await h.store.codes.find(afterChange.codeHash), undefined);

    const changed = { passwordHash: '$scrypt$other' };
    assert.equal(await h.store.codes.create(aCode(client.clientId, user.id), changed), 'created', 'a session read after it');
    await h.store.clients.delete(client.clientId, NOW + 2);
    assert.equal(await h.store.codes.create(aCode(client.clientId, user.id), changed), 'refused', 'the client is deleted');
  });

  describe('racing them (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
    test('issued while the password is being changed: it waits, then issues nothing', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const code = aCode(client.clientId, user.id);
      const change = 'UPDATE users SET password_hash = ? WHERE id = ?';
      const result = await waitsFor(h.raw, change, ['$scrypt$other', user.id], () => h.store.codes.create(code, readWith(user)), 'the code');
      assert.equal(result, 'refused');
      assert.equal(await h.store.codes.find(code.codeHash), undefined);
    });

    test('a password change that revokes, while a code is being issued, waits for it and then spends it', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const code = aCode(client.clientId, user.id);
      const issue = async (tx: Store) => assert.equal(await tx.codes.create(code, readWith(user)), 'created');
      assert.equal(await changeWaitsFor(issue, () => h.store.users.setPassword(user.id, '$scrypt$other', { revokeTokensAt: NOW + 1 }), 'the change'), true);
      assert.equal(await live(code.codeHash), false, 'the change spent it');
    });

    test('issued while the client is being deleted: it waits, then issues nothing', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const code = aCode(client.clientId, user.id);
      const mark = 'UPDATE oauth2_clients SET deleted_at = ? WHERE client_id = ?';
      const result = await waitsFor(h.raw, mark, [NOW, client.clientId], () => h.store.codes.create(code), 'the code');
      assert.equal(result, 'refused');
    });

    test('a deletion while a code is being issued waits for it and then spends it', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const code = aCode(client.clientId, user.id);
      const issue = async (tx: Store) => assert.equal(await tx.codes.create(code), 'created');
      await changeWaitsFor(issue, () => h.store.clients.delete(client.clientId, NOW + 1), 'the deletion');
      assert.equal(await live(code.codeHash), false, 'the deletion spent it');
    });
  });

  describe('web tokens, issued through a session read with the password hash it names', () => {
    const revoked = async (token: ReturnType<typeof aToken>) => (await h.store.tokens.findByAccess(accessKey(token)))?.accessTokenRevokedAt !== 0;

    test('after the password changed (which ends every session), none is issued; with the new hash, or none named, one is', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      assert.equal(await h.store.tokens.create(aToken(client.clientId, user.id), readWith(user)), true);
      assert.equal(await h.store.users.setPassword(user.id, '$scrypt$other'), true);
      const late = aToken(client.clientId, user.id);
      assert.equal(await h.store.tokens.create(late, readWith(user)), false);
      assert.equal(await h.store.tokens.findByAccess(accessKey(late)), undefined);
      assert.equal(await h.store.tokens.create(aToken(client.clientId, user.id), { passwordHash: '$scrypt$other' }), true);
      assert.equal(await h.store.tokens.create(aToken(client.clientId, user.id)), true);
    });

    describe('racing a password change (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
      test('issued while the password is being changed: it waits, then issues nothing', async () => {
        const user = await storedUser(h.store);
        const client = await storedClient(h.store);
        const token = aToken(client.clientId, user.id);
        const change = 'UPDATE users SET password_hash = ? WHERE id = ?';
        const create = () => h.store.tokens.create(token, readWith(user));
        assert.equal(await waitsFor(h.raw, change, ['$scrypt$other', user.id], create, 'the token'), false);
      });

      test('a password change that revokes, while the token is being issued, waits for it and then revokes it', async () => {
        const user = await storedUser(h.store);
        const client = await storedClient(h.store);
        const token = aToken(client.clientId, user.id);
        const issue = async (tx: Store) => assert.equal(await tx.tokens.create(token, readWith(user)), true);
        assert.equal(await changeWaitsFor(issue, () => h.store.users.setPassword(user.id, '$scrypt$other', { revokeTokensAt: NOW + 1 }), 'the change'), true);
        assert.equal(await revoked(token), true);
      });
    });
  });
});
