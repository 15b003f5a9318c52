import { emailLookup } from '../email-lookup.js';
import type { Organization, OrganizationsStore, User, UsersStore } from '../store.js';
import { type Db, shape } from './db.js';
import { endClient } from './clients.js';
import { holdUnerasedUser } from './user-guard.js';
import { revokeTokensWhere } from './tokens.js';

export const USER = shape(
  ['id', 'email', 'email_verified', 'password_hash', 'name', 'avatar_url', 'created_at', 'blocked_at'],
  (v, at): User => ({
    id: v[at] as string,
    email: v[at + 1] as string,
    emailVerified: v[at + 2] === 1,
    passwordHash: (v[at + 3] as string | null) ?? null,
    name: (v[at + 4] as string | null) ?? null,
    avatarUrl: (v[at + 5] as string | null) ?? null,
    createdAt: v[at + 6] as number,
    blockedAt: (v[at + 7] as number | null) ?? null,
  }),
);

export const ORGANIZATION = shape(['id', 'slug', 'name', 'avatar_url', 'created_at'], (v, at): Organization => ({
  id: v[at] as string,
  slug: v[at + 1] as string,
  name: v[at + 2] as string,
  avatarUrl: (v[at + 3] as string | null) ?? null,
  createdAt: v[at + 4] as number,
}));


export const users = (db: Db): UsersStore => ({
  async create(u) {
    await db.run(
      'INSERT INTO users (id, email, email_lookup, email_verified, password_hash, name, avatar_url, created_at, blocked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [u.id, u.email, emailLookup(u.email), u.emailVerified ? 1 : 0, u.passwordHash, u.name, u.avatarUrl, u.createdAt, u.blockedAt],
    );
  },
  async findByEmail(email) {
    // No account's address holds a space (accounts.ts); the look-up of a duplicate set aside by
    // migration 009 or 011 does (email-refold.ts), and must match no address typed at sign-in.
    const lookup = emailLookup(email);
    if (/\s/.test(lookup)) return undefined;
    const row = await db.getValues(`SELECT ${USER.select('u')} FROM users u WHERE u.email_lookup = ?`, [lookup]);
    return row && USER.read(row);
  },
  async findById(id) {
    const row = await db.getValues(`SELECT ${USER.select('u')} FROM users u WHERE u.id = ? AND u.erased_at IS NULL`, [id]);
    return row && USER.read(row);
  },
  block(userId, now) {
    return db.transaction(async (tx) => {
      if ((await tx.run('UPDATE users SET blocked_at = ? WHERE id = ? AND blocked_at IS NULL AND erased_at IS NULL', [now, userId])) === 0) return false;
      await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [userId]);
      await endGrants(tx, userId, now);
      return true;
    });
  },
  async unblock(userId) {
    return (await db.run('UPDATE users SET blocked_at = NULL WHERE id = ? AND blocked_at IS NOT NULL AND erased_at IS NULL', [userId])) > 0;
  },
  setPassword(userId, passwordHash, { ifHash, revokeTokensAt } = {}) {
    return db.transaction(async (tx) => {
      const unless = ifHash === undefined ? '' : ' AND password_hash = ?';
      const changed = await tx.run(`UPDATE users SET password_hash = ? WHERE id = ? AND erased_at IS NULL${unless}`, [passwordHash, userId, ...(ifHash === undefined ? [] : [ifHash])]);
      if (changed === 0) return false;
      await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [userId]);
      // A reset link sent before the change would undo it (OWASP Forgot Password Cheat Sheet).
      await tx.run("DELETE FROM email_links WHERE user_id = ? AND purpose = 'reset_password'", [userId]);
      if (revokeTokensAt !== undefined) await endGrants(tx, userId, revokeTokensAt);
      return true;
    });
  },
  async rehashPassword(userId, from, to) {
    return (await db.run('UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?', [to, userId, from])) > 0;
  },
  erase(userId, now) {
    return db.transaction(async (tx) => {
      // PostgreSQL: conflicts with holdActiveUser's and holdUnerasedUser's FOR SHARE (user-guard.ts),
      // so what they store commits first and is ended here, or they find the user gone. Not FOR
      // UPDATE, which would also wait on every foreign-key check of a token being issued meanwhile,
      // a deadlock with the revocations below.
      const lock = tx.engine === 'postgres' ? ' FOR NO KEY UPDATE' : '';
      if (!(await tx.get(`SELECT id FROM users WHERE id = ? AND erased_at IS NULL${lock}`, [userId]))) return undefined;
      const owned = await tx.all<{ client_id: string }>('SELECT client_id FROM oauth2_clients WHERE user_id = ? AND deleted_at IS NULL', [userId]);
      for (const { client_id } of owned) await endClient(tx, client_id, now);
      await tx.run('DELETE FROM user_sessions WHERE user_id = ?', [userId]);
      await endGrants(tx, userId, now);
      await tx.run('DELETE FROM memberships WHERE user_id = ?', [userId]);
      // The events stay for their retention, without the addresses the person signed in from.
      await tx.run('UPDATE security_events SET ip = NULL WHERE user_id = ? AND ip IS NOT NULL', [userId]);
      // A look-up holding a space matches no address typed (findByEmail), and the address is free again.
      await tx.run(
        `UPDATE users SET email = ?, email_lookup = ?, email_verified = 0, password_hash = NULL, name = NULL, avatar_url = NULL,
           blocked_at = COALESCE(blocked_at, ?), erased_at = ? WHERE id = ?`,
        [`erased:${userId}`, `erased ${userId}`, now, now, userId],
      );
      return { clientIds: owned.map((c) => c.client_id) };
    });
  },
});

/**
 * Spends the user's unused codes, revokes every token they hold, forgets the consents they gave
 * and deletes the invitation links they made and the links mailed to them. Each through an index
 * (migration 010; tokens and consents by (client_id, user_id), one client at a time; migrations
 * 012, 013): a rare command must not scan a table while it holds the writer.
 */
export async function endGrants(tx: Db, userId: string, now: number) {
  await tx.run('UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE user_id = ? AND consumed_at IS NULL', [now, userId]);
  await revokeTokensWhere(tx, 'client_id IN (SELECT client_id FROM oauth2_clients) AND user_id = ?', [userId], now);
  // A remembered consent would let an app the intruder authorized get a code again, without a
  // screen (prompt=none from any page), the next time the owner is signed in.
  await tx.run('DELETE FROM oauth2_grants WHERE client_id IN (SELECT client_id FROM oauth2_clients) AND user_id = ?', [userId]);
  // Deleted, not only unusable while they are blocked: unblocking revives nothing (an intruder's links included).
  await tx.run('DELETE FROM organization_invitations WHERE invited_by = ?', [userId]);
  await tx.run('DELETE FROM email_links WHERE user_id = ?', [userId]);
}

/**
 * Revokes the user's tokens, and spends their unused codes, that name `organizationId` and hold no
 * organization the user is a member of (oauth/down-scope.ts: they act on nothing), as Polar
 * revokes the tokens down-scoped to an organization that turns on SSO (polar-oauth2.md §5.6).
 * Every read already refuses them; ending them keeps adding the user back from reviving them.
 * Found through the user's indexes, as in `users.block`.
 */
async function endWhatActsOnNothing(tx: Db, userId: string, organizationId: string, now: number) {
  const actsOnNothing = (table: string, key: string, owner: string) =>
    `EXISTS (SELECT 1 FROM ${table} d WHERE d.${key} = ${owner}.id AND d.organization_id = ?)
     AND NOT EXISTS (SELECT 1 FROM ${table} d JOIN memberships m ON m.organization_id = d.organization_id
                      WHERE d.${key} = ${owner}.id AND m.user_id = ${owner}.user_id)`;
  await tx.run(
    `UPDATE oauth2_authorization_codes SET consumed_at = ? WHERE user_id = ? AND consumed_at IS NULL
       AND ${actsOnNothing('oauth2_authorization_code_organizations', 'code_id', 'oauth2_authorization_codes')}`,
    [now, userId, organizationId],
  );
  const tokens = actsOnNothing('oauth2_token_organizations', 'token_id', 'oauth2_tokens');
  await revokeTokensWhere(tx, `client_id IN (SELECT client_id FROM oauth2_clients) AND user_id = ? AND ${tokens}`, [userId, organizationId], now);
}

/** Inside a transaction: the user becomes a member (idempotent), as `addMember` and an accepted invitation make one. */
export async function joinOrganization(tx: Db, userId: string, organizationId: string, now: number): Promise<void> {
  if (!(await holdUnerasedUser(tx, userId))) return;
  // What a removal could not see (issued while it committed, or left with nothing by two
  // removals at once) acts on nothing until now: it ends before the membership revives it.
  await endWhatActsOnNothing(tx, userId, organizationId, now);
  await tx.run(
    'INSERT INTO memberships (user_id, organization_id, created_at) VALUES (?, ?, ?) ON CONFLICT (user_id, organization_id) DO NOTHING',
    [userId, organizationId, now],
  );
}

export const organizations = (db: Db): OrganizationsStore => ({
  create(o, ownerId) {
    return db.transaction(async (tx) => {
      // An owner found before their account was deleted: the deletion ended their memberships,
      // and one stored after it would name an erased account (user-guard.ts).
      if (!(await holdUnerasedUser(tx, ownerId))) return false;
      await tx.run('INSERT INTO organizations (id, slug, name, avatar_url, created_at) VALUES (?, ?, ?, ?, ?)', [
        o.id,
        o.slug,
        o.name,
        o.avatarUrl,
        o.createdAt,
      ]);
      await tx.run('INSERT INTO memberships (user_id, organization_id, created_at) VALUES (?, ?, ?)', [ownerId, o.id, o.createdAt]);
      return true;
    });
  },
  async findBySlug(slug) {
    const row = await db.getValues(`SELECT ${ORGANIZATION.select('o')} FROM organizations o WHERE o.slug = ?`, [slug]);
    return row && ORGANIZATION.read(row);
  },
  async findById(id) {
    const row = await db.getValues(`SELECT ${ORGANIZATION.select('o')} FROM organizations o WHERE o.id = ?`, [id]);
    return row && ORGANIZATION.read(row);
  },
  addMember(organizationId, userId, now) {
    return db.transaction((tx) => joinOrganization(tx, userId, organizationId, now));
  },
  removeMember(organizationId, userId, now, options = {}) {
    return db.transaction(async (tx) => {
      // PostgreSQL: the organization's row is held until the commit, so removals from one
      // organization run one after the other and two members leaving at once cannot both see
      // the other still there and leave it with no one. NO KEY UPDATE leaves the KEY SHARE locks
      // of rows referencing it (a token's or session's down-scope) free to be taken meanwhile.
      // SQLite runs one writer at a time.
      if (tx.engine === 'postgres') await tx.get('SELECT 1 AS one FROM organizations WHERE id = ? FOR NO KEY UPDATE', [organizationId]);
      if (options.keepLastMember) {
        const others = await tx.get<{ n: number }>(
          'SELECT COUNT(*) AS n FROM memberships WHERE organization_id = ? AND user_id <> ?',
          [organizationId, userId],
        );
        if (Number(others?.n ?? 0) === 0) {
          const member = await tx.get('SELECT 1 AS one FROM memberships WHERE organization_id = ? AND user_id = ?', [organizationId, userId]);
          return member ? 'last_member' : 'not_member';
        }
      }
      const removed = await tx.run('DELETE FROM memberships WHERE user_id = ? AND organization_id = ?', [userId, organizationId]);
      if (removed === 0) return 'not_member';
      await endWhatActsOnNothing(tx, userId, organizationId, now);
      // Their links go with them: added back one day, they would otherwise work again.
      await tx.run('DELETE FROM organization_invitations WHERE invited_by = ? AND organization_id = ?', [userId, organizationId]);
      return 'removed';
    });
  },
  async listForUser(userId) {
    const rows = await db.allValues(
      `SELECT ${ORGANIZATION.select('o')} FROM organizations o JOIN memberships m ON m.organization_id = o.id
        WHERE m.user_id = ? ORDER BY o.created_at, ${db.inByteOrder('o.slug')}`,
      [userId],
    );
    return rows.map((row) => ORGANIZATION.read(row));
  },
  async listMembers(organizationId) {
    const rows = await db.allValues(
      `SELECT ${USER.select('u')} FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.organization_id = ? ORDER BY ${db.inByteOrder('u.email_lookup')}`,
      [organizationId],
    );
    return rows.map((row) => USER.read(row));
  },
});
