import type { Token, TokensStore } from '../store.js';
import { toUser } from './accounts.js';
import { toClient } from './clients.js';
import { type Db, type Row, prefixedColumns, unprefix } from './db.js';
import { claimThenIssue, insertToken } from './issue-after.js';

/** Every column of a token row, for joined reads (issue-after.ts lists the ones an insert sets). */
const SELECTED_COLUMNS = [
  'id', 'family_id', 'client_id', 'user_id', 'sub_type', 'access_token_hash', 'refresh_token_hash', 'scope',
  'issued_at', 'expires_in', 'access_token_revoked_at', 'refresh_token_revoked_at', 'rotated_at', 'rotated_response',
] as const;

const toToken = (r: Row): Token => ({
  id: r.id as string,
  familyId: r.family_id as string,
  clientId: r.client_id as string,
  userId: r.user_id as string,
  subType: r.sub_type as Token['subType'],
  accessTokenHash: r.access_token_hash as string,
  refreshTokenHash: (r.refresh_token_hash as string | null) ?? null,
  scope: r.scope as string,
  issuedAt: r.issued_at as number,
  expiresIn: r.expires_in as number,
  accessTokenRevokedAt: r.access_token_revoked_at as number,
  refreshTokenRevokedAt: r.refresh_token_revoked_at as number,
  rotatedAt: (r.rotated_at as number | null) ?? null,
  rotatedResponse: (r.rotated_response as string | null) ?? null,
  organizationIds: r.orgs ? String(r.orgs).split(' ') : [],
});

const HASH_COLUMN = { access_token: 'access_token_hash', refresh_token: 'refresh_token_hash' } as const;

/**
 * Revokes every token row matching `where` (both columns, keeping earlier revocation times).
 * Shared by family revocation, client deletion (D12) and consent revocation.
 */
export function revokeTokensWhere(db: Db, where: string, params: (string | number)[], now: number): Promise<number> {
  return db.run(
    `UPDATE oauth2_tokens
        SET access_token_revoked_at = CASE WHEN access_token_revoked_at = 0 THEN ? ELSE access_token_revoked_at END,
            refresh_token_revoked_at = CASE WHEN refresh_token_revoked_at = 0 THEN ? ELSE refresh_token_revoked_at END
      WHERE ${where}`,
    [now, now, ...params],
  );
}

/**
 * The WHERE clause is the invariant: only a live row rotates, so one of N racers wins. In
 * PostgreSQL the losers block on the row lock and then see the winner's committed row.
 */
const ROTATE = `UPDATE oauth2_tokens SET refresh_token_revoked_at = ?, rotated_at = ?, rotated_response = ?
  WHERE id = ? AND refresh_token_revoked_at = 0 AND access_token_revoked_at = 0 RETURNING id`;

export const tokens = (db: Db): TokensStore => {
  const select = (column: string) =>
    `SELECT t.*, (SELECT ${db.spaceJoined('organization_id')} FROM oauth2_token_organizations WHERE token_id = t.id) AS orgs
       FROM oauth2_tokens t WHERE t.${column} = ?`;
  const byRefresh = select('refresh_token_hash');
  const byAccess = select('access_token_hash');
  const prefixed = `${prefixedColumns('t', SELECTED_COLUMNS)},
    (SELECT ${db.spaceJoined('organization_id')} FROM oauth2_token_organizations WHERE token_id = t.id) AS t_orgs`;
  // Users are deleted with their tokens (ON DELETE CASCADE), so the inner join loses no live token.
  const accessGrant = `SELECT ${prefixed}, u.* FROM oauth2_tokens t JOIN users u ON u.id = t.user_id WHERE t.access_token_hash = ?`;
  // Either side may be missing: both are LEFT JOINed to a one-row relation.
  const withClient = (kind: keyof typeof HASH_COLUMN) =>
    `SELECT c.*, ${prefixed} FROM (SELECT 1 AS one) one
       LEFT JOIN oauth2_clients c ON c.client_id = ? AND c.deleted_at IS NULL
       LEFT JOIN oauth2_tokens t ON t.${HASH_COLUMN[kind]} = ?`;
  const withClientSql = { access_token: withClient('access_token'), refresh_token: withClient('refresh_token') };
  return {
    async findAccessGrant(hash) {
      const row = await db.get(accessGrant, [hash]);
      return row && { token: toToken(unprefix(row, 't')), user: toUser(row) };
    },
    async findWithClient(clientId, presented) {
      const row = await db.get(withClientSql[presented?.kind ?? 'access_token'], [clientId, presented?.hash ?? null]);
      return {
        ...(row?.client_id != null ? { client: toClient(row) } : {}),
        ...(row?.t_id != null ? { token: toToken(unprefix(row, 't')) } : {}),
      };
    },
    async create(t) {
      // Without down-scope rows the insert is one statement and needs no transaction of its own.
      await (t.organizationIds.length === 0 ? insertToken(db, t) : db.transaction((tx) => insertToken(tx, t)));
    },
    async findByRefreshHash(hash) {
      const row = await db.get(byRefresh, [hash]);
      return row && toToken(row);
    },
    async findByAccessHash(hash) {
      const row = await db.get(byAccess, [hash]);
      return row && toToken(row);
    },
    async rotate(id, now, sealedResponse) {
      return (await db.all(ROTATE, [now, now, sealedResponse, id])).length === 1;
    },
    rotateTo: (id, now, sealedResponse, next) => claimThenIssue(db, ROTATE, [now, now, sealedResponse, id], next),
    async revokeAccess(id, now) {
      await db.run('UPDATE oauth2_tokens SET access_token_revoked_at = ? WHERE id = ? AND access_token_revoked_at = 0', [now, id]);
    },
    async revokeFamily(familyId, now) {
      await revokeTokensWhere(db, 'family_id = ?', [familyId], now);
    },
  };
};
