import type { Client, ClientsStore } from '../store.js';
import type { Db, Row } from './db.js';
import { revokeTokensWhere } from './tokens.js';

export const toClient = (r: Row): Client => ({
  id: r.id as string,
  clientId: r.client_id as string,
  clientSecretHash: r.client_secret_hash as string,
  clientSecretSealed: r.client_secret_sealed as string,
  registrationTokenHash: r.registration_access_token_hash as string,
  registrationTokenSealed: r.registration_access_token_sealed as string,
  clientIdIssuedAt: r.client_id_issued_at as number,
  clientSecretExpiresAt: r.client_secret_expires_at as number,
  metadata: JSON.parse(r.metadata as string),
  firstParty: r.first_party === 1,
  userId: (r.user_id as string | null) ?? null,
  createdAt: r.created_at as number,
  modifiedAt: r.modified_at as number,
});

/** Milliseconds × 1000 plus a per-process counter: distinct and increasing even within one millisecond. */
let sequence = 0;
const creationStamp = () => Date.now() * 1000 + (sequence++ % 1000);

export const clients = (db: Db): ClientsStore => ({
  async create(c) {
    await db.run(
      `INSERT INTO oauth2_clients (id, client_id, client_secret_hash, client_secret_sealed, registration_access_token_hash,
         registration_access_token_sealed, client_id_issued_at, client_secret_expires_at, metadata, first_party, user_id,
         created_at, modified_at, created_ms)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
  },
  async updateMetadata(clientId, metadata, now) {
    await db.run('UPDATE oauth2_clients SET metadata = ?, modified_at = ? WHERE client_id = ? AND deleted_at IS NULL', [
      JSON.stringify(metadata),
      now,
      clientId,
    ]);
  },
  async rotateSecret(clientId, secretHash, secretSealed, now) {
    await db.run(
      'UPDATE oauth2_clients SET client_secret_hash = ?, client_secret_sealed = ?, modified_at = ? WHERE client_id = ? AND deleted_at IS NULL',
      [secretHash, secretSealed, now, clientId],
    );
  },
  async delete(clientId, now) {
    await db.transaction(async (tx) => {
      await tx.run('UPDATE oauth2_clients SET deleted_at = ? WHERE client_id = ? AND deleted_at IS NULL', [now, clientId]);
      await tx.run('UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE client_id = ? AND consumed_at IS NULL', [now, clientId]);
      await revokeTokensWhere(tx, 'client_id = ?', [clientId], now);
    });
  },
  async listByOwner(userId, offset, limit) {
    const rows = await db.all(
      'SELECT * FROM oauth2_clients WHERE user_id = ? AND deleted_at IS NULL ORDER BY created_at DESC, created_ms DESC, id DESC LIMIT ? OFFSET ?',
      [userId, limit, offset],
    );
    const count = await db.get<{ n: number }>('SELECT count(*) AS n FROM oauth2_clients WHERE user_id = ? AND deleted_at IS NULL', [userId]);
    return { items: rows.map(toClient), total: Number(count?.n ?? 0) };
  },
  async findByClientId(clientId) {
    const row = await db.get('SELECT * FROM oauth2_clients WHERE client_id = ? AND deleted_at IS NULL', [clientId]);
    return row && toClient(row);
  },
});
