/** The explicit dependencies of the protocol core, wired once in compose.ts. */
import type { Audit } from '../audit.js';
import type { KeyRing } from '../keys/key-ring.js';
import type { SealedBox } from '../keys/sealed-box.js';
import type { Store } from '../store/store.js';
import type { Credentials } from './credentials.js';

export interface OAuthContext {
  store: Store;
  credentials: Credentials;
  keys: KeyRing;
  /** Seals client secrets and registration tokens (D3). */
  clientSecrets: SealedBox;
  /** The server secret (CSRF tokens). */
  secret: string;
  /** Root of the per-token keys that seal D4 grace responses. */
  graceKey: Buffer;
  issuer: string;
  refreshGraceSeconds: number;
  /** Epoch seconds; tests pass a fake clock. */
  now: () => number;
  /** Security events (audit.ts). */
  audit: Audit;
}
