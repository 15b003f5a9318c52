import { createHash } from 'node:crypto';
import pg from 'pg';
import { StoreUnavailable } from '../store.js';
import { type Db, type Param, type Row, isRead } from './db.js';
import { readBatcher } from './postgres-read-batch.js';

/** BIGINT columns hold epoch seconds: safe integers, so parse them as numbers. */
const BIGINT = 20;
const toNumber = (value: string) => Number(value);
const types = {
  // Asked for every column of every result: no new function each time.
  getTypeParser: (oid: number, format?: string) => (oid === BIGINT ? toNumber : pg.types.getTypeParser(oid, format as 'text')),
};

/** `?` placeholders become `$1…$n`; each distinct statement gets a stable name so pg prepares it once per connection. */
const translated = new Map<string, { name: string; text: string }>();
function translate(sql: string) {
  let entry = translated.get(sql);
  if (!entry) {
    let n = 0;
    const text = sql.replace(/\?/g, () => `$${++n}`);
    entry = { name: 'b_' + createHash('sha1').update(text).digest('hex').slice(0, 20), text };
    translated.set(sql, entry);
  }
  return entry;
}

type Queryable = pg.Pool | pg.PoolClient;

/**
 * A deadlock aborts one transaction of the cycle (SQLSTATE 40P01), which changed nothing and can
 * simply run again: a statement outside a transaction, or a whole transaction (whose work may run
 * more than once, `Db.transaction`). Batched claims lock several rows in one statement, which a
 * concurrent multi-row revocation or client deletion can cross.
 */
const DEADLOCK_ATTEMPTS = 3;
async function againAfterDeadlock<T>(run: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= DEADLOCK_ATTEMPTS || (error as { code?: unknown } | null)?.code !== '40P01') throw error;
    }
  }
}

/**
 * Errors that say the server was not reached or did not answer, rather than refused a statement:
 * the driver's own timeouts and lost connections, the socket's, and SQLSTATE class 08
 * (connection exception) and 57P01–57P03 (shutting down, starting up).
 */
const LOST = /^(Query read timeout|timeout exceeded when trying to connect|Connection terminated)/;
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);
function connectionLost(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (typeof message === 'string' && LOST.test(message)) ||
    (typeof code === 'string' && (SOCKET_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)))
  );
}

/**
 * Besides a lost server, one that cannot do the work now: class 53 (insufficient resources: a
 * full disk, out of memory, too many connections), 55P03 (a lock not granted within
 * lock_timeout), 57014 (cancelled by statement_timeout), 58030 (an I/O error) and 25006 (a
 * read-only transaction: a standby, after a failover). Nothing was done; 503 with Retry-After
 * (respond.ts), as SQLite answers when another process holds its write lock too long.
 */
const REFUSED_NOW = /^(53...|55P03|57014|58030|25006)$/;
function unavailable(error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const refused = typeof code === 'string' && REFUSED_NOW.test(code);
  return refused || connectionLost(error) ? new StoreUnavailable(error) : error;
}
const guarded = <T>(work: Promise<T>): Promise<T> =>
  work.catch((error: unknown) => {
    throw unavailable(error);
  });

const inByteOrder = (column: string) => `${column} COLLATE "C"`;

/**
 * `perTurn`: the pool, outside a transaction, where reads of one turn share a statement
 * (postgres-read-batch.ts) and so do claims (issue-after.ts), and where a statement a deadlock
 * aborted runs again.
 */
function over(target: Queryable, transaction: Db['transaction'], exclusive: Db['exclusive'], perTurn = false): Db {
  const send = <T>(run: () => Promise<T>) => guarded(perTurn ? againAfterDeadlock(run) : run());
  const query = async (sql: string, params: Param[] = []) => {
    const { name, text } = translate(sql);
    return send(() => target.query({ name, text, values: params }));
  };
  const values = async (sql: string, params: Param[] = []) => {
    const { name, text } = translate(sql);
    return (await send(() => target.query<unknown[]>({ name, text, values: params, rowMode: 'array' }))).rows;
  };
  const first = async (sql: string, params: Param[] = []) => (await values(sql, params))[0];
  const batched = perTurn
    ? readBatcher(first, (config) => send(() => target.query(config)), (text) => translate(text).name)
    : undefined;
  return {
    engine: 'postgres',
    batchesPerTurn: perTurn,
    spaceJoined: (column, orderBy = column) => `string_agg(${column}, ' ' ORDER BY ${inByteOrder(orderBy)})`,
    inByteOrder,
    all: async <T = Row>(sql: string, params?: Param[]) => (await query(sql, params)).rows as T[],
    get: async <T = Row>(sql: string, params?: Param[]) => (await query(sql, params)).rows[0] as T | undefined,
    getValues: (sql, params = []) => (batched && isRead(sql) ? batched(sql, params) : first(sql, params)),
    allValues: values,
    run: async (sql, params) => (await query(sql, params)).rowCount ?? 0,
    exec: async (sql) => {
      await guarded(target.query(sql));
    },
    transaction,
    exclusive,
    close: async () => {},
  };
}

/** Connections per process; 5, 10 and 20 measured within noise on the bench (bench/README.md). */
export const DEFAULT_POOL_SIZE = 10;

/**
 * A database that stops answering (a frozen host, a network partition, a proxy that accepts and
 * forwards nothing) must fail requests, not hang them and every connection of the pool for good:
 * connecting, and each statement's answer, are bounded; TCP keepalive finds dead idle peers. A
 * statement that timed out leaves its connection busy, so that connection is dropped (pg-pool
 * drops a client released with an error; `withClient` below does the same).
 */
export const CONNECT_TIMEOUT_MS = 5_000;
export const STATEMENT_TIMEOUT_MS = 10_000;
/**
 * PostgreSQL's own bound on the pool's statements, a second inside the driver's: a statement
 * still waiting for a lock held elsewhere is cancelled by the server (57014, answered 503), so
 * nothing it would have done commits later. The driver's `query_timeout` alone leaves the backend
 * waiting: a rotation answered 503 would commit once the lock went, and the client's retry of the
 * same refresh token would count as reuse and revoke its family (D4).
 * Set once a pooled connection opens, and only where the role or database sets none (theirs is
 * the operator's choice). Not as a startup parameter: that would override the role's setting,
 * and PgBouncer refuses connections that send one.
 */
export const SERVER_STATEMENT_TIMEOUT_MS = STATEMENT_TIMEOUT_MS - 1_000;
const BOUND_STATEMENTS = `SELECT set_config('statement_timeout', '${SERVER_STATEMENT_TIMEOUT_MS}', false) WHERE current_setting('statement_timeout') = '0'`;
const CONNECTION = { types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true, keepAliveInitialDelayMillis: 10_000 };

export function openPostgres(url: string, poolSize = DEFAULT_POOL_SIZE): Db {
  // pg-pool's onConnect: run on each new connection before it is handed out; one that fails it
  // is closed, and the request it was opened for fails as on a lost connection.
  const onConnect = async (client: pg.ClientBase) => void (await client.query(BOUND_STATEMENTS));
  const pool = new pg.Pool({ connectionString: url, ...CONNECTION, query_timeout: STATEMENT_TIMEOUT_MS, max: poolSize, onConnect });
  // An idle client losing its connection must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  async function withClient<T>(client: pg.PoolClient, work: (db: Db) => Promise<T>): Promise<T> {
    // A checked-out client has no pool listener: a backend lost mid-transaction (a restart, a
    // failover, pg_terminate_backend) would emit an unhandled 'error' and end the process. The
    // pending query rejects anyway; the broken connection is destroyed, not pooled again.
    let lost: Error | undefined;
    const onError = (error: Error) => (lost = error);
    client.on('error', onError);
    const db = over(client, (inner) => inner(db), (inner) => inner(db));
    try {
      await client.query('BEGIN');
      const result = await work(db);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A connection that stopped answering gets no ROLLBACK (it would wait out its own timeout):
      // it is dropped, and PostgreSQL rolls back whatever it had begun when the socket closes.
      // The body's statements come out of `guarded`: a lost connection arrives wrapped.
      if (connectionLost(error instanceof StoreUnavailable ? error.cause : error)) lost ??= error as Error;
      else await client.query('ROLLBACK').catch((rollbackError: Error) => (lost ??= rollbackError));
      throw error;
    } finally {
      client.off('error', onError);
      client.release(lost);
    }
  }

  const transaction: Db['transaction'] = (work) => guarded(againAfterDeadlock(async () => withClient(await pool.connect(), work)));
  // A transaction-scoped advisory lock serialises migrations (and signing-key changes) across
  // processes. On a connection of its own without a statement timeout: it may wait for another
  // process's migrations, and an index built over a large table may take minutes.
  const exclusive: Db['exclusive'] = async (work) => {
    const client = new pg.Client({ connectionString: url, ...CONNECTION });
    client.on('error', () => {}); // as the pool's: a connection lost after the work ends is no crash
    await guarded(client.connect());
    const own = Object.assign(client, { release: () => void client.end().catch(() => {}) });
    return withClient(own, async (db) => {
      await db.exec('SELECT pg_advisory_xact_lock(7243051)');
      return work(db);
    });
  };

  return { ...over(pool, transaction, exclusive, true), close: () => pool.end() };
}
