import type { Client, ClientsStore } from '../store.js';
import type { Db, Row } from './db.js';

const toClient = (r: Row): Client => ({
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

export const clients = (db: Db): ClientsStore => ({
  async create(c) {
    await db.run(
      `INSERT INTO oauth2_clients (id, client_id, client_secret_hash, client_secret_sealed, registration_access_token_hash,
         registration_access_token_sealed, client_id_issued_at, client_secret_expires_at, metadata, first_party, user_id,
         created_at, modified_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
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
      ],
    );
  },
  async findByClientId(clientId) {
    const row = await db.get('SELECT * FROM oauth2_clients WHERE client_id = ? AND deleted_at IS NULL', [clientId]);
    return row && toClient(row);
  },
});
