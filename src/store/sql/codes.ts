import type { AuthorizationCode, CodesStore } from '../store.js';
import { USER_COLUMNS, toUser } from './accounts.js';
import { toClient } from './clients.js';
import { type Db, type Row, isUniqueViolation, prefixedColumns, unprefix } from './db.js';
import { claimThenIssue } from './issue-after.js';

const CODE_COLUMNS = [
  'id', 'code_hash', 'client_id', 'user_id', 'redirect_uri', 'scope', 'nonce', 'auth_time', 'code_challenge',
  'code_challenge_method', 'issued_at', 'expires_at', 'consumed_at',
] as const;

const toCode = (r: Row): AuthorizationCode => ({
  id: r.id as string,
  codeHash: r.code_hash as string,
  clientId: r.client_id as string,
  userId: r.user_id as string,
  redirectUri: (r.redirect_uri as string | null) ?? null,
  scope: r.scope as string,
  nonce: (r.nonce as string | null) ?? null,
  authTime: r.auth_time as number,
  codeChallenge: (r.code_challenge as string | null) ?? null,
  codeChallengeMethod: (r.code_challenge_method as string | null) ?? null,
  issuedAt: r.issued_at as number,
  expiresAt: r.expires_at as number,
  consumedAt: (r.consumed_at as number | null) ?? null,
  organizationIds: r.orgs ? String(r.orgs).split(' ') : [],
});

function insert(db: Db, c: AuthorizationCode) {
  return db.transaction(async (tx) => {
    await tx.run(
      `INSERT INTO oauth2_authorization_codes (id, code_hash, client_id, user_id, redirect_uri, scope, nonce, auth_time,
         code_challenge, code_challenge_method, issued_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        c.id,
        c.codeHash,
        c.clientId,
        c.userId,
        c.redirectUri,
        c.scope,
        c.nonce,
        c.authTime,
        c.codeChallenge,
        c.codeChallengeMethod,
        c.issuedAt,
        c.expiresAt,
      ],
    );
    for (const org of c.organizationIds) {
      await tx.run('INSERT INTO oauth2_authorization_code_organizations (code_id, organization_id) VALUES (?, ?)', [c.id, org]);
    }
  });
}

/** Single statement: the WHERE clause is the invariant, so two racing consumers cannot both win. */
const CONSUME =
  'UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ? RETURNING id';

export const codes = (db: Db): CodesStore => {
  const orgs = (alias: string) =>
    `(SELECT ${db.spaceJoined('organization_id')} FROM oauth2_authorization_code_organizations WHERE code_id = ${alias}.id)`;
  // Either may be missing: client and code are LEFT JOINed to a one-row relation; a code's user
  // is deleted with it (ON DELETE CASCADE) but may be blocked, which the grant checks.
  const withClient = `SELECT c.*, ${prefixedColumns('k', CODE_COLUMNS)}, ${orgs('k')} AS k_orgs, ${prefixedColumns('u', USER_COLUMNS)}
    FROM (SELECT 1 AS one) one
    LEFT JOIN oauth2_clients c ON c.client_id = ? AND c.deleted_at IS NULL
    LEFT JOIN oauth2_authorization_codes k ON k.code_hash = ?
    LEFT JOIN users u ON u.id = k.user_id`;
  const store: CodesStore = {
    async findWithClient(clientId, codeHash) {
      const row = await db.get(withClient, [clientId, codeHash]);
      return {
        ...(row?.client_id != null ? { client: toClient(row) } : {}),
        ...(row?.k_id != null ? { code: toCode(unprefix(row, 'k')) } : {}),
        ...(row?.u_id != null ? { user: toUser(unprefix(row, 'u')) } : {}),
      };
    },
    async create(c) {
      try {
        await insert(db, c);
        return 'created';
      } catch (error) {
        // The live-nonce unique index (migration 002) lost a race: report it, do not crash.
        if (c.nonce !== null && isUniqueViolation(error)) return 'nonce-in-use';
        throw error;
      }
    },
    async find(codeHash) {
      const row = await db.get(
        `SELECT c.*, ${orgs('c')} AS orgs FROM oauth2_authorization_codes c WHERE c.code_hash = ?`,
        [codeHash],
      );
      return row && toCode(row);
    },
    async consume(id, now) {
      return (await db.all(CONSUME, [now, id, now])).length === 1;
    },
    exchange: (id, now, token) => claimThenIssue(db, CONSUME, [now, id, now], token),
    async nonceInUse(clientId, nonce) {
      const row = await db.get(
        'SELECT 1 AS hit FROM oauth2_authorization_codes WHERE client_id = ? AND nonce = ? AND consumed_at IS NULL LIMIT 1',
        [clientId, nonce],
      );
      return row !== undefined;
    },
  };
  return store;
};
