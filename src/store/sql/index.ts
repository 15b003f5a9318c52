import type { Store } from '../store.js';
import { organizations, users } from './accounts.js';
import { clients } from './clients.js';
import { codes } from './codes.js';
import { type Db, type Param, isPostgresUrl, openDb } from './db.js';
import { consents } from './consents.js';
import { emailLinks } from './email-links.js';
import { invitations } from './invitations.js';
import { rateLimits } from './rate-limits.js';
import { securityEvents } from './security-events.js';
import { sessions } from './sessions.js';
import { signInThrottle } from './sign-in-throttle.js';
import { signingKeys } from './signing-keys.js';
import { migrate, requireCurrentSchema } from './migrate.js';
import { tokens } from './tokens.js';

/**
 * D4/D5 reuse detection outlives the cleanup: a rotated refresh token or a consumed code stays
 * stored while a token of its family can still be refreshed, up to this long after its use, so
 * that presenting it again still revokes the family (RFC 9700 §4.14.2, RFC 6749 §4.1.2). Polar's
 * cleanup (§5.5) would delete it once its access token expired, an hour after rotation.
 */
export const REUSE_DETECTION_SECONDS = 30 * 86400;

/**
 * The family of a row of `table` (`family` is its column holding the family id: a code's own id)
 * still holds a token that works: a refresh token that can be used, or an unexpired access token
 * (a client without the refresh_token grant gets only those, 10 days from a code). Its one
 * parameter is the time now. Looked up through the `(client_id, user_id)` index every row of a
 * family shares (tokens.ts, FAMILY_ROWS).
 */
const FAMILY_LIVE = (table: string, family: string) => `EXISTS (SELECT 1 FROM oauth2_tokens live
  WHERE live.client_id = ${table}.client_id AND live.user_id = ${table}.user_id AND live.family_id = ${table}.${family}
  AND live.access_token_revoked_at = 0
  AND ((live.refresh_token_hash IS NOT NULL AND live.refresh_token_revoked_at = 0) OR live.expires_at >= ?))`;

/**
 * Rows per cleanup statement. A backlog (the first cleanup after a long stop, a million expired
 * tokens) is deleted as many short writes instead of one: each holds the write lock briefly, and
 * in SQLite a statement's page journal is kept in memory, and grows with the rows it changes (sqlite.ts).
 */
export const CLEANUP_BATCH = 1000;

/** Runs `change` (a DELETE, or an UPDATE that takes rows out of `where`) on the rows `where` selects, CLEANUP_BATCH at a time. */
async function inBatches(db: Db, table: string, change: string, where: string, params: Param[]): Promise<number> {
  // The physical row address: every table has one, whatever its primary key.
  const row = db.engine === 'sqlite' ? 'rowid' : 'ctid';
  const sql = `${change} WHERE ${row} IN (SELECT ${row} FROM ${table} WHERE ${where} LIMIT ${CLEANUP_BATCH})`;
  let changed = 0;
  for (;;) {
    const rows = await db.run(sql, params);
    changed += rows;
    if (rows < CLEANUP_BATCH) return changed;
  }
}

const deleteInBatches = (db: Db, table: string, where: string, params: Param[]) => inBatches(db, table, `DELETE FROM ${table}`, where, params);

/** How long security events are kept unless configured (BOREALIS_SECURITY_EVENT_DAYS). */
export const SECURITY_EVENT_SECONDS = 90 * 86400;

function storeOver(db: Db, root: Db, eventSeconds: number): Store {
  const keys = signingKeys(db);
  return {
    engine: db.engine,
    users: users(db),
    organizations: organizations(db),
    invitations: invitations(db),
    emailLinks: emailLinks(db),
    sessions: sessions(db),
    clients: clients(db),
    codes: codes(db),
    tokens: tokens(db),
    consents: consents(db),
    signingKeys: keys,
    signInThrottle: signInThrottle(db),
    rateLimits: rateLimits(db),
    securityEvents: securityEvents(db),
    transaction: (work) => db.transaction((tx) => work(storeOver(tx, root, eventSeconds))),
    async deleteExpired(now) {
      const reuseCutoff = now - REUSE_DETECTION_SECONDS;
      // Each table on its own: one that fails (a lock held past the statement bound, a full
      // disk) leaves the others cleaned, and is tried again at the next cleanup.
      const steps: (() => Promise<number>)[] = [
        () =>
          deleteInBatches(
            db,
            'oauth2_authorization_codes',
            `expires_at < ? AND (consumed_at IS NULL OR consumed_at < ? OR NOT ${FAMILY_LIVE('oauth2_authorization_codes', 'id')})`,
            [now, reuseCutoff, now],
          ),
        () => deleteInBatches(db, 'user_sessions', 'expires_at < ?', [now]),
        () => deleteInBatches(db, 'organization_invitations', 'expires_at < ?', [now]),
        () => deleteInBatches(db, 'email_links', 'expires_at < ?', [now]),
        // §5.5: an expired access token whose refresh token is absent or revoked is of no further
        // use; nor is a row revoked through its access token (row-wide, revoke.ts). A rotated row
        // is kept for reuse detection (above).
        () =>
          deleteInBatches(
            db,
            'oauth2_tokens',
            `expires_at < ? AND (refresh_token_hash IS NULL OR refresh_token_revoked_at <> 0 OR access_token_revoked_at <> 0)
               AND (rotated_at IS NULL OR rotated_at < ? OR NOT ${FAMILY_LIVE('oauth2_tokens', 'family_id')})`,
            [now, reuseCutoff, now],
          ),
        async () => (await keys.prune(now)).length,
        () => deleteInBatches(db, 'sign_in_failures', 'window_start < ? AND locked_until < ?', [now - 86400, now]),
        // Rate-limit windows are minutes long; a day-old count is of no use to any of them.
        () => deleteInBatches(db, 'rate_limit_hits', 'window_start_ms < ?', [(now - 86400) * 1000]),
        () => deleteInBatches(db, 'security_events', 'occurred_at < ?', [now - eventSeconds]),
        // A deleted app's registration outlives the events that name it no longer (migration 017).
        () =>
          inBatches(
            db,
            'oauth2_clients',
            "UPDATE oauth2_clients SET metadata = '{}', client_secret_sealed = '', registration_access_token_sealed = ''",
            "deleted_at < ? AND metadata <> '{}'",
            [now - eventSeconds],
          ),
      ];
      let removed = 0;
      const failures: unknown[] = [];
      for (const step of steps) removed += await step().catch((error: unknown) => (failures.push(error), 0));
      if (failures.length > 0) throw new AggregateError(failures, `cleanup: ${failures.length} of ${steps.length} steps failed; ${removed} rows removed or scrubbed`);
      return removed;
    },
    // A read of a table every installation has: it fails where the schema is gone, too.
    ping: async () => void (await db.get('SELECT 1 FROM schema_migrations LIMIT 1')),
    close: () => root.close(),
  };
}

export interface OpenStoreOptions {
  /** Apply pending migrations first (serve does; the store contract suite does). */
  migrate?: boolean;
  /** Refuse a database not at this build's schema, instead (CLI commands: migrate.ts). */
  requireCurrent?: boolean;
  now?: number;
  /** PostgreSQL connections per process (DATABASE_POOL_SIZE). */
  poolSize?: number;
  /** How long security events are kept (default SECURITY_EVENT_SECONDS). */
  securityEventSeconds?: number;
  /** Told the versions `migrate` applied, if any: an upgrade shows in the server's log. */
  onMigrated?: (applied: number[]) => void;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const db = await openDb(url, options.poolSize);
  try {
    if (options.migrate) {
      const applied = await migrate(db, options.now ?? Math.floor(Date.now() / 1000));
      if (applied.length > 0) options.onMigrated?.(applied);
    }
    else if (options.requireCurrent) await requireCurrentSchema(db, isPostgresUrl(url) ? '' : ` at ${url}`);
  } catch (error) {
    await db.close();
    throw error;
  }
  return storeOver(db, db, options.securityEventSeconds ?? SECURITY_EVENT_SECONDS);
}

export { migrate, openDb };
export type { Db };
