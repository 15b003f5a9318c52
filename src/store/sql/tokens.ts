import type { Token, TokenKey, TokensStore } from '../store.js';
import { USER } from './accounts.js';
import { CLIENT } from './clients.js';
import { type Db, foldedDownScope, readDownScope, shape } from './db.js';
import { claimThenIssue, issue } from './issue-after.js';

/** A token row, with its down-scope organizations in its last column. */
const tokenShape = (db: Db) =>
  shape(
    [
      'id', 'family_id', 'client_id', 'user_id', 'sub_type', 'access_token_hash', 'refresh_token_hash', 'scope',
      'issued_at', 'expires_in', 'access_token_revoked_at', 'refresh_token_revoked_at', 'rotated_at', 'rotated_response',
      foldedDownScope(db, 'oauth2_token_organizations', 'token_id'),
    ],
    (v, at): Token => ({
      id: v[at] as string,
      familyId: v[at + 1] as string,
      clientId: v[at + 2] as string,
      userId: v[at + 3] as string,
      subType: v[at + 4] as Token['subType'],
      accessTokenHash: v[at + 5] as string,
      refreshTokenHash: (v[at + 6] as string | null) ?? null,
      scope: v[at + 7] as string,
      issuedAt: v[at + 8] as number,
      expiresIn: v[at + 9] as number,
      accessTokenRevokedAt: v[at + 10] as number,
      refreshTokenRevokedAt: v[at + 11] as number,
      rotatedAt: (v[at + 12] as number | null) ?? null,
      rotatedResponse: (v[at + 13] as string | null) ?? null,
      ...readDownScope(v[at + 14]),
    }),
  );

/**
 * A family's rows, found through the `(client_id, user_id)` index that all of them share. An
 * index on `family_id` alone would put every rotation's new row on a random leaf of its own (the
 * family's), a page written per rotation; under that index's key a user's rows only append
 * (bench/README.md, change 20). Revocation reads the user's rows at the client, a few in practice.
 */
export const FAMILY_ROWS = 'client_id = ? AND user_id = ? AND family_id = ?';

const HASH_COLUMN = { access_token: 'access_token_hash', refresh_token: 'refresh_token_hash' } as const;

/**
 * Revokes every token row matching `where` (both columns, keeping earlier revocation times).
 * Shared by family revocation, client deletion (D12) and consent revocation. Rows already revoked
 * on both sides are left alone: a client's history can be far larger than its live tokens, and
 * rewriting it would only grow the WAL (and SQLite's in-memory savepoint journal).
 *
 * The UPDATE runs again until it changes nothing. Under PostgreSQL's READ COMMITTED an UPDATE
 * does not see rows committed after it started: one that waited on the row a rotation was
 * claiming re-reads that row, but not the successor the rotation inserted, which would stay live.
 * The next UPDATE sees it; and once one changes nothing, no live row is left for a rotation to
 * claim (the rows revoked here stay locked until they are committed, then fail the guard).
 */
export async function revokeTokensWhere(db: Db, where: string, params: (string | number)[], now: number): Promise<number> {
  const sql = `UPDATE oauth2_tokens
        SET access_token_revoked_at = CASE WHEN access_token_revoked_at = 0 THEN ? ELSE access_token_revoked_at END,
            refresh_token_revoked_at = CASE WHEN refresh_token_revoked_at = 0 THEN ? ELSE refresh_token_revoked_at END
      WHERE (${where}) AND (access_token_revoked_at = 0 OR refresh_token_revoked_at = 0)`;
  let revoked = 0;
  for (;;) {
    const changed = await db.run(sql, [now, now, ...params]);
    if (changed === 0) return revoked;
    revoked += changed;
  }
}

/**
 * The WHERE clause is the invariant: only a live row rotates, so one of N racers wins. In
 * PostgreSQL the losers block on the row lock and then see the winner's committed row.
 */
const ROTATE = `UPDATE oauth2_tokens SET refresh_token_revoked_at = ?, rotated_at = ?, rotated_response = ?
  WHERE id = ? AND refresh_token_revoked_at = 0 AND access_token_revoked_at = 0 RETURNING id`;

export const tokens = (db: Db): TokensStore => {
  const TOKEN = tokenShape(db);
  const byHash = (column: string) => `SELECT ${TOKEN.select('t')} FROM oauth2_tokens t WHERE t.${column} = ?`;
  const byRefresh = byHash('refresh_token_hash');
  const byAccess = byHash('access_token_hash');
  // Users are deleted with their tokens (ON DELETE CASCADE), so the inner join loses no live token.
  const accessGrant = `SELECT ${TOKEN.select('t')}, ${USER.select('u')} FROM oauth2_tokens t JOIN users u ON u.id = t.user_id
    WHERE t.access_token_hash = ?`;
  // Either side may be missing: both are LEFT JOINed to a one-row relation.
  const withClient = (kind: keyof typeof HASH_COLUMN) =>
    `SELECT ${CLIENT.select('c')}, ${TOKEN.select('t')} FROM (SELECT 1 AS one) one
       LEFT JOIN oauth2_clients c ON c.client_id = ? AND c.deleted_at IS NULL
       LEFT JOIN oauth2_tokens t ON t.${HASH_COLUMN[kind]} = ?`;
  const withClientSql = { access_token: withClient('access_token'), refresh_token: withClient('refresh_token') };
  /**
   * Every lookup of a presented token goes by `key.hash`, then, when that finds nothing, by
   * `key.legacyHash`: rows stored before token selectors (credentials.ts). Only an unknown token,
   * or one of those, pays for the second statement.
   */
  const rowBy = async (sql: string, key: TokenKey) =>
    (await db.getValues(sql, [key.hash])) ?? (key.legacyHash === null ? undefined : await db.getValues(sql, [key.legacyHash]));
  const tokenBy = async (sql: string, key: TokenKey) => {
    const row = await rowBy(sql, key);
    return row && TOKEN.read(row);
  };
  return {
    async findAccessGrant(key) {
      const row = await rowBy(accessGrant, key);
      return row && { token: TOKEN.read(row), user: USER.read(row, TOKEN.width) };
    },
    async findWithClient(clientId, presented) {
      const sql = withClientSql[presented?.kind ?? 'access_token'];
      // A missing side reads as NULLs; its id (the first column) tells.
      let row = await db.getValues(sql, [clientId, presented?.hash ?? null]);
      if (row?.[CLIENT.width] == null && presented?.legacyHash) row = await db.getValues(sql, [clientId, presented.legacyHash]);
      row ??= [];
      return {
        ...(row[0] != null ? { client: CLIENT.read(row) } : {}),
        ...(row[CLIENT.width] != null ? { token: TOKEN.read(row, CLIENT.width) } : {}),
      };
    },
    create: (t, options) => issue(db, t, options?.passwordHash),
    findByRefresh: (key) => tokenBy(byRefresh, key),
    findByAccess: (key) => tokenBy(byAccess, key),
    async rotate(id, now, sealedResponse) {
      return (await db.all(ROTATE, [now, now, sealedResponse, id])).length === 1;
    },
    rotateTo: (id, now, sealedResponse, next) => claimThenIssue(db, ROTATE, [now, now, sealedResponse, id], next),
    async revokeAccess(id, now) {
      await db.run('UPDATE oauth2_tokens SET access_token_revoked_at = ? WHERE id = ? AND access_token_revoked_at = 0', [now, id]);
    },
    async revokeFamily({ familyId, clientId, userId }, now) {
      // One transaction: should a statement of the loop fail, none of the family is revoked and
      // the caller is told, rather than part of it (and a deadlock runs it all again).
      await db.transaction((tx) => revokeTokensWhere(tx, FAMILY_ROWS, [clientId, userId, familyId], now));
    },
  };
};
