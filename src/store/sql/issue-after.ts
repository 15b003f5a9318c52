/**
 * "Claim, then issue": a guard statement (consume a code, rotate a refresh token) and the insert
 * of the token it pays for, atomically. The guard's WHERE clause is the invariant — of any number
 * of concurrent claims exactly one changes a row — and the token is inserted only for that one.
 *
 * PostgreSQL runs it as ONE statement (data-modifying CTEs): no BEGIN/COMMIT round trips, and the
 * row lock the UPDATE takes makes a concurrent claim wait, then find nothing to change. On the
 * pool, the claims of one event-loop turn that share a guard run as one such statement over all
 * their rows (per-turn.ts): one round trip and one commit for the lot. Tokens issued without a
 * claim (`issue`) are batched the same way, as claims that always win.
 * SQLite has no data-modifying CTEs; there it is a transaction (group-committed, see group-commit.ts).
 */
import type { NewToken } from '../store.js';
import { type Db, type Param, columnTypes } from './db.js';
import { type PerTurn, perTurn, statementKey } from './per-turn.js';

/** The token columns, with their PostgreSQL types, in `tokenValues` order. */
const TOKEN_COLUMNS = {
  id: 'text',
  family_id: 'text',
  client_id: 'text',
  user_id: 'text',
  sub_type: 'text',
  access_token_hash: 'text',
  refresh_token_hash: 'text',
  scope: 'text',
  issued_at: 'bigint',
  expires_in: 'bigint',
  expires_at: 'bigint',
} as const;
const TOKEN_NAMES = Object.keys(TOKEN_COLUMNS).join(', ');
const TOKEN_TYPES = Object.values(TOKEN_COLUMNS);
const INSERT_TOKEN = `INSERT INTO oauth2_tokens (${TOKEN_NAMES}) VALUES (${TOKEN_TYPES.map(() => '?').join(', ')})`;

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
async function insertToken(db: Db, t: NewToken): Promise<void> {
  await db.run(INSERT_TOKEN, tokenValues(t));
  await insertOrganizations(db, t);
}

async function insertOrganizations(db: Db, t: NewToken): Promise<void> {
  for (const org of t.organizationIds) {
    await db.run('INSERT INTO oauth2_token_organizations (token_id, organization_id) VALUES (?, ?)', [t.id, org]);
  }
}

/**
 * A token issued without a claim (the `web` grant) is inserted only if its client is not deleted,
 * its user is not blocked and, when one is named, their password is still the one their session
 * was read with (a password change ends every session). A deletion (a block, a password change)
 * marks the row, then revokes the tokens it can see; under PostgreSQL's READ COMMITTED it cannot
 * see a token committed after it, so the insert reads the rows FOR SHARE: it waits for a change in
 * progress and then reads the row as changed, or holds the row so that the change waits and then
 * revokes this token. The locks sit in scalar subqueries: in a `WHERE deleted_at IS NOT NULL`
 * subquery the planner would test the row before locking it, on the version the statement's
 * snapshot sees. The password is read from the user's row, which a block and a password change
 * both lock first, rather than from the session's: two rows locked in an order the planner picks
 * could deadlock with them. SQLite runs one writer at a time.
 */
const issuable = (engine: Db['engine'], clientId: string, userId: string, passwordHash: string) => {
  const lock = engine === 'postgres' ? ' FOR SHARE' : '';
  return `(SELECT c.deleted_at FROM oauth2_clients c WHERE c.client_id = ${clientId}${lock}) IS NULL
      AND (SELECT u.blocked_at FROM users u WHERE u.id = ${userId}${lock}) IS NULL
      AND (${passwordHash} IS NULL OR (SELECT u.password_hash FROM users u WHERE u.id = ${userId}${lock}) = ${passwordHash})`;
};

const insertIfIssuable = (engine: Db['engine']) => {
  // PostgreSQL types the parameters of a SELECT list only when told.
  const param = (type: string) => (engine === 'postgres' ? `?::${type}` : '?');
  return `INSERT INTO oauth2_tokens (${TOKEN_NAMES}) SELECT ${TOKEN_TYPES.map(param).join(', ')}
    WHERE ${issuable(engine, param('text'), param('text'), param('text'))}`;
};
const INSERT_IF_ISSUABLE = { sqlite: insertIfIssuable('sqlite'), postgres: insertIfIssuable('postgres') };

/** A claim without a guard issues its token if it is `issuable`. */
interface Claim {
  guard?: string;
  guardParams: Param[];
  token: NewToken;
  /** For a claim without a guard: the password hash the user's session was read with, which must still be theirs. */
  passwordHash?: string | undefined;
}

/** Stores a new token with its down-scope rows, atomically, if it is `issuable`. */
export function issue(db: Db, token: NewToken, passwordHash?: string): Promise<boolean> {
  const claim = { guardParams: [], token, passwordHash };
  return db.batchesPerTurn ? claimsOf(db)('issue', claim) : claimAlone(db, claim);
}

/**
 * `guard` is an `UPDATE … RETURNING id` on the claimed row. Returns whether the claim won; the
 * token is inserted only then.
 */
export function claimThenIssue(db: Db, guard: string, guardParams: Param[], token: NewToken): Promise<boolean> {
  const claim = { guard, guardParams, token };
  const types = db.batchesPerTurn ? columnTypes(guardParams) : undefined;
  return types ? claimsOf(db)(statementKey(guard, types), claim) : claimAlone(db, claim);
}

async function claimAlone(db: Db, { guard, guardParams, token, passwordHash }: Claim): Promise<boolean> {
  if (guard === undefined) {
    const insert = async (tx: Db) => {
      const hash = passwordHash ?? null;
      const params = [...tokenValues(token), token.clientId, token.userId, hash, token.userId, hash];
      if ((await tx.run(INSERT_IF_ISSUABLE[tx.engine], params)) === 0) return false;
      await insertOrganizations(tx, token);
      return true;
    };
    // Without down-scope rows the insert is one statement and needs no transaction of its own.
    return token.organizationIds.length === 0 ? insert(db) : db.transaction(insert);
  }
  if (db.engine === 'sqlite') {
    return db.transaction(async (tx) => {
      if ((await tx.all(guard, guardParams)).length !== 1) return false;
      await insertToken(tx, token);
      return true;
    });
  }
  const row = await db.get<{ n: number }>(
    `WITH claimed AS (${guard}),
          inserted AS (
            INSERT INTO oauth2_tokens (${TOKEN_NAMES})
            SELECT ${TOKEN_TYPES.map((type) => `?::${type}`).join(', ')} FROM claimed
            RETURNING id),
          organizations AS (
            INSERT INTO oauth2_token_organizations (token_id, organization_id)
            SELECT inserted.id, org FROM inserted, unnest(string_to_array(?::text, ' ')) AS org)
     SELECT count(*)::int AS n FROM claimed`,
    [...guardParams, ...tokenValues(token), token.organizationIds.join(' ')],
  );
  return row?.n === 1;
}

const GUARD = /^\s*(UPDATE\s+\w+\s+SET\s[\s\S]*?)\sWHERE\s([\s\S]*)\sRETURNING\s+id\s*$/i;

/**
 * Many claims as one statement. Each claim is a row of `claim_params`, read from one JSON
 * parameter: the guard's parameters `g1…gN`, the token's columns `t1…t11`, its organizations
 * and its position. The guard becomes `UPDATE … FROM claim_params`, so each row claims its own
 * target; a target two claims of the batch name is updated once, for one of them (PostgreSQL
 * updates a row at most once per statement), so exactly one wins as when they race.
 */
function claimsStatement(guard: string | undefined, types: string[]): string {
  const parts = guard === undefined ? undefined : GUARD.exec(guard);
  if (guard !== undefined && !parts) throw new Error(`A claim guard must read UPDATE <table> SET … WHERE … RETURNING id: ${guard}`);
  let n = 0;
  const claimed = parts
    ? `${parts[1]} FROM claim_params WHERE ${parts[2]} RETURNING claim_params.claim_index`.replace(/\?/g, () => `claim_params.g${++n}`)
    : `SELECT claim_index FROM claim_params WHERE ${issuable('postgres', 'claim_params.t3', 'claim_params.t4', 'claim_params.password_hash')}`;
  const columns = [
    ...types.map((type, k) => `g${k + 1} ${type}`),
    ...TOKEN_TYPES.map((type, k) => `t${k + 1} ${type}`),
    'organization_ids text',
    'password_hash text',
    'claim_index int',
  ];
  const tokenColumns = TOKEN_TYPES.map((_, k) => `t${k + 1}`).join(', ');
  // The LIMIT is the batch's size and never cuts: it tells the planner the rows are few. Without
  // it json_to_recordset counts as 100 rows, and the guard becomes a hash join over a sequential
  // scan of the whole table rather than one index lookup per claim.
  return `WITH claim_params AS (SELECT * FROM json_to_recordset(?::json) AS claim_params(${columns.join(', ')}) LIMIT ?),
          claimed AS (${claimed}),
          inserted AS (
            INSERT INTO oauth2_tokens (${TOKEN_NAMES})
            SELECT ${tokenColumns} FROM claim_params JOIN claimed USING (claim_index)
            RETURNING id),
          organizations AS (
            INSERT INTO oauth2_token_organizations (token_id, organization_id)
            SELECT claim_params.t1, org FROM claim_params JOIN claimed USING (claim_index),
              unnest(string_to_array(claim_params.organization_ids, ' ')) AS org)
     SELECT claim_index FROM claimed`;
}

/**
 * An error the server reported at severity ERROR aborted the statement, which ran in a transaction
 * of its own: it changed nothing. Anything else (a lost connection) may have come after the
 * commit, and running the claims again would see them as already claimed.
 */
const failedWhole = (error: unknown) => (error as { severity?: unknown } | null)?.severity === 'ERROR';

const batchers = new WeakMap<Db, (key: string, claim: Claim) => Promise<boolean>>();

function claimsOf(db: Db) {
  let batcher = batchers.get(db);
  if (!batcher) {
    const statements = new Map<string, string>();
    const claims: PerTurn<Claim, boolean> = {
      async together(key, batch) {
        const { guard, guardParams } = batch[0]!;
        let sql = statements.get(key);
        if (!sql) statements.set(key, (sql = claimsStatement(guard, columnTypes(guardParams)!)));
        const rows = batch.map(({ guardParams, token, passwordHash }, i) => {
          const row: Record<string, Param> = { organization_ids: token.organizationIds.join(' '), password_hash: passwordHash ?? null, claim_index: i };
          guardParams.forEach((value, k) => (row[`g${k + 1}`] = value));
          tokenValues(token).forEach((value, k) => (row[`t${k + 1}`] = value));
          return row;
        });
        const won = new Set((await db.all<{ claim_index: number }>(sql, [JSON.stringify(rows), rows.length])).map((r) => r.claim_index));
        return batch.map((_, i) => won.has(i));
      },
      alone: (_, claim) => claimAlone(db, claim),
      retryAlone: failedWhole,
    };
    batchers.set(db, (batcher = perTurn(claims)));
  }
  return batcher;
}
