/**
 * A real Borealis for tests: the composed app listening on 127.0.0.1, on SQLite (a fresh file)
 * or, when DATABASE_URL is a PostgreSQL URL, on a fresh schema of that database. An unreachable
 * PostgreSQL fails the test: it is never skipped.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { type Borealis, compose, composeApp } from '../../src/compose.js';
import { type Config, loadConfig } from '../../src/config.js';
import { isPostgresUrl } from '../../src/store/sql/db.js';

export const TEST_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
export const ENGINE: 'sqlite' | 'postgres' = isPostgresUrl(process.env.DATABASE_URL ?? '') ? 'postgres' : 'sqlite';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one test file: a temp SQLite file or a new PostgreSQL schema. */
export async function freshDatabase(): Promise<TestDatabase> {
  const base = process.env.DATABASE_URL;
  if (base && isPostgresUrl(base)) {
    const schema = `t_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    await admin.end();
    const url = `${base}${base.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    return {
      url,
      drop: async () => {
        const client = new pg.Client({ connectionString: base });
        await client.connect();
        await client.query(`DROP SCHEMA ${schema} CASCADE`);
        await client.end();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'borealis-test-'));
  return { url: join(dir, 'test.db'), drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export interface TestServer {
  url: string;
  config: Config;
  borealis: Borealis;
  app: FastifyInstance;
  database: TestDatabase;
  close(): Promise<void>;
}

export interface ServerOptions {
  now?: () => number;
  env?: Record<string, string>;
  database?: TestDatabase;
}

export async function startServer(options: ServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await freshDatabase());
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'borealis-data-'));
  const config = loadConfig(
    {
      BOREALIS_SECRET: TEST_SECRET,
      BOREALIS_DATA_DIR: dataDir,
      BOREALIS_PUBLIC_URL: `http://127.0.0.1:${port}`,
      DATABASE_URL: database.url,
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      PORT: String(port),
      ...options.env,
    },
    {},
    () => {},
  );
  const borealis = await compose(config, options.now);
  const app = await composeApp(borealis, config);
  await app.listen({ port, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${port}`,
    config,
    borealis,
    app,
    database,
    async close() {
      await app.close();
      await borealis.close();
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Waits until a server started as a child process answers at `url` (10 s at most). */
export async function untilServing(url: string, what = `the server at ${url}`): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/.well-known/jwks.json`)).ok) return;
    } catch {}
    if (attempt > 100) throw new Error(`${what} did not start`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A clock tests move by hand (epoch seconds). */
export function fakeClock(start = Math.floor(Date.now() / 1000)) {
  let current = start;
  const now = () => current;
  return Object.assign(now, { advance: (seconds: number) => void (current += seconds) });
}
