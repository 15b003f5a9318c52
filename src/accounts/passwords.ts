/**
 * Password hashing with scrypt from node:crypto (RFC 7914). Stored as `scrypt$N$r$p$salt$hash`,
 * so a hash keeps the parameters it was made with and is upgraded at the next sign-in
 * (`needsRehash`, accounts.ts `authenticate`).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { scryptOnThread } from './scrypt-threads.js';

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

/**
 * OWASP's Password Storage Cheat Sheet lists N=2^14, r=8, p=5 as equal in work to N=2^17, r=8,
 * p=1. Chosen for its memory: 16 MiB a hash (128·N·r), not 128 MiB, since sign-ins at once
 * each hold their own, and p's passes run one after another. Before 2026-12-01: p=1.
 */
export const SCRYPT_COST: ScryptCost = { N: 16384, r: 8, p: 5 };
const KEY_LENGTH = 32;

const derive = (password: string, salt: Buffer, { N, r, p }: ScryptCost): Promise<Buffer> =>
  scryptOnThread({ password: password.normalize('NFKC'), salt, keyLength: KEY_LENGTH, N, r, p });

/** `cost` other than the current one only to make the hashes of earlier releases in tests. */
export async function hashPassword(password: string, cost: ScryptCost = SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, cost);
  return `scrypt$${cost.N}$${cost.r}$${cost.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const cost = { N: Number(n), r: Number(r), p: Number(p) };
  const key = await derive(password, Buffer.from(salt, 'base64url'), cost);
  const ok = key.length === expected.length && timingSafeEqual(key, expected);
  const owed = ok ? undefined : owedWork(cost);
  if (owed) await derive(password, Buffer.alloc(16), owed);
  return ok;
}

/**
 * The scrypt work a failed check against a hash of an earlier cost still owes, so that it takes
 * as long as one at today's cost (an unknown email's, against DUMMY_HASH): a fast "wrong
 * password" would tell that the account exists and has not signed in since the cost was raised.
 * scrypt's work grows with p in equal passes, so the owed work is today's N and r with the
 * missing passes. Undefined when nothing is owed.
 */
export function owedWork(cost: ScryptCost): ScryptCost | undefined {
  if (cost.N !== SCRYPT_COST.N || cost.r !== SCRYPT_COST.r || cost.p >= SCRYPT_COST.p) return undefined;
  return { ...SCRYPT_COST, p: SCRYPT_COST.p - cost.p };
}

/** True when the hash was made with other parameters than today's: hashed again once the password is known. */
export const needsRehash = (stored: string): boolean => !stored.startsWith(`scrypt$${SCRYPT_COST.N}$${SCRYPT_COST.r}$${SCRYPT_COST.p}$`);

/** A password's length as it is hashed: code points after NFKC (a combining accent is no character of its own). */
export const passwordLength = (password: string): number => [...password.normalize('NFKC')].length;

/** A fixed hash, at today's cost, to verify against when the email is unknown, so timing does not reveal it. */
export const DUMMY_HASH = `scrypt$${SCRYPT_COST.N}$${SCRYPT_COST.r}$${SCRYPT_COST.p}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
