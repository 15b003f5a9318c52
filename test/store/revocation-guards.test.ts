/**
 * Codes and `web` tokens against what ends the access they would grant, besides a block
 * (block-guards.test.ts, issue-guards.test.ts): a password change, which deletes every session of
 * the user (and with `revokeTokensAt` spends their codes and revokes their tokens), and a client's
 * deletion (D12). One issued through a session that ended, or for a client deleted, while its
 * request ran must not outlive that: `codes.create` and `tokens.create` hold those rows
 * (src/store/sql/codes.ts, issue-after.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Store, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { type Harness, NOW, aCode, aSession, aToken, accessKey, hex64, harness, storedClient, storedUser, waitsFor } from './fixtures.js';

describe(`store contract: codes against a password change and a client's deletion (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  const signedIn = async (user: User) => {
    const session = aSession(user.id);
    assert.equal(await h.store.sessions.create(session, hex64()), true);
    return session.id;
  };
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

  test('after the session ended or the client was deleted, none is issued; before, one is', async () => {
    const user = await storedUser(h.store);
    const client = await storedClient(h.store);
    const sessionId = await signedIn(user);
    assert.equal(await h.store.codes.create(aCode(client.clientId, user.id), { sessionId }), 'created');

    assert.equal(await h.store.users.setPassword(user.id, '$scrypt$other', { revokeTokensAt: NOW + 1 }), true);
    const afterChange = aCode(client.clientId, user.id);
    assert.equal(await h.store.codes.create(afterChange, { sessionId }), 'refused', 'its session is gone');
    assert.equal(await h.store.codes.find(afterChange.codeHash), undefined);

    const again = await signedIn(user);
    await h.store.clients.delete(client.clientId, NOW + 2);
    assert.equal(await h.store.codes.create(aCode(client.clientId, user.id), { sessionId: again }), 'refused', 'the client is deleted');
  });

  describe('racing them (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, () => {
    test('issued while the sessions are being deleted: it waits, then issues nothing', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const sessionId = await signedIn(user);
      const code = aCode(client.clientId, user.id);
      const result = await waitsFor(h.raw, 'DELETE FROM user_sessions WHERE user_id = ?', [user.id], () => h.store.codes.create(code, { sessionId }), 'the code');
      assert.equal(result, 'refused');
      assert.equal(await h.store.codes.find(code.codeHash), undefined);
    });

    test('a password change that revokes, while a code is being issued, waits for it and then spends it', async () => {
      const user = await storedUser(h.store);
      const client = await storedClient(h.store);
      const sessionId = await signedIn(user);
      const code = aCode(client.clientId, user.id);
      const issue = async (tx: Store) => assert.equal(await tx.codes.create(code, { sessionId }), 'created');
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
      const passwordHash = user.passwordHash ?? '';
      assert.equal(await h.store.tokens.create(aToken(client.clientId, user.id), { passwordHash }), true);
      assert.equal(await h.store.users.setPassword(user.id, '$scrypt$other'), true);
      const late = aToken(client.clientId, user.id);
      assert.equal(await h.store.tokens.create(late, { passwordHash }), false);
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
        const create = () => h.store.tokens.create(token, { passwordHash: user.passwordHash ?? '' });
        assert.equal(await waitsFor(h.raw, change, ['$scrypt$other', user.id], create, 'the token'), false);
      });

      test('a password change that revokes, while the token is being issued, waits for it and then revokes it', async () => {
        const user = await storedUser(h.store);
        const client = await storedClient(h.store);
        const token = aToken(client.clientId, user.id);
        const issue = async (tx: Store) => assert.equal(await tx.tokens.create(token, { passwordHash: user.passwordHash ?? '' }), true);
        assert.equal(await changeWaitsFor(issue, () => h.store.users.setPassword(user.id, '$scrypt$other', { revokeTokensAt: NOW + 1 }), 'the change'), true);
        assert.equal(await revoked(token), true);
      });
    });
  });
});
