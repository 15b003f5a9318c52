import type { SigningKey, SigningKeysStore } from '../store.js';
import type { Db, Row } from './db.js';

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
    return (await db.all(`SELECT * FROM signing_keys ORDER BY created_at, ${db.inByteOrder('kid')}`)).map(toKey);
  },
  async create(k) {
    await insertKey(db, k);
  },
  // `exclusive`: PostgreSQL's READ COMMITTED would let two of these each miss the other's insert.
  async createFirst(k) {
    return db.exclusive(async (tx) => {
      if (await tx.get('SELECT 1 AS live FROM signing_keys WHERE retired_at IS NULL LIMIT 1')) return false;
      await insertKey(tx, k);
      return true;
    });
  },
  async rotate(k, retiredKeysExpireAt) {
    await db.exclusive(async (tx) => {
      await tx.run('UPDATE signing_keys SET retired_at = ?, expires_at = ? WHERE retired_at IS NULL', [k.createdAt, retiredKeysExpireAt]);
      await insertKey(tx, k);
    });
  },
  async prune(now) {
    // One statement: two instances pruning at once each report only what they removed.
    const gone = await db.all<{ kid: string }>('DELETE FROM signing_keys WHERE expires_at IS NOT NULL AND expires_at < ? RETURNING kid', [now]);
    return gone.map((k) => k.kid);
  },
  withdraw(kid, now) {
    return db.exclusive(async (tx) => {
      const gone = await tx.get<{ created_at: number }>('DELETE FROM signing_keys WHERE kid = ? RETURNING created_at', [kid]);
      if (!gone) return false;
      // A key that had not started yet: the keys its rotation was to retire at its start sign on.
      if (gone.created_at > now) await tx.run('UPDATE signing_keys SET retired_at = NULL, expires_at = NULL WHERE retired_at = ?', [gone.created_at]);
      return true;
    });
  },
});
