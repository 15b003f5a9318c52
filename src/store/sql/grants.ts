import type { ConsentsStore, SignInThrottle, SigningKey, SigningKeysStore } from '../store.js';
import type { Db, Row } from './db.js';
import { revokeTokensWhere } from './tokens.js';

export const consents = (db: Db): ConsentsStore => ({
  async find(clientId, userId) {
    const row = await db.get<{ scope: string }>('SELECT scope FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [
      clientId,
      userId,
    ]);
    return row && { clientId, userId, scope: row.scope };
  },
  async remember(c, now) {
    // Appendix B.3 / pitfalls: insert-or-update in one statement, never select-then-insert.
    await db.run(
      `INSERT INTO oauth2_grants (client_id, user_id, scope, created_at, modified_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (client_id, user_id) DO UPDATE SET scope = excluded.scope, modified_at = excluded.modified_at`,
      [c.clientId, c.userId, c.scope, now, now],
    );
  },
  async listForUser(userId) {
    const rows = await db.all<{ client_id: string; scope: string; modified_at: number }>(
      `SELECT g.client_id, g.scope, g.modified_at FROM oauth2_grants g
         JOIN oauth2_clients c ON c.client_id = g.client_id AND c.deleted_at IS NULL
        WHERE g.user_id = ? ORDER BY g.modified_at DESC, g.client_id`,
      [userId],
    );
    return rows.map((r) => ({ clientId: r.client_id, userId, scope: r.scope, modifiedAt: r.modified_at }));
  },
  async revoke(clientId, userId, now) {
    await db.transaction(async (tx) => {
      await tx.run('DELETE FROM oauth2_grants WHERE client_id = ? AND user_id = ?', [clientId, userId]);
      await tx.run(
        'UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE client_id = ? AND user_id = ? AND consumed_at IS NULL',
        [now, clientId, userId],
      );
      await revokeTokensWhere(tx, 'client_id = ? AND user_id = ?', [clientId, userId], now);
    });
  },
});

export const signInThrottle = (db: Db): SignInThrottle => ({
  async fail(keys, now, { window, maxFailures, lockFor }) {
    let locked = 0;
    for (const key of keys) {
      // One upsert per key: a new window starts when the old one has passed; reaching the
      // maximum sets the lock. Concurrent failures are all counted (no read-then-write).
      const row = await db.get<{ locked_until: number }>(
        `INSERT INTO sign_in_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? ELSE 0 END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END,
           window_start = CASE WHEN sign_in_failures.window_start <= ? THEN excluded.window_start ELSE sign_in_failures.window_start END,
           locked_until = CASE
             WHEN (CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END) >= ? THEN ?
             ELSE sign_in_failures.locked_until END
         RETURNING locked_until`,
        [key, now, maxFailures, now + lockFor, now - window, now - window, now - window, maxFailures, now + lockFor],
      );
      locked = Math.max(locked, Number(row?.locked_until ?? 0));
    }
    return locked > now ? locked : 0;
  },
  async lockedUntil(keys, now) {
    if (keys.length === 0) return 0;
    const row = await db.get<{ until: number | null }>(
      `SELECT max(locked_until) AS until FROM sign_in_failures WHERE key IN (${keys.map(() => '?').join(', ')}) AND locked_until > ?`,
      [...keys, now],
    );
    return Number(row?.until ?? 0);
  },
  async clear(key) {
    await db.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
  },
});

const toKey = (r: Row): SigningKey => ({
  kid: r.kid as string,
  alg: r.alg as string,
  publicJwk: r.public_jwk as string,
  privateJwkSealed: r.private_jwk_sealed as string,
  createdAt: r.created_at as number,
  retiredAt: (r.retired_at as number | null) ?? null,
  expiresAt: (r.expires_at as number | null) ?? null,
});

const insertKey = (db: Db, k: SigningKey) =>
  db.run(
    'INSERT INTO signing_keys (kid, alg, public_jwk, private_jwk_sealed, created_at, retired_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [k.kid, k.alg, k.publicJwk, k.privateJwkSealed, k.createdAt, k.retiredAt, k.expiresAt],
  );

export const signingKeys = (db: Db): SigningKeysStore => ({
  async list() {
    return (await db.all('SELECT * FROM signing_keys ORDER BY created_at, kid')).map(toKey);
  },
  async create(k) {
    await insertKey(db, k);
  },
  async rotate(k, retiredKeysExpireAt) {
    await db.transaction(async (tx) => {
      await tx.run('UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL', [k.createdAt, retiredKeysExpireAt]);
      await insertKey(tx, k);
    });
  },
  async prune(now) {
    // One statement: two instances pruning at once each report only what they removed.
    const gone = await db.all<{ kid: string }>('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < ? RETURNING kid', [now]);
    return gone.map((k) => k.kid);
  },
});
