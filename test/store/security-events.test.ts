/** Contract: stored security events (src/audit.ts keeps them), on both engines. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Audit } from '../../src/audit.js';
import { timeOrderedId } from '../../src/oauth/ids.js';
import { CLEANUP_BATCH, SECURITY_EVENT_SECONDS, openStore } from '../../src/store/sql/index.js';
import type { SecurityEvent } from '../../src/store/store.js';
import { ENGINE, freshDatabase } from '../support/server.js';
import { NOW, aClient, count, type Harness, harness } from './fixtures.js';

describe(`store contract: security events (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  let ms = Date.now();
  const anEvent = (overrides: Partial<SecurityEvent> = {}): SecurityEvent => ({
    // One millisecond apart: ids order events by time to the millisecond.
    id: timeOrderedId(++ms),
    type: 'sign_in.succeeded',
    occurredAt: NOW,
    userId: null,
    clientId: null,
    organizationId: null,
    ip: null,
    details: {},
    ...overrides,
  });

  test('listed newest first, whole, with how many match; each filter and all of them together', async () => {
    const [user, other, client, org] = [randomUUID(), randomUUID(), `polar_ci_${randomUUID()}`, randomUUID()];
    const signIn = anEvent({ userId: user, ip: '192.0.2.1' });
    const changed = anEvent({ type: 'password.changed', userId: user, details: { by: 'user', tokens_revoked: false } });
    const reuse = anEvent({ type: 'refresh_token.reuse_detected', userId: user, clientId: client, details: { family_id: 'f1' } });
    const joined = anEvent({ type: 'organization.member_added', userId: other, organizationId: org, details: { via: 'invitation' } });
    const deleted = anEvent({ type: 'client.deleted', clientId: client });
    for (const e of [signIn, changed, reuse, joined, deleted]) await h.store.securityEvents.append(e);

    const list = (filter: Parameters<typeof h.store.securityEvents.list>[0], offset = 0, limit = 10) => h.store.securityEvents.list(filter, offset, limit);
    assert.deepEqual(await list({ userId: user }), { items: [reuse, changed, signIn], total: 3 });
    assert.deepEqual(await list({ clientId: client }), { items: [deleted, reuse], total: 2 });
    assert.deepEqual(await list({ organizationId: org }), { items: [joined], total: 1 });
    assert.deepEqual(await list({ type: 'password.changed' }), { items: [changed], total: 1 });
    assert.deepEqual(await list({ userId: user, clientId: client, type: 'refresh_token.reuse_detected' }), { items: [reuse], total: 1 });
    assert.deepEqual(await list({ userId: user, type: 'client.deleted' }), { items: [], total: 0 });
    assert.deepEqual(await list({ userId: randomUUID() }), { items: [], total: 0 });
    const all = await list({});
    assert.deepEqual(all.items.slice(0, 5), [deleted, joined, reuse, changed, signIn]);
    assert.equal(all.total >= 5, true);
    // Pages: an offset past the first, and past the last.
    assert.deepEqual(await list({ userId: user }, 1, 1), { items: [changed], total: 3 });
    assert.deepEqual(await list({ userId: user }, 3, 10), { items: [], total: 3 });
  });

  test('the cleanup deletes events past their retention, and only those', async () => {
    const user = randomUUID();
    const old = anEvent({ userId: user, occurredAt: NOW - SECURITY_EVENT_SECONDS - 1 });
    const kept = anEvent({ userId: user, occurredAt: NOW - SECURITY_EVENT_SECONDS + 1 });
    for (const e of [old, kept]) await h.store.securityEvents.append(e);
    await h.store.deleteExpired(NOW);
    assert.deepEqual((await h.store.securityEvents.list({ userId: user }, 0, 10)).items, [kept]);
  });

  test("a deleted app's registration is kept while events may name it, then scrubbed to its id and hashes", async () => {
    const [older, newer, live] = [aClient(), aClient(), aClient()];
    for (const c of [older, newer, live]) await h.store.clients.create(c);
    await h.store.clients.delete(older.clientId, NOW - SECURITY_EVENT_SECONDS - 1);
    await h.store.clients.delete(newer.clientId, NOW - SECURITY_EVENT_SECONDS + 1);
    const row = (c: { clientId: string }) =>
      h.raw.get<Record<string, unknown>>(
        'SELECT client_id, client_secret_hash, client_secret_sealed, registration_access_token_hash, registration_access_token_sealed, metadata FROM oauth2_clients WHERE client_id = ?',
        [c.clientId],
      );
    const stored = (c: ReturnType<typeof aClient>) => ({
      client_id: c.clientId,
      client_secret_hash: c.clientSecretHash,
      client_secret_sealed: c.clientSecretSealed,
      registration_access_token_hash: c.registrationTokenHash,
      registration_access_token_sealed: c.registrationTokenSealed,
      metadata: JSON.stringify(c.metadata),
    });
    assert.ok((await h.store.deleteExpired(NOW)) >= 1);
    assert.deepEqual(await row(older), { ...stored(older), client_secret_sealed: '', registration_access_token_sealed: '', metadata: '{}' });
    assert.deepEqual(await row(newer), stored(newer), 'deleted within the retention: kept whole');
    assert.deepEqual(await row(live), stored(live));
    assert.equal(await h.store.deleteExpired(NOW), 0, 'a scrubbed row is not scrubbed again');
  });

  test('a backlog of deleted apps larger than one cleanup statement is scrubbed whole, in batches', async () => {
    const backlog = Array.from({ length: CLEANUP_BATCH + 5 }, () => aClient());
    for (let i = 0; i < backlog.length; i += 250) await Promise.all(backlog.slice(i, i + 250).map((c) => h.store.clients.create(c)));
    for (let i = 0; i < backlog.length; i += 250) await Promise.all(backlog.slice(i, i + 250).map((c) => h.store.clients.delete(c.clientId, NOW - SECURITY_EVENT_SECONDS - 10)));
    assert.equal(await h.store.deleteExpired(NOW), backlog.length);
    const ids = backlog.map((c) => c.clientId);
    const left = await count(h.raw, `SELECT count(*) AS n FROM oauth2_clients WHERE metadata <> '{}' AND client_id IN (${ids.map(() => '?').join(', ')})`, ids);
    assert.equal(left, 0);
  });

  test('a retention of its own (BOREALIS_SECURITY_EVENT_DAYS)', async () => {
    const database = await freshDatabase();
    const store = await openStore(database.url, { migrate: true, now: NOW, securityEventSeconds: 86400 });
    try {
      const user = randomUUID();
      const [old, kept] = [anEvent({ userId: user, occurredAt: NOW - 86401 }), anEvent({ userId: user, occurredAt: NOW - 86399 })];
      for (const e of [old, kept]) await store.securityEvents.append(e);
      await store.deleteExpired(NOW);
      assert.deepEqual((await store.securityEvents.list({ userId: user }, 0, 10)).items, [kept]);
    } finally {
      await store.close();
      await database.drop();
    }
  });

  test('Audit stores what it records, all but failed sign-ins, and settles before the store closes', async () => {
    const audit = new Audit();
    audit.keepIn(h.store.securityEvents, () => NOW + 5);
    const user = randomUUID();
    audit.record({ audit: 'sign_in.failed', reason: 'wrong_credentials', ip: '192.0.2.9' });
    audit.record({ audit: 'sign_in.succeeded', user_id: user, ip: '192.0.2.9' });
    audit.record({ audit: 'client.created', client_id: 'polar_ci_x', user_id: user });
    audit.record({ audit: 'password.changed', user_id: user, by: 'operator', tokens_revoked: true });
    await audit.settled();
    const { items } = await h.store.securityEvents.list({ userId: user }, 0, 10);
    const stored = items.map(({ id, ...rest }) => (assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/), rest));
    const at = { occurredAt: NOW + 5, organizationId: null };
    assert.deepEqual(stored, [
      { ...at, type: 'password.changed', userId: user, clientId: null, ip: null, details: { by: 'operator', tokens_revoked: true } },
      { ...at, type: 'client.created', userId: user, clientId: 'polar_ci_x', ip: null, details: {} },
      { ...at, type: 'sign_in.succeeded', userId: user, clientId: null, ip: '192.0.2.9', details: {} },
    ]);
    assert.equal(await count(h.raw, "SELECT COUNT(*) AS n FROM security_events WHERE type = 'sign_in.failed'"), 0);
  });

  test('a write that fails is reported with its event, and settles', async () => {
    const database = await freshDatabase();
    const closed = await openStore(database.url, { migrate: true, now: NOW });
    await closed.close();
    try {
      const audit = new Audit();
      audit.keepIn(closed.securityEvents, () => NOW);
      const reported: [unknown, string][] = [];
      audit.onFailure((error, event) => reported.push([error, event.audit]));
      audit.record({ audit: 'user.blocked', user_id: randomUUID() });
      await audit.settled();
      assert.equal(reported.length, 1);
      assert.equal(reported[0]?.[1], 'user.blocked');
      assert.ok(reported[0]?.[0] instanceof Error);
    } finally {
      await database.drop();
    }
  });
});
