import type { RateLimits } from '../limits.js';
import type { Db } from './db.js';

export const rateLimits = (db: Db): RateLimits => ({
  async hit(key, nowMs, windowMs) {
    // One upsert: a new window starts once the old one has passed, or if it begins more than a
    // window after now (the clock stepped back: a window lasts at most twice its length). A start
    // a little after now is normal: concurrent requests read the clock before their statements
    // run, and instances' clocks differ by a few ms. Concurrent hits from any number of
    // processes are all counted (no read-then-write).
    const stale = '(rate_limit_hits.window_start_ms <= ? OR rate_limit_hits.window_start_ms > ?)';
    const row = await db.get<{ hits: number; window_start_ms: number }>(
      `INSERT INTO rate_limit_hits (key, hits, window_start_ms) VALUES (?, 1, ?)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN ${stale} THEN 1 ELSE rate_limit_hits.hits + 1 END,
         window_start_ms = CASE WHEN ${stale} THEN excluded.window_start_ms ELSE rate_limit_hits.window_start_ms END
       RETURNING hits, window_start_ms`,
      [key, nowMs, nowMs - windowMs, nowMs + windowMs, nowMs - windowMs, nowMs + windowMs],
    );
    return { hits: Number(row!.hits), windowStartMs: Number(row!.window_start_ms) };
  },
});
