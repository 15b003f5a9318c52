/**
 * Bulk-loading live tokens straight into the database for the scale scenarios: valid rows
 * (selector and HMAC-SHA256 under the server secret, as src/oauth/credentials.ts stores them; a
 * build from before token selectors gets the HMAC alone, as it stored them), written with
 * multi-row INSERTs in one transaction (SQLite) or array INSERTs of 10k rows (PostgreSQL).
 * Returns a sample of the access tokens' plaintexts (at most 100k) to introspect at random.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { settings } from './settings.js';
import { SECRET, type Target } from './targets.js';

const LIFETIME = 10 * 86400;
const SAMPLE = 100_000;
const COLUMNS = 'id, family_id, client_id, user_id, sub_type, access_token_hash, refresh_token_hash, scope, issued_at, expires_in, expires_at';

interface Row {
  id: string;
  access: string;
  accessHash: string;
  refreshHash: string;
}

export async function bulkTokens(target: Target, count: number): Promise<string[]> {
  // The credentials module of the very build under test.
  const built = (await import(join(settings.borealisDir, 'dist/oauth/credentials.js'))) as Partial<typeof import('../../src/oauth/credentials.js')>;
  const credentials = new built.Credentials!(SECRET, 'polar_');
  const selectors = 'tokenKey' in credentials && built.tokenSelector;
  const stored = (token: string) => (selectors ? credentials.tokenKey(token).hash : credentials.hash(token));
  const now = Math.floor(Date.now() / 1000);
  const constants = { client: target.clientId, user: target.userId!, scope: 'openid email', now };
  const sample: string[] = [];
  const every = Math.max(1, Math.ceil(count / SAMPLE));
  const batch = (size: number, offset: number): Row[] =>
    Array.from({ length: size }, (_, i) => {
      const selector = selectors ? selectors() : undefined;
      const access = credentials.mint('userAccessToken', selector);
      if ((offset + i) % every === 0) sample.push(access);
      return { id: randomUUID(), access, accessHash: stored(access), refreshHash: stored(credentials.mint('userRefreshToken', selector)) };
    });
  if (target.databaseUrl!.startsWith('postgres')) await intoPostgres(target.databaseUrl!, count, batch, constants);
  else intoSqlite(target.databaseUrl!, count, batch, constants);
  return sample;
}

type Constants = { client: string; user: string; scope: string; now: number };

function intoSqlite(file: string, count: number, batch: (n: number, offset: number) => Row[], c: Constants) {
  const db = new Database(file);
  db.pragma('busy_timeout = 10000');
  const PER = 500;
  const statement = (n: number) =>
    db.prepare(`INSERT INTO oauth2_tokens (${COLUMNS}) VALUES ${Array(n).fill("(?, ?, ?, ?, 'user', ?, ?, ?, ?, ?, ?)").join(', ')}`);
  const full = statement(PER);
  db.transaction(() => {
    for (let done = 0; done < count; done += PER) {
      const rows = batch(Math.min(PER, count - done), done);
      const params = rows.flatMap((r) => [r.id, r.id, c.client, c.user, r.accessHash, r.refreshHash, c.scope, c.now, LIFETIME, c.now + LIFETIME]);
      (rows.length === PER ? full : statement(rows.length)).run(params);
    }
  })();
  // Fold the bulk WAL back into the database file, as a long-running server would have by now;
  // otherwise the first measured minutes pay for checkpointing a WAL of hundreds of MB.
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

async function intoPostgres(url: string, count: number, batch: (n: number, offset: number) => Row[], c: Constants) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const PER = 10_000;
  try {
    await client.query('BEGIN');
    for (let done = 0; done < count; done += PER) {
      const rows = batch(Math.min(PER, count - done), done);
      await client.query(
        `INSERT INTO oauth2_tokens (${COLUMNS})
         SELECT id, id, $4, $5, 'user', ah, rh, $6, $7, $8, $9 FROM unnest($1::text[], $2::text[], $3::text[]) AS t(id, ah, rh)`,
        [rows.map((r) => r.id), rows.map((r) => r.accessHash), rows.map((r) => r.refreshHash), c.client, c.user, c.scope, c.now, LIFETIME, c.now + LIFETIME],
      );
    }
    await client.query('COMMIT');
    await client.query('ANALYZE oauth2_tokens');
  } finally {
    await client.end();
  }
}
