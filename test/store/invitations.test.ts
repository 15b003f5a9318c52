/** Contract: organization invitations (accounts/invitations.ts), on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Invitation, Organization, User } from '../../src/store/store.js';
import { MAX_PENDING_INVITATIONS } from '../../src/store/limits.js';
import { ENGINE } from '../support/server.js';
import { NOW, aToken, accessKey, anOrganization, count, type Harness, harness, hex64, storedClient, storedUser } from './fixtures.js';

describe(`store contract: organization invitations (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  /** An organization with its maker, and one invitation by them; its token's hash. */
  async function invited(overrides: Partial<Invitation> = {}): Promise<{ org: Organization; maker: User; invitation: Invitation; hash: string }> {
    const maker = await storedUser(h.store);
    const org = anOrganization();
    await h.store.organizations.create(org, maker.id);
    const invitation: Invitation = { id: crypto.randomUUID(), organizationId: org.id, invitedBy: maker.id, createdAt: NOW, expiresAt: NOW + 600, ...overrides };
    const hash = hex64();
    assert.equal(await h.store.invitations.create(invitation, hash, NOW), 'created');
    return { org, maker, invitation, hash };
  }
  const isMember = async (org: Organization, user: User) => (await h.store.organizations.listMembers(org.id)).some((m) => m.id === user.id);

  test('created by a member: found by its token with its organization and maker, listed as waiting', async () => {
    const { org, maker, invitation, hash } = await invited();
    assert.deepEqual(await h.store.invitations.find(hash, NOW + 1), { invitation, organization: org, invitedBy: maker });
    assert.deepEqual(await h.store.invitations.listPending(org.id, NOW + 1), [{ invitation, invitedBy: maker }]);
    assert.equal(await h.store.invitations.find(hex64(), NOW + 1), undefined);
  });

  test('only a member, unblocked, can make one', async () => {
    const { org } = await invited();
    const stranger = await storedUser(h.store);
    const blocked = await storedUser(h.store);
    await h.store.organizations.addMember(org.id, blocked.id, NOW);
    await h.store.users.block(blocked.id, NOW);
    for (const user of [stranger, blocked]) {
      const invitation = { id: crypto.randomUUID(), organizationId: org.id, invitedBy: user.id, createdAt: NOW, expiresAt: NOW + 600 };
      assert.equal(await h.store.invitations.create(invitation, hex64(), NOW), 'not_member');
    }
    assert.equal(await count(h.raw, 'SELECT COUNT(*) AS n FROM organization_invitations WHERE organization_id = ?', [org.id]), 1);
  });

  test(`at most ${MAX_PENDING_INVITATIONS} waiting per organization; expired ones do not count`, async () => {
    const { org, maker } = await invited({ expiresAt: NOW + 10 });
    const make = (at: number) => h.store.invitations.create({ id: crypto.randomUUID(), organizationId: org.id, invitedBy: maker.id, createdAt: at, expiresAt: at + 600 }, hex64(), at);
    for (let i = 1; i < MAX_PENDING_INVITATIONS; i++) assert.equal(await make(NOW), 'created');
    assert.equal(await make(NOW), 'too_many');
    // Past the first one's expiry, there is room for one more.
    assert.equal(await make(NOW + 11), 'created');
    assert.equal(await make(NOW + 11), 'too_many');
  });

  test('accepted: the user joins and the invitation is spent; a second acceptance finds nothing', async () => {
    const { org, hash } = await invited();
    const [first, second] = [await storedUser(h.store), await storedUser(h.store)];
    assert.deepEqual(await h.store.invitations.accept(hash, first.id, NOW + 5), { result: 'joined', organization: org });
    assert.equal(await isMember(org, first), true);
    assert.deepEqual(await h.store.invitations.accept(hash, second.id, NOW + 6), { result: 'invalid' });
    assert.equal(await isMember(org, second), false);
    assert.equal(await h.store.invitations.find(hash, NOW + 6), undefined);
  });

  test('accepted by a member already: nothing is spent, the link still works for someone else', async () => {
    const { org, maker, hash } = await invited();
    assert.deepEqual(await h.store.invitations.accept(hash, maker.id, NOW + 5), { result: 'already_member', organization: org });
    const newcomer = await storedUser(h.store);
    assert.equal((await h.store.invitations.accept(hash, newcomer.id, NOW + 6)).result, 'joined');
  });

  test('expired, withdrawn, or its maker removed, blocked or reset after a compromise: good for nothing, and not revived', async () => {
    const newcomer = await storedUser(h.store);
    const expired = await invited();
    assert.deepEqual(await h.store.invitations.accept(expired.hash, newcomer.id, NOW + 600), { result: 'invalid' });
    assert.equal(await h.store.invitations.find(expired.hash, NOW + 600), undefined);

    const withdrawn = await invited();
    assert.equal(await h.store.invitations.withdraw(expired.org.id, withdrawn.invitation.id), false, 'only through its own organization');
    assert.equal(await h.store.invitations.withdraw(withdrawn.org.id, withdrawn.invitation.id), true);
    assert.equal((await h.store.invitations.accept(withdrawn.hash, newcomer.id, NOW + 1)).result, 'invalid');

    // A member removed cannot come back through a link they made before.
    const removed = await invited();
    const other = await storedUser(h.store);
    await h.store.organizations.addMember(removed.org.id, other.id, NOW);
    assert.equal(await h.store.organizations.removeMember(removed.org.id, removed.maker.id, NOW + 1), 'removed');
    assert.deepEqual(await h.store.invitations.listPending(removed.org.id, NOW + 2), []);
    assert.equal((await h.store.invitations.accept(removed.hash, removed.maker.id, NOW + 2)).result, 'invalid');
    // Their links went with them: added back, they are not revived.
    await h.store.organizations.addMember(removed.org.id, removed.maker.id, NOW + 3);
    assert.equal(await h.store.invitations.find(removed.hash, NOW + 4), undefined);

    // Blocked, then unblocked (an account taken over, recovered): the intruder's links stay dead.
    const blocked = await invited();
    await h.store.users.block(blocked.maker.id, NOW + 1);
    assert.equal((await h.store.invitations.accept(blocked.hash, newcomer.id, NOW + 2)).result, 'invalid');
    assert.equal(await h.store.users.unblock(blocked.maker.id), true);
    assert.equal((await h.store.invitations.accept(blocked.hash, newcomer.id, NOW + 3)).result, 'invalid');
    assert.equal(await isMember(blocked.org, newcomer), false);

    // The operator's reset after a compromise (`users set-password --revoke-tokens`) deletes them too; a plain one keeps them.
    const reset = await invited();
    assert.equal(await h.store.users.setPassword(reset.maker.id, 'scrypt$x', {}), true);
    assert.ok(await h.store.invitations.find(reset.hash, NOW + 1));
    assert.equal(await h.store.users.setPassword(reset.maker.id, 'scrypt$y', { revokeTokensAt: NOW + 1 }), true);
    assert.equal(await h.store.invitations.find(reset.hash, NOW + 2), undefined);
  });

  test('ten users accept one link at once: one joins', async () => {
    const { org, hash } = await invited();
    const users = await Promise.all(Array.from({ length: 10 }, () => storedUser(h.store)));
    const other = await h.open();
    const outcomes = await Promise.all(users.map((user, i) => (i % 2 ? other : h.store).invitations.accept(hash, user.id, NOW + 5)));
    assert.deepEqual(outcomes.map((o) => o.result).sort(), ['invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'invalid', 'joined']);
    assert.equal((await h.store.organizations.listMembers(org.id)).length, 2);
  });

  test('joining through a link first ends what names the organization and acts on nothing, as addMember does', async () => {
    const { org, hash } = await invited();
    const user = await storedUser(h.store);
    const { clientId } = await storedClient(h.store);
    const stale = aToken(clientId, user.id, { organizationIds: [org.id] });
    await h.store.tokens.create(stale);
    assert.equal((await h.store.invitations.accept(hash, user.id, NOW + 5)).result, 'joined');
    assert.equal((await h.store.tokens.findByAccess(accessKey(stale)))?.accessTokenRevokedAt, NOW + 5);
  });

  test('the cleanup deletes expired invitations, and only those', async () => {
    const old = await invited({ expiresAt: NOW + 5 });
    const fresh = await invited({ expiresAt: NOW + 5000 });
    await h.store.deleteExpired(NOW + 10);
    const left = async (id: string) => count(h.raw, 'SELECT COUNT(*) AS n FROM organization_invitations WHERE id = ?', [id]);
    assert.deepEqual([await left(old.invitation.id), await left(fresh.invitation.id)], [0, 1]);
  });
});
