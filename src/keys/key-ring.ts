/**
 * Signing keys for id_tokens (RS256, RSA 2048). A key is generated at first start and stored
 * with its private JWK sealed under the server secret. Every instance sharing the database
 * agrees on the signer: the newest key that is not retired, ties broken by kid.
 */
import { randomUUID } from 'node:crypto';
import { type CryptoKey, type JWK, exportJWK, generateKeyPair, importJWK } from 'jose';
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

const context = (kid: string) => `signing_keys.private_jwk:${kid}`;

export class KeyRing {
  private signer: Signer | undefined;
  private published: PublicJwk[] = [];
  private readonly box: SealedBox;

  constructor(
    private readonly store: SigningKeysStore,
    secret: string,
  ) {
    this.box = new SealedBox(secret, 'signing-keys');
  }

  /** Loads the keys, generating the first one when the database has none. */
  async load(now: number): Promise<void> {
    let keys = await this.store.list();
    if (!keys.some((k) => k.retiredAt === null)) {
      await this.store.create(await this.generate(now));
      keys = await this.store.list();
    }
    const active = keys.filter((k) => k.retiredAt === null);
    const current = active.sort((a, b) => b.createdAt - a.createdAt || a.kid.localeCompare(b.kid))[0];
    if (!current) throw new Error('no signing key');
    const privateJwk = this.box.open(current.privateJwkSealed, context(current.kid));
    if (!privateJwk) throw new Error(`signing key ${current.kid} cannot be opened with this BOREALIS_SECRET`);
    this.signer = {
      kid: current.kid,
      alg: 'RS256',
      key: (await importJWK(JSON.parse(privateJwk), 'RS256')) as CryptoKey,
    };
    this.published = keys.map((k) => JSON.parse(k.publicJwk) as PublicJwk);
  }

  async generate(now: number): Promise<SigningKey> {
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
      createdAt: now,
      retiredAt: null,
    };
  }

  current(): Signer {
    if (!this.signer) throw new Error('KeyRing.load() was not called');
    return this.signer;
  }

  /** The public JWK Set (RFC 7517 §5): public members only. */
  jwks(): { keys: PublicJwk[] } {
    return { keys: this.published };
  }
}
