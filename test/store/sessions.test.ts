/** Contract: a person's sessions listed with where each started, and ended by them (accounts/sessions.ts), on both engines. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { NOW, aSession, anOrganization, type Harness, harness, hex64, storedUser } from './fixtures.js';

describe(`store contract: listing and ending sessions (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('listed newest first with their origin and down-scope; expired ones and those of other users left out', async () => {
    const [user, other] = [await storedUser(h.store), await storedUser(h.store)];
    const org = anOrganization();
    await h.store.organizations.create(org, user.id);
    const old = aSession(user.id, { createdAt: NOW - 100 });
    const scoped = aSession(user.id, { createdAt: NOW - 50, organizationIds: [org.id] });
    const expired = aSession(user.id, { createdAt: NOW - 4000, expiresAt: NOW - 1 });
    const origin = { ip: '192.0.2.7', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' };
    assert.equal(await h.store.sessions.create(old, hex64()), true);
    assert.equal(await h.store.sessions.create(scoped, hex64(), undefined, origin), true);
    assert.equal(await h.store.sessions.create(expired, hex64()), true);
    assert.equal(await h.store.sessions.create(aSession(other.id), hex64()), true);
    assert.deepEqual(await h.store.sessions.listForUser(user.id, NOW), [
      { ...scoped, ...origin },
      { ...old, ip: null, userAgent: null },
    ]);
  });

  test('end: only one of the user; endAllBut: every other, counted', async () => {
    const [user, other] = [await storedUser(h.store), await storedUser(h.store)];
    const [a, b, c] = [aSession(user.id, { createdAt: NOW - 3 }), aSession(user.id, { createdAt: NOW - 2 }), aSession(user.id, { createdAt: NOW - 1 })];
    const theirs = aSession(other.id);
    const hashes = new Map<string, string>();
    for (const s of [a, b, c, theirs]) {
      hashes.set(s.id, hex64());
      await h.store.sessions.create(s, hashes.get(s.id) as string);
    }
    assert.equal(await h.store.sessions.end(user.id, theirs.id, NOW), false, 'not one of another user');
    assert.notEqual(await h.store.sessions.findActive(hashes.get(theirs.id) as string, NOW), undefined);
    assert.equal(await h.store.sessions.end(user.id, a.id, NOW), true);
    assert.equal(await h.store.sessions.end(user.id, a.id, NOW), false, 'already ended');
    assert.equal(await h.store.sessions.findActive(hashes.get(a.id) as string, NOW), undefined);
    assert.equal(await h.store.sessions.endAllBut(user.id, c.id, NOW), 1);
    assert.deepEqual((await h.store.sessions.listForUser(user.id, NOW)).map((s) => s.id), [c.id]);
    assert.notEqual(await h.store.sessions.findActive(hashes.get(theirs.id) as string, NOW), undefined, 'those of another user stay');
    assert.equal(await h.store.sessions.endAllBut(user.id, c.id, NOW), 0);
  });
});
