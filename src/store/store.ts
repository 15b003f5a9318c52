/**
 * The storage port. Methods are named by use case, never generic CRUD; the protocol core
 * sees only these. Bearer values never reach the store: it receives and matches hashes.
 * Times are epoch seconds.
 */
import type { EmailLinksStore, InvitationsStore, OrganizationsStore, SessionsStore, User, UsersStore } from './accounts-store.js';
import type { RateLimits, SignInThrottle } from './limits.js';
import type { SecurityEventsStore } from './security-events.js';
import type { SigningKeysStore } from './signing-keys.js';

export type { SigningKey, SigningKeysStore } from './signing-keys.js';
export type { SecurityEvent, SecurityEventFilter, SecurityEventsStore } from './security-events.js';
export type {
  EmailLink,
  EmailLinkPurpose,
  EmailLinksStore,
  Invitation,
  InvitationsStore,
  Organization,
  OrganizationsStore,
  Session,
  SessionOrigin,
  SessionsStore,
  User,
  UsersStore,
} from './accounts-store.js';

/** RFC 7591 metadata plus Polar's `default_sub_type` (D13), as stored. */
export interface ClientMetadata {
  redirect_uris: string[];
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none';
  grant_types: string[];
  response_types: string[];
  client_name: string;
  client_uri?: string;
  logo_uri?: string;
  tos_uri?: string;
  policy_uri?: string;
  scope: string;
  default_sub_type: 'user' | 'organization';
}

export interface Client {
  id: string;
  clientId: string;
  clientSecretHash: string;
  clientSecretSealed: string;
  registrationTokenHash: string;
  registrationTokenSealed: string;
  clientIdIssuedAt: number;
  clientSecretExpiresAt: number;
  metadata: ClientMetadata;
  firstParty: boolean;
  userId: string | null;
  createdAt: number;
  modifiedAt: number;
}

export interface AuthorizationCode {
  id: string;
  codeHash: string;
  clientId: string;
  userId: string;
  redirectUri: string | null;
  scope: string;
  nonce: string | null;
  authTime: number;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  issuedAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** Down-scope (§6): empty means unrestricted. */
  organizationIds: string[];
  /** Those of `organizationIds` the user is no longer a member of, when read (oauth/down-scope.ts). */
  lostOrganizationIds: string[];
}

/**
 * A token family (D4/D5): the tokens one grant issued and their rotations. Its id is the code's
 * (or, for the `web` grant, the first token's own); every token of it has the same client and user.
 */
export interface FamilyRef {
  familyId: string;
  clientId: string;
  userId: string;
}

/** One row per access token, with its refresh token, as Polar (§5.3), plus a family id (D4/D5). */
export interface Token {
  id: string;
  familyId: string;
  clientId: string;
  userId: string;
  subType: 'user' | 'organization';
  /** Each token's `TokenKey.hash`: its selector in hex, then its HMAC (credentials.ts). */
  accessTokenHash: string;
  refreshTokenHash: string | null;
  scope: string;
  issuedAt: number;
  expiresIn: number;
  accessTokenRevokedAt: number;
  refreshTokenRevokedAt: number;
  /** Set when the refresh token was rotated (D4); the grace response is sealed beside it. */
  rotatedAt: number | null;
  rotatedResponse: string | null;
  /** Down-scope (§6): empty means unrestricted. */
  organizationIds: string[];
  /** Those of `organizationIds` the user is no longer a member of, when read (oauth/down-scope.ts). */
  lostOrganizationIds: string[];
}

/**
 * What a presented access or refresh token is looked up by: the column value a row stores for it
 * (`hash`), and the value a row from before token selectors would store (`legacyHash`), tried
 * only when `hash` finds nothing (credentials.ts).
 */
export interface TokenKey {
  hash: string;
  legacyHash: string | null;
}

/** A presented token: which of the row's two tokens it claims to be, and what it is found by. */
export interface PresentedToken extends TokenKey {
  kind: 'access_token' | 'refresh_token';
}

export type NewToken = Omit<Token, 'accessTokenRevokedAt' | 'refreshTokenRevokedAt' | 'rotatedAt' | 'rotatedResponse' | 'lostOrganizationIds'>;
export type NewCode = Omit<AuthorizationCode, 'lostOrganizationIds'>;

export interface Consent {
  clientId: string;
  userId: string;
  scope: string;
  /** The organizations the user chose with it; none: all of theirs. */
  organizationIds: string[];
}

/** A client's secret and registration access token, each as its HMAC and its sealed copy (D3). */
export type ClientCredentials = Pick<Client, 'clientSecretHash' | 'clientSecretSealed' | 'registrationTokenHash' | 'registrationTokenSealed'>;

export interface ClientsStore {
  /** False, and nothing written, when a client with its row id exists already (deleted or not), or its owner's account was deleted. */
  create(client: Client): Promise<boolean>;
  /** Live (not deleted) clients only. */
  findByClientId(clientId: string): Promise<Client | undefined>;
  /** The live client with this row id (the one a console form created). */
  findById(id: string): Promise<Client | undefined>;
  /**
   * Writes `change(stored)` in the transaction that read `stored` (the row held on PostgreSQL), so
   * two updates at once apply one after the other and neither is lost. Undefined when the client
   * is gone.
   */
  updateMetadata(clientId: string, change: (stored: ClientMetadata) => ClientMetadata, now: number): Promise<ClientMetadata | undefined>;
  /**
   * Replaces the secret, and the registration access token with it, if the secret is still
   * `ifHash`, the one the rotation was decided on; the old ones stop working at once. False when
   * another rotation came first or the client is gone: a secret shown once must be the one in use.
   */
  rotateSecret(clientId: string, replacement: ClientCredentials, now: number, ifHash: string): Promise<boolean>;
  /** Soft delete; D12: its codes and tokens stop working in the same transaction. */
  delete(clientId: string, now: number): Promise<void>;
  /** A user's live clients, newest first, and how many there are. */
  listByOwner(userId: string, offset: number, limit: number): Promise<{ items: Client[]; total: number }>;
  /** Every live client, newest first, and how many there are (the operator's view). */
  list(offset: number, limit: number): Promise<{ items: Client[]; total: number }>;
}

export interface CodesStore {
  /**
   * `nonce-in-use` when another live code of the client carries the same nonce (atomic).
   * `whileConsented`: only if the user's remembered consent for the client still exists, judged
   * atomically with a concurrent `consents.revoke` (`not-consented` otherwise). `refused` likewise
   * when the user is blocked (`users.block`), the client deleted (`clients.delete`), or the user's
   * password is no longer `passwordHash`, the one their session was read with (`users.setPassword`,
   * which ends every session): each revokes what it can see, so what is issued as it commits must see it.
   */
  create(code: NewCode, options?: { whileConsented?: boolean; passwordHash?: string }): Promise<'created' | 'nonce-in-use' | 'not-consented' | 'refused'>;
  find(codeHash: string): Promise<AuthorizationCode | undefined>;
  /** The calling client (undeleted), a presented code and the code's user, read in one statement. */
  findWithClient(clientId: string, codeHash: string): Promise<{ client?: Client; code?: AuthorizationCode; user?: User }>;
  /**
   * Marks the code used. Atomic: of any number of concurrent calls exactly one returns true.
   * Only an unconsumed, unexpired code can be consumed.
   */
  consume(id: string, now: number): Promise<boolean>;
  /** `consume`, and in the same atomic step the token the code pays for (only if it won). */
  exchange(id: string, now: number, token: NewToken): Promise<boolean>;
  /** An unconsumed code of this client carries this nonce (polar-oauth2.md §3.4 step 9). */
  nonceInUse(clientId: string, nonce: string): Promise<boolean>;
}

export interface TokensStore {
  /**
   * Stores a token; false, storing nothing, when its client is deleted, its user blocked or their
   * password no longer `passwordHash` (the one their session was read with), judged atomically
   * with a concurrent `clients.delete`, `users.block` or `users.setPassword` (which revoke every
   * token they see).
   */
  create(token: NewToken, options?: { passwordHash?: string }): Promise<boolean>;
  findByRefresh(refreshToken: TokenKey): Promise<Token | undefined>;
  findByAccess(accessToken: TokenKey): Promise<Token | undefined>;
  /** A Bearer access token's row and its user, read together (one statement). */
  findAccessGrant(accessToken: TokenKey): Promise<{ token: Token; user: User } | undefined>;
  /**
   * The calling client (undeleted) and a presented access or refresh token, read together in one
   * statement: introspection, revocation and the refresh grant need both on every request.
   */
  findWithClient(clientId: string, presented: PresentedToken | undefined): Promise<{ client?: Client; token?: Token }>;
  /**
   * D4 rotation. Atomic: marks the row's refresh token revoked and stores the sealed grace
   * response (null without a grace window), only if the row is still live. Of concurrent calls
   * exactly one returns true.
   */
  rotate(id: string, now: number, sealedResponse: string | null): Promise<boolean>;
  /** `rotate`, and in the same atomic step the token pair that replaces it (only if it won). */
  rotateTo(id: string, now: number, sealedResponse: string | null, next: NewToken): Promise<boolean>;
  /** RFC 7009: the access token stops working — and with it the row's refresh token (§3.8). Idempotent. */
  revokeAccess(id: string, now: number): Promise<void>;
  /** D4/D5: every token of the family stops working. Idempotent. */
  revokeFamily(family: FamilyRef, now: number): Promise<void>;
}

export interface ConsentsStore {
  find(clientId: string, userId: string): Promise<Consent | undefined>;
  /** Insert-or-replace in one statement: concurrent approvals leave one row (Appendix B.3). */
  remember(consent: Consent, now: number): Promise<void>;
  /** A user's remembered consents, newest first. */
  listForUser(userId: string): Promise<(Consent & { modifiedAt: number })[]>;
  /** Forgets the consent and revokes every code and token the client holds for the user. */
  revoke(clientId: string, userId: string, now: number): Promise<void>;
}

export interface Store {
  readonly engine: 'sqlite' | 'postgres';
  readonly users: UsersStore;
  readonly organizations: OrganizationsStore;
  readonly invitations: InvitationsStore;
  readonly emailLinks: EmailLinksStore;
  readonly sessions: SessionsStore;
  readonly clients: ClientsStore;
  readonly codes: CodesStore;
  readonly tokens: TokensStore;
  readonly consents: ConsentsStore;
  readonly signingKeys: SigningKeysStore;
  readonly signInThrottle: SignInThrottle;
  readonly rateLimits: RateLimits;
  readonly securityEvents: SecurityEventsStore;
  /**
   * Runs `work` in one transaction, through the store it receives. On SQLite `work` may run more
   * than once (a failure in its group commit reruns the group), so it acts only through that store.
   */
  transaction<T>(work: (store: Store) => Promise<T>): Promise<T>;
  /**
   * Deletes what has expired (§5.5) and security events past their retention, and scrubs deleted
   * apps' registrations past that retention; returns the number of rows removed or scrubbed.
   */
  deleteExpired(now: number): Promise<number>;
  /** One round trip to the database, for readiness checks (routes/health.ts). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The database could not be reached, or did not answer in time: nothing was done, and the same
 * request may succeed later (HTTP 503). The driver's error is the `cause`.
 */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the database is unavailable (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
  }
}
