/** Contract: rotateTo and exchange claim and issue atomically — one winner, one new row, with its down-scope. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import type { Db } from '../../src/store/sql/db.js';
import { tokens } from '../../src/store/sql/tokens.js';
import type { NewToken } from '../../src/store/store.js';
import { NOW, aClient, aCode, aToken, aUser, count, type Harness, harness, accessKey, sorted, storedUser } from './fixtures.js';

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
    await h.store.tokens.revokeFamily(parent, NOW);
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

/**
 * On PostgreSQL the claims of one turn run as one statement (issue-after.ts): each claim must
 * still claim its own row and issue its own token, and a faulty claim must fail alone. On SQLite
 * the same calls share a group commit; the contract is the same.
 */
describe(`store: the claims of one turn, each with its own row (${ENGINE})`, () => {
  let h: Harness;
  let clientId: string;
  let userId: string;
  before(async () => {
    h = await harness();
    userId = (await storedUser(h.store)).id;
    const client = aClient();
    await h.store.clients.create(client);
    clientId = client.clientId;
  });
  after(() => h.close());

  const storedToken = async (overrides: Parameters<typeof aToken>[2] = {}) => {
    const token = aToken(clientId, userId, { issuedAt: NOW, ...overrides });
    await h.store.tokens.create(token);
    return token;
  };
  const successorOf = (parent: NewToken) =>
    aToken(clientId, userId, { familyId: parent.familyId, issuedAt: NOW, organizationIds: [crypto.randomUUID()] });

  test('30 rotations of 30 rows in one turn: each rotates its own row, seals its own response, issues its own successor', async () => {
    const parents = await Promise.all(Array.from({ length: 30 }, () => storedToken()));
    const successors = parents.map(successorOf);
    const results = await Promise.all(parents.map((p, i) => h.store.tokens.rotateTo(p.id, NOW + 1 + i, `sealed ${i}`, successors[i]!)));
    assert.deepEqual(results, parents.map(() => true));
    for (const [i, parent] of parents.entries()) {
      const rotated = await h.store.tokens.findByAccess(accessKey(parent));
      assert.equal(rotated?.rotatedAt, NOW + 1 + i);
      assert.equal(rotated?.rotatedResponse, `sealed ${i}`);
      const next = await h.store.tokens.findByAccess(accessKey(successors[i]!));
      assert.equal(next?.id, successors[i]!.id);
      assert.equal(next?.familyId, parent.familyId);
      assert.deepEqual(next?.organizationIds, successors[i]!.organizationIds);
    }
  });

  /** The store's token port over the test's own connection, recording every statement it sends. */
  function recorded() {
    const statements: string[] = [];
    const db: Db = {
      ...h.raw,
      all: (sql, params) => (statements.push(sql), h.raw.all(sql, params)),
      get: (sql, params) => (statements.push(sql), h.raw.get(sql, params)),
      run: (sql, params) => (statements.push(sql), h.raw.run(sql, params)),
    };
    return { statements, tokens: tokens(db) };
  }

  test('on PostgreSQL they are one statement, not one each nor a fallback to one each', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, async () => {
    const { statements, tokens: recording } = recorded();
    const parents = await Promise.all(Array.from({ length: 12 }, () => storedToken()));
    const successors = parents.map(successorOf);
    const results = await Promise.all(parents.map((p, i) => recording.rotateTo(p.id, NOW + 1, 'sealed', successors[i]!)));
    assert.deepEqual(results, parents.map(() => true));
    assert.equal(statements.length, 1);
    assert.match(statements[0]!, /json_to_recordset/);
    assert.equal((await h.store.tokens.findByAccess(accessKey(successors[11]!)))?.id, successors[11]!.id);
  });

  test('tokens issued in one turn, with and without organizations, are each stored with their own (one statement on PostgreSQL)', async () => {
    const { statements, tokens: recording } = recorded();
    const issued = Array.from({ length: 12 }, (_, i) =>
      aToken(clientId, userId, { organizationIds: i % 3 === 0 ? [] : [crypto.randomUUID(), crypto.randomUUID()].slice(0, i % 3) }),
    );
    await Promise.all(issued.map((t) => recording.create(t)));
    if (ENGINE === 'postgres') assert.equal(statements.length, 1);
    for (const t of issued) {
      const stored = await h.store.tokens.findByAccess(accessKey(t));
      assert.equal(stored?.id, t.id);
      assert.equal(stored?.familyId, t.familyId);
      assert.deepEqual(sorted(stored?.organizationIds ?? []), sorted(t.organizationIds));
    }
  });

  test('a token of the turn that names no stored user fails alone; the others are stored', async () => {
    const issued = Array.from({ length: 5 }, () => aToken(clientId, userId, { organizationIds: [crypto.randomUUID()] }));
    issued[1] = { ...issued[1]!, userId: crypto.randomUUID() };
    const outcomes = await Promise.allSettled(issued.map((t) => h.store.tokens.create(t)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.equal(await h.store.tokens.findByAccess(accessKey(issued[1]!)), undefined);
    assert.equal(await count(h.raw, 'SELECT count(*) AS n FROM oauth2_token_organizations WHERE token_id = ?', [issued[1]!.id]), 0);
    assert.equal((await h.store.tokens.findByAccess(accessKey(issued[4]!)))?.id, issued[4]!.id);
  });

  test('live and revoked rows claimed in one turn: only the live ones rotate and issue', async () => {
    const parents = await Promise.all(Array.from({ length: 10 }, () => storedToken()));
    const revoked = new Set([1, 4, 5, 9]);
    for (const i of revoked) await h.store.tokens.revokeFamily(parents[i]!, NOW);
    const successors = parents.map(successorOf);
    const results = await Promise.all(parents.map((p, i) => h.store.tokens.rotateTo(p.id, NOW + 1, 'sealed', successors[i]!)));
    assert.deepEqual(results, parents.map((_, i) => !revoked.has(i)));
    for (const [i, next] of successors.entries()) {
      assert.equal((await h.store.tokens.findByAccess(accessKey(next)))?.id, revoked.has(i) ? undefined : next.id);
    }
  });

  test('a claim that cannot issue (its token names no stored user) fails alone, changing nothing; the rest win', async () => {
    const parents = await Promise.all(Array.from({ length: 6 }, () => storedToken()));
    const successors = parents.map(successorOf);
    successors[2] = { ...successors[2]!, userId: crypto.randomUUID() };
    const outcomes = await Promise.allSettled(parents.map((p, i) => h.store.tokens.rotateTo(p.id, NOW + 1, 'sealed', successors[i]!)));
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'],
    );
    assert.equal((await h.store.tokens.findByAccess(accessKey(parents[2]!)))?.rotatedAt, null);
    assert.equal(await h.store.tokens.findByAccess(accessKey(successors[2]!)), undefined);
    assert.equal((await h.store.tokens.findByAccess(accessKey(parents[3]!)))?.rotatedAt, NOW + 1);
  });

  test('exchanges of live, expired and twice-presented codes in one turn: one token per live code', async () => {
    const codes = Array.from({ length: 8 }, (_, i) => aCode(clientId, userId, { expiresAt: i % 4 === 3 ? NOW + 1 : NOW + 600 }));
    for (const code of codes) await h.store.codes.create(code);
    const claims = [...codes, codes[0]!, codes[5]!].map((code) => ({ code, token: aToken(clientId, userId, { familyId: code.id }) }));
    const results = await Promise.all(claims.map(({ code, token }) => h.store.codes.exchange(code.id, NOW + 1, token)));
    assert.deepEqual(results.slice(0, 8), codes.map((_, i) => i % 4 !== 3));
    // A code presented twice in the turn: exactly one of its two claims won.
    assert.equal([results[0], results[8]].filter(Boolean).length, 1);
    assert.equal([results[5], results[9]].filter(Boolean).length, 1);
    for (const [i, code] of codes.entries()) {
      const issued = await count(h.raw, 'SELECT count(*) AS n FROM oauth2_tokens WHERE family_id = ?', [code.id]);
      assert.equal(issued, i % 4 === 3 ? 0 : 1);
    }
  });
});
