/**
 * Work asked for during one event-loop turn, handed over together on the check phase
 * (`setImmediate`): by then the poll phase has given every request that arrived to its handler,
 * so under load one statement (one round trip, one backend wake-up) answers many requests; idle,
 * it costs one loop turn. Items are grouped by `key` (the statement they share).
 *
 * Nothing starts before every item of the batch was asked for, so each sees every commit made
 * before it was asked for, as if it had run at once. An item asked for while a batch runs waits
 * for the next one.
 */
export interface PerTurn<I, R> {
  /** Answers the items of one key, in their order; runs only for two items or more. */
  together(key: string, items: I[]): Promise<R[]>;
  alone(key: string, item: I): Promise<R>;
  /**
   * Whether, after `together` failed with `error`, each item may run again on its own, so that
   * only the faulty one fails. Only when the failed statement is known to have changed nothing.
   */
  retryAlone(error: unknown): boolean;
}

/**
 * The key of a statement and its parameter types, as the same string object every time. Built
 * anew for each item, a key (the SQL: hundreds of characters) would be hashed and compared in
 * full at every lookup of the turn's queue. Statements are the store's constants, so this stays small.
 */
const keys = new Map<string, Map<string, string>>();
export function statementKey(sql: string, types: string[]): string {
  let byTypes = keys.get(sql);
  if (!byTypes) keys.set(sql, (byTypes = new Map()));
  const typeList = types.join();
  let key = byTypes.get(typeList);
  if (key === undefined) byTypes.set(typeList, (key = `${typeList}|${sql}`));
  return key;
}

interface Pending<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

export function perTurn<I, R>(batch: PerTurn<I, R>): (key: string, item: I) => Promise<R> {
  let pending = new Map<string, Pending<I, R>[]>();

  const runAlone = (key: string, { item, resolve, reject }: Pending<I, R>) => batch.alone(key, item).then(resolve, reject);

  function runTogether(key: string, waiting: Pending<I, R>[]) {
    batch.together(key, waiting.map((p) => p.item)).then(
      (answers) => waiting.forEach((p, i) => p.resolve(answers[i] as R)),
      (error: unknown) => {
        if (batch.retryAlone(error)) for (const p of waiting) void runAlone(key, p);
        else for (const p of waiting) p.reject(error);
      },
    );
  }

  function flush() {
    const batches = pending;
    pending = new Map();
    for (const [key, waiting] of batches) {
      if (waiting.length === 1) void runAlone(key, waiting[0]!);
      else runTogether(key, waiting);
    }
  }

  return (key, item) =>
    new Promise<R>((resolve, reject) => {
      if (pending.size === 0) setImmediate(flush);
      const waiting = pending.get(key);
      const entry = { item, resolve, reject };
      if (waiting) waiting.push(entry);
      else pending.set(key, [entry]);
    });
}
