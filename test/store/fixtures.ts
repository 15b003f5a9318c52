/**
 * Shared builders for the store contract suite (test/store/*.test.ts). Each test file opens its
 * own fresh database through `freshDatabase()`: a temp SQLite file by default, a new PostgreSQL
 * schema when DATABASE_URL is a PostgreSQL URL. Times are explicit epoch seconds.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Client, ClientMetadata, NewCode, NewToken, Organization, Session, Store, TokenKey, User } from '../../src/store/store.js';
import type { Param } from '../../src/store/sql/db.js';
import { type Db, openDb, openStore } from '../../src/store/sql/index.js';
import { type TestDatabase, freshDatabase } from '../support/server.js';

/** A fixed clock: every test passes explicit times relative to this. */
export const NOW = 1_750_000_000;

export const hex64 = () => randomBytes(32).toString('hex');
const tag = () => randomBytes(5).toString('hex');

export interface Harness {
  database: TestDatabase;
  store: Store;
  /** A raw connection to the same database, for assertions the port cannot express (row counts). */
  raw: Db;
  /** Further stores opened on the same database (closed by `close`). */
  open(): Promise<Store>;
  close(): Promise<void>;
}

export async function harness(database?: TestDatabase): Promise<Harness> {
  const db = database ?? (await freshDatabase());
  const store = await openStore(db.url, { migrate: true, now: NOW });
  const raw = await openDb(db.url);
  const extra: Store[] = [];
  return {
    database: db,
    store,
    raw,
    async open() {
      const another = await openStore(db.url, { migrate: true, now: NOW });
      extra.push(another);
      return another;
    },
    async close() {
      for (const s of extra) await s.close();
      await store.close();
      await raw.close();
      await db.drop();
    },
  };
}

/**
 * PostgreSQL races: runs `sql` in a transaction held open (uncommitted) while `start()` begins
 * work that must wait for it; checks that it still waits 200 ms later, then commits and returns
 * what that work ends with.
 */
export async function waitsFor<T>(raw: Db, sql: string, params: Param[], start: () => Promise<T>, what: string): Promise<T> {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let ran!: () => void;
  const running = new Promise<void>((resolve) => (ran = resolve));
  const held = raw.transaction(async (tx) => {
    await tx.run(sql, params);
    ran();
    await gate;
  });
  await running;
  let settled = false;
  const work = start().finally(() => (settled = true));
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(settled, false, `${what} waits for the open transaction`);
  } finally {
    release();
    await held;
  }
  return work;
}

export async function count(raw: Db, sql: string, params: (string | number | null)[] = []): Promise<number> {
  const row = await raw.get<{ n: number | string }>(sql, params);
  return Number(row?.n);
}

export const aUser = (overrides: Partial<User> = {}): User => ({
  id: randomUUID(),
  email: `user-${tag()}@example.com`,
  emailVerified: false,
  passwordHash: '$scrypt$' + hex64(),
  name: 'Test User',
  avatarUrl: null,
  createdAt: NOW,
  blockedAt: null,
  ...overrides,
});

export const anOrganization = (overrides: Partial<Organization> = {}): Organization => ({
  id: randomUUID(),
  slug: `org-${tag()}`,
  name: 'Test Org',
  avatarUrl: null,
  createdAt: NOW,
  ...overrides,
});

export const aSession = (userId: string, overrides: Partial<Session> = {}): Session => ({
  id: randomUUID(),
  userId,
  createdAt: NOW,
  expiresAt: NOW + 3600,
  organizationIds: [],
  ...overrides,
});

export const metadata = (overrides: Partial<ClientMetadata> = {}): ClientMetadata => ({
  redirect_uris: ['http://127.0.0.1:9999/callback'],
  token_endpoint_auth_method: 'client_secret_post',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  client_name: 'Test App',
  scope: 'openid email',
  default_sub_type: 'user',
  ...overrides,
});

export const aClient = (overrides: Partial<Client> = {}): Client => ({
  id: randomUUID(),
  clientId: `polar_ci_${tag()}`,
  clientSecretHash: hex64(),
  clientSecretSealed: 'sealed:' + hex64(),
  registrationTokenHash: hex64(),
  registrationTokenSealed: 'sealed:' + hex64(),
  clientIdIssuedAt: NOW,
  clientSecretExpiresAt: 0,
  metadata: metadata(),
  firstParty: false,
  userId: null,
  createdAt: NOW,
  modifiedAt: NOW,
  ...overrides,
});

export const aCode = (clientId: string, userId: string, overrides: Partial<NewCode> = {}): NewCode => ({
  id: randomUUID(),
  codeHash: hex64(),
  clientId,
  userId,
  redirectUri: 'http://127.0.0.1:9999/callback',
  scope: 'openid email',
  nonce: null,
  authTime: NOW - 60,
  codeChallenge: null,
  codeChallengeMethod: null,
  issuedAt: NOW,
  expiresAt: NOW + 600,
  consumedAt: null,
  organizationIds: [],
  ...overrides,
});

export const aToken = (clientId: string, userId: string, overrides: Partial<NewToken> = {}): NewToken => ({
  id: randomUUID(),
  familyId: randomUUID(),
  clientId,
  userId,
  subType: 'user',
  accessTokenHash: hex64(),
  refreshTokenHash: hex64(),
  scope: 'openid email',
  issuedAt: NOW,
  expiresIn: 3600,
  organizationIds: [],
  ...overrides,
});

/** What a stored token's access or refresh token is looked up by (store rows here have no legacy form). */
export const accessKey = (t: NewToken): TokenKey => ({ hash: t.accessTokenHash, legacyHash: null });
export const refreshKey = (t: NewToken): TokenKey => ({ hash: t.refreshTokenHash!, legacyHash: null });

/** A user row stored, for the foreign keys of sessions, codes, tokens and consents. */
export async function storedUser(store: Store, overrides: Partial<User> = {}): Promise<User> {
  const user = aUser(overrides);
  await store.users.create(user);
  return user;
}

/** A client row stored, for the tokens and codes it is issued. */
export async function storedClient(store: Store, overrides: Partial<Client> = {}): Promise<Client> {
  const client = aClient(overrides);
  await store.clients.create(client);
  return client;
}

/** `n` new organizations the user is a member of: a down-scope that holds when read (oauth/down-scope.ts). */
export async function memberOrganizations(store: Store, userId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const org = anOrganization();
    await store.organizations.create(org, userId);
    ids.push(org.id);
  }
  return ids;
}

export const sorted = (ids: readonly string[]) => [...ids].sort();
