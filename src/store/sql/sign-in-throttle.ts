import type { SignInThrottle } from '../limits.js';
import type { Db } from './db.js';

/**
 * How far ahead of `now` a window's start or a lock's end may lie and still be honoured: another
 * instance's clock may run a little ahead, and concurrent attempts read the clock before their
 * statements run. Beyond it, the clock stepped back, and honouring them would stretch a window
 * or a lock by as much; within it, they last at most twice their length.
 */
const AHEAD = 1;

/** A lock in force at `now`, else 0 (see AHEAD). */
const current = (lockedUntil: number, now: number, lockFor: number) =>
  lockedUntil > now && lockedUntil <= now + (1 + AHEAD) * lockFor ? lockedUntil : 0;

export const signInThrottle = (db: Db): SignInThrottle => ({
  async attempt(key, now, { window, maxFailures, lockFor }) {
    // One upsert: a new window starts when the old one has passed, or begins more than a window
    // after `now` (the clock stepped back, see AHEAD); reaching the maximum sets the lock. Concurrent attempts are all counted (no read-then-write). Times are cast to BIGINT:
    // PostgreSQL would type `CASE … ELSE 0` as int4 and refuse every attempt after 2038-01-19.
    const stale = '(sign_in_failures.window_start <= ? OR sign_in_failures.window_start > ?)';
    const row = await db.get<{ failures: number; locked_until: number }>(
      `INSERT INTO sign_in_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN CAST(? AS BIGINT) ELSE 0 END)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN ${stale} THEN 1 ELSE sign_in_failures.failures + 1 END,
         window_start = CASE WHEN ${stale} THEN excluded.window_start ELSE sign_in_failures.window_start END,
         locked_until = CASE
           WHEN (CASE WHEN ${stale} THEN 1 ELSE sign_in_failures.failures + 1 END) >= ? THEN CAST(? AS BIGINT)
           ELSE sign_in_failures.locked_until END
       RETURNING failures, locked_until`,
      [key, now, maxFailures, now + lockFor, ...[1, 2, 3].flatMap(() => [now - window, now + AHEAD * window]), maxFailures, now + lockFor],
    );
    return { attempts: Number(row?.failures ?? 0), lockedUntil: current(Number(row?.locked_until ?? 0), now, lockFor) };
  },
  async lockedUntil(keys, now, lockFor) {
    if (keys.length === 0) return 0;
    const row = await db.get<{ until: number | null }>(
      `SELECT max(locked_until) AS until FROM sign_in_failures WHERE key IN (${keys.map(() => '?').join(', ')}) AND locked_until > ? AND locked_until <= ?`,
      [...keys, now, now + (1 + AHEAD) * lockFor],
    );
    return Number(row?.until ?? 0);
  },
  async succeeded(key, { maxFailures }) {
    await db.run(
      `UPDATE sign_in_failures SET failures = failures - 1, locked_until = CASE WHEN failures - 1 < ? THEN 0 ELSE locked_until END
        WHERE key = ? AND failures > 0`,
      [maxFailures, key],
    );
  },
  async clear(key) {
    await db.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
  },
});
