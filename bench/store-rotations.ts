/**
 * Refresh rotations at the store, without HTTP: what one rotation's writes cost each engine, for
 * changes to the token table's schema or write path (bench/README.md, change 20). Runs the real
 * store (src/, through tsx) on a fresh database: `chains` token chains of `users` users, rotated
 * one step each per event-loop turn, as concurrent requests do (SQLite's group commit and
 * PostgreSQL's per-turn claims batch them as in the server). The tokens are minted and hashed
 * before the clock starts, so the figures are the store's alone.
 *   npx tsx bench/store-rotations.ts [sqlite|postgres] [users=1] [rotations=20000] [chains=50]
 * Prints, per rotation: this process's CPU (µs, user + system), PostgreSQL's (all its processes),
 * and wall time. Compare builds by running it in each checkout, alternately, several times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Credentials, tokenSelector } from '../src/oauth/credentials.js';
import { timeOrderedId } from '../src/oauth/ids.js';
import { openStore } from '../src/store/sql/index.js';
import type { Client, NewToken, User } from '../src/store/store.js';
import { postgresCpu } from './lib/processes.js';
import { freshSchema } from './lib/targets.js';

const [engine = 'sqlite', usersArg = '1', rotationsArg = '20000', chainsArg = '50'] = process.argv.slice(2);
const [users, rotations, chains] = [usersArg, rotationsArg, chainsArg].map(Number) as [number, number, number];
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('engine: sqlite or postgres');

const now = Math.floor(Date.now() / 1000);
const credentials = new Credentials('store-rotations-secret-0123456789abcdef', 'polar_');
const client: Client = {
  id: timeOrderedId(),
  clientId: credentials.mint('clientId'),
  clientSecretHash: credentials.hash('secret'),
  clientSecretSealed: 'not used',
  registrationTokenHash: credentials.hash('registration'),
  registrationTokenSealed: 'not used',
  clientIdIssuedAt: now,
  clientSecretExpiresAt: 0,
  metadata: {
    redirect_uris: ['http://127.0.0.1/callback'],
    token_endpoint_auth_method: 'client_secret_post',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    client_name: 'store bench',
    scope: 'openid email',
    default_sub_type: 'user',
  },
  firstParty: false,
  userId: null,
  createdAt: now,
  modifiedAt: now,
};
const accounts: User[] = Array.from({ length: users }, (_, i) => ({
  id: timeOrderedId(),
  email: `user-${i}@example.com`,
  emailVerified: true,
  passwordHash: null,
  name: null,
  avatarUrl: null,
  createdAt: now,
  blockedAt: null,
}));

/** A token row as mintTokens makes it: selector-keyed hashes of freshly minted tokens. */
function tokenOf(familyId: string, userId: string): NewToken {
  const selector = tokenSelector();
  return {
    id: timeOrderedId(),
    familyId,
    clientId: client.clientId,
    userId,
    subType: 'user',
    accessTokenHash: credentials.tokenKey(credentials.mint('userAccessToken', selector)).hash,
    refreshTokenHash: credentials.tokenKey(credentials.mint('userRefreshToken', selector)).hash,
    scope: 'openid email',
    issuedAt: now,
    expiresIn: 3600,
    organizationIds: [],
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'borealis-store-bench-'));
const schema = engine === 'postgres' ? await freshSchema() : undefined;
const store = await openStore(schema?.url ?? join(dataDir, 'store.db'), { migrate: true, now });
try {
  for (const user of accounts) await store.users.create(user);
  await store.clients.create(client);
  const heads = Array.from({ length: chains }, (_, i) => tokenOf(timeOrderedId(), accounts[i % users]!.id));
  for (const head of heads) await store.tokens.create(head);
  const steps = Math.ceil(rotations / chains);
  const successors = Array.from({ length: steps }, () => heads.map((head) => tokenOf(head.familyId, head.userId)));

  const pgCpu = engine === 'postgres' ? postgresCpu() : undefined;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (const step of successors) {
    const won = await Promise.all(step.map((next, i) => store.tokens.rotateTo(heads[i]!.id, now, 'sealed grace response', next)));
    if (won.some((w) => !w)) throw new Error('a rotation lost: the chains are not independent');
    step.forEach((next, i) => (heads[i] = next));
  }
  const done = steps * chains;
  const wall = Number(process.hrtime.bigint() - started) / 1e3 / done;
  const used = process.cpuUsage(cpu);
  const per = (micros: number) => (micros / done).toFixed(1);
  console.log(
    `${engine}, ${users} user(s), ${chains} chains, ${done} rotations: ` +
      `CPU ${per(used.user + used.system)} µs (user ${per(used.user)}, system ${per(used.system)})` +
      (pgCpu ? `, PostgreSQL CPU ${per(pgCpu() * 1e6)} µs` : '') +
      `, wall ${wall.toFixed(1)} µs per rotation`,
  );
} finally {
  await store.close();
  await schema?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
