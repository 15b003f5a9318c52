/**
 * PostgreSQL's counterpart of SQLite's per-turn reads (sqlite.ts): the single-row reads
 * (`getValues`: lookups by a unique key) of one event-loop turn that run the same statement become
 * one statement over their parameters, so N lookups cost one round trip and one backend wake-up
 * instead of N. Each read's parameters are one row of an `unnest` of text arrays; the statement
 * runs once per row through `CROSS JOIN LATERAL`, and the row number tells which read each result
 * row answers.
 *
 * Only reads whose parameters are all text (or NULL) are batched: in the LATERAL they are text
 * columns, where alone they would be untyped parameters that PostgreSQL types from context.
 * The turn's queue and its freshness are per-turn.ts's. If the combined statement fails (one
 * read's parameters are invalid), each read runs again on its own, so only the faulty one fails.
 */
import type pg from 'pg';
import type { Param } from './db.js';
import { perTurn } from './per-turn.js';

type Run = (sql: string, params: Param[]) => Promise<unknown[] | undefined>;
type Query = (config: pg.QueryArrayConfig) => Promise<pg.QueryArrayResult>;
type TextParams = (string | null)[];

const isText = (params: Param[]): params is TextParams => params.every((p) => p === null || typeof p === 'string');

/** `?` placeholders (the store's dialect) become the columns of the parameter row. */
function overParameterRows(sql: string, width: number): string {
  let n = 0;
  const body = sql.replace(/\?/g, () => `read_params.p${++n}`);
  const columns = Array.from({ length: width }, (_, k) => `p${k + 1}`).join(', ');
  const arrays = Array.from({ length: width }, (_, k) => `$${k + 1}::text[]`).join(', ');
  return `SELECT read_params.read_index, read_answer.* FROM unnest(${arrays}) WITH ORDINALITY AS read_params(${columns}, read_index)
    CROSS JOIN LATERAL (${body}) read_answer ORDER BY read_params.read_index`;
}

/**
 * `run` runs one read (with `?` placeholders) and answers its first row; `query` runs a prepared
 * statement in array row mode. Returns the same as `run`, batched with the turn's other reads.
 */
export function readBatcher(run: Run, query: Query, name: (sql: string) => string) {
  const batched = perTurn<TextParams, unknown[] | undefined>({
    async together(sql, reads) {
      const width = reads[0]!.length;
      const text = overParameterRows(sql, width);
      const values = Array.from({ length: width }, (_, k) => reads.map((params) => params[k]));
      const result = await query({ name: name(text), text, values, rowMode: 'array' });
      const answers: (unknown[] | undefined)[] = reads.map(() => undefined);
      for (const row of result.rows) answers[Number(row[0]) - 1] ??= row.slice(1);
      return answers;
    },
    alone: run,
    // A read changes nothing: it can always run again.
    retryAlone: () => true,
  });

  return function first(sql: string, params: Param[]): Promise<unknown[] | undefined> {
    return params.length > 0 && isText(params) ? batched(sql, params) : run(sql, params);
  };
}
