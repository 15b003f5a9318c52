/**
 * Checks, inside a transaction that stores something for a user, that the user may still hold it.
 * On PostgreSQL the row is held FOR SHARE until the commit, so a concurrent `block` or `erase`
 * (accounts.ts) either commits first (seen here) or waits, and then its deletes see what this
 * transaction stored. SQLite runs one writer at a time.
 */
import type { Db } from './db.js';

const SHARE = (tx: Db) => (tx.engine === 'postgres' ? ' FOR SHARE' : '');

/** Something a user's block must end (a session, a code): whether the user exists unblocked (an erased one is blocked). */
export async function holdActiveUser(tx: Db, userId: string, passwordHash?: string): Promise<boolean> {
  const row = await tx.get<{ blocked_at: number | null; password_hash: string }>(`SELECT blocked_at, password_hash FROM users WHERE id = ?${SHARE(tx)}`, [userId]);
  // A password changed since the one checked (setPassword, which ends sessions alike).
  return row !== undefined && row.blocked_at === null && (passwordHash === undefined || row.password_hash === passwordHash);
}

/** Something a blocked user may still be given (a membership, an app they own, a consent), but not an erased one. */
export async function holdUnerasedUser(tx: Db, userId: string): Promise<boolean> {
  return (await tx.get(`SELECT 1 AS one FROM users WHERE id = ? AND erased_at IS NULL${SHARE(tx)}`, [userId])) !== undefined;
}
