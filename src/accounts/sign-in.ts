/**
 * Password sign-in with lockout (OWASP authentication guidance): attempts are counted per email
 * and per IP address in the database, so every instance enforces the same limits. An attempt is
 * counted before its password is checked: a lock read first and a failure recorded after would
 * let every attempt sent at once through to the check. Past the maximum, nothing is checked.
 */
import { createHash } from 'node:crypto';
import { emailLookup } from '../store/email-lookup.js';
import type { User } from '../store/store.js';
import { type AccountsDeps, authenticate } from './accounts.js';
import { addressBlock } from './address-block.js';

export const SIGN_IN_POLICY = {
  email: { window: 15 * 60, maxFailures: 5, lockFor: 15 * 60 },
  ip: { window: 15 * 60, maxFailures: 20, lockFor: 15 * 60 },
} as const;

export type SignInResult = { ok: true; user: User } | { ok: false; lockedUntil: number };

/** Hashed: an email of any length makes a key PostgreSQL can index. Folded as accounts are found, so no spelling of one address escapes its count. */
export const emailKey = (email: string) => `email:${createHash('sha256').update(emailLookup(email.trim())).digest('hex')}`;
/** By the client's block (an IPv6 client's /64), not its address: a client has many of those. */
const ipKey = (ip: string) => `ip:${addressBlock(ip)}`;

/**
 * `reauthentication`: a signed-in person's password asked again before a change (account-pages.ts).
 * It counts toward the same limits, but a success is no sign-in: the change it allows is the event.
 */
export async function signInWithPassword(deps: AccountsDeps, email: string, password: string, ip: string, purpose: 'sign_in' | 'reauthentication' = 'sign_in'): Promise<SignInResult> {
  const throttle = deps.store.signInThrottle;
  const now = deps.now();
  const [byEmail, byIp] = [emailKey(email), ipKey(ip)];
  const refused = (lockedUntil: number, reason: 'wrong_credentials' | 'locked'): SignInResult => {
    deps.audit.record({ audit: 'sign_in.failed', reason, ip });
    return { ok: false, lockedUntil };
  };
  const locked = await throttle.lockedUntil([byEmail, byIp], now, Math.max(SIGN_IN_POLICY.email.lockFor, SIGN_IN_POLICY.ip.lockFor));
  if (locked > now) return refused(locked, 'locked');
  const emailCount = await throttle.attempt(byEmail, now, SIGN_IN_POLICY.email);
  const ipCount = await throttle.attempt(byIp, now, SIGN_IN_POLICY.ip);
  const lockedUntil = Math.max(emailCount.lockedUntil, ipCount.lockedUntil);
  if (emailCount.attempts > SIGN_IN_POLICY.email.maxFailures || ipCount.attempts > SIGN_IN_POLICY.ip.maxFailures) {
    return refused(lockedUntil, 'locked');
  }
  const user = await authenticate(deps, email, password);
  if (!user) return refused(lockedUntil, 'wrong_credentials');
  await throttle.clear(byEmail);
  await throttle.succeeded(byIp, SIGN_IN_POLICY.ip);
  if (purpose === 'sign_in') deps.audit.record({ audit: 'sign_in.succeeded', user_id: user.id, ip });
  return { ok: true, user };
}
