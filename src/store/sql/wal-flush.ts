/**
 * A bound on what a power loss can take from SQLite. Under `synchronous = NORMAL` a COMMIT writes
 * its WAL frames to the operating system and returns; they reach the disk at the next checkpoint,
 * which syncs the WAL before copying it (https://sqlite.org/pragma.html#pragma_synchronous). The
 * checkpoint thread (checkpointer.ts) runs one every 20 ms, but only once a connection has
 * written enough to start it; before that, on a quiet server, commits could wait for the
 * operating system's own writeback. So after a commit, if no thread is checkpointing, the WAL is
 * flushed with fsync on libuv's thread pool within FLUSH_DELAY_MS. A process crash loses nothing
 * either way; a power loss can take at most the last few tens of milliseconds of commits.
 *
 * Answering each commit only after its flush (`synchronous = FULL`, or this flush awaited before
 * answering) was measured at 0.77–0.81× the write throughput (bench/README.md) and not kept.
 */
import { type FileHandle, open } from 'node:fs/promises';

export const FLUSH_DELAY_MS = 20;

export interface WalFlush {
  /** A flush of the WAL within FLUSH_DELAY_MS, unless one is already due. */
  soon(): void;
  /** Flushes what is due now; resolves when it is on disk. */
  close(): Promise<void>;
}

export function walFlush(databaseFile: string): WalFlush {
  let timer: NodeJS.Timeout | undefined;
  let flushing: Promise<void> | undefined;

  const flush = async () => {
    timer = undefined;
    let handle: FileHandle | undefined;
    try {
      // fsync flushes the file, not the handle (fsync(2)): a handle of our own will do.
      handle = await open(`${databaseFile}-wal`, 'r');
      await handle.sync();
    } catch {
      // No WAL (nothing written since a truncating checkpoint) or an I/O error: the next commit's
      // flush, or the next checkpoint, tries again.
    } finally {
      await handle?.close();
    }
  };

  return {
    soon() {
      if (timer) return;
      timer = setTimeout(() => {
        flushing = flush();
      }, FLUSH_DELAY_MS);
      // Never keeps a process (a CLI command, a test) alive on its own.
      timer.unref();
    },
    async close() {
      if (timer) {
        clearTimeout(timer);
        flushing = flush();
      }
      await flushing;
    },
  };
}
