/** Contract: rotateTo and exchange claim and issue atomically — one winner, one new row, with its down-scope. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { NOW, aClient, aCode, aToken, aUser, count, type Harness, harness, accessKey } from './fixtures.js';

describe(`store: claim then issue (${ENGINE})`, () => {
  let h: Harness;
  let clientId: string;
  let userId: string;
  before(async () => {
    h = await harness();
    const user = aUser();
    await h.store.users.create(user);
    const client = aClient();
    await h.store.clients.create(client);
    clientId = client.clientId;
    userId = user.id;
  });
  after(() => h.close());

  const orgs = () => [crypto.randomUUID(), crypto.randomUUID()];

  test('50 concurrent rotateTo of one row: one winner, one successor with its organizations', async () => {
    const parent = aToken(clientId, userId, { issuedAt: NOW });
    await h.store.tokens.create(parent);
    const organizationIds = orgs();
    const successors = Array.from({ length: 50 }, () => aToken(clientId, userId, { familyId: parent.familyId, issuedAt: NOW, organizationIds }));
    const results = await Promise.all(successors.map((next) => h.store.tokens.rotateTo(parent.id, NOW + 1, 'sealed', next)));
    assert.equal(results.filter(Boolean).length, 1);
    const winner = successors[results.indexOf(true)]!;
    const stored = await h.store.tokens.findByAccess(accessKey(winner));
    assert.deepEqual(stored?.organizationIds.sort(), [...organizationIds].sort());
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE family_id = ?', [parent.familyId]), 2);
    const rotated = await h.store.tokens.findByAccess(accessKey(parent));
    assert.equal(rotated?.rotatedAt, NOW + 1);
    assert.equal(rotated?.rotatedResponse, 'sealed');
  });

  test('rotateTo of a revoked row issues nothing', async () => {
    const parent = aToken(clientId, userId, { issuedAt: NOW });
    await h.store.tokens.create(parent);
    await h.store.tokens.revokeFamily(parent.familyId, NOW);
    const next = aToken(clientId, userId, { familyId: parent.familyId, issuedAt: NOW });
    assert.equal(await h.store.tokens.rotateTo(parent.id, NOW + 1, 'sealed', next), false);
    assert.equal(await h.store.tokens.findByAccess(accessKey(next)), undefined);
  });

  test('50 concurrent exchanges of one code: one token; an expired code issues nothing', async () => {
    const code = aCode(clientId, userId, { expiresAt: NOW + 300 });
    await h.store.codes.create(code);
    const candidates = Array.from({ length: 50 }, () => aToken(clientId, userId, { familyId: code.id, issuedAt: NOW }));
    const results = await Promise.all(candidates.map((t) => h.store.codes.exchange(code.id, NOW + 1, t)));
    assert.equal(results.filter(Boolean).length, 1);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE family_id = ?', [code.id]), 1);

    const expired = aCode(clientId, userId, { expiresAt: NOW + 10 });
    await h.store.codes.create(expired);
    const late = aToken(clientId, userId, { familyId: expired.id, issuedAt: NOW });
    assert.equal(await h.store.codes.exchange(expired.id, NOW + 10, late), false);
    assert.equal(await h.store.tokens.findByAccess(accessKey(late)), undefined);
  });
});
