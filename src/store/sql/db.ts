/**
 * The only place that knows the two engines apart. SQL elsewhere is written once, with `?`
 * placeholders, in the subset both engines share (RETURNING, ON CONFLICT, partial and
 * expression indexes, BIGINT epoch seconds, 0/1 integers for booleans).
 */
export type Param = string | number | null;
export type Row = Record<string, unknown>;

export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  /**
   * Outside a transaction, on the connection pool: PostgreSQL answers the statements of one
   * event-loop turn together where it can (per-turn.ts). False inside a transaction, and on SQLite,
   * whose driver batches on its own (sqlite.ts).
   */
  readonly batchesPerTurn: boolean;
  /**
   * The engine's string aggregate (`group_concat`, `string_agg`), its values in byte order: an
   * aggregate without ORDER BY follows the plan, an index on SQLite and the rows' insertion on
   * PostgreSQL, and the same token listed its organizations differently on each. `orderBy`
   * defaults to `column`.
   */
  spaceJoined(column: string, orderBy?: string): string;
  /**
   * `column` for ORDER BY, compared byte by byte as SQLite compares text. PostgreSQL otherwise
   * uses the database's collation: under an ICU or en_US one, `a_b@` sorts before `a@`, and
   * mixed-case client ids ignore case.
   */
  inByteOrder(column: string): string;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  /** The first row as an array in SELECT-list order (entities read through a `Shape`). */
  getValues(sql: string, params?: Param[]): Promise<unknown[] | undefined>;
  /** Every row as an array in SELECT-list order. */
  allValues(sql: string, params?: Param[]): Promise<unknown[][]>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  /**
   * `work` may run more than once: on SQLite (group-commit.ts), and on PostgreSQL after a deadlock
   * aborted the transaction (postgres.ts). It must act only through its `db`.
   */
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Runs `work` holding a lock that other processes sharing the database also respect. */
  exclusive<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * An entity read by position: its SELECT list under a table alias, and how the values from `at`
 * of an array row become it. Entities are read as arrays rather than keyed row objects because
 * better-sqlite3 builds a keyed object property by property, which was ~40% of a joined read's
 * cost (bench/README.md); positions also let one statement read several tables that share
 * column names. `read` lists its fields in `columns` order.
 */
export interface Shape<T> {
  readonly width: number;
  select(alias: string): string;
  read(values: readonly unknown[], at?: number): T;
}

/**
 * `columns` are column names, or SQL expressions written with `$` for the alias (a correlated
 * subquery folding down-scope rows into one column, for instance).
 */
export function shape<T>(columns: readonly string[], read: (values: readonly unknown[], at: number) => T): Shape<T> {
  return {
    width: columns.length,
    select: (alias) => columns.map((c) => (c.includes('$') ? c.replaceAll('$', alias) : `${alias}.${c}`)).join(', '),
    read: (values, at = 0) => read(values, at),
  };
}

/**
 * A row's down-scope organizations (`table`, keyed by `key` = `owner`.id) folded into one
 * space-separated column, so the row and its organizations come back in one statement.
 * `owner` defaults to a `Shape`'s alias placeholder. `spaceSplit` reads the column back.
 */
export const foldedOrganizations = (db: Db, table: string, key: string, owner = '$') =>
  `(SELECT ${db.spaceJoined('organization_id')} FROM ${table} WHERE ${key} = ${owner}.id)`;

/** Marks, in `foldedDownScope`, an organization the row's user is no longer a member of. */
const LOST = '-';

/**
 * A token's or code's down-scope, folded as `foldedOrganizations` (same order), with each
 * organization its user has since left marked LOST. The row keeps what was granted; the read says
 * what is left of it now, since a down-scope only holds while the user is a member
 * (polar-oauth2.md §6, oauth/down-scope.ts). One membership lookup per organization row: none
 * for an unrestricted token.
 */
export const foldedDownScope = (db: Db, table: string, key: string) =>
  `(SELECT ${db.spaceJoined(
    `CASE WHEN EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = $.user_id AND m.organization_id = d.organization_id)
       THEN d.organization_id ELSE '${LOST}' || d.organization_id END`,
    'd.organization_id',
  )} FROM ${table} d WHERE d.${key} = $.id)`;

/** Reads `foldedDownScope` back: every organization of the row, and those of them now lost. */
export function readDownScope(value: unknown): { organizationIds: string[]; lostOrganizationIds: string[] } {
  const organizationIds: string[] = [];
  const lostOrganizationIds: string[] = [];
  for (const entry of spaceSplit(value)) {
    const lost = entry.startsWith(LOST);
    const id = lost ? entry.slice(LOST.length) : entry;
    organizationIds.push(id);
    if (lost) lostOrganizationIds.push(id);
  }
  return { organizationIds, lostOrganizationIds };
}

export const spaceSplit = (value: unknown): string[] => (value ? String(value).split(' ') : []);

/** A plain SELECT: the statements both engines may answer outside a transaction, batched per turn. */
export const isRead = (sql: string) => /^\s*select\b/i.test(sql);

/**
 * PostgreSQL: the column type each parameter gets where a batch passes its statements' parameters
 * as rows (postgres-read-batch.ts, issue-after.ts): text for strings and NULL, bigint for integers
 * (the store's epoch seconds and counts). Undefined for anything else: that statement runs alone,
 * its parameters typed by PostgreSQL from their context.
 */
export function columnTypes(params: Param[]): string[] | undefined {
  const types: string[] = [];
  for (const p of params) {
    if (typeof p === 'string' || p === null) types.push('text');
    else if (Number.isSafeInteger(p)) types.push('bigint');
    else return undefined;
  }
  return types;
}

/** URL schemes are case-insensitive (RFC 3986 §3.1). */
export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//i.test(url);

/** `poolSize`: PostgreSQL connections per process (SQLite ignores it). */
export async function openDb(url: string, poolSize?: number): Promise<Db> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(url, poolSize);
  }
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite(url.replace(/^sqlite:(\/\/)?/i, ''));
}

/** A unique-constraint violation, in either engine's words. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
