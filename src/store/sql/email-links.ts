import type { EmailLink, EmailLinkPurpose, EmailLinksStore } from '../accounts-store.js';
import { USER, endGrants } from './accounts.js';
import { type Db, shape } from './db.js';

const LINK = shape(
  ['id', 'purpose', 'user_id', 'email', 'created_at', 'expires_at'],
  (v, at): EmailLink => ({
    id: v[at] as string,
    purpose: v[at + 1] as EmailLinkPurpose,
    userId: v[at + 2] as string,
    email: v[at + 3] as string,
    createdAt: Number(v[at + 4]),
    expiresAt: Number(v[at + 5]),
  }),
);

/** Unexpired, its user unblocked and still at the address it was sent to (accounts-store.ts). Parameters: token hash, purpose, now. */
const GOOD = 'l.token_hash = ? AND l.purpose = ? AND l.expires_at > ? AND u.email = l.email AND u.blocked_at IS NULL';

/**
 * The good link, read inside a transaction that spends it. PostgreSQL: of two spending one link at
 * once, the second waits on its row and then finds it gone (SQLite runs one writer at a time).
 */
async function claim(tx: Db, tokenHash: string, purpose: EmailLinkPurpose, now: number) {
  const lock = tx.engine === 'postgres' ? ' FOR UPDATE OF l, u' : '';
  const row = await tx.getValues(`SELECT ${LINK.select('l')}, ${USER.select('u')} FROM email_links l JOIN users u ON u.id = l.user_id WHERE ${GOOD}${lock}`, [
    tokenHash,
    purpose,
    now,
  ]);
  if (!row) return undefined;
  const link = LINK.read(row);
  await tx.run('DELETE FROM email_links WHERE user_id = ? AND purpose = ?', [link.userId, purpose]);
  return { link, user: USER.read(row, LINK.width) };
}

export const emailLinks = (db: Db): EmailLinksStore => ({
  create(link, tokenHash, minInterval) {
    return db.transaction(async (tx) => {
      // PostgreSQL: two requests for one user wait for each other here, so only one link goes out.
      const lock = tx.engine === 'postgres' ? ' FOR NO KEY UPDATE' : '';
      const user = await tx.get('SELECT 1 AS one FROM users WHERE id = ? AND email = ? AND blocked_at IS NULL' + lock, [link.userId, link.email]);
      if (!user) return 'no_user';
      const last = await tx.get<{ at: number | string | null }>('SELECT MAX(created_at) AS at FROM email_links WHERE user_id = ? AND purpose = ?', [link.userId, link.purpose]);
      if (last?.at !== null && last?.at !== undefined && Number(last.at) > link.createdAt - minInterval) return 'too_soon';
      await tx.run('DELETE FROM email_links WHERE user_id = ? AND purpose = ?', [link.userId, link.purpose]);
      await tx.run('INSERT INTO email_links (id, token_hash, purpose, user_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        link.id,
        tokenHash,
        link.purpose,
        link.userId,
        link.email,
        link.createdAt,
        link.expiresAt,
      ]);
      return 'created';
    });
  },
  async find(tokenHash, purpose, now) {
    const row = await db.getValues(`SELECT ${LINK.select('l')}, ${USER.select('u')} FROM email_links l JOIN users u ON u.id = l.user_id WHERE ${GOOD}`, [tokenHash, purpose, now]);
    return row ? { link: LINK.read(row), user: USER.read(row, LINK.width) } : undefined;
  },
  verifyEmail(tokenHash, now) {
    return db.transaction(async (tx) => {
      const claimed = await claim(tx, tokenHash, 'verify_email', now);
      if (!claimed) return undefined;
      await tx.run('UPDATE users SET email_verified = 1 WHERE id = ?', [claimed.user.id]);
      return { ...claimed.user, emailVerified: true };
    });
  },
  resetPassword(tokenHash, passwordHash, now, { endAppAccess = false } = {}) {
    return db.transaction(async (tx) => {
      const claimed = await claim(tx, tokenHash, 'reset_password', now);
      if (!claimed) return undefined;
      const { user } = claimed;
      await tx.run('UPDATE users SET password_hash = ?, email_verified = 1 WHERE id = ?', [passwordHash, user.id]);
      await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [user.id]);
      // An account never confirmed was held by whoever signed it up: what they authorized ends,
      // consents included, or an app of theirs would get a code for the new owner unasked.
      const tokensRevoked = endAppAccess || !user.emailVerified;
      if (tokensRevoked) await endGrants(tx, user.id, now);
      return { user: { ...user, emailVerified: true, passwordHash }, tokensRevoked };
    });
  },
});
