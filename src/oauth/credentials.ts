/**
 * Opaque credentials, polar-oauth2.md §2.1 and §2.2:
 *   <namespace><kind prefix> + 37 base62 characters (CSPRNG) + CRC32 of those 37 in base62, 6 chars.
 * Only HMAC-SHA256(server secret, full credential) is ever stored (§2.2); lookups go by that hash.
 */
import { type KeyObject, createHmac, createSecretKey, timingSafeEqual } from 'node:crypto';
import { randomByte } from '../keys/random.js';
import { crc32 } from 'node:zlib';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const RANDOM_LENGTH = 37;
const CHECKSUM_LENGTH = 6;

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

function base62(value: number, width: number): string {
  let out = '';
  let n = value >>> 0;
  do {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}

export const checksum = (randomPart: string): string => base62(crc32(randomPart), CHECKSUM_LENGTH);

export class Credentials {
  /** Imported once: a raw Buffer key would be imported again on every hash. */
  private readonly key: KeyObject;
  constructor(
    secret: string,
    readonly namespace: string,
  ) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  prefix(kind: CredentialKind): string {
    return this.namespace + CREDENTIAL_PREFIX[kind];
  }

  mint(kind: CredentialKind): string {
    const random = randomBase62(RANDOM_LENGTH);
    return this.prefix(kind) + random + checksum(random);
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
