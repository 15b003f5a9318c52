import type { Organization, OrganizationsStore, Session, SessionsStore, User, UsersStore } from '../store.js';
import type { Db, Row } from './db.js';

export const USER_COLUMNS = ['id', 'email', 'email_verified', 'password_hash', 'name', 'avatar_url', 'created_at', 'blocked_at'] as const;

export const toUser = (r: Row): User => ({
  id: r.id as string,
  email: r.email as string,
  emailVerified: r.email_verified === 1,
  passwordHash: (r.password_hash as string | null) ?? null,
  name: (r.name as string | null) ?? null,
  avatarUrl: (r.avatar_url as string | null) ?? null,
  createdAt: r.created_at as number,
  blockedAt: (r.blocked_at as number | null) ?? null,
});

const toOrganization = (r: Row): Organization => ({
  id: r.id as string,
  slug: r.slug as string,
  name: r.name as string,
  avatarUrl: (r.avatar_url as string | null) ?? null,
  createdAt: r.created_at as number,
});

/** Case-insensitive, Unicode-aware (migration 005). */
const emailLookup = (email: string) => email.toLowerCase();

export const users = (db: Db): UsersStore => ({
  async create(u) {
    await db.run(
      'INSERT INTO users (id, email, email_lookup, email_verified, password_hash, name, avatar_url, created_at, blocked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [u.id, u.email, emailLookup(u.email), u.emailVerified ? 1 : 0, u.passwordHash, u.name, u.avatarUrl, u.createdAt, u.blockedAt],
    );
  },
  async findByEmail(email) {
    const row = await db.get('SELECT * FROM users WHERE email_lookup = ?', [emailLookup(email)]);
    return row && toUser(row);
  },
  async findById(id) {
    const row = await db.get('SELECT * FROM users WHERE id = ?', [id]);
    return row && toUser(row);
  },
});

export const organizations = (db: Db): OrganizationsStore => ({
  async create(o, ownerId) {
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO organizations (id, slug, name, avatar_url, created_at) VALUES (?, ?, ?, ?, ?)', [
        o.id,
        o.slug,
        o.name,
        o.avatarUrl,
        o.createdAt,
      ]);
      await tx.run('INSERT INTO memberships (user_id, organization_id, created_at) VALUES (?, ?, ?)', [ownerId, o.id, o.createdAt]);
    });
  },
  async findBySlug(slug) {
    const row = await db.get('SELECT * FROM organizations WHERE slug = ?', [slug]);
    return row && toOrganization(row);
  },
  async addMember(organizationId, userId, now) {
    await db.run(
      'INSERT INTO memberships (user_id, organization_id, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id, organization_id) DO NOTHING',
      [userId, organizationId, now],
    );
  },
  async listForUser(userId) {
    const rows = await db.all(
      'SELECT o.* FROM organizations o JOIN memberships m ON m.organization_id = o.id WHERE m.user_id = ? ORDER BY o.created_at, o.slug',
      [userId],
    );
    return rows.map(toOrganization);
  },
  async listMembers(organizationId) {
    const rows = await db.all(
      'SELECT u.* FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = ? ORDER BY u.email_lookup',
      [organizationId],
    );
    return rows.map(toUser);
  },
});

export const sessions = (db: Db): SessionsStore => ({
  async create(s: Session, tokenHash: string) {
    await db.transaction(async (tx) => {
      await tx.run('INSERT INTO user_sessions (id, token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)', [
        s.id,
        tokenHash,
        s.userId,
        s.createdAt,
        s.expiresAt,
      ]);
      for (const org of s.organizationIds) {
        await tx.run('INSERT INTO user_session_organizations (session_id, organization_id) VALUES (?, ?)', [s.id, org]);
      }
    });
  },
  async findActive(tokenHash, now) {
    // One round trip: the session, its user, and its down-scope rows folded into one column.
    const row = await db.get(
      `SELECT s.id AS session_id, s.created_at AS session_created_at, s.expires_at AS session_expires_at,
              (SELECT ${db.spaceJoined('organization_id')} FROM user_session_organizations WHERE session_id = s.id) AS session_orgs,
              u.*
         FROM user_sessions s JOIN users u ON u.id = s.user_id
        WHERE s.token_hash = ? AND s.expires_at > ?`,
      [tokenHash, now],
    );
    if (!row) return undefined;
    const session: Session = {
      id: row.session_id as string,
      userId: row.id as string,
      createdAt: row.session_created_at as number,
      expiresAt: row.session_expires_at as number,
      organizationIds: row.session_orgs ? String(row.session_orgs).split(' ') : [],
    };
    return { session, user: toUser(row) };
  },
  async delete(tokenHash) {
    await db.run('DELETE FROM user_sessions WHERE token_hash = ?', [tokenHash]);
  },
});
