/** The servers under test: Borealis (production build, SQLite or PostgreSQL), the peer, the ceiling. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { form } from './load.js';
import { type Client, REDIRECT_URI, authorizeQuery, browse, postForm } from './oauth.js';
import { type Server, freePort, run, startServer } from './processes.js';
import { settings } from './settings.js';

export const SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const EMAIL = 'bench@example.com';
const PASSWORD = 'correct horse battery staple';
const bin = (dir: string) => join(dir, 'bin/borealis.js');

export interface Target extends Client {
  name: string;
  server: Server;
  /** Borealis only: the web session for the `web` grant, and what the bulk loader needs. */
  sessionToken?: string;
  databaseUrl?: string;
  userId?: string;
  stop(): Promise<void>;
}

/**
 * The tables a scenario writes to, whose statistics autovacuum would keep current. This machine's
 * PostgreSQL runs with autovacuum off, where a plan cached while a table was small keeps scanning
 * it as it grows (bench/README.md, "Cached plans made on small tables").
 */
const WRITTEN_TABLES = ['oauth2_tokens', 'oauth2_token_organizations', 'oauth2_authorization_codes', 'user_sessions'];

/** A fresh PostgreSQL schema, reached through `?options=-c search_path=<schema>`. */
export async function freshSchema(): Promise<{ url: string; analyze(): Promise<void>; drop(): Promise<void> }> {
  const schema = `bench_${randomBytes(5).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: settings.postgresUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE SCHEMA ${schema}`);
  const url = `${settings.postgresUrl}${settings.postgresUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    analyze: () => admin(`ANALYZE ${WRITTEN_TABLES.map((table) => `${schema}.${table}`).join(', ')}`),
    drop: () => admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`),
  };
}

/**
 * `workers` > 1 runs `serve --workers N` (node:cluster; RSS then sums the primary and its
 * workers). `dir` is the checkout to run (a baseline build, see settings.baseline).
 */
export async function startBorealis(
  engine: 'sqlite' | 'postgres',
  options: { name?: string; workers?: number; dir?: string } = {},
): Promise<Target> {
  const { workers = 1, dir = settings.borealisDir } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'borealis-bench-'));
  const schema = engine === 'postgres' ? await freshSchema() : undefined;
  const databaseUrl = schema?.url ?? join(dataDir, 'bench.db');
  const port = await freePort();
  const env = {
    ...process.env,
    NODE_ENV: 'production',
    BOREALIS_SECRET: SECRET,
    BOREALIS_DATA_DIR: dataDir,
    BOREALIS_PUBLIC_URL: `http://127.0.0.1:${port}`,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    ...(dir === settings.borealisDir ? settings.env : {}),
  };
  const name = options.name ?? `borealis-${engine}`;
  const profile = settings.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${settings.profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`] : [];
  const nodeArgs = dir === settings.borealisDir ? settings.nodeArgs : [];
  let server: Server | undefined;
  const cleanup = async () => {
    await server?.stop();
    await schema?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const cluster = workers > 1 ? ['--workers', String(workers)] : [];
    server = await startServer(name, [...nodeArgs, ...profile, bin(dir), 'serve', '--port', String(port), '--database', databaseUrl, ...cluster], {
      port,
      env,
      cwd: dir,
      readyPath: '/.well-known/openid-configuration',
    });
    server.withChildren = workers > 1;
    server.postgres = engine === 'postgres';
    if (schema) server.analyze = schema.analyze;
    const cli = async (...args: string[]) => JSON.parse(await run(process.execPath, [bin(dir), ...args, '--json'], { cwd: dir, env }));
    const user = await cli('users', 'create', '--email', EMAIL, '--password', PASSWORD);
    const created = await cli('clients', 'create', '--name', 'Bench', '--redirect-uri', REDIRECT_URI, '--auth-method', 'client_secret_post',
      '--scope', 'openid email', '--grant-type', 'authorization_code', '--grant-type', 'refresh_token', '--grant-type', 'web');

    // Sign in (POST /login), then consent once; later authorizations redirect at once.
    const login = await postForm(`${server.url}/login`, form({ email: EMAIL, password: PASSWORD, return_to: '/' }));
    const sessionToken = /polar_session=([^;]+)/.exec(login.headers.get('set-cookie') ?? '')?.[1];
    if (login.status !== 303 || !sessionToken) throw new Error(`login: ${login.status} ${login.text}`);
    const target: Target = {
      name, server, url: server.url, clientId: created.client_id, clientSecret: created.client_secret,
      cookie: `polar_session=${sessionToken}`, sessionToken, databaseUrl, userId: user.id, stop: cleanup,
    };
    const query = authorizeQuery(target, 'openid email', { state: 'consent' });
    const page = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie: target.cookie }, redirect: 'manual' });
    const { csrf_token } = (await page.json()) as { csrf_token: string };
    const consent = await postForm(`${server.url}/v1/oauth2/consent?${query}`, form({ action: 'allow', csrf_token }), { cookie: target.cookie });
    if (consent.status !== 302) throw new Error(`consent: ${consent.status} ${consent.text}`);
    return target;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export async function startPeer(): Promise<Target> {
  const port = await freePort();
  const clientId = 'bench-client';
  const clientSecret = randomBytes(32).toString('base64url');
  const server = await startServer('peer', [new URL('../servers/peer.js', import.meta.url).pathname], {
    port,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port), PEER_CLIENT_ID: clientId, PEER_CLIENT_SECRET: clientSecret, PEER_REDIRECT_URI: REDIRECT_URI },
    readyPath: '/.well-known/openid-configuration',
  });
  // One real sign-in and consent through the interaction round trip; the session cookie stays.
  const jar = new Map<string, string>();
  const target: Target = { name: 'peer', server, url: server.url, clientId, clientSecret, cookie: '', stop: () => server.stop() };
  const landed = await browse(server.url, `/v1/oauth2/authorize?${authorizeQuery(target, 'openid email', { state: 'consent' })}`, jar);
  if (!landed.searchParams.get('code')) throw new Error(`peer sign-in: ${landed}`);
  target.cookie = [...jar].filter(([k]) => k.startsWith('_session')).map(([k, v]) => `${k}=${v}`).join('; ');
  return target;
}

export async function startCeiling(): Promise<Server> {
  const port = await freePort();
  return startServer('ceiling', [new URL('../servers/ceiling.js', import.meta.url).pathname], {
    port,
    env: { ...process.env, NODE_ENV: 'production', PORT: String(port) },
    cwd: settings.borealisDir,
    readyPath: '/',
  });
}
