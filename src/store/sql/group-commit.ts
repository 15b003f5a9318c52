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
 * may run more than once: it must act only through the `Db` it is given (every store's does).
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

  /**
   * One attempt at a batch. Returns the transactions still to run, isolated: none when every
   * caller has been answered.
   */
  async function attempt(batch: Pending[], isolated: boolean): Promise<Pending[]> {
    const settle: (() => void)[] = [];
    try {
      sqlite.exec('BEGIN IMMEDIATE');
    } catch (error) {
      for (const item of batch) item.reject(error);
      return [];
    }
    for (const item of batch) {
      if (isolated) sqlite.exec('SAVEPOINT borealis_tx');
      try {
        const value = await item.work(inside);
        if (isolated) sqlite.exec('RELEASE borealis_tx');
        settle.push(() => item.resolve(value));
      } catch (error) {
        // Some errors (a full disk, an I/O error) end the whole transaction by themselves,
        // savepoints included: the others' writes are gone too, so they run again without it.
        if (!sqlite.inTransaction) {
          item.reject(error);
          return batch.filter((other) => other !== item);
        }
        if (isolated) {
          sqlite.exec('ROLLBACK TO borealis_tx');
          sqlite.exec('RELEASE borealis_tx');
          settle.push(() => item.reject(error));
          continue;
        }
        sqlite.exec('ROLLBACK');
        if (batch.length > 1) return batch;
        item.reject(error);
        return [];
      }
    }
    try {
      sqlite.exec('COMMIT');
    } catch (error) {
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
      for (const item of batch) item.reject(error);
      return [];
    }
    try {
      committed(batch.length);
    } finally {
      for (const done of settle) done();
    }
    return [];
  }

  /** Each isolated rerun leaves out at least the transaction that failed, so this ends. */
  async function runBatch(batch: Pending[]) {
    let rest = await attempt(batch, false);
    while (rest.length > 0) rest = await attempt(rest, true);
  }

  async function drain() {
    let release!: () => void;
    lock = new Promise<void>((resolve) => (release = resolve));
    const batch = queue;
    queue = [];
    try {
      await runBatch(batch);
    } catch (error) {
      // Unforeseen (a savepoint statement failing): nobody may wait forever, nor the writer stay
      // inside the transaction. Callers already answered keep their answer.
      for (const item of batch) item.reject(error);
      if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
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
