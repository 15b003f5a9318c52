/**
 * Invitation links to join an organization. A member makes a link and passes it on over any
 * channel, with or without a mail relay (as Slack's and Discord's invite links); whoever opens it signed in, and accepts,
 * becomes a member. A link is a bearer credential: `polar_oi_…`, stored as its HMAC only, good
 * for seven days and for one acceptance, withdrawable, and good only while the member who made
 * it still belongs to the organization (a member removed cannot come back through it).
 */
import { timeOrderedId } from '../oauth/ids.js';
import type { Invitation, Organization, User } from '../store/store.js';
import { AccountError, type AccountsDeps } from './accounts.js';

export const INVITATION_LIFETIME = 7 * 24 * 3600;

/**
 * A new invitation by `user` to an organization they belong to; the token is returned once.
 * `id`: the one the page's form was given, so that the form sent again makes no second link
 * (undefined then: the link was shown to the first sending).
 */
export async function inviteToOrganization(
  deps: AccountsDeps,
  user: User,
  organizationId: string,
  id: string = timeOrderedId(),
): Promise<{ token: string; invitation: Invitation } | undefined> {
  const token = deps.credentials.mint('organizationInvitation');
  const now = deps.now();
  const invitation: Invitation = { id, organizationId, invitedBy: user.id, createdAt: now, expiresAt: now + INVITATION_LIFETIME };
  const outcome = await deps.store.invitations.create(invitation, deps.credentials.hash(token), now);
  if (outcome === 'not_member') throw new AccountError('You are not a member of that organization.');
  if (outcome === 'too_many') throw new AccountError('This organization has as many invitations waiting as it may: withdraw one first.');
  if (outcome !== 'created') return undefined;
  deps.audit.record({ audit: 'invitation.created', organization_id: organizationId, invitation_id: id, user_id: user.id });
  return { token, invitation };
}

/** A member withdraws one of the organization's invitations; false when there was none. */
export async function withdrawInvitation(deps: AccountsDeps, user: User, organizationId: string, invitationId: string): Promise<boolean> {
  if (!(await deps.store.invitations.withdraw(organizationId, invitationId))) return false;
  deps.audit.record({ audit: 'invitation.withdrawn', organization_id: organizationId, invitation_id: invitationId, user_id: user.id });
  return true;
}

/** The good invitation a link names, or undefined (malformed, unknown, used, withdrawn, expired, or its maker gone). */
export async function findInvitation(deps: AccountsDeps, token: string): Promise<{ invitation: Invitation; organization: Organization; invitedBy: User } | undefined> {
  if (!deps.credentials.isWellFormed(token, 'organizationInvitation')) return undefined;
  return deps.store.invitations.find(deps.credentials.hash(token), deps.now());
}

export type Acceptance = { result: 'joined' | 'already_member'; organization: Organization } | { result: 'invalid' };

export async function acceptInvitation(deps: AccountsDeps, user: User, token: string): Promise<Acceptance> {
  if (!deps.credentials.isWellFormed(token, 'organizationInvitation')) return { result: 'invalid' };
  const accepted = await deps.store.invitations.accept(deps.credentials.hash(token), user.id, deps.now());
  if (accepted.result === 'joined') deps.audit.record({ audit: 'organization.member_added', organization_id: accepted.organization.id, user_id: user.id, via: 'invitation' });
  return accepted;
}
