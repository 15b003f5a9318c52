/** The store's signing keys (keys/key-ring.ts): stored sealed, agreed on by every instance. */
export interface SigningKey {
  kid: string;
  alg: string;
  publicJwk: string;
  privateJwkSealed: string;
  /** When it starts signing; a rotated-in key is published before it signs. */
  createdAt: number;
  retiredAt: number | null;
  /** When it leaves the JWKS: after every id_token it signed has expired. */
  expiresAt: number | null;
}

export interface SigningKeysStore {
  list(): Promise<SigningKey[]>;
  create(key: SigningKey): Promise<void>;
  /**
   * Adds `key` only if no live (unretired) key exists, serialised across processes: instances
   * starting together on an empty database end up with one first key. False if one existed.
   */
  createFirst(key: SigningKey): Promise<boolean>;
  /**
   * Adds `key` and retires every other live key when it starts signing, in one transaction,
   * serialised across processes: two rotations at once leave one live key.
   */
  rotate(key: SigningKey, retiredKeysExpireAt: number): Promise<void>;
  /** Removes retired keys whose id_tokens have all expired. */
  prune(now: number): Promise<string[]>;
  /**
   * Removes one key at once, whatever its state (a compromised key). A key whose start is still
   * to come was to retire the keys that sign now: they are no longer retired. False if none.
   */
  withdraw(kid: string, now: number): Promise<boolean>;
}
