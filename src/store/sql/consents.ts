import type { ConsentsStore } from '../store.js';
import { type Db, spaceSplit } from './db.js';
import { revokeTokensWhere } from './tokens.js';
import { holdUnerasedUser } from './user-guard.js';

export const consents = (db: Db): ConsentsStore => ({
  async find(clientId, userId) {
    const row = await db.get<{ scope: string; organization_ids: string }>(
      'SELECT scope, organization_ids FROM oauth2_grants WHERE client_id = ? AND user_id = ?',
      [clientId, userId],
    );
    return row && { clientId, userId, scope: row.scope, organizationIds: spaceSplit(row.organization_ids) };
  },
  async remember(c, now) {
    await db.transaction(async (tx) => {
      // Not for an account deleted meanwhile (user-guard.ts): its consents went with it.
      if (!(await holdUnerasedUser(tx, c.userId))) return;
      // Appendix B.3 / pitfalls: insert-or-update in one statement, never select-then-insert.
      await tx.run(
        `INSERT INTO oauth2_grants (client_id, user_id, scope, organization_ids, created_at, modified_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (client_id, user_id) DO UPDATE
           SET scope = excluded.scope, organization_ids = excluded.organization_ids, modified_at = excluded.modified_at`,
        [c.clientId, c.userId, c.scope, c.organizationIds.join(' '), now, now],
      );
    });
  },
  async listForUser(userId) {
    const rows = await db.all<{ client_id: string; scope: string; organization_ids: string; modified_at: number }>(
      `SELECT g.client_id, g.scope, g.organization_ids, g.modified_at FROM oauth2_grants g
         JOIN oauth2_clients c ON c.client_id = g.client_id AND c.deleted_at IS NULL
        WHERE g.user_id = ? ORDER BY g.modified_at DESC, ${db.inByteOrder('g.client_id')}`,
      [userId],
    );
    return rows.map((r) => ({
      clientId: r.client_id,
      userId,
      scope: r.scope,
      modifiedAt: r.modified_at,
      organizationIds: spaceSplit(r.organization_ids),
    }));
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
