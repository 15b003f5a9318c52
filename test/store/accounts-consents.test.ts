/** Contract: sign-in throttle, members, client secret rotation and consent revocation, on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { NOW, aClient, aCode, aToken, aUser, anOrganization, count, type Harness, harness, hex64, accessKey, storedClient, storedUser } from './fixtures.js';

describe(`store contract: throttle, members, secrets, consents (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('sign-in throttle: attempts counted per key within a window, a lock at the maximum; a new window starts over', async () => {
    const { signInThrottle } = h.store;
    const policy = { window: 900, maxFailures: 3, lockFor: 600 };
    const key = `email:${hex64()}`;
    assert.deepEqual(await signInThrottle.attempt(key, NOW, policy), { attempts: 1, lockedUntil: 0 });
    assert.deepEqual(await signInThrottle.attempt(key, NOW + 1, policy), { attempts: 2, lockedUntil: 0 });
    assert.equal(await signInThrottle.lockedUntil([key], NOW + 1, 600), 0);
    assert.deepEqual(await signInThrottle.attempt(key, NOW + 2, policy), { attempts: 3, lockedUntil: NOW + 2 + 600 });
    assert.equal(await signInThrottle.lockedUntil([key, 'ip:unrelated'], NOW + 3, 600), NOW + 602);
    // The attempt that reached the maximum signed in: it no longer counts, nor does its lock.
    await signInThrottle.succeeded(key, policy);
    assert.equal(await signInThrottle.lockedUntil([key], NOW + 3, 600), 0);
    assert.deepEqual(await signInThrottle.attempt(key, NOW + 3, policy), { attempts: 3, lockedUntil: NOW + 603 });
    assert.equal(await signInThrottle.lockedUntil([key], NOW + 604, 600), 0);
    // After the window, counting starts again from one.
    assert.deepEqual(await signInThrottle.attempt(key, NOW + 2000, policy), { attempts: 1, lockedUntil: 0 });
    await signInThrottle.clear(key);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM sign_in_failures WHERE key = ?', [key]), 0);
  });

  test('sign-in throttle: a clock stepped back neither stretches a window nor a lock', async () => {
    const { signInThrottle } = h.store;
    const policy = { window: 900, maxFailures: 3, lockFor: 600 };
    const key = `email:${hex64()}`;
    for (const at of [NOW, NOW + 1]) await signInThrottle.attempt(key, at, policy);
    // A second behind (another instance's clock, an attempt that read the clock first): counted.
    assert.deepEqual(await signInThrottle.attempt(key, NOW - 1, policy), { attempts: 3, lockedUntil: NOW + 599 });
    assert.equal(await signInThrottle.lockedUntil([key], NOW - 1, 600), NOW + 599);
    await signInThrottle.clear(key);
    for (const at of [NOW, NOW + 1]) await signInThrottle.attempt(key, at, policy);
    // An hour earlier, the window that "began" in the future is over: counting starts again.
    assert.deepEqual(await signInThrottle.attempt(key, NOW - 3600, policy), { attempts: 1, lockedUntil: 0 });
    const locked = `email:${hex64()}`;
    for (const at of [NOW, NOW, NOW]) await signInThrottle.attempt(locked, at, policy);
    assert.equal(await signInThrottle.lockedUntil([locked], NOW, 600), NOW + 600);
    // A lock ending more than lockFor from now was set by a clock ahead of this one.
    assert.equal(await signInThrottle.lockedUntil([locked], NOW - 3600, 600), 0);
  });

  test('sign-in throttle: times past 2^31 s (2038-01-19) are counted and locked on both engines', async () => {
    const policy = { window: 900, maxFailures: 1, lockFor: 600 };
    const key = `email:${hex64()}`;
    const later = 2 ** 31 + 1000;
    assert.deepEqual(await h.store.signInThrottle.attempt(key, later, policy), { attempts: 1, lockedUntil: later + 600 });
    assert.deepEqual(await h.store.signInThrottle.attempt(key, later + 1, policy), { attempts: 2, lockedUntil: later + 601 });
    assert.equal(await h.store.signInThrottle.lockedUntil([key], later + 2, 600), later + 601);
  });

  test('rate limits: a window that began after now (the clock stepped back) starts over', async () => {
    const key = `register:${hex64()}`;
    const nowMs = NOW * 1000;
    assert.deepEqual(await h.store.rateLimits.hit(key, nowMs, 60_000), { hits: 1, windowStartMs: nowMs });
    assert.deepEqual(await h.store.rateLimits.hit(key, nowMs + 1, 60_000), { hits: 2, windowStartMs: nowMs });
    // A few ms behind (a request that read the clock before another's statement ran): counted.
    assert.deepEqual(await h.store.rateLimits.hit(key, nowMs - 5, 60_000), { hits: 3, windowStartMs: nowMs });
    assert.deepEqual(await h.store.rateLimits.hit(key, nowMs - 3_600_000, 60_000), { hits: 1, windowStartMs: nowMs - 3_600_000 });
  });

  test('sign-in throttle: 20 concurrent attempts each get a count of their own', async () => {
    const key = `ip:${hex64()}`;
    const policy = { window: 900, maxFailures: 5, lockFor: 600 };
    const counts = await Promise.all(Array.from({ length: 20 }, () => h.store.signInThrottle.attempt(key, NOW, policy)));
    assert.deepEqual(counts.map((c) => c.attempts).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal(await h.store.signInThrottle.lockedUntil([key], NOW, 600), NOW + 600);
  });

  test('listMembers returns the members ordered by email', async () => {
    const zed = aUser({ email: `zed-${hex64().slice(0, 6)}@example.com` });
    const amy = aUser({ email: `Amy-${hex64().slice(0, 6)}@example.com` });
    for (const u of [zed, amy]) await h.store.users.create(u);
    const org = anOrganization();
    await h.store.organizations.create(org, zed.id);
    await h.store.organizations.addMember(org.id, amy.id, NOW);
    assert.deepEqual((await h.store.organizations.listMembers(org.id)).map((u) => u.id), [amy.id, zed.id]);
  });

  test('removeMember revokes the tokens and spends the codes it leaves with no organization, and nothing else', async () => {
    const user = await storedUser(h.store);
    const [a, b] = [anOrganization(), anOrganization()];
    for (const org of [a, b]) await h.store.organizations.create(org, user.id);
    const { clientId } = await storedClient(h.store);
    const onlyA = aToken(clientId, user.id, { organizationIds: [a.id] });
    const both = aToken(clientId, user.id, { organizationIds: [a.id, b.id] });
    const unrestricted = aToken(clientId, user.id);
    const codeA = aCode(clientId, user.id, { organizationIds: [a.id] });
    const codeBoth = aCode(clientId, user.id, { organizationIds: [a.id, b.id] });
    for (const t of [onlyA, both, unrestricted]) await h.store.tokens.create(t);
    for (const c of [codeA, codeBoth]) await h.store.codes.create(c);

    assert.equal(await h.store.organizations.removeMember(a.id, user.id, NOW + 5), 'removed');
    const revokedAt = async (t: typeof both) => (await h.store.tokens.findByAccess(accessKey(t)))!.refreshTokenRevokedAt;
    assert.deepEqual([await revokedAt(onlyA), await revokedAt(both), await revokedAt(unrestricted)], [NOW + 5, 0, 0]);
    const consumedAt = async (c: typeof codeA) => (await h.store.codes.find(c.codeHash))!.consumedAt;
    assert.deepEqual([await consumedAt(codeA), await consumedAt(codeBoth)], [NOW + 5, null]);
    assert.equal(await h.store.organizations.removeMember(a.id, user.id, NOW + 6), 'not_member');
  });

  test('removeMember keepLastMember: the only member stays; of two members leaving at once, one leaves', async () => {
    const [amy, zed, stranger] = [await storedUser(h.store), await storedUser(h.store), await storedUser(h.store)];
    const alone = anOrganization();
    await h.store.organizations.create(alone, amy.id);
    const keep = { keepLastMember: true };
    assert.equal(await h.store.organizations.removeMember(alone.id, amy.id, NOW, keep), 'last_member');
    assert.equal(await h.store.organizations.removeMember(alone.id, stranger.id, NOW, keep), 'not_member');
    assert.deepEqual((await h.store.organizations.listMembers(alone.id)).map((u) => u.id), [amy.id]);
    // Each transaction alone sees the other member still there; on PostgreSQL only the
    // organization's row lock keeps both from leaving.
    const pairs = Array.from({ length: 8 }, () => anOrganization());
    for (const org of pairs) {
      await h.store.organizations.create(org, amy.id);
      await h.store.organizations.addMember(org.id, zed.id, NOW);
    }
    const outcomes = await Promise.all(pairs.flatMap((org) => [amy, zed].map((u) => h.store.organizations.removeMember(org.id, u.id, NOW, keep))));
    for (const [i, org] of pairs.entries()) {
      assert.deepEqual(outcomes.slice(2 * i, 2 * i + 2).sort(), ['last_member', 'removed']);
      assert.equal((await h.store.organizations.listMembers(org.id)).length, 1);
    }
  });

  test('addMember first ends what names the organization and acts on nothing: what two removals at once both missed', async () => {
    const user = await storedUser(h.store);
    const [a, b] = [anOrganization(), anOrganization()];
    for (const org of [a, b]) await h.store.organizations.create(org, user.id);
    const { clientId } = await storedClient(h.store);
    const both = aToken(clientId, user.id, { organizationIds: [a.id, b.id] });
    const onlyB = aToken(clientId, user.id, { organizationIds: [b.id] });
    const code = aCode(clientId, user.id, { organizationIds: [a.id, b.id] });
    for (const t of [both, onlyB]) await h.store.tokens.create(t);
    await h.store.codes.create(code);
    // Each removal's transaction still saw the other membership, so neither ended `both` or `code`.
    await h.raw.run('DELETE FROM memberships WHERE user_id = ?', [user.id]);

    await h.store.organizations.addMember(a.id, user.id, NOW + 5);
    const read = async (t: typeof both) => (await h.store.tokens.findByAccess(accessKey(t)))!;
    assert.deepEqual([(await read(both)).accessTokenRevokedAt, (await read(both)).refreshTokenRevokedAt], [NOW + 5, NOW + 5]);
    assert.equal((await h.store.codes.find(code.codeHash))?.consumedAt, NOW + 5);
    // Not naming `a`, it is left to the read-time rule (and to adding the user back to `b`).
    const untouched = await read(onlyB);
    assert.deepEqual([untouched.accessTokenRevokedAt, untouched.lostOrganizationIds], [0, [b.id]]);
    await h.store.organizations.addMember(b.id, user.id, NOW + 6);
    assert.equal((await read(onlyB)).accessTokenRevokedAt, NOW + 6);
    // A member already: nothing of theirs acts on nothing, so adding again ends nothing.
    const held = aToken(clientId, user.id, { organizationIds: [a.id] });
    await h.store.tokens.create(held);
    await h.store.organizations.addMember(a.id, user.id, NOW + 7);
    assert.equal((await read(held)).accessTokenRevokedAt, 0);
  });

  test('clients.create: a second client with the same row id (a console form sent twice) writes nothing; findById finds the live one', async () => {
    const client = aClient();
    assert.equal(await h.store.clients.create(client), true);
    const twin = { ...aClient(), id: client.id };
    assert.equal(await h.store.clients.create(twin), false);
    assert.deepEqual(await h.store.clients.findByClientId(client.clientId), client);
    assert.equal(await h.store.clients.findByClientId(twin.clientId), undefined);
    assert.deepEqual(await h.store.clients.findById(client.id), client);
    // A deleted client's id stays taken: its form creates nothing either. It is found no more.
    await h.store.clients.delete(client.clientId, NOW + 5);
    assert.equal(await h.store.clients.findById(client.id), undefined);
    assert.equal(await h.store.clients.create({ ...aClient(), id: client.id }), false);
  });

  test('rotateSecret replaces the secret and the registration token (hashes and sealed copies), only if the secret is still the one the rotation read', async () => {
    const client = aClient();
    await h.store.clients.create(client);
    const fresh = (sealed: string) => ({ clientSecretHash: hex64(), clientSecretSealed: sealed, registrationTokenHash: hex64(), registrationTokenSealed: `${sealed}-rat` });
    const first = fresh('sealed-new');
    assert.equal(await h.store.clients.rotateSecret(client.clientId, first, NOW + 10, client.clientSecretHash), true);
    const after = await h.store.clients.findByClientId(client.clientId);
    assert.deepEqual(
      [after?.clientSecretHash, after?.clientSecretSealed, after?.registrationTokenHash, after?.registrationTokenSealed, after?.modifiedAt],
      [first.clientSecretHash, 'sealed-new', first.registrationTokenHash, 'sealed-new-rat', NOW + 10],
    );
    // A second rotation decided on the first hash (a form sent twice) changes nothing.
    assert.equal(await h.store.clients.rotateSecret(client.clientId, fresh('sealed-late'), NOW + 20, client.clientSecretHash), false);
    assert.equal((await h.store.clients.findByClientId(client.clientId))?.registrationTokenSealed, 'sealed-new-rat');
    // Nor does one of a deleted client.
    await h.store.clients.delete(client.clientId, NOW + 30);
    assert.equal(await h.store.clients.rotateSecret(client.clientId, fresh('sealed-gone'), NOW + 40, first.clientSecretHash), false);
  });

  test('consents: listForUser newest first; revoke forgets it and kills that user’s codes and tokens with the client only', async () => {
    const user = aUser();
    const other = aUser();
    for (const u of [user, other]) await h.store.users.create(u);
    const [a, b] = [aClient(), aClient()];
    for (const c of [a, b]) await h.store.clients.create(c!);
    await h.store.consents.remember({ clientId: a!.clientId, userId: user.id, scope: 'openid', organizationIds: [] }, NOW);
    const orgs = [crypto.randomUUID(), crypto.randomUUID()];
    await h.store.consents.remember({ clientId: b!.clientId, userId: user.id, scope: 'email', organizationIds: orgs }, NOW + 5);
    assert.deepEqual(
      (await h.store.consents.listForUser(user.id)).map((c) => [c.clientId, c.scope, c.organizationIds]),
      [[b!.clientId, 'email', orgs], [a!.clientId, 'openid', []]],
    );
    const mine = aToken(a!.clientId, user.id);
    const theirs = aToken(a!.clientId, other.id);
    const otherClient = aToken(b!.clientId, user.id);
    for (const t of [mine, theirs, otherClient]) await h.store.tokens.create(t);
    const code = aCode(a!.clientId, user.id, { expiresAt: NOW + 300 });
    await h.store.codes.create(code);

    await h.store.consents.revoke(a!.clientId, user.id, NOW + 10);
    assert.equal(await h.store.consents.find(a!.clientId, user.id), undefined);
    const revoked = await h.store.tokens.findByAccess(accessKey(mine));
    assert.equal(revoked?.accessTokenRevokedAt, NOW + 10);
    assert.equal(revoked?.refreshTokenRevokedAt, NOW + 10);
    assert.equal((await h.store.tokens.findByAccess(accessKey(theirs)))?.accessTokenRevokedAt, 0);
    assert.equal((await h.store.tokens.findByAccess(accessKey(otherClient)))?.accessTokenRevokedAt, 0);
    assert.equal(await h.store.codes.consume(code.id, NOW + 11), false);
    // The organizations chosen with a consent come back with it: auto-approval stays within them.
    assert.deepEqual(await h.store.consents.find(b!.clientId, user.id), { clientId: b!.clientId, userId: user.id, scope: 'email', organizationIds: orgs });
  });
});
