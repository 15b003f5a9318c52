/**
 * Migration 005 filled `email_lookup` with SQL lower(), which folds ASCII only (SQLite, and
 * PostgreSQL under the C locale), while look-ups fold in JavaScript: a user whose address had a
 * non-ASCII capital (`Élodie@…`) could no longer be found, nor sign in, and the same address
 * could be signed up again. The stored form is recomputed here, in JavaScript. Where two
 * accounts now fold to one address, the older keeps it; the newer one's look-up gets a suffix
 * no address can have (a space), so it stays in the database but cannot be signed in to.
 */
import type { Db } from '../db.js';

export const version = 9;
export const name = 'email-lookup-unicode';
export const sql = '';

export async function after(tx: Db): Promise<void> {
  const users = await tx.all<{ id: string; email: string; email_lookup: string }>(
    'SELECT id, email, email_lookup FROM users ORDER BY created_at, id',
  );
  const owners = new Set<string>();
  const wanted = users.map((user) => {
    const folded = user.email.toLowerCase();
    const duplicate = owners.has(folded);
    owners.add(folded);
    return { user, lookup: duplicate ? `${folded} (duplicate ${user.id})` : folded, duplicate };
  });
  // Duplicates first, so that no update meets the unique index while another still holds its value.
  for (const { user, lookup } of [...wanted.filter((w) => w.duplicate), ...wanted.filter((w) => !w.duplicate)]) {
    if (lookup !== user.email_lookup) await tx.run('UPDATE users SET email_lookup = ? WHERE id = ?', [lookup, user.id]);
  }
}
