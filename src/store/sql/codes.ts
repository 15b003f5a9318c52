import type { AuthorizationCode, CodesStore, NewCode } from '../store.js';
import { USER } from './accounts.js';
import { holdActiveUser } from './user-guard.js';
import { CLIENT } from './clients.js';
import { type Db, foldedDownScope, isUniqueViolation, readDownScope, shape } from './db.js';
import { claimThenIssue } from './issue-after.js';

/** A code, with its down-scope organizations in its last column. */
const codeShape = (db: Db) =>
  shape(
    [
      'id', 'code_hash', 'client_id', 'user_id', 'redirect_uri', 'scope', 'nonce', 'auth_time', 'code_challenge',
      'code_challenge_method', 'issued_at', 'expires_at', 'consumed_at',
      foldedDownScope(db, 'oauth2_authorization_code_organizations', 'code_id'),
    ],
    (v, at): AuthorizationCode => ({
      id: v[at] as string,
      codeHash: v[at + 1] as string,
      clientId: v[at + 2] as string,
      userId: v[at + 3] as string,
      redirectUri: (v[at + 4] as string | null) ?? null,
      scope: v[at + 5] as string,
      nonce: (v[at + 6] as string | null) ?? null,
      authTime: v[at + 7] as number,
      codeChallenge: (v[at + 8] as string | null) ?? null,
      codeChallengeMethod: (v[at + 9] as string | null) ?? null,
      issuedAt: v[at + 10] as number,
      expiresAt: v[at + 11] as number,
      consumedAt: (v[at + 12] as number | null) ?? null,
      ...readDownScope(v[at + 13]),
    }),
  );

/**
 * Inserts nothing when the user is blocked or their password is no longer `passwordHash`, when the
 * client is deleted, or when `whileConsented` and the consent is gone. On PostgreSQL each row is
 * read FOR SHARE: a block, password change or deletion committing meanwhile is waited for and then
 * seen, or waits for this insert and then spends the code (user-guard.ts).
 */
function insert(db: Db, c: NewCode, whileConsented: boolean, passwordHash: string | undefined): Promise<'created' | 'not-consented' | 'refused'> {
  return db.transaction(async (tx) => {
    const lock = tx.engine === 'postgres' ? ' FOR SHARE' : '';
    if (!(await holdActiveUser(tx, c.userId, passwordHash))) return 'refused';
    const client = await tx.get<{ deleted_at: number | null }>(`SELECT deleted_at FROM oauth2_clients WHERE client_id = ?${lock}`, [c.clientId]);
    // Deleted meanwhile (a client is never removed, only marked: D12).
    if (client !== undefined && client.deleted_at !== null) return 'refused';
    // A revocation deletes the consent, then consumes the user's codes for the client. Under
    // PostgreSQL's READ COMMITTED, FOR SHARE waits for such a deletion and then finds no row, or
    // holds the row so the revocation waits and then consumes this code; SQLite runs one writer at a time.
    if (whileConsented) {
      const held = await tx.get(`SELECT 1 AS held FROM oauth2_grants WHERE client_id = ? AND user_id = ?${lock}`, [c.clientId, c.userId]);
      if (!held) return 'not-consented';
    }
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
    return 'created';
  });
}

/** Single statement: the WHERE clause is the invariant, so two racing consumers cannot both win. */
const CONSUME =
  'UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE id = ? AND consumed_at IS NULL AND expires_at > ? RETURNING id';

export const codes = (db: Db): CodesStore => {
  const CODE = codeShape(db);
  // Either may be missing: client and code are LEFT JOINed to a one-row relation; a code's user
  // is deleted with it (ON DELETE CASCADE) but may be blocked, which the grant checks.
  const withClient = `SELECT ${CLIENT.select('c')}, ${CODE.select('k')}, ${USER.select('u')}
    FROM (SELECT 1 AS one) one
    LEFT JOIN oauth2_clients c ON c.client_id = ? AND c.deleted_at IS NULL
    LEFT JOIN oauth2_authorization_codes k ON k.code_hash = ?
    LEFT JOIN users u ON u.id = k.user_id`;
  const store: CodesStore = {
    async findWithClient(clientId, codeHash) {
      const row = (await db.getValues(withClient, [clientId, codeHash])) ?? [];
      const codeAt = CLIENT.width;
      const userAt = codeAt + CODE.width;
      // A missing side reads as NULLs; its id (the first column) tells.
      return {
        ...(row[0] != null ? { client: CLIENT.read(row) } : {}),
        ...(row[codeAt] != null ? { code: CODE.read(row, codeAt) } : {}),
        ...(row[userAt] != null ? { user: USER.read(row, userAt) } : {}),
      };
    },
    async create(c, options) {
      try {
        return await insert(db, c, options?.whileConsented === true, options?.passwordHash);
      } catch (error) {
        // The live-nonce unique index (migration 002) lost a race: report it, do not crash.
        if (c.nonce !== null && isUniqueViolation(error)) return 'nonce-in-use';
        throw error;
      }
    },
    async find(codeHash) {
      const row = await db.getValues(`SELECT ${CODE.select('k')} FROM oauth2_authorization_codes k WHERE k.code_hash = ?`, [codeHash]);
      return row && CODE.read(row);
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
