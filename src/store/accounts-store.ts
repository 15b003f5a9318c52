/**
 * The storage port's accounts: users, organizations and web sessions (store.ts re-exports them,
 * so the rest of the code imports one port).
 */

export interface User {
  id: string;
  email: string;
  emailVerified: boolean;
  passwordHash: string | null;
  name: string | null;
  avatarUrl: string | null;
  createdAt: number;
  blockedAt: number | null;
}

export interface Organization {
  id: string;
  slug: string;
  name: string;
  avatarUrl: string | null;
  createdAt: number;
}

export interface Session {
  id: string;
  userId: string;
  /** When the user authenticated (OIDC `auth_time`, D9). */
  createdAt: number;
  expiresAt: number;
  /** Organization down-scope of the session; empty means unrestricted (§2.4). */
  organizationIds: string[];
}

/** Where a session was started from, as the browser said: shown to its person, never trusted. */
export interface SessionOrigin {
  ip: string | null;
  userAgent: string | null;
}

export interface UsersStore {
  create(user: User): Promise<void>;
  findByEmail(email: string): Promise<User | undefined>;
  /** Not an erased one (`erase`). */
  findById(id: string): Promise<User | undefined>;
  /**
   * Blocks the user and, in the same transaction, ends everything they hold: sessions, unused
   * codes, every token and the invitation links they made. Unblocking revives none of it.
   * Returns false if already blocked.
   */
  block(userId: string, now: number): Promise<boolean>;
  /** Lets the user sign in again; returns false if they were not blocked. */
  unblock(userId: string): Promise<boolean>;
  /**
   * Replaces the password hash and, in the same transaction, ends every web session of the user.
   * Their tokens stay (apps act for the user, not the password) unless `revokeTokensAt` is given:
   * then their unused codes are spent, every token revoked and their invitation links deleted,
   * as `block` does. False when there is no such user, or when `ifHash` is given and is no
   * longer their hash.
   */
  setPassword(userId: string, passwordHash: string, options?: { ifHash?: string; revokeTokensAt?: number }): Promise<boolean>;
  /**
   * The same password hashed again at today's cost (passwords.ts `needsRehash`): nothing else
   * changes, no session ends. False when the stored hash is no longer `from` (changed meanwhile).
   */
  rehashPassword(userId: string, from: string, to: string): Promise<boolean>;
  /**
   * Deletes the account in one transaction: the apps the user owns are deleted (their codes
   * spent and tokens revoked, D12, whoever holds them); their sessions, consents, memberships,
   * invitation links and mailed links go; their codes are spent and tokens revoked; what
   * identified them (address, name, avatar, password, the addresses in their security events) is
   * erased. The id stays, blocked, and is
   * found no more (`findById`); the address is free for a new account. Organizations stay, even
   * left without members. Undefined when there is no such user.
   */
  erase(userId: string, now: number): Promise<{ clientIds: string[] } | undefined>;
}

export interface OrganizationsStore {
  /** False, storing nothing, when the owner's account was deleted (an organization is never left with an erased member). */
  create(org: Organization, ownerId: string): Promise<boolean>;
  findBySlug(slug: string): Promise<Organization | undefined>;
  findById(id: string): Promise<Organization | undefined>;
  /**
   * Idempotent. First ends the user's tokens and codes that name the organization and act on
   * nothing (one a removal could not see), so that the membership revives none.
   */
  addMember(organizationId: string, userId: string, now: number): Promise<void>;
  /**
   * Ends a membership, and the user's tokens and unused codes it leaves with no organization of
   * their down-scope (docs/compatibility.md), and the invitation links they made to it.
   * `keepLastMember`: an only member stays (`last_member`).
   */
  removeMember(organizationId: string, userId: string, now: number, options?: { keepLastMember?: boolean }): Promise<'removed' | 'not_member' | 'last_member'>;
  listForUser(userId: string): Promise<Organization[]>;
  /** Members of an organization, by email. */
  listMembers(organizationId: string): Promise<User[]>;
}

export interface SessionsStore {
  /**
   * False, storing nothing, when the user is blocked or gone (atomic with `users.block`), or when
   * `passwordHash` (the one the sign-in checked) is no longer theirs (atomic with
   * `users.setPassword`); ends their oldest past MAX_SESSIONS_PER_USER.
   */
  create(session: Session, tokenHash: string, passwordHash?: string, origin?: SessionOrigin): Promise<boolean>;
  /** The live (unexpired) session with that token hash, and its user. */
  findActive(tokenHash: string, now: number): Promise<{ session: Session; user: User } | undefined>;
  delete(tokenHash: string): Promise<void>;
  /** The user's live sessions, newest first, each with where it started. */
  listForUser(userId: string, now: number): Promise<(Session & SessionOrigin)[]>;
  /** Ends the user's live session with that id: false when they have none such (another's, expired or gone). */
  end(userId: string, sessionId: string, now: number): Promise<boolean>;
  /** Ends every live session of the user but `keepId`; how many ended (expired ones are left to the cleanup). */
  endAllBut(userId: string, keepId: string, now: number): Promise<number>;
}

/** An invitation link to join an organization; its token is stored as an HMAC only. */
export interface Invitation {
  id: string;
  organizationId: string;
  /** The member who made it: it works only while they are a member, unblocked. */
  invitedBy: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * Invitations are good while unexpired and while the member who made them still belongs to the
 * organization, unblocked: a member removed cannot come back through a link made before. Removing
 * or blocking the maker deletes their links too (`removeMember`, `users.block`), so neither adding
 * them back nor unblocking them revives one.
 */
export interface InvitationsStore {
  /**
   * Stores it if its maker is a member, unblocked, and the organization has fewer than
   * MAX_PENDING_INVITATIONS good ones: 'created', 'not_member' or 'too_many'; 'exists' when one
   * with its id was stored before (the form that made it sent again), writing nothing.
   */
  create(invitation: Invitation, tokenHash: string, now: number): Promise<'created' | 'not_member' | 'too_many' | 'exists'>;
  /** The good invitation with that token, its organization and who made it. */
  find(tokenHash: string, now: number): Promise<{ invitation: Invitation; organization: Organization; invitedBy: User } | undefined>;
  /** An organization's good invitations, newest first, with who made each. */
  listPending(organizationId: string, now: number): Promise<{ invitation: Invitation; invitedBy: User }[]>;
  /** Deletes one of the organization's invitations; false when there was none. */
  withdraw(organizationId: string, invitationId: string): Promise<boolean>;
  /**
   * Spends a good invitation and makes the user a member, in one transaction, as `addMember`
   * does; of users accepting one at once, one joins. An invitation to an organization the user
   * already belongs to is left unspent: 'joined', 'already_member' or 'invalid' (none good).
   */
  accept(tokenHash: string, userId: string, now: number): Promise<{ result: 'joined' | 'already_member'; organization: Organization } | { result: 'invalid' }>;
}

/** What a link sent by mail lets its holder do (accounts/email-links.ts). */
export type EmailLinkPurpose = 'verify_email' | 'reset_password';

/** A link sent by mail; its token is stored as an HMAC only. */
export interface EmailLink {
  id: string;
  purpose: EmailLinkPurpose;
  userId: string;
  /** The address it was sent to: it proves that address, and only while it is still the user's. */
  email: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * A link is good while unexpired, its user unblocked and still at the address it was sent to.
 * Only a user's newest link of each purpose is kept: a new one replaces the one before.
 */
export interface EmailLinksStore {
  /**
   * Stores the link, replacing the user's earlier one of its purpose, if the user is unblocked
   * and still at `link.email`: 'created'; 'too_soon' (nothing stored) when that earlier one is
   * younger than `minInterval` seconds, so that no one floods a mailbox; 'no_user' otherwise.
   */
  create(link: EmailLink, tokenHash: string, minInterval: number): Promise<'created' | 'too_soon' | 'no_user'>;
  /** The good link with that token and purpose, and its user. */
  find(tokenHash: string, purpose: EmailLinkPurpose, now: number): Promise<{ link: EmailLink; user: User } | undefined>;
  /** Spends a good `verify_email` link and marks the address verified; of several at once, one. Undefined when none is good. */
  verifyEmail(tokenHash: string, now: number): Promise<User | undefined>;
  /**
   * Spends a good `reset_password` link and sets the password hash, in one transaction: every
   * session of the user ends and the address is marked verified (the link proved it). When it
   * was not verified before, whoever set the account up had not proved the address, so their
   * tokens, codes, invitation links and consents end too (`tokensRevoked`); `endAppAccess` ends
   * the tokens, codes and invitation links of a verified one (a stolen password). Of several at once, one.
   */
  resetPassword(tokenHash: string, passwordHash: string, now: number, options?: { endAppAccess?: boolean }): Promise<{ user: User; tokensRevoked: boolean } | undefined>;
}
