/**
 * WAL checkpoints off the event loop. A checkpoint copies committed WAL frames back into the
 * database file and fsyncs it: milliseconds of blocking work that SQLite's automatic checkpoint
 * would do inside whichever COMMIT crosses 1,000 pages, stalling every request in flight
 * (a p99 spike). Here a worker thread with its own connection runs PASSIVE checkpoints, which
 * never wait for readers or writers (https://sqlite.org/c3ref/wal_checkpoint_v2.html); the
 * writer's automatic checkpoint stays on as a backstop. Under sustained writes the WAL restarts
 * from its start only when a write begins after a pass that no commit overtook, so it can grow to
 * the backstop; the writer's checkpoint there finds nearly every frame already copied by the
 * thread, and the file is cut back to journal_size_limit when the WAL restarts (sqlite.ts).
 * Every 20 ms: at 100 ms the passes grew large enough that their fsyncs showed as ≈ 90 ms p99
 * stalls at 1M stored tokens (bench/README.md).
 * Measured: SQLite refresh +25–30%, code exchange +40%, p90 halved (bench/README.md).
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const INTERVAL_MS = 20;
/** Committed write transactions after which a connection hands its checkpoints to the thread. */
export const CHECKPOINT_THREAD_AFTER_WRITES = 500;
/** The writer checkpoints by itself only if the thread falls this far behind (pages; 4 KiB each). */
export const BACKSTOP_PAGES = 20_000;

// Plain JavaScript, evaluated as CommonJS in the worker, so it runs the same from src/ and dist/.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or locked: the next tick tries again; the writer's backstop bounds the WAL meanwhile.
  }
}, workerData.intervalMs);
parentPort.once('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface Checkpointer {
  stop(): Promise<void>;
}

/** `failed` runs if the thread dies (say, the driver cannot load in it): the writer must take checkpoints back. */
export function startCheckpointer(file: string, failed: () => void): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs: INTERVAL_MS } });
  // The thread must never keep the process alive on its own, nor take it down.
  worker.unref();
  worker.on('error', failed);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    async stop() {
      worker.ref(); // an unref'd worker's exit would not keep an awaiting process alive
      worker.postMessage('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 1000))]);
      await worker.terminate();
    },
  };
}
