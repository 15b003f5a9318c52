import type { Client, ClientsStore } from '../store.js';
import { type Db, shape } from './db.js';
import { revokeTokensWhere } from './tokens.js';
import { holdUnerasedUser } from './user-guard.js';

export const CLIENT = shape(
  [
    'id', 'client_id', 'client_secret_hash', 'client_secret_sealed', 'registration_access_token_hash',
    'registration_access_token_sealed', 'client_id_issued_at', 'client_secret_expires_at', 'metadata', 'first_party',
    'user_id', 'created_at', 'modified_at',
  ],
  (v, at): Client => ({
    id: v[at] as string,
    clientId: v[at + 1] as string,
    clientSecretHash: v[at + 2] as string,
    clientSecretSealed: v[at + 3] as string,
    registrationTokenHash: v[at + 4] as string,
    registrationTokenSealed: v[at + 5] as string,
    clientIdIssuedAt: v[at + 6] as number,
    clientSecretExpiresAt: v[at + 7] as number,
    metadata: JSON.parse(v[at + 8] as string),
    firstParty: v[at + 9] === 1,
    userId: (v[at + 10] as string | null) ?? null,
    createdAt: v[at + 11] as number,
    modifiedAt: v[at + 12] as number,
  }),
);

/** Milliseconds × 1000 plus a per-process counter: distinct and increasing even within one millisecond. */
let sequence = 0;
const creationStamp = () => Date.now() * 1000 + (sequence++ % 1000);

export const clients = (db: Db): ClientsStore => ({
  create(c) {
    // An app made for a user (the console, a signed-in registration) is theirs only while they
    // exist: one stored as their account is deleted would outlive it (user-guard.ts).
    return db.transaction(async (tx) => {
      if (c.userId !== null && !(await holdUnerasedUser(tx, c.userId))) return false;
      const created = await tx.run(
        `INSERT INTO oauth2_clients (id, client_id, client_secret_hash, client_secret_sealed, registration_access_token_hash,
           registration_access_token_sealed, client_id_issued_at, client_secret_expires_at, metadata, first_party, user_id,
           created_at, modified_at, created_ms)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
        [
          c.id,
          c.clientId,
          c.clientSecretHash,
          c.clientSecretSealed,
          c.registrationTokenHash,
          c.registrationTokenSealed,
          c.clientIdIssuedAt,
          c.clientSecretExpiresAt,
          JSON.stringify(c.metadata),
          c.firstParty ? 1 : 0,
          c.userId,
          c.createdAt,
          c.modifiedAt,
          creationStamp(),
        ],
      );
      return created > 0;
    });
  },
  updateMetadata(clientId, change, now) {
    return db.transaction(async (tx) => {
      // SQLite's write transaction holds the whole database already (BEGIN IMMEDIATE).
      const lock = tx.engine === 'postgres' ? ' FOR NO KEY UPDATE' : '';
      const row = await tx.get<{ metadata: string }>(`SELECT metadata FROM oauth2_clients WHERE client_id = ? AND deleted_at IS NULL${lock}`, [clientId]);
      if (!row) return undefined;
      const metadata = change(JSON.parse(row.metadata));
      await tx.run('UPDATE oauth2_clients SET metadata = ?, modified_at = ? WHERE client_id = ?', [JSON.stringify(metadata), now, clientId]);
      return metadata;
    });
  },
  async rotateSecret(clientId, r, now, ifHash) {
    const changed = await db.run(
      `UPDATE oauth2_clients SET client_secret_hash = ?, client_secret_sealed = ?, registration_access_token_hash = ?,
         registration_access_token_sealed = ?, modified_at = ?
       WHERE client_id = ? AND client_secret_hash = ? AND deleted_at IS NULL`,
      [r.clientSecretHash, r.clientSecretSealed, r.registrationTokenHash, r.registrationTokenSealed, now, clientId, ifHash],
    );
    return changed > 0;
  },
  async delete(clientId, now) {
    await db.transaction((tx) => endClient(tx, clientId, now));
  },
  async listByOwner(userId, offset, limit) {
    const rows = await db.allValues(
      `SELECT ${CLIENT.select('c')} FROM oauth2_clients c WHERE c.user_id = ? AND c.deleted_at IS NULL
        ORDER BY c.created_at DESC, c.created_ms DESC, c.id DESC LIMIT ? OFFSET ?`,
      [userId, limit, offset],
    );
    const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM oauth2_clients WHERE user_id = ? AND deleted_at IS NULL', [userId]);
    return { items: rows.map((row) => CLIENT.read(row)), total: Number(count?.n ?? 0) };
  },
  async list(offset, limit) {
    const rows = await db.allValues(
      `SELECT ${CLIENT.select('c')} FROM oauth2_clients c WHERE c.deleted_at IS NULL
        ORDER BY c.created_at DESC, c.created_ms DESC, c.id DESC LIMIT ? OFFSET ?`,
      [limit, offset],
    );
    const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM oauth2_clients WHERE deleted_at IS NULL');
    return { items: rows.map((row) => CLIENT.read(row)), total: Number(count?.n ?? 0) };
  },
  async findByClientId(clientId) {
    const row = await db.getValues(`SELECT ${CLIENT.select('c')} FROM oauth2_clients c WHERE c.client_id = ? AND c.deleted_at IS NULL`, [
      clientId,
    ]);
    return row && CLIENT.read(row);
  },
  async findById(id) {
    const row = await db.getValues(`SELECT ${CLIENT.select('c')} FROM oauth2_clients c WHERE c.id = ? AND c.deleted_at IS NULL`, [id]);
    return row && CLIENT.read(row);
  },
});

/** Soft-deletes the client and, in the caller's transaction, spends its codes and revokes its tokens (D12). */
export async function endClient(tx: Db, clientId: string, now: number) {
  await tx.run('UPDATE oauth2_clients SET deleted_at = ? WHERE client_id = ? AND deleted_at IS NULL', [now, clientId]);
  await tx.run('UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE client_id = ? AND consumed_at IS NULL', [now, clientId]);
  await revokeTokensWhere(tx, 'client_id = ?', [clientId], now);
}
