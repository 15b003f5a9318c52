/**
 * Hashes of an earlier scrypt cost (p=1 before 2026-12-01) are made again at today's cost when
 * the password is next given (OWASP Password Storage: upgrade on login), with nothing else
 * changed: no session ends, the password stays the same, and sign-ins at the same moment all pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setPassword } from '../../src/accounts/accounts.js';
import { startSession } from '../../src/accounts/sessions.js';
import { hashPassword, verifyPassword } from '../../src/accounts/passwords.js';
import { signInWithPassword } from '../../src/accounts/sign-in.js';
import type { User } from '../../src/store/store.js';
import { consolePost } from '../support/console.js';
import { PASSWORD, aUser } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const EARLIER = { N: 16384, r: 8, p: 1 };
const TODAY = /^scrypt\$16384\$8\$5\$[\w-]{22}\$[\w-]{43}$/;

describe('password hashes of an earlier cost', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const users = () => server.borealis.accounts.store.users;
  const hashOf = async (user: User) => (await users().findById(user.id))?.passwordHash ?? '';
  const login = (email: string, password: string) =>
    fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' });
  const signedIn = async (cookie: string) => (await fetch(`${server.url}/settings/account`, { headers: { cookie }, redirect: 'manual' })).status === 200;

  /** A user whose stored hash is of the earlier cost, with a session started before any upgrade. */
  async function anEarlierUser(): Promise<{ user: User; earlier: string; cookie: string }> {
    const created = await aUser(server);
    const earlier = await hashPassword(PASSWORD, EARLIER);
    assert.ok(await users().setPassword(created.id, earlier));
    const user = { ...created, passwordHash: earlier };
    const started = await startSession(server.borealis.accounts, user);
    assert.ok(started);
    return { user, earlier, cookie: `polar_session=${started.token}` };
  }

  test('a new password is hashed at today\'s cost (OWASP: N=2^14, r=8, p=5)', async () => {
    const user = await aUser(server);
    assert.match(await hashOf(user), TODAY);
  });

  test('signing in hashes the password again at today\'s cost; the session held before stays signed in', async () => {
    const { user, earlier, cookie } = await anEarlierUser();
    const response = await login(user.email, PASSWORD);
    assert.equal(response.status, 303);
    const upgraded = await hashOf(user);
    assert.match(upgraded, TODAY);
    assert.notEqual(upgraded, earlier);
    assert.equal(await verifyPassword(PASSWORD, upgraded), true);
    assert.equal(await signedIn(cookie), true, 'the earlier session');
    assert.equal(await signedIn((response.headers.get('set-cookie') ?? '').split(';')[0] ?? ''), true, 'the new session');
    // Once at today's cost, it is left alone.
    assert.equal((await login(user.email, PASSWORD)).status, 303);
    assert.equal(await hashOf(user), upgraded);
  });

  test('a wrong password changes nothing', async () => {
    const { user, earlier } = await anEarlierUser();
    assert.equal((await login(user.email, 'not the password')).status, 400);
    assert.equal(await hashOf(user), earlier);
  });

  test('five sign-ins at once all pass: those whose upgrade lost check the hash that won', async () => {
    const { user } = await anEarlierUser();
    const results = await Promise.all(Array.from({ length: 5 }, (_, i) => signInWithPassword(server.borealis.accounts, user.email, PASSWORD, `198.51.100.${i + 1}`)));
    const stored = await hashOf(user);
    assert.match(stored, TODAY);
    for (const result of results) {
      assert.ok(result.ok);
      assert.equal(result.user.passwordHash, stored, 'each as stored, as its session is checked against');
      assert.ok(await startSession(server.borealis.accounts, result.user));
    }
  });

  test('the check before a password change upgrades the hash, and the change is made against it', async () => {
    const { user, cookie } = await anEarlierUser();
    const checked = await signInWithPassword(server.borealis.accounts, user.email, PASSWORD, '198.51.100.77');
    assert.ok(checked.ok);
    await setPassword(server.borealis.accounts, checked.user, 'a brand new horse', { ifHash: checked.user.passwordHash ?? '' });
    assert.equal(await verifyPassword('a brand new horse', await hashOf(user)), true);
    assert.equal(await signedIn(cookie), false, 'a change, unlike an upgrade, ends every session');
  });

  test('over HTTP, the account page\'s change works for a user of the earlier cost', async () => {
    const { user, cookie } = await anEarlierUser();
    const changed = await consolePost(server, cookie, '/settings/account/password', { current_password: PASSWORD, new_password: 'another new horse' });
    assert.equal(changed.status, 303);
    assert.match(await hashOf(user), TODAY);
    assert.equal(await verifyPassword('another new horse', await hashOf(user)), true);
  });
});
