/**
 * PostgreSQL's counterpart of SQLite's per-turn reads (sqlite.ts): the single-row reads
 * (`getValues`: lookups by a unique key) of one event-loop turn that run the same statement become
 * one statement over their parameters, so N lookups cost one round trip and one backend wake-up
 * instead of N. Each read's parameters are one row of an `unnest` of text arrays; the statement
 * runs once per row through `CROSS JOIN LATERAL`, and the row number tells which read each result
 * row answers.
 *
 * Each parameter is a typed column of the parameter rows (`columnTypes`), where alone it would be
 * an untyped parameter that PostgreSQL types from its context; reads are batched with those of
 * the same statement and the same parameter types.
 * The turn's queue and its freshness are per-turn.ts's. If the combined statement fails (one
 * read's parameters are invalid), each read runs again on its own, so only the faulty one fails.
 */
import type pg from 'pg';
import { type Param, columnTypes } from './db.js';
import { perTurn, statementKey } from './per-turn.js';

type Run = (sql: string, params: Param[]) => Promise<unknown[] | undefined>;
type Query = (config: pg.QueryArrayConfig) => Promise<pg.QueryArrayResult>;

/** `?` placeholders (the store's dialect) become the columns of the parameter row. */
function overParameterRows(sql: string, types: string[]): string {
  let n = 0;
  const body = sql.replace(/\?/g, () => `read_params.p${++n}`);
  const columns = types.map((_, k) => `p${k + 1}`).join(', ');
  const arrays = types.map((type, k) => `$${k + 1}::${type}[]`).join(', ');
  return `SELECT read_params.read_index, read_answer.* FROM unnest(${arrays}) WITH ORDINALITY AS read_params(${columns}, read_index)
    CROSS JOIN LATERAL (${body}) read_answer ORDER BY read_params.read_index`;
}

interface Read {
  sql: string;
  types: string[];
  params: Param[];
}

/**
 * `run` runs one read (with `?` placeholders) and answers its first row; `query` runs a prepared
 * statement in array row mode. Returns the same as `run`, batched with the turn's other reads.
 */
export function readBatcher(run: Run, query: Query, name: (sql: string) => string) {
  // The combined statement of each read statement and parameter types: built once.
  const statements = new Map<string, { name: string; text: string }>();
  const batched = perTurn<Read, unknown[] | undefined>({
    async together(key, reads) {
      const { sql, types } = reads[0]!;
      let statement = statements.get(key);
      if (!statement) {
        const text = overParameterRows(sql, types);
        statements.set(key, (statement = { name: name(text), text }));
      }
      const values = types.map((_, k) => reads.map((read) => read.params[k]));
      const result = await query({ ...statement, values, rowMode: 'array' });
      const answers: (unknown[] | undefined)[] = reads.map(() => undefined);
      for (const row of result.rows) answers[Number(row[0]) - 1] ??= row.slice(1);
      return answers;
    },
    alone: (_, read) => run(read.sql, read.params),
    // A read changes nothing: it can always run again.
    retryAlone: () => true,
  });

  return function first(sql: string, params: Param[]): Promise<unknown[] | undefined> {
    const types = params.length > 0 ? columnTypes(params) : undefined;
    return types ? batched(statementKey(sql, types), { sql, types, params }) : run(sql, params);
  };
}
