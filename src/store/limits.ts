/** The store's counters for sign-in lockout and request rate limits (every instance shares them). */

/**
 * The most web sessions one user keeps: creating another ends their oldest (never itself). A
 * person signs in from a handful of browsers; a script signing in in a loop would otherwise
 * store a row per sign-in for 31 days.
 */
export const MAX_SESSIONS_PER_USER = 100;
export interface ThrottlePolicy {
  window: number;
  maxFailures: number;
  lockFor: number;
}

export interface SignInThrottle {
  /**
   * Counts a sign-in attempt for `key` before its password is checked, in one atomic statement:
   * of attempts sent at once each gets a count of its own. Returns the attempts in the current
   * window, this one included, and the lock they set (0 when none): reaching the maximum locks.
   */
  attempt(key: string, now: number, policy: ThrottlePolicy): Promise<{ attempts: number; lockedUntil: number }>;
  /** The latest lock expiry among the keys (0 when none is locked); locks ending far past `now` + `lockFor` are ignored (a clock stepped back). */
  lockedUntil(keys: string[], now: number, lockFor: number): Promise<number>;
  /** An attempt counted for `key` signed in: it no longer counts, nor does a lock it set. */
  succeeded(key: string, policy: ThrottlePolicy): Promise<void>;
  clear(key: string): Promise<void>;
}

export interface RateLimits {
  /** Counts one request for `key` in its current fixed window (a new one starts after `windowMs`). */
  hit(key: string, nowMs: number, windowMs: number): Promise<{ hits: number; windowStartMs: number }>;
}

/**
 * The most good invitations an organization has waiting: a member cannot fill the table with
 * links, and a team sends a handful at a time. Accepted, withdrawn or expired ones do not count.
 */
export const MAX_PENDING_INVITATIONS = 50;
