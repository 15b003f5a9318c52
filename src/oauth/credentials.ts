/**
 * Opaque credentials, polar-oauth2.md §2.1 and §2.2:
 *   <namespace><kind prefix> + 37 base62 characters (CSPRNG) + CRC32 of those 37 in base62, 6 chars.
 * Only HMAC-SHA256(server secret, full credential) is ever stored (§2.2).
 *
 * Access and refresh tokens start with a selector: the first 9 of their 37 characters are a
 * time-ordered number (`tokenSelector`), the other 28 (166 bits) are random. Their row stores
 * the selector in hex in front of the HMAC (`tokenKey`), so the unique index a token is looked up
 * in is ordered by issue time: a new token goes in at its end. Keyed by the HMAC alone, every new
 * token landed on a random leaf of two indexes, and each such page cost a write of its own to
 * the SQLite WAL (bench/README.md; docs/compatibility.md).
 */
import { type KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { randomByte } from '../keys/random.js';
import { crc32 } from 'node:zlib';
import type { TokenKey } from '../store/store.js';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 37;
const CHECKSUM_LENGTH = 6;
const SELECTOR_LENGTH = 9;
/** Random bits below the millisecond in a selector: 2^53 / 2^11 ms lasts until the year 2109. */
const SELECTOR_RANDOM = 2048;
/** 2^53 in hex is 14 digits; fixed width keeps string order equal to numeric order. */
const SELECTOR_HEX_LENGTH = 14;
/** Client secrets remembered after a match (`verifySecret`): far more clients than call at once. */
const REMEMBERED_SECRETS = 1024;

/** The kinds of credential and their prefixes after the namespace (§2.1 table). */
export const CREDENTIAL_PREFIX = {
  clientId: 'ci_',
  clientSecret: 'cs_',
  registrationToken: 'crt_',
  authorizationCode: 'ac_',
  userAccessToken: 'at_u_',
  userRefreshToken: 'rt_u_',
  organizationAccessToken: 'at_o_',
  organizationRefreshToken: 'rt_o_',
  userSession: 'us_',
  /** Borealis's own, with no Polar counterpart: an invitation link to join an organization. */
  organizationInvitation: 'oi_',
  /** Borealis's own: links sent by mail (accounts/email-links.ts). */
  emailVerification: 'ev_',
  passwordReset: 'pr_',
} as const;
export type CredentialKind = keyof typeof CREDENTIAL_PREFIX;

function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    // Rejection sampling keeps the draw uniform: 248 = 4 × 62.
    const byte = randomByte();
    if (byte < 248) out += BASE62[byte % 62];
  }
  return out;
}

/** `value` is a non-negative safe integer. */
function base62(value: number, width: number): string {
  let out = '';
  let n = value;
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}

export const checksum = (randomPart: string): string => base62(crc32(randomPart), CHECKSUM_LENGTH);

/**
 * A token row's selector: its issue time in milliseconds, times 2048, plus 11 random bits, so
 * rows issued later sort later (like the UUIDv7 row ids). It need not be unique: the HMAC after
 * it is. It is not a secret either; like a JWT's `iat` it tells when the token was issued.
 */
export function tokenSelector(now = Date.now()): number {
  return now * SELECTOR_RANDOM + ((randomByte() << 3) | (randomByte() & 7));
}

/** Each ASCII code's base62 digit, or -1. */
const DIGIT = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62.length; i++) DIGIT[BASE62.charCodeAt(i)] = i;

/** The selector a token carries, or null when its characters there cannot be one. */
function selectorOf(value: string): number | null {
  const start = value.length - RANDOM_LENGTH - CHECKSUM_LENGTH;
  if (start < 0) return null;
  let n = 0;
  for (let i = start; i < start + SELECTOR_LENGTH; i++) {
    const digit = DIGIT[value.charCodeAt(i)] ?? -1; // past ASCII: undefined
    if (digit < 0) return null;
    n = n * 62 + digit;
  }
  return Number.isSafeInteger(n) ? n : null;
}

export class Credentials {
  /** Imported once: a raw Buffer key would be imported again on every hash. */
  private readonly key: KeyObject;
  /** Client secrets that matched lately, each with its HMAC, oldest first (`verifySecret`). */
  private readonly matchedSecrets = new Map<string, string>();
  constructor(
    secret: string,
    readonly namespace: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  prefix(kind: CredentialKind): string {
    return this.namespace + CREDENTIAL_PREFIX[kind];
  }

  /** With `selector` (access and refresh tokens), the random part starts with it. */
  mint(kind: CredentialKind, selector?: number): string {
    const random =
      selector === undefined ? randomBase62(RANDOM_LENGTH) : base62(selector, SELECTOR_LENGTH) + randomBase62(RANDOM_LENGTH - SELECTOR_LENGTH);
    return this.prefix(kind) + random + checksum(random);
  }

  /**
   * What an access or refresh token is stored and looked up by: its selector in hex, then its
   * HMAC. Tokens minted before selectors existed were stored by HMAC alone; `legacyHash` finds
   * those (every token has 9 characters where a selector would be, so any token may be one).
   */
  tokenKey(value: string): TokenKey {
    const hmac = this.hash(value);
    const selector = selectorOf(value);
    if (selector === null) return { hash: hmac, legacyHash: null };
    return { hash: selector.toString(16).padStart(SELECTOR_HEX_LENGTH, '0') + hmac, legacyHash: hmac };
  }

  /**
   * A cheap syntactic check before any lookup: right prefix, length, alphabet and checksum.
   * It also rejects non-ASCII input, which Polar would crash on (§2.2).
   */
  isWellFormed(value: string, kind: CredentialKind): boolean {
    const prefix = this.prefix(kind);
    if (value.length !== prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH || !value.startsWith(prefix)) return false;
    const body = value.slice(prefix.length);
    if (!/^[0-9A-Za-z]+$/.test(body)) return false;
    return checksum(body.slice(0, RANDOM_LENGTH)) === body.slice(RANDOM_LENGTH);
  }

  /**
   * Whether `presented` is the client secret whose HMAC is `storedHash` (D3), compared in
   * constant time. A client sends the same secret with every request, and each HMAC costs
   * 4–5 µs of the event loop on Node 20's OpenSSL 3, most of it setting up the context
   * (bench/README.md, change 23). So a secret that matched is remembered with its HMAC: a pure
   * function of the secret, which cannot go stale (a rotated secret's HMAC no longer matches
   * the client's; a deleted client is not found). Only matches are remembered, so guesses evict
   * nothing, and the process holds no secret it could not already unseal (D3).
   */
  verifySecret(presented: string, storedHash: string): boolean {
    const remembered = this.matchedSecrets.get(presented);
    const matches = safeEqual(remembered ?? this.hash(presented), storedHash);
    if (matches && remembered === undefined) {
      if (this.matchedSecrets.size >= REMEMBERED_SECRETS) this.matchedSecrets.delete(this.matchedSecrets.keys().next().value as string);
      this.matchedSecrets.set(presented, storedHash);
    }
    return matches;
  }

  /** §2.2: HMAC-SHA256 keyed with the server secret, lowercase hex. */
  hash(value: string): string {
    return createHmac('sha256', this.key).update(value, 'utf8').digest('hex');
  }
}

/** Constant-time equality of two hex digests (or any two strings), length-safe. */
export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
