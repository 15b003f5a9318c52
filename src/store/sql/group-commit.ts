/**
 * SQLite group commit: transactions that arrive while one is running are queued and then run one
 * after another inside a single BEGIN IMMEDIATE … COMMIT. Each caller is answered only after
 * the COMMIT that made its writes, which survives a process crash (a power loss: wal-flush.ts).
 * Transactions still run strictly one at a time, so every check-and-act inside one (a refresh
 * rotation, a code exchange) sees the others' effects.
 *
 * A failing transaction must roll back only its own writes. Almost none fails, so a group first
 * runs with nothing between its transactions; if one throws, the group is rolled back whole and
 * run again with each transaction in its own SAVEPOINT, where a failure rolls back just that
 * one. A SAVEPOINT around every transaction would cost each of them a copy of every page it
 * touches, into the savepoint's journal (bench/README.md, change 21). So a transaction's work
 * may run twice: it must act only through the `Db` it is given (every store's does).
 */
import type Database from 'better-sqlite3';
import type { Db } from './db.js';

interface Pending {
  work: (db: Db) => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommit {
  transaction<T>(work: (db: Db) => Promise<T>): Promise<T>;
  /** Runs `fn` once no group is being committed. */
  waitFor<T>(fn: () => Promise<T>): Promise<T>;
}

/** `inside` runs statements on `sqlite` directly; `committed` hears how many transactions each COMMIT made durable. */
export function groupCommit(sqlite: Database.Database, inside: Db, committed: (count: number) => void): GroupCommit {
  let lock: Promise<void> | undefined;
  let queue: Pending[] = [];

  /** One attempt at a batch; false when it must run again, isolated (nothing committed, nobody answered). */
  async function attempt(batch: Pending[], isolated: boolean): Promise<boolean> {
    const settle: (() => void)[] = [];
    try {
      sqlite.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const item of batch) item.reject(error);
      return true;
    }
    for (const item of batch) {
      if (isolated) sqlite.exec('SAVEPOINT borealis_tx');
      try {
        const value = await item.work(inside);
        if (isolated) sqlite.exec('RELEASE borealis_tx');
        settle.push(() => item.resolve(value));
      } catch (error) {
        if (isolated) {
          sqlite.exec('ROLLBACK TO borealis_tx');
          sqlite.exec('RELEASE borealis_tx');
          settle.push(() => item.reject(error));
          continue;
        }
        // Some errors (a full disk) end the transaction by themselves.
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        if (batch.length > 1) return false;
        item.reject(error);
        return true;
      }
    }
    try {
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      for (const item of batch) item.reject(error);
      return true;
    }
    committed(batch.length);
    for (const done of settle) done();
    return true;
  }

  async function runBatch(batch: Pending[]) {
    if (!(await attempt(batch, false))) await attempt(batch, true);
  }

  async function drain() {
    let release!: () => void;
    lock = new Promise<void>((resolve) => (release = resolve));
    const batch = queue;
    queue = [];
    try {
      await runBatch(batch);
    } finally {
      lock = undefined;
      release();
      if (queue.length > 0) schedule();
    }
  }

  /**
   * A batch starts on the event loop's check phase (setImmediate), after the poll phase has
   * handed every request that arrived meanwhile to its handler: under load they all queue their
   * transactions first and share one COMMIT. Idle, it costs one loop turn.
   */
  let scheduled = false;
  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      void waitThenDrain();
    });
  }

  function transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (!lock) schedule();
    });
  }

  /** Starts a batch once the lock is free (a statement-level wait may be in progress). */
  async function waitThenDrain() {
    while (lock) await lock;
    if (queue.length > 0 && !lock) await drain();
  }

  const waitFor = async <T>(fn: () => Promise<T>): Promise<T> => {
    while (lock) await lock;
    return fn();
  };

  return { transaction, waitFor };
}
