import { MAX_SESSIONS_PER_USER } from '../limits.js';
import type { Session, SessionOrigin, SessionsStore } from '../store.js';
import { USER } from './accounts.js';
import { holdActiveUser } from './user-guard.js';
import { type Db, foldedOrganizations, shape, spaceSplit } from './db.js';

/** A session as its person sees it listed: its down-scope folded into one column (db.ts). */
const LISTED = (db: Db) =>
  shape(
    ['id', 'user_id', 'created_at', 'expires_at', foldedOrganizations(db, 'user_session_organizations', 'session_id'), 'ip', 'user_agent'],
    (v, at): Session & SessionOrigin => ({
      id: v[at] as string,
      userId: v[at + 1] as string,
      createdAt: Number(v[at + 2]),
      expiresAt: Number(v[at + 3]),
      organizationIds: spaceSplit(v[at + 4]),
      ip: (v[at + 5] as string | null) ?? null,
      userAgent: (v[at + 6] as string | null) ?? null,
    }),
  );

export const sessions = (db: Db): SessionsStore => ({
  create(s: Session, tokenHash: string, passwordHash?: string, origin?: SessionOrigin) {
    return db.transaction(async (tx) => {
      if (!(await holdActiveUser(tx, s.userId, passwordHash))) return false;
      await tx.run('INSERT INTO user_sessions (id, token_hash, user_id, created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)', [
        s.id,
        tokenHash,
        s.userId,
        s.createdAt,
        s.expiresAt,
        origin?.ip ?? null,
        origin?.userAgent ?? null,
      ]);
      for (const org of s.organizationIds) {
        await tx.run('INSERT INTO user_session_organizations (session_id, organization_id) VALUES (?, ?)', [s.id, org]);
      }
      // Found through the user's index: at most one more than the cap to read.
      await tx.run(
        `DELETE FROM user_sessions WHERE user_id = ? AND id <> ? AND id NOT IN (
           SELECT id FROM user_sessions WHERE user_id = ? AND id <> ? ORDER BY created_at DESC, id DESC LIMIT ${MAX_SESSIONS_PER_USER - 1})`,
        [s.userId, s.id, s.userId, s.id],
      );
      return true;
    });
  },
  async findActive(tokenHash, now) {
    // One round trip: the session, its user, and its down-scope rows folded into one column.
    const row = await db.getValues(
      `SELECT s.id, s.created_at, s.expires_at,
              ${foldedOrganizations(db, 'user_session_organizations', 'session_id', 's')},
              ${USER.select('u')}
         FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ? AND s.expires_at > ?`,
      [tokenHash, now],
    );
    if (!row) return undefined;
    const user = USER.read(row, 4);
    const session: Session = {
      id: row[0] as string,
      userId: user.id,
      createdAt: row[1] as number,
      expiresAt: row[2] as number,
      organizationIds: spaceSplit(row[3]),
    };
    return { session, user };
  },
  async delete(tokenHash) {
    await db.run('DELETE FROM user_sessions WHERE token_hash = ?', [tokenHash]);
  },
  async listForUser(userId, now) {
    const listed = LISTED(db);
    // At most MAX_SESSIONS_PER_USER rows (create's cap), through the user's index.
    const rows = await db.allValues(`SELECT ${listed.select('s')} FROM user_sessions s WHERE s.user_id = ? AND s.expires_at > ? ORDER BY s.created_at DESC, s.id DESC`, [userId, now]);
    return rows.map((row) => listed.read(row));
  },
  async end(userId, sessionId, now) {
    return (await db.run('DELETE FROM user_sessions WHERE user_id = ? AND id = ? AND expires_at > ?', [userId, sessionId, now])) > 0;
  },
  endAllBut(userId, keepId, now) {
    return db.run('DELETE FROM user_sessions WHERE user_id = ? AND id <> ? AND expires_at > ?', [userId, keepId, now]);
  },
});
