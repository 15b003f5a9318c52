import type { SignInThrottle } from '../limits.js';
import type { Db } from './db.js';

export const signInThrottle = (db: Db): SignInThrottle => ({
  async attempt(key, now, { window, maxFailures, lockFor }) {
    // One upsert: a new window starts when the old one has passed; reaching the maximum sets the
    // lock. Concurrent attempts are all counted (no read-then-write).
    const row = await db.get<{ failures: number; locked_until: number }>(
      `INSERT INTO sign_in_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? ELSE 0 END)
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END,
         window_start = CASE WHEN sign_in_failures.window_start <= ? THEN excluded.window_start ELSE sign_in_failures.window_start END,
         locked_until = CASE
           WHEN (CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END) >= ? THEN ?
           ELSE sign_in_failures.locked_until END
       RETURNING failures, locked_until`,
      [key, now, maxFailures, now + lockFor, now - window, now - window, now - window, maxFailures, now + lockFor],
    );
    const lockedUntil = Number(row?.locked_until ?? 0);
    return { attempts: Number(row?.failures ?? 0), lockedUntil: lockedUntil > now ? lockedUntil : 0 };
  },
  async lockedUntil(keys, now) {
    if (keys.length === 0) return 0;
    const row = await db.get<{ until: number | null }>(
      `SELECT max(locked_until) AS until FROM sign_in_failures WHERE key IN (${keys.map(() => '?').join(', ')}) AND locked_until > ?`,
      [...keys, now],
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
