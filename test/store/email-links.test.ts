/** Contract: links sent by mail (accounts/email-links.ts), on both engines. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { EmailLink, EmailLinkPurpose, User } from '../../src/store/store.js';
import { ENGINE } from '../support/server.js';
import { NOW, aSession, aToken, accessKey, count, type Harness, harness, hex64, storedClient, storedUser } from './fixtures.js';

describe(`store contract: links sent by mail (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  const aLink = (user: User, purpose: EmailLinkPurpose, overrides: Partial<EmailLink> = {}): EmailLink => ({
    id: randomUUID(),
    purpose,
    userId: user.id,
    email: user.email,
    createdAt: NOW,
    expiresAt: NOW + 3600,
    ...overrides,
  });
  /** A stored link for `user`; its token's hash. */
  async function linked(user: User, purpose: EmailLinkPurpose, overrides: Partial<EmailLink> = {}): Promise<{ link: EmailLink; hash: string }> {
    const link = aLink(user, purpose, overrides);
    const hash = hex64();
    assert.equal(await h.store.emailLinks.create(link, hash, 60), 'created');
    return { link, hash };
  }
  const sessions = (user: User) => count(h.raw, 'SELECT COUNT(*) AS n FROM user_sessions WHERE user_id = ?', [user.id]);

  test('found by its token and purpose with its user, until it expires', async () => {
    const user = await storedUser(h.store);
    const { link, hash } = await linked(user, 'reset_password');
    assert.deepEqual(await h.store.emailLinks.find(hash, 'reset_password', NOW + 1), { link, user });
    assert.equal(await h.store.emailLinks.find(hash, 'verify_email', NOW + 1), undefined, 'another purpose');
    assert.equal(await h.store.emailLinks.find(hash, 'reset_password', NOW + 3600), undefined, 'expired');
    assert.equal(await h.store.emailLinks.find(hex64(), 'reset_password', NOW + 1), undefined);
  });

  test('one link per user and purpose: a newer one replaces it, not within the interval; none for a blocked user or another address', async () => {
    const user = await storedUser(h.store);
    const first = await linked(user, 'reset_password');
    const verify = await linked(user, 'verify_email');
    assert.equal(await h.store.emailLinks.create(aLink(user, 'reset_password', { createdAt: NOW + 59 }), hex64(), 60), 'too_soon');
    const second = await linked(user, 'reset_password', { createdAt: NOW + 60 });
    assert.equal(await h.store.emailLinks.find(first.hash, 'reset_password', NOW + 61), undefined);
    assert.ok(await h.store.emailLinks.find(second.hash, 'reset_password', NOW + 61));
    assert.ok(await h.store.emailLinks.find(verify.hash, 'verify_email', NOW + 61), 'the other purpose stays');
    assert.equal(await h.store.emailLinks.create(aLink(user, 'verify_email', { email: 'someone-else@example.com', createdAt: NOW + 200 }), hex64(), 60), 'no_user');
    const blocked = await storedUser(h.store, { blockedAt: NOW });
    assert.equal(await h.store.emailLinks.create(aLink(blocked, 'reset_password'), hex64(), 60), 'no_user');
  });

  test('confirming an address: once, and only the link sent to it', async () => {
    const user = await storedUser(h.store);
    const { hash } = await linked(user, 'verify_email');
    const results = await Promise.all([h.store.emailLinks.verifyEmail(hash, NOW + 1), h.store.emailLinks.verifyEmail(hash, NOW + 1)]);
    assert.deepEqual(results.filter(Boolean).length, 1);
    assert.equal((await h.store.users.findById(user.id))?.emailVerified, true);
    assert.equal(await h.store.emailLinks.verifyEmail(hash, NOW + 2), undefined);
  });

  test('a reset sets the password, ends every session, confirms the address; of two at once, one', async () => {
    const user = await storedUser(h.store, { emailVerified: true });
    await h.store.sessions.create(aSession(user.id), hex64());
    const { clientId } = await storedClient(h.store);
    const token = aToken(clientId, user.id);
    await h.store.tokens.create(token);
    const { hash } = await linked(user, 'reset_password');
    const results = await Promise.all(['$scrypt$a', '$scrypt$b'].map((p) => h.store.emailLinks.resetPassword(hash, p, NOW + 1)));
    const won = results.filter((r) => r !== undefined);
    assert.equal(won.length, 1);
    assert.equal(won[0]?.tokensRevoked, false);
    const stored = await h.store.users.findById(user.id);
    assert.equal(stored?.passwordHash, won[0]?.user.passwordHash);
    assert.equal(await sessions(user), 0);
    assert.equal((await h.store.tokens.findByAccess(accessKey(token)))?.accessTokenRevokedAt, 0, 'a confirmed address keeps its tokens');
  });

  test('a reset of an address never confirmed ends its tokens and invitation links as well', async () => {
    const user = await storedUser(h.store);
    const { clientId } = await storedClient(h.store);
    const token = aToken(clientId, user.id);
    await h.store.tokens.create(token);
    const verify = await linked(user, 'verify_email');
    const { hash } = await linked(user, 'reset_password');
    const reset = await h.store.emailLinks.resetPassword(hash, '$scrypt$new', NOW + 5);
    assert.deepEqual([reset?.tokensRevoked, reset?.user.emailVerified], [true, true]);
    assert.equal((await h.store.tokens.findByAccess(accessKey(token)))?.accessTokenRevokedAt, NOW + 5);
    assert.equal(await h.store.emailLinks.find(verify.hash, 'verify_email', NOW + 6), undefined, 'links mailed before end too');
  });

  test('a reset of an address never confirmed forgets its consents; endAppAccess ends a confirmed one\'s tokens and consents too', async () => {
    const { clientId } = await storedClient(h.store);
    const unconfirmed = await storedUser(h.store);
    const confirmed = await storedUser(h.store, { emailVerified: true });
    const token = aToken(clientId, confirmed.id);
    await h.store.tokens.create(token);
    for (const user of [unconfirmed, confirmed]) await h.store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
    const consents = (user: User) => count(h.raw, 'SELECT COUNT(*) AS n FROM oauth2_grants WHERE user_id = ?', [user.id]);
    await h.store.emailLinks.resetPassword((await linked(unconfirmed, 'reset_password')).hash, '$scrypt$new', NOW + 5);
    const reset = await h.store.emailLinks.resetPassword((await linked(confirmed, 'reset_password')).hash, '$scrypt$new', NOW + 5, { endAppAccess: true });
    assert.equal(reset?.tokensRevoked, true);
    assert.equal((await h.store.tokens.findByAccess(accessKey(token)))?.accessTokenRevokedAt, NOW + 5);
    // Kept, an app the intruder authorized would get a code again unasked (prompt=none).
    assert.deepEqual([await consents(unconfirmed), await consents(confirmed)], [0, 0]);
  });

  test('blocking ends every link; a password change ends the reset links', async () => {
    const user = await storedUser(h.store);
    const verify = await linked(user, 'verify_email');
    const reset = await linked(user, 'reset_password');
    assert.equal(await h.store.users.setPassword(user.id, '$scrypt$changed'), true);
    assert.equal(await h.store.emailLinks.find(reset.hash, 'reset_password', NOW + 1), undefined);
    assert.ok(await h.store.emailLinks.find(verify.hash, 'verify_email', NOW + 1));
    await h.store.users.block(user.id, NOW + 1);
    await h.store.users.unblock(user.id);
    assert.equal(await h.store.emailLinks.find(verify.hash, 'verify_email', NOW + 2), undefined, 'unblocking revives none');
  });

  test('a block, and a password change that revokes tokens, forget the consents as well; one that does not keeps them', async () => {
    const { clientId } = await storedClient(h.store);
    const consents = (user: User) => count(h.raw, 'SELECT COUNT(*) AS n FROM oauth2_grants WHERE user_id = ?', [user.id]);
    const [blocked, revoked, kept] = [await storedUser(h.store), await storedUser(h.store), await storedUser(h.store)];
    for (const user of [blocked, revoked, kept]) await h.store.consents.remember({ clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
    await h.store.users.block(blocked.id, NOW + 1);
    await h.store.users.unblock(blocked.id);
    await h.store.users.setPassword(revoked.id, '$scrypt$changed', { revokeTokensAt: NOW + 1 });
    await h.store.users.setPassword(kept.id, '$scrypt$changed');
    assert.deepEqual([await consents(blocked), await consents(revoked), await consents(kept)], [0, 0, 1]);
  });

  test('the cleanup deletes expired links, and only those', async () => {
    const [a, b] = [await storedUser(h.store), await storedUser(h.store)];
    const old = await linked(a, 'verify_email', { expiresAt: NOW + 5 });
    const fresh = await linked(b, 'verify_email', { expiresAt: NOW + 5000 });
    await h.store.deleteExpired(NOW + 10);
    const left = async (id: string) => count(h.raw, 'SELECT COUNT(*) AS n FROM email_links WHERE id = ?', [id]);
    assert.deepEqual([await left(old.link.id), await left(fresh.link.id)], [0, 1]);
  });
});
