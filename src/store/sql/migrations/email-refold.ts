/**
 * Recomputing every user's `email_lookup` with a new folding (migrations 009 and 011). Where two
 * accounts now fold to one address, the older keeps it; the newer one's look-up gets a suffix no
 * address can have (a space), so it stays in the database but cannot be signed in to, and its
 * sessions end: one it already had would otherwise keep acting as an account no one can reach.
 */
import type { Db } from '../db.js';

export async function refoldEmails(tx: Db, fold: (email: string) => string): Promise<void> {
  const users = await tx.all<{ id: string; email: string; email_lookup: string }>(
    'SELECT id, email, email_lookup FROM users ORDER BY created_at, id',
  );
  const owners = new Set<string>();
  const wanted = users.map((user) => {
    const folded = fold(user.email);
    const duplicate = owners.has(folded);
    owners.add(folded);
    return { user, lookup: duplicate ? `${folded} (duplicate ${user.id})` : folded, duplicate };
  });
  // Duplicates first, so that no update meets the unique index while another still holds its value.
  for (const { user, lookup, duplicate } of [...wanted.filter((w) => w.duplicate), ...wanted.filter((w) => !w.duplicate)]) {
    if (lookup !== user.email_lookup) await tx.run('UPDATE users SET email_lookup = ? WHERE id = ?', [lookup, user.id]);
    if (duplicate) await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [user.id]);
  }
}
