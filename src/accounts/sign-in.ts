/**
 * Password sign-in with lockout (OWASP authentication guidance): failures are counted per email
 * and per IP address in the database, so every instance enforces the same limits. A locked
 * account or address is refused before the password is checked.
 */
import type { User } from '../store/store.js';
import { type AccountsDeps, authenticate } from './accounts.js';

export const SIGN_IN_POLICY = {
  email: { window: 15 * 60, maxFailures: 5, lockFor: 15 * 60 },
  ip: { window: 15 * 60, maxFailures: 20, lockFor: 15 * 60 },
} as const;

export type SignInResult = { ok: true; user: User } | { ok: false; lockedUntil: number };

const emailKey = (email: string) => `email:${email.trim().toLowerCase()}`;
const ipKey = (ip: string) => `ip:${ip}`;

export async function signInWithPassword(deps: AccountsDeps, email: string, password: string, ip: string): Promise<SignInResult> {
  const throttle = deps.store.signInThrottle;
  const now = deps.now();
  const locked = await throttle.lockedUntil([emailKey(email), ipKey(ip)], now);
  if (locked > now) return { ok: false, lockedUntil: locked };
  const user = await authenticate(deps, email, password);
  if (user) {
    await throttle.clear(emailKey(email));
    return { ok: true, user };
  }
  const lockedUntil = Math.max(
    await throttle.fail([emailKey(email)], now, SIGN_IN_POLICY.email),
    await throttle.fail([ipKey(ip)], now, SIGN_IN_POLICY.ip),
  );
  return { ok: false, lockedUntil };
}
