import type { SignInThrottle } from '../store.js';
import type { Db } from './db.js';

export const signInThrottle = (db: Db): SignInThrottle => ({
  async fail(keys, now, { window, maxFailures, lockFor }) {
    let locked = 0;
    for (const key of keys) {
      // One upsert per key: a new window starts when the old one has passed; reaching the
      // maximum sets the lock. Concurrent failures are all counted (no read-then-write).
      const row = await db.get<{ locked_until: number }>(
        `INSERT INTO sign_in_failures (key, failures, window_start, locked_until) VALUES (?, 1, ?, CASE WHEN 1 >= ? THEN ? ELSE 0 END)
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END,
           window_start = CASE WHEN sign_in_failures.window_start <= ? THEN excluded.window_start ELSE sign_in_failures.window_start END,
           locked_until = CASE
             WHEN (CASE WHEN sign_in_failures.window_start <= ? THEN 1 ELSE sign_in_failures.failures + 1 END) >= ? THEN ?
             ELSE sign_in_failures.locked_until END
         RETURNING locked_until`,
        [key, now, maxFailures, now + lockFor, now - window, now - window, now - window, maxFailures, now + lockFor],
      );
      locked = Math.max(locked, Number(row?.locked_until ?? 0));
    }
    return locked > now ? locked : 0;
  },
  async lockedUntil(keys, now) {
    if (keys.length === 0) return 0;
    const row = await db.get<{ until: number | null }>(
      `SELECT max(locked_until) AS until FROM sign_in_failures WHERE key IN (${keys.map(() => '?').join(', ')}) AND locked_until > ?`,
      [...keys, now],
    );
    return Number(row?.until ?? 0);
  },
  async clear(key) {
    await db.run('DELETE FROM sign_in_failures WHERE key = ?', [key]);
  },
});
