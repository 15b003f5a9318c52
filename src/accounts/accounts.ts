/**
 * Users, organizations and web sessions: the operations the CLI, the sign-in form and the
 * protocol core share.
 */
import { randomUUID } from 'node:crypto';
import type { Audit } from '../audit.js';
import type { Credentials } from '../oauth/credentials.js';
import type { Mailer } from '../mail/mail.js';
import type { Organization, Store, User } from '../store/store.js';
import { DUMMY_HASH, hashPassword, needsRehash, passwordLength, verifyPassword } from './passwords.js';

/** `field`: the form field the error is about, when there is one (the pages mark it). */
export class AccountError extends Error {
  constructor(
    message: string,
    readonly field?: 'email' | 'password' | 'name' | 'slug',
    /** The value is another account's or organization's already (the admin API's 409). */
    readonly taken = false,
  ) {
    super(message);
  }
}

/**
 * Dot-separated labels after the `@`: each character has one place to go, so no backtracking.
 * An address as a mail header can carry it: no whitespace, and none of the characters that
 * separate or quote addresses there (commas, semicolons, colons, angle brackets, parentheses,
 * square brackets, backslashes, double quotes), which a mailer reads as a list or a display name
 * and delivers elsewhere. Polar's EmailStr (email-validator) refuses them too.
 */
const EMAIL = /^[^\s@,;:<>()[\]\\"]+@[^\s@,;:<>()[\]\\".]+(?:\.[^\s@,;:<>()[\]\\".]+)+$/;
const INVISIBLE = /[\p{Cc}\p{Cf}]/u;
/** Whether mail can go to `email` as it is, and to it alone (accounts made before the rule above may not). */
export const isMailable = (email: string) => EMAIL.test(email) && !INVISIBLE.test(email);

export const MAX_ORGANIZATION_NAME = 255;
export const MIN_PASSWORD = 8;
const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
/**
 * Half a UTF-16 pair alone (a JSON `\ud800` escape; a form's strict UTF-8 cannot carry one): no
 * text. SQLite would store bytes no lookup matches, PostgreSQL a U+FFFD that differs from the input.
 */
const UNPAIRED = /\p{Cs}/u;

export const passwordProblem = (password: string): AccountError | undefined =>
  passwordLength(password) < MIN_PASSWORD
    ? new AccountError(`The password must be at least ${MIN_PASSWORD} characters.`, 'password')
    : UNPAIRED.test(password)
      ? new AccountError('The password must be text.', 'password')
      : undefined;

/** Every rule a new user breaks, in field order: the pages show the first, the admin API lists them all. */
export function newUserProblems(input: { email: string; password: string; name?: string | null | undefined }): AccountError[] {
  const problems: AccountError[] = [];
  const email = input.email.trim();
  // Controls and invisible format characters (zero-width spaces, bidi marks) would make a second
  // account for an address that reads the same as another's.
  if (email.length > 320 || !EMAIL.test(email) || INVISIBLE.test(email) || UNPAIRED.test(email)) {
    problems.push(new AccountError('A valid email address is required.', 'email'));
  }
  const password = passwordProblem(input.password);
  if (password) problems.push(password);
  if (input.name && UNPAIRED.test(input.name)) problems.push(new AccountError('The name must be text.', 'name'));
  return problems;
}

/** Every rule a new organization breaks, in field order. */
export function newOrganizationProblems(input: { slug: string; name: string }): AccountError[] {
  const problems: AccountError[] = [];
  if (!SLUG.test(input.slug)) problems.push(new AccountError('The slug must be lowercase letters, digits and dashes.', 'slug'));
  const name = input.name.trim();
  if (!name) problems.push(new AccountError('The organization needs a name.', 'name'));
  // Shown on every member's consent page and stored for anyone who signs up: bounded as client_name is.
  else if ([...name].length > MAX_ORGANIZATION_NAME) problems.push(new AccountError(`The organization name must be at most ${MAX_ORGANIZATION_NAME} characters.`, 'name'));
  else if (UNPAIRED.test(name)) problems.push(new AccountError('The organization name must be text.', 'name'));
  return problems;
}

export interface AccountsDeps {
  store: Store;
  credentials: Credentials;
  now: () => number;
  /** Security events (audit.ts). */
  audit: Audit;
  /** Mail for links that prove an address (email-links.ts); undefined when none is configured. */
  mail?: { mailer: Mailer; publicUrl: string } | undefined;
}

/**
 * A look-up before an insert cannot decide between requests in flight together; the unique index
 * does. A failed insert whose value now exists lost such a race: the ordinary answer, not a 500.
 */
async function afterRace<T>(insert: Promise<T>, taken: () => Promise<boolean>, refusal: AccountError): Promise<T> {
  try {
    return await insert;
  } catch (error) {
    if (await taken()) throw refusal;
    throw error;
  }
}

export async function createUser(
  deps: AccountsDeps,
  input: { email: string; password: string; name?: string | undefined; emailVerified?: boolean | undefined },
): Promise<User> {
  const [problem] = newUserProblems(input);
  if (problem) throw problem;
  const email = input.email.trim();
  if (await deps.store.users.findByEmail(email)) throw new AccountError('A user with this email already exists.', 'email', true);
  const user: User = {
    id: randomUUID(),
    email,
    // Only an operator says so (CLI, admin API): a platform provisioning people whose addresses it checked.
    emailVerified: input.emailVerified === true,
    passwordHash: await hashPassword(input.password),
    name: input.name?.trim() || null,
    avatarUrl: null,
    createdAt: deps.now(),
    blockedAt: null,
  };
  await afterRace(deps.store.users.create(user), async () => (await deps.store.users.findByEmail(email)) !== undefined, new AccountError('A user with this email already exists.', 'email', true));
  return user;
}

/** The user an operator names by email (CLI), or an AccountError saying there is none. */
export async function userByEmail(deps: AccountsDeps, email: string): Promise<User> {
  const user = await deps.store.users.findByEmail(email);
  if (!user) throw new AccountError(`No user with email ${email}.`);
  return user;
}

/**
 * `owner` is a user already resolved: the signed-in one (by its session, never again by email,
 * which after migration 009 may lead to another account), or the one the CLI names.
 */
export async function createOrganization(deps: AccountsDeps, input: { slug: string; name: string; owner: User }): Promise<Organization> {
  const { owner } = input;
  const [problem] = newOrganizationProblems(input);
  if (problem) throw problem;
  if (await deps.store.organizations.findBySlug(input.slug)) throw new AccountError(`The slug ${input.slug} is taken.`, 'slug', true);
  const org: Organization = { id: randomUUID(), slug: input.slug, name: input.name.trim(), avatarUrl: null, createdAt: deps.now() };
  const taken = new AccountError(`The slug ${input.slug} is taken.`, 'slug', true);
  const stored = await afterRace(deps.store.organizations.create(org, owner.id), async () => (await deps.store.organizations.findBySlug(input.slug)) !== undefined, taken);
  // The owner's account was deleted since it was found.
  if (!stored) throw new AccountError(`No user with id ${owner.id}.`);
  return org;
}

async function organizationBySlug(deps: AccountsDeps, slug: string): Promise<Organization> {
  const organization = await deps.store.organizations.findBySlug(slug);
  if (!organization) throw new AccountError(`No organization with slug ${slug}.`);
  return organization;
}

/** An organization and its members, by email. */
export async function membersOf(deps: AccountsDeps, slug: string): Promise<{ organization: Organization; members: User[] }> {
  const organization = await organizationBySlug(deps, slug);
  return { organization, members: await deps.store.organizations.listMembers(organization.id) };
}

export async function addMember(deps: AccountsDeps, input: { slug: string; email: string }): Promise<{ organization: Organization; user: User }> {
  const organization = await organizationBySlug(deps, input.slug);
  const user = await userByEmail(deps, input.email);
  await addMemberTo(deps, organization, user);
  return { organization, user };
}

/** The operator adds a user already found (the CLI by email, the admin API by id). Idempotent. */
export async function addMemberTo(deps: AccountsDeps, organization: Organization, user: User): Promise<void> {
  await deps.store.organizations.addMember(organization.id, user.id, deps.now());
  deps.audit.record({ audit: 'organization.member_added', organization_id: organization.id, user_id: user.id, via: 'operator' });
}

/** The operator ends a membership; false when the user was not a member. */
export async function removeMemberFrom(deps: AccountsDeps, organization: Organization, userId: string): Promise<boolean> {
  if ((await deps.store.organizations.removeMember(organization.id, userId, deps.now())) === 'not_member') return false;
  deps.audit.record({ audit: 'organization.member_removed', organization_id: organization.id, user_id: userId, via: 'operator' });
  return true;
}

/**
 * Ends a membership. The user's tokens and codes down-scoped to the organization lose it at once,
 * and those left acting on no organization are revoked (docs/compatibility.md).
 */
export async function removeMember(deps: AccountsDeps, input: { slug: string; email: string }): Promise<{ organization: Organization; user: User }> {
  const organization = await organizationBySlug(deps, input.slug);
  const user = await userByEmail(deps, input.email);
  if (!(await removeMemberFrom(deps, organization, user.id))) throw new AccountError(`${user.email} is not a member of ${organization.slug}.`);
  return { organization, user };
}

/**
 * A member leaving an organization (/settings/organizations), with what a removal ends. Its only
 * member cannot leave: nobody could act for it again, nor add anyone to it.
 */
export async function leaveOrganization(deps: AccountsDeps, user: User, organizationId: string): Promise<void> {
  const outcome = await deps.store.organizations.removeMember(organizationId, user.id, deps.now(), { keepLastMember: true });
  if (outcome === 'not_member') throw new AccountError('You are not a member of that organization.');
  if (outcome === 'last_member') throw new AccountError('You are the only member of that organization, so you cannot leave it.');
  deps.audit.record({ audit: 'organization.member_removed', organization_id: organizationId, user_id: user.id, via: 'left' });
}

/**
 * A new password, set by the operator (`users set-password`) or by the user on their account page,
 * who starts a new session after it: every session of the user ends, so none a thief held, or a
 * copy of its cookie, outlives the change. `ifHash`: the hash the user's current password was
 * checked against; a change made meanwhile (by another session) wins, and this one is refused.
 * `revokeTokens` (the operator's recovery after a compromise) also ends every grant, as a block does.
 */
export async function setPassword(deps: AccountsDeps, user: User, password: string, options: { ifHash?: string; revokeTokens?: boolean } = {}): Promise<void> {
  const problem = passwordProblem(password);
  if (problem) throw problem;
  const write = { ...(options.ifHash === undefined ? {} : { ifHash: options.ifHash }), ...(options.revokeTokens ? { revokeTokensAt: deps.now() } : {}) };
  if (!(await deps.store.users.setPassword(user.id, await hashPassword(password), write))) {
    throw new AccountError(options.ifHash === undefined ? 'No such user.' : 'Your password was changed meanwhile: sign in again.');
  }
  // The user's own change checks their current password (`ifHash`); the operator's does not.
  deps.audit.record({ audit: 'password.changed', user_id: user.id, by: options.ifHash === undefined ? 'operator' : 'user', tokens_revoked: options.revokeTokens === true });
}

/**
 * An operator's block: the user can no longer sign in, and everything they hold ends at once
 * (sessions, unused codes, every token), so no resource server keeps accepting them.
 * `changed` is false when they were already blocked (or, for unblock, not blocked).
 */
export async function setBlocked(deps: AccountsDeps, email: string, blocked: boolean): Promise<{ user: User; changed: boolean }> {
  const user = await userByEmail(deps, email.trim());
  return { user, changed: await blockUser(deps, user, blocked) };
}

/** `setBlocked` for a user already found (the admin API names them by id). */
export async function blockUser(deps: AccountsDeps, user: User, blocked: boolean): Promise<boolean> {
  const changed = blocked ? await deps.store.users.block(user.id, deps.now()) : await deps.store.users.unblock(user.id);
  if (changed) deps.audit.record({ audit: blocked ? 'user.blocked' : 'user.unblocked', user_id: user.id });
  return changed;
}

/**
 * Deletes the account (GDPR Art. 17; store: users.erase), by its person or an operator, with how
 * many apps it owned; undefined when there was none to delete. Its security events stay, naming
 * an id that names no one any more.
 */
export async function deleteAccount(deps: AccountsDeps, user: User, by: 'user' | 'operator'): Promise<{ appsDeleted: number } | undefined> {
  // Events still being written (the sign-in that checked the password) are stored first, so the
  // erasure clears their addresses too.
  await deps.audit.settled();
  const erased = await deps.store.users.erase(user.id, deps.now());
  if (!erased) return undefined;
  for (const clientId of erased.clientIds) deps.audit.record({ audit: 'client.deleted', client_id: clientId });
  deps.audit.record({ audit: 'user.deleted', user_id: user.id, by, apps_deleted: erased.clientIds.length });
  return { appsDeleted: erased.clientIds.length };
}

/**
 * Checks the password; an unknown email costs the same scrypt work as a wrong password. A hash of
 * an earlier cost is made again now that the password is known (OWASP: upgrade on login), and the
 * user is returned with the hash as stored, which a session and a password change are checked
 * against. Were it hashed again meanwhile by a sign-in at the same time, the new hash is checked.
 */
export async function authenticate(deps: AccountsDeps, email: string, password: string): Promise<User | undefined> {
  const user = await deps.store.users.findByEmail(email.trim());
  const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (!ok || !user || user.blockedAt !== null || user.passwordHash === null) return undefined;
  if (!needsRehash(user.passwordHash)) return user;
  const passwordHash = await hashPassword(password);
  if (await deps.store.users.rehashPassword(user.id, user.passwordHash, passwordHash)) return { ...user, passwordHash };
  const now = await deps.store.users.findById(user.id);
  return now?.passwordHash && now.blockedAt === null && (await verifyPassword(password, now.passwordHash)) ? now : undefined;
}
