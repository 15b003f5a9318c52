import type { Invitation, InvitationsStore } from '../accounts-store.js';
import { MAX_PENDING_INVITATIONS } from '../limits.js';
import { ORGANIZATION, USER, joinOrganization } from './accounts.js';
import { type Db, shape } from './db.js';

const INVITATION = shape(
  ['id', 'organization_id', 'invited_by', 'created_at', 'expires_at'],
  (v, at): Invitation => ({
    id: v[at] as string,
    organizationId: v[at + 1] as string,
    invitedBy: v[at + 2] as string,
    createdAt: Number(v[at + 3]),
    expiresAt: Number(v[at + 4]),
  }),
);

/** Unexpired, and its maker still a member, unblocked (accounts-store.ts). One `now` parameter. */
const GOOD = `i.expires_at > ? AND EXISTS (
  SELECT 1 FROM memberships m JOIN users u ON u.id = m.user_id
   WHERE m.organization_id = i.organization_id AND m.user_id = i.invited_by AND u.blocked_at IS NULL)`;

/**
 * PostgreSQL: holds the organization's row until the commit, as `removeMember` does, so a count
 * of its invitations, or a look at its members, stays true until this transaction ends.
 */
const holdOrganization = async (tx: Db, organizationId: string) => {
  if (tx.engine === 'postgres') await tx.get('SELECT 1 AS one FROM organizations WHERE id = ? FOR NO KEY UPDATE', [organizationId]);
};

export const invitations = (db: Db): InvitationsStore => ({
  create(invitation, tokenHash, now) {
    return db.transaction(async (tx) => {
      await holdOrganization(tx, invitation.organizationId);
      const maker = await tx.get(
        'SELECT 1 AS one FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.organization_id = ? AND m.user_id = ? AND u.blocked_at IS NULL',
        [invitation.organizationId, invitation.invitedBy],
      );
      if (!maker) return 'not_member';
      const pending = await tx.get<{ n: number }>(`SELECT COUNT(*) AS n FROM organization_invitations i WHERE i.organization_id = ? AND ${GOOD}`, [invitation.organizationId, now]);
      if (Number(pending?.n ?? 0) >= MAX_PENDING_INVITATIONS) return 'too_many';
      const inserted = await tx.run(
        `INSERT INTO organization_invitations (id, token_hash, organization_id, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO NOTHING`,
        [invitation.id, tokenHash, invitation.organizationId, invitation.invitedBy, invitation.createdAt, invitation.expiresAt],
      );
      return inserted > 0 ? 'created' : 'exists';
    });
  },
  async find(tokenHash, now) {
    const row = await db.getValues(
      `SELECT ${INVITATION.select('i')}, ${ORGANIZATION.select('o')}, ${USER.select('u')} FROM organization_invitations i
         JOIN organizations o ON o.id = i.organization_id JOIN users u ON u.id = i.invited_by
        WHERE i.token_hash = ? AND ${GOOD}`,
      [tokenHash, now],
    );
    if (!row) return undefined;
    return { invitation: INVITATION.read(row), organization: ORGANIZATION.read(row, INVITATION.width), invitedBy: USER.read(row, INVITATION.width + ORGANIZATION.width) };
  },
  async listPending(organizationId, now) {
    const rows = await db.allValues(
      `SELECT ${INVITATION.select('i')}, ${USER.select('u')} FROM organization_invitations i JOIN users u ON u.id = i.invited_by
        WHERE i.organization_id = ? AND ${GOOD} ORDER BY i.created_at DESC, i.id DESC`,
      [organizationId, now],
    );
    return rows.map((row) => ({ invitation: INVITATION.read(row), invitedBy: USER.read(row, INVITATION.width) }));
  },
  async withdraw(organizationId, invitationId) {
    return (await db.run('DELETE FROM organization_invitations WHERE id = ? AND organization_id = ?', [invitationId, organizationId])) > 0;
  },
  accept(tokenHash, userId, now) {
    return db.transaction(async (tx) => {
      // PostgreSQL: of two acceptances at once, the second waits on the row and then finds it gone.
      const lock = tx.engine === 'postgres' ? ' FOR UPDATE OF i' : '';
      const found = await tx.get<{ id: string; organization_id: string }>(
        `SELECT i.id, i.organization_id FROM organization_invitations i WHERE i.token_hash = ? AND ${GOOD}${lock}`,
        [tokenHash, now],
      );
      if (!found) return { result: 'invalid' as const };
      await holdOrganization(tx, found.organization_id);
      const row = await tx.getValues(`SELECT ${ORGANIZATION.select('o')} FROM organizations o WHERE o.id = ?`, [found.organization_id]);
      if (!row) return { result: 'invalid' as const };
      const organization = ORGANIZATION.read(row);
      const member = await tx.get('SELECT 1 AS one FROM memberships WHERE user_id = ? AND organization_id = ?', [userId, organization.id]);
      if (member) return { result: 'already_member' as const, organization };
      await tx.run('DELETE FROM organization_invitations WHERE id = ?', [found.id]);
      await joinOrganization(tx, userId, organization.id, now);
      return { result: 'joined' as const, organization };
    });
  },
});
