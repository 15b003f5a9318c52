/**
 * Authenticated encryption for values we must be able to read back but must not keep in the
 * clear (D3 client secrets, signing keys' private parts, the refresh grace response of D4).
 * AES-256-GCM from node:crypto; keys derived with HKDF-SHA256 from the server secret and a purpose,
 * so a key for one purpose never decrypts another. The context (table, column, row id) is bound
 * as additional authenticated data: a ciphertext copied to another row fails to open.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync } from 'node:crypto';
import { fillRandom } from './random.js';

const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SealedBox {
  constructor(private readonly key: Buffer) {}

  /** A box for one named purpose, keyed by HKDF of a root secret. */
  static forPurpose(ikm: string | Buffer, purpose: string): SealedBox {
    return new SealedBox(deriveKey(ikm, purpose));
  }

  /**
   * A box keyed by HMAC(root, value): one HMAC per use instead of an HKDF, for per-value keys on
   * a hot path (the D4 grace response is keyed by the refresh token it answers).
   */
  static keyedBy(root: Buffer, value: string): SealedBox {
    return new SealedBox(createHmac('sha256', root).update(value, 'utf8').digest());
  }

  seal(plaintext: string, context: string): string {
    const iv = fillRandom(Buffer.allocUnsafe(IV_BYTES));
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Returns undefined when the ciphertext was tampered with, or sealed for another context. */
  open(sealed: string, context: string): string | undefined {
    const raw = Buffer.from(sealed, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}

/** HKDF-SHA256 (RFC 5869) of a root secret for one named purpose: 32 bytes. */
export const deriveKey = (ikm: string | Buffer, purpose: string): Buffer =>
  Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), `borealis:${purpose}`, 32));
