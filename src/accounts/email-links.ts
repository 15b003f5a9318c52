/**
 * Links sent by mail: confirming that an address is the user's (the `email_verified` claim of
 * userinfo and id_tokens, OIDC Core §5.1), and setting a new password without the old one. A
 * link is a bearer credential (`polar_ev_…`, `polar_pr_…`), stored as its HMAC only, for one use;
 * a user's newest link of each kind replaces the one before; at most one mail of each kind goes
 * to a user per minute, and five requests for one an hour. Opening a link only shows a form: mail
 * scanners fetch links, and must not spend them (the form's POST does).
 */
import { timeOrderedId } from '../oauth/ids.js';
import type { CredentialKind } from '../oauth/credentials.js';
import { passwordChangedMail, resetPasswordMail, verifyEmailMail } from '../mail/messages.js';
import type { EmailLinkPurpose, User } from '../store/store.js';
import { type AccountsDeps, isMailable, passwordProblem } from './accounts.js';
import { hashPassword } from './passwords.js';
import { emailKey } from './sign-in.js';

/** Long enough for a mail that arrives late; the link proves only what the address received. */
export const VERIFY_EMAIL_LIFETIME = 24 * 3600;
/** Short, as OWASP's Forgot Password Cheat Sheet asks: the link is as good as the password. */
export const RESET_PASSWORD_LIFETIME = 3600;
/** Seconds between two mails of one kind to one user. */
export const MAIL_INTERVAL = 60;
/**
 * Requests for mails of one kind to one user per hour, counted before the minute's check: with
 * one a minute alone, anyone who knows an address could have sixty mails an hour sent to it. The
 * person still holds the newest link mailed, good for an hour at least.
 */
export const MAIL_REQUESTS_PER_HOUR = 5;
const HOUR = 3600;

/** Where the links lead; the token is in the query, which request logs leave out (app.ts). */
export const VERIFY_EMAIL_PATH = '/verify-email';
export const RESET_PASSWORD_PATH = '/reset-password';

const KIND: Record<EmailLinkPurpose, CredentialKind> = { verify_email: 'emailVerification', reset_password: 'passwordReset' };

/**
 * `too_soon`: within MAIL_INTERVAL of the last mail; `too_many`: past MAIL_REQUESTS_PER_HOUR;
 * `unmailable`: an address made before the rule that every address be one mail can go to alone (accounts.ts).
 */
export type MailOutcome = 'sent' | 'too_soon' | 'too_many' | 'no_user' | 'unmailable';

/**
 * Stores a new link for `user` and mails it. The link is stored first: a mail that goes out holds
 * a link that works. When the relay refuses, the error is thrown (MailError) and the link stays,
 * unsent, until a newer one replaces it.
 */
async function mailLink(deps: AccountsDeps, user: User, purpose: EmailLinkPurpose): Promise<MailOutcome> {
  const mail = deps.mail;
  if (!mail) throw new Error('no mail relay is configured');
  if (!isMailable(user.email)) return 'unmailable';
  const now = deps.now();
  // Counted in the database: one limit across every instance (limits.ts).
  const { hits } = await deps.store.rateLimits.hit(`mail ${purpose} ${user.id}`, now * 1000, HOUR * 1000);
  if (hits > MAIL_REQUESTS_PER_HOUR) return 'too_many';
  const token = deps.credentials.mint(KIND[purpose]);
  const lifetime = purpose === 'verify_email' ? VERIFY_EMAIL_LIFETIME : RESET_PASSWORD_LIFETIME;
  const link = { id: timeOrderedId(), purpose, userId: user.id, email: user.email, createdAt: now, expiresAt: now + lifetime };
  const outcome = await deps.store.emailLinks.create(link, deps.credentials.hash(token), MAIL_INTERVAL);
  if (outcome !== 'created') return outcome;
  const path = purpose === 'verify_email' ? VERIFY_EMAIL_PATH : RESET_PASSWORD_PATH;
  const url = `${mail.publicUrl}${path}?token=${token}`;
  const message = purpose === 'verify_email' ? verifyEmailMail(user.email, url, mail.publicUrl) : resetPasswordMail(user.email, url, mail.publicUrl);
  await mail.mailer.send(message);
  deps.audit.record({ audit: purpose === 'verify_email' ? 'email.verification_sent' : 'password.reset_requested', user_id: user.id });
  return 'sent';
}

/** A link to confirm the user's address, unless it is confirmed already. */
export async function sendVerificationMail(deps: AccountsDeps, user: User): Promise<MailOutcome | 'verified'> {
  if (user.emailVerified) return 'verified';
  return mailLink(deps, user, 'verify_email');
}

/** "Forgot your password?": a link to the account with that address, if there is one (the caller says the same either way). */
export async function requestPasswordReset(deps: AccountsDeps, email: string): Promise<MailOutcome> {
  const user = await deps.store.users.findByEmail(email.trim());
  return user ? sendPasswordResetMail(deps, user) : 'no_user';
}

/** The reset link mailed on an operator's request (the admin API), to a user already found. */
export async function sendPasswordResetMail(deps: AccountsDeps, user: User): Promise<MailOutcome> {
  if (user.blockedAt !== null) return 'no_user';
  return mailLink(deps, user, 'reset_password');
}

/**
 * Tells the owner their password was changed (OWASP Forgot Password Cheat Sheet), by them or by
 * whoever had their password or mailbox, with the way back in. Nothing when no relay is set.
 */
export async function notifyPasswordChanged(deps: AccountsDeps, user: User, by: 'user' | 'reset_link' | 'operator'): Promise<void> {
  if (!deps.mail || !isMailable(user.email)) return;
  await deps.mail.mailer.send(passwordChangedMail(user.email, deps.mail.publicUrl, by));
}

/** The user a good link of that purpose is for, or undefined (malformed, unknown, used, replaced, expired). */
export async function findEmailLink(deps: AccountsDeps, token: string, purpose: EmailLinkPurpose): Promise<User | undefined> {
  if (!deps.credentials.isWellFormed(token, KIND[purpose])) return undefined;
  return (await deps.store.emailLinks.find(deps.credentials.hash(token), purpose, deps.now()))?.user;
}

export async function verifyEmail(deps: AccountsDeps, token: string): Promise<User | undefined> {
  if (!deps.credentials.isWellFormed(token, 'emailVerification')) return undefined;
  const user = await deps.store.emailLinks.verifyEmail(deps.credentials.hash(token), deps.now());
  if (user) deps.audit.record({ audit: 'email.verified', user_id: user.id });
  return user;
}

/**
 * Sets a new password through a reset link (accounts-store.ts `resetPassword`): every session
 * ends; on an address not confirmed before, so do the tokens and consents, and with
 * `endAppAccess` the tokens of a confirmed one. The address's sign-in lock is lifted: the reset
 * is how a locked-out person gets back in. Throws AccountError for a password too short;
 * undefined when the link is no good.
 */
export async function resetPassword(
  deps: AccountsDeps,
  token: string,
  password: string,
  options: { endAppAccess?: boolean } = {},
): Promise<{ user: User; tokensRevoked: boolean } | undefined> {
  const problem = passwordProblem(password);
  if (problem) throw problem;
  if (!deps.credentials.isWellFormed(token, 'passwordReset')) return undefined;
  const reset = await deps.store.emailLinks.resetPassword(deps.credentials.hash(token), await hashPassword(password), deps.now(), options);
  if (!reset) return undefined;
  await deps.store.signInThrottle.clear(emailKey(reset.user.email));
  deps.audit.record({ audit: 'password.changed', user_id: reset.user.id, by: 'reset_link', tokens_revoked: reset.tokensRevoked });
  return reset;
}
