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
import { setTimeout as sleep } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import { StoreUnavailable } from '../store.js';
import type { Db } from './db.js';

/**
 * Another process holding SQLite's write lock (a CLI command, a `sqlite3` shell, a backup) is
 * waited for here, between event-loop turns, not by SQLite's busy handler, which sleeps on the
 * only JavaScript thread and froze every request, health checks included, for as long. The
 * connection's own busy_timeout (sqlite.ts) is kept short; past this wait the batch is answered
 * 503, as a PostgreSQL outage is (respond.ts).
 */
export const LOCK_WAIT_MS = 5000;
const RETRY_MS = [5, 10, 20, 50, 100];

/** Another connection holds the lock this statement needed. */
export const isBusy = (error: unknown) => {
  const code = (error as { code?: unknown }).code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
};

/**
 * Result codes that say the database cannot be used now rather than that a statement is wrong:
 * another connection's lock, a full disk, a file it may not write, an I/O error. Nothing was
 * done; 503 with Retry-After (respond.ts), as a PostgreSQL outage is, and logged with its cause.
 */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|FULL|READONLY|IOERR)/;
export const unavailable = (error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNAVAILABLE.test(code) ? new StoreUnavailable(error) : error;
};

/** BEGIN IMMEDIATE, retried while another connection holds the write lock. */
async function beginImmediate(sqlite: Database.Database): Promise<void> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      sqlite.exec('BEGIN IMMEDIATE');
      return;
    } catch (error) {
      if (!isBusy(error)) throw error;
      if (Date.now() >= deadline) throw new StoreUnavailable(error);
      await sleep(RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    }
  }
}

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
      await beginImmediate(sqlite);
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
      queue.push({ work, resolve: resolve as (value: unknown) => void, reject: (error) => reject(unavailable(error)) });
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
