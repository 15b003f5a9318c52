/**
 * "Claim, then issue": a guard statement (consume a code, rotate a refresh token) and the insert
 * of the token it pays for, atomically. The guard's WHERE clause is the invariant — of any number
 * of concurrent claims exactly one changes a row — and the token is inserted only for that one.
 *
 * PostgreSQL runs it as ONE statement (data-modifying CTEs): no BEGIN/COMMIT round trips, and the
 * row lock the UPDATE takes makes a concurrent claim wait, then find nothing to change.
 * SQLite has no data-modifying CTEs; there it is a transaction (group-committed, see sqlite.ts).
 */
import type { NewToken } from '../store.js';
import type { Db, Param } from './db.js';

const TOKEN_COLUMNS =
  'id, family_id, client_id, user_id, sub_type, access_token_hash, refresh_token_hash, scope, issued_at, expires_in, expires_at';

const tokenValues = (t: NewToken): Param[] => [
  t.id,
  t.familyId,
  t.clientId,
  t.userId,
  t.subType,
  t.accessTokenHash,
  t.refreshTokenHash,
  t.scope,
  t.issuedAt,
  t.expiresIn,
  t.issuedAt + t.expiresIn,
];

/** Inserts a token row and its down-scope rows (inside the caller's transaction when there is one). */
export async function insertToken(db: Db, t: NewToken): Promise<void> {
  await db.run(`INSERT INTO oauth2_tokens (${TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, tokenValues(t));
  for (const org of t.organizationIds) {
    await db.run('INSERT INTO oauth2_token_organizations (token_id, organization_id) VALUES (?, ?)', [t.id, org]);
  }
}

/**
 * `guard` is an `UPDATE … RETURNING id` on the claimed row. Returns whether the claim won; the
 * token is inserted only then.
 */
export async function claimThenIssue(db: Db, guard: string, guardParams: Param[], token: NewToken): Promise<boolean> {
  if (db.engine === 'postgres') {
    const row = await db.get<{ n: number }>(
      `WITH claimed AS (${guard}),
            inserted AS (
              INSERT INTO oauth2_tokens (${TOKEN_COLUMNS})
              SELECT ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint, ?::bigint, ?::bigint FROM claimed
              RETURNING id),
            organizations AS (
              INSERT INTO oauth2_token_organizations (token_id, organization_id)
              SELECT inserted.id, org FROM inserted, unnest(string_to_array(?::text, ' ')) AS org)
       SELECT count(*)::int AS n FROM claimed`,
      [...guardParams, ...tokenValues(token), token.organizationIds.join(' ')],
    );
    return row?.n === 1;
  }
  return db.transaction(async (tx) => {
    if ((await tx.all(guard, guardParams)).length !== 1) return false;
    await insertToken(tx, token);
    return true;
  });
}
