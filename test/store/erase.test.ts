/** Contract: deleting an account (users.erase), on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { timeOrderedId } from '../../src/oauth/ids.js';
import { ENGINE } from '../support/server.js';
import { NOW, aClient, aCode, aSession, aToken, aUser, accessKey, anOrganization, count, type Harness, harness, hex64, storedClient, storedUser } from './fixtures.js';

describe(`store contract: deleting an account (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('ends everything the user holds, deletes their apps for everyone, erases who they were, frees the address', async () => {
    const user = await storedUser(h.store, { emailVerified: true, name: 'Ada', avatarUrl: 'https://example.com/a.png' });
    const other = await storedUser(h.store);
    const theirApp = await storedClient(h.store);
    const ownApp = await storedClient(h.store, { userId: user.id });
    const org = anOrganization();
    await h.store.organizations.create(org, other.id);
    await h.store.organizations.addMember(org.id, user.id, NOW);
    await h.store.sessions.create(aSession(user.id), hex64());
    const held = aToken(theirApp.clientId, user.id);
    const othersOnOwnApp = aToken(ownApp.clientId, other.id);
    const othersElsewhere = aToken(theirApp.clientId, other.id);
    for (const t of [held, othersOnOwnApp, othersElsewhere]) await h.store.tokens.create(t);
    const code = aCode(theirApp.clientId, user.id);
    await h.store.codes.create(code);
    await h.store.consents.remember({ clientId: theirApp.clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);

    assert.deepEqual(await h.store.users.erase(user.id, NOW + 5), { clientIds: [ownApp.clientId] });
    assert.equal(await h.store.users.findById(user.id), undefined);
    assert.equal(await h.store.users.findByEmail(user.email), undefined);
    assert.equal((await h.store.tokens.findByAccess(accessKey(held)))?.accessTokenRevokedAt, NOW + 5);
    assert.equal((await h.store.tokens.findByAccess(accessKey(othersOnOwnApp)))?.accessTokenRevokedAt, NOW + 5, 'D12: their app is deleted for everyone');
    assert.equal((await h.store.tokens.findByAccess(accessKey(othersElsewhere)))?.accessTokenRevokedAt, 0, "another person's token elsewhere stays");
    assert.equal(await h.store.clients.findByClientId(ownApp.clientId), undefined);
    assert.equal(await h.store.consents.find(theirApp.clientId, user.id), undefined);
    assert.deepEqual((await h.store.organizations.listMembers(org.id)).map((u) => u.id), [other.id]);
    assert.equal(await count(h.raw, 'SELECT COUNT(*) AS n FROM user_sessions WHERE user_id = ?', [user.id]), 0);
    assert.equal(await h.store.codes.consume(code.id, NOW + 6), false, 'its code is spent');
    const row = await h.raw.get('SELECT email, email_verified, password_hash, name, avatar_url, blocked_at, erased_at FROM users WHERE id = ?', [user.id]);
    assert.deepEqual({ ...row, blocked_at: Number(row?.blocked_at), erased_at: Number(row?.erased_at) }, {
      email: `erased:${user.id}`,
      email_verified: 0,
      password_hash: null,
      name: null,
      avatar_url: null,
      blocked_at: NOW + 5,
      erased_at: NOW + 5,
    });

    // The address makes a new account; the erased one stays gone.
    const again = aUser({ email: user.email });
    await h.store.users.create(again);
    assert.equal((await h.store.users.findByEmail(user.email))?.id, again.id);
    assert.equal(await h.store.users.erase(user.id, NOW + 6), undefined);
    assert.equal(await h.store.users.unblock(user.id), false, 'never unblocked');
    assert.equal(await h.store.users.erase(hex64(), NOW), undefined);
  });

  test('what a request that found the user before the deletion writes after it is refused: no app, organization, membership, consent, password or block', async () => {
    const user = await storedUser(h.store);
    const other = await storedUser(h.store);
    const org = anOrganization();
    await h.store.organizations.create(org, other.id);
    const theirApp = await storedClient(h.store);
    await h.store.securityEvents.append({ id: timeOrderedId(), type: 'sign_in.succeeded', occurredAt: NOW, userId: user.id, clientId: null, organizationId: null, ip: '192.0.2.1', details: {} });
    assert.notEqual(await h.store.users.erase(user.id, NOW + 5), undefined);
    assert.equal(await h.store.clients.create(aClient({ userId: user.id })), false, 'no app for the erased account');
    await h.store.organizations.addMember(org.id, user.id, NOW + 6);
    assert.deepEqual((await h.store.organizations.listMembers(org.id)).map((u) => u.id), [other.id]);
    const theirs = anOrganization();
    assert.equal(await h.store.organizations.create(theirs, user.id), false, 'no organization owned by the erased account');
    assert.equal(await h.store.organizations.findById(theirs.id), undefined);
    await h.store.consents.remember({ clientId: theirApp.clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW + 6);
    assert.equal(await count(h.raw, 'SELECT COUNT(*) AS n FROM oauth2_grants WHERE user_id = ?', [user.id]), 0);
    assert.equal(await h.store.users.setPassword(user.id, '$scrypt$new'), false);
    assert.equal(await h.store.users.block(user.id, NOW + 6), false);
    assert.equal(await count(h.raw, 'SELECT COUNT(*) AS n FROM users WHERE id = ? AND password_hash IS NOT NULL', [user.id]), 0);
    assert.deepEqual((await h.store.securityEvents.list({ userId: user.id }, 0, 10)).items.map((e) => e.ip), [null], 'the addresses it signed in from are erased');
  });
});
