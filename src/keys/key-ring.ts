/**
 * Signing keys for id_tokens (RS256, RSA 2048), kept in the database with the private JWK
 * sealed under the server secret. Every instance reads the same rows and applies the same rule,
 * so instances sharing a database agree without talking to each other:
 *   - the signer is the newest unretired key whose start time has come (ties: smallest kid);
 *   - the JWKS lists every key not yet expired, including one rotated in but not yet signing.
 * Rotation publishes the new key PUBLISH_AHEAD seconds before it signs, longer than the refresh
 * interval and the JWKS's cache lifetime together, so no instance signs with a key another
 * instance, or a cached copy of the JWKS, does not yet publish. The old key
 * stays published until every id_token it signed has expired, then `prune` removes it.
 * The emergencies (`keys rotate --now`, `keys withdraw`) give that up: until every instance has
 * re-read the keys (KEY_REFRESH_SECONDS), one may sign with a key another does not publish yet,
 * and relying parties must re-fetch the JWKS on an unknown `kid`.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, exportJWK, generateKeyPair, importJWK } from 'jose';
import { ConfigError } from '../config.js';
import { ID_TOKEN_LIFETIME } from '../oauth/id-token.js';
import type { SigningKey, SigningKeysStore } from '../store/store.js';
import { SealedBox } from './sealed-box.js';

export interface PublicJwk extends JWK {
  kid: string;
}

export interface Signer {
  kid: string;
  alg: 'RS256';
  key: CryptoKey;
}

/** Instances re-read the keys this often (seconds). */
export const KEY_REFRESH_SECONDS = 30;
/** How long relying parties and shared caches may keep the JWKS (its Cache-Control max-age). */
export const JWKS_MAX_AGE = 300;
/**
 * A rotated-in key is published this long before it signs: every instance has re-read the keys,
 * and every JWKS copy cached before that has expired (OIDC Core §10.1.1). A relying party that
 * re-fetches on an unknown `kid` would cope sooner; a CDN honouring max-age would not.
 */
export const PUBLISH_AHEAD = 2 * KEY_REFRESH_SECONDS + JWKS_MAX_AGE;
/** A retired key stays published this long after its last signature: the id_token lifetime plus slack. */
export const RETIRED_KEY_LIFETIME = ID_TOKEN_LIFETIME + 5 * 60;

const context = (kid: string) => `signing_keys.private_jwk:${kid}`;

/** A key that signs now or will: from `createdAt` until `retiredAt`. */
interface Candidate {
  createdAt: number;
  retiredAt: number | null;
  signer: Signer;
}

export class KeyRing {
  /** Newest start first (ties: smallest kid), so the first whose time has come signs. */
  private candidates: Candidate[] = [];
  private published: { keys: PublicJwk[] } = { keys: [] };
  private loadedSignature = '';
  private readonly box: SealedBox;

  constructor(
    private readonly store: SigningKeysStore,
    secret: string,
  ) {
    this.box = SealedBox.forPurpose(secret, 'signing-keys');
  }

  /**
   * Loads the keys (generating the first one into an empty database); cheap when nothing changed.
   * Every key that signs now or later is loaded, so the switch to a rotated-in key happens at its
   * start time on every instance, not at the next refresh after it.
   */
  async load(now: number): Promise<void> {
    let keys = await this.store.list();
    if (!keys.some((k) => k.retiredAt === null)) {
      await this.store.createFirst(await this.generate(now));
      keys = await this.store.list();
    }
    const signing = keys
      .filter((k) => k.retiredAt === null || k.retiredAt > now)
      .sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid));
    if (signing.length === 0) throw new Error('no signing key');
    const live = keys.filter((k) => k.expiresAt === null || k.expiresAt >= now);
    const signature = `${signing.map((k) => `${k.kid}:${k.retiredAt}`).join(',')}|${live.map((k) => k.kid).join(',')}`;
    if (signature === this.loadedSignature) return;

    const imported = new Map(this.candidates.map((c) => [c.signer.kid, c.signer]));
    const candidates: Candidate[] = [];
    for (const k of signing) {
      candidates.push({ createdAt: k.createdAt, retiredAt: k.retiredAt, signer: imported.get(k.kid) ?? (await this.importSigner(k)) });
    }
    this.candidates = candidates;
    // A new object only when the set changed, so callers may cache what they derive from it.
    this.published = { keys: live.map((k) => JSON.parse(k.publicJwk) as PublicJwk) };
    this.loadedSignature = signature;
  }

  private async importSigner(key: SigningKey): Promise<Signer> {
    const privateJwk = this.box.open(key.privateJwkSealed, context(key.kid));
    if (!privateJwk) {
      throw new ConfigError(
        `signing key ${key.kid} cannot be opened with this BOREALIS_SECRET. Was the secret changed? Keys are sealed with it: ` +
          'restore the previous secret, or delete the rows of the signing_keys table to start over with a new key ' +
          '(which, like the new secret, invalidates every credential issued before).',
      );
    }
    return { kid: key.kid, alg: 'RS256', key: (await importJWK(JSON.parse(privateJwk), 'RS256')) as CryptoKey };
  }

  async generate(startsAt: number): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
    const kid = randomUUID();
    const { kty, n, e } = await exportJWK(publicKey);
    const publicJwk = { kty, n, e, kid, alg: 'RS256', use: 'sig' };
    const privateJwk = JSON.stringify(await exportJWK(privateKey));
    return {
      kid,
      alg: 'RS256',
      publicJwk: JSON.stringify(publicJwk),
      privateJwkSealed: this.box.seal(privateJwk, context(kid)),
      createdAt: startsAt,
      retiredAt: null,
      expiresAt: null,
    };
  }

  /**
   * Adds a key that signs from `now + PUBLISH_AHEAD`; the current key retires then. `immediately`
   * (an emergency) starts it now instead: instances switch at their next refresh, and a relying
   * party holding a cached JWKS must re-fetch it on the unknown `kid`.
   */
  async rotate(now: number, immediately = false): Promise<SigningKey> {
    const key = await this.generate(immediately ? now : now + PUBLISH_AHEAD);
    await this.store.rotate(key, key.createdAt + RETIRED_KEY_LIFETIME);
    await this.load(now);
    return key;
  }

  /** The signer at `now`: the newest key whose start time has come and that has not retired. */
  current(now: number): Signer {
    const due = this.candidates.find((c) => c.createdAt <= now && (c.retiredAt === null || c.retiredAt > now));
    // Before any start time (a clock behind the database's): the key that will sign first.
    const signer = (due ?? this.candidates.at(-1))?.signer;
    if (!signer) throw new Error('KeyRing.load() was not called');
    return signer;
  }

  /** The public JWK Set (RFC 7517 §5): public members only. */
  jwks(): { keys: PublicJwk[] } {
    return this.published;
  }
}
