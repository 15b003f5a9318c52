/**
 * The only place that knows the two engines apart. SQL elsewhere is written once, with `?`
 * placeholders, in the subset both engines share (RETURNING, ON CONFLICT, partial and
 * expression indexes, BIGINT epoch seconds, 0/1 integers for booleans).
 */
export type Param = string | number | null;
export type Row = Record<string, unknown>;

export interface Db {
  readonly engine: 'sqlite' | 'postgres';
  /** The engine's string aggregate: `group_concat` in SQLite, `string_agg` in PostgreSQL. */
  spaceJoined(column: string): string;
  all<T = Row>(sql: string, params?: Param[]): Promise<T[]>;
  get<T = Row>(sql: string, params?: Param[]): Promise<T | undefined>;
  /** Returns the number of rows changed. */
  run(sql: string, params?: Param[]): Promise<number>;
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Runs `work` holding a lock that other processes sharing the database also respect. */
  exclusive<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Joined reads select each table's columns under its alias (`t.id AS t_id, …`), since the tables
 * share column names; `unprefix` gives such a row back under the plain names.
 */
export const prefixedColumns = (alias: string, columns: readonly string[]) => columns.map((c) => `${alias}.${c} AS ${alias}_${c}`).join(', ');

export function unprefix(row: Row, alias: string): Row {
  const out: Row = {};
  const prefix = `${alias}_`;
  for (const key in row) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = row[key];
  return out;
}

export const isPostgresUrl = (url: string) => /^postgres(ql)?:\/\//.test(url);

/** `poolSize`: PostgreSQL connections per process (SQLite ignores it). */
export async function openDb(url: string, poolSize?: number): Promise<Db> {
  if (isPostgresUrl(url)) {
    const { openPostgres } = await import('./postgres.js');
    return openPostgres(url, poolSize);
  }
  const { openSqlite } = await import('./sqlite.js');
  return openSqlite(url.replace(/^sqlite:(\/\/)?/, ''));
}

/** A unique-constraint violation, in either engine's words. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
