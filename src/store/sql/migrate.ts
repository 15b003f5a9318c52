/**
 * Versioned migrations, applied in order under a cross-process lock so that several
 * instances starting together against one database apply each exactly once.
 */
import { ConfigError } from '../../config.js';
import type { Db } from './db.js';
import * as initial from './migrations/001-initial.js';
import * as uniqueLiveNonce from './migrations/002-unique-live-nonce.js';
import * as signInThrottle from './migrations/003-sign-in-throttle.js';
import * as clientCreationOrder from './migrations/004-client-creation-order.js';
import * as emailLookup from './migrations/005-email-lookup.js';
import * as consentOrganizations from './migrations/006-consent-organizations.js';
import * as rateLimits from './migrations/007-rate-limits.js';
import * as noFamilyIndex from './migrations/008-no-family-index.js';
import * as emailLookupUnicode from './migrations/009-email-lookup-unicode.js';
import * as userIndexes from './migrations/010-user-indexes.js';
import * as emailLookupNormalised from './migrations/011-email-lookup-normalised.js';
import * as organizationInvitations from './migrations/012-organization-invitations.js';
import * as emailLinks from './migrations/013-email-links.js';
import * as securityEvents from './migrations/014-security-events.js';
import * as sessionOrigin from './migrations/015-session-origin.js';
import * as userErasure from './migrations/016-user-erasure.js';
import * as deletedClientScrub from './migrations/017-deleted-client-scrub.js';

interface Migration {
  version: number;
  name: string;
  sql: string;
  /** A step SQL cannot express (Unicode case folding), run after `sql` in the same transaction. */
  after?: (tx: Db) => Promise<void>;
}

export const migrations: readonly Migration[] = [
  initial,
  uniqueLiveNonce,
  signInThrottle,
  clientCreationOrder,
  emailLookup,
  consentOrganizations,
  rateLimits,
  noFamilyIndex,
  emailLookupUnicode,
  userIndexes,
  emailLookupNormalised,
  organizationInvitations,
  emailLinks,
  securityEvents,
  sessionOrigin,
  userErasure,
  deletedClientScrub,
];

/**
 * A build older than the database would write rows the newer code cannot read (a user without
 * the lookup email of migration 005 can be registered twice) and miss tokens of a newer format.
 * Rolling back means restoring the database too, so an older build refuses to start at all.
 */
function refuseNewerSchema(done: Set<number>) {
  const known = Math.max(...migrations.map((m) => m.version));
  const newest = Math.max(0, ...done);
  if (newest > known) {
    throw new ConfigError(
      `the database's schema is at version ${newest}, newer than this build of Borealis knows (${known}): run a build at least as new as the one that migrated it`,
    );
  }
}

/**
 * Every CLI command but `migrate` works on a database already at this build's schema. Migrating
 * as a side effect, a newer build's `users create` moved the schema under an older server still
 * running, and one run from the wrong folder made a new database there without a word.
 */
export async function requireCurrentSchema(db: Db, where: string): Promise<void> {
  const exists =
    db.engine === 'sqlite'
      ? await db.get("SELECT 1 AS found FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      : await db.get("SELECT 1 AS found FROM pg_tables WHERE schemaname = current_schema() AND tablename = 'schema_migrations'");
  const done = exists ? new Set((await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version))) : new Set<number>();
  refuseNewerSchema(done);
  if (done.size === 0) throw new ConfigError(`the database${where} has no schema yet: run \`borealis migrate\` (or start \`borealis serve\`) first`);
  const pending = migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
  if (pending.length > 0) {
    throw new ConfigError(
      `the database${where} needs migrations ${pending.join(', ')}: stop the servers of older builds, then run \`borealis migrate\``,
    );
  }
}

export async function migrate(db: Db, now: number): Promise<number[]> {
  return db.exclusive(async (tx) => {
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const done = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
    refuseNewerSchema(done);
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      if (migration.sql) await tx.exec(migration.sql);
      await migration.after?.(tx);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        migration.version,
        migration.name,
        now,
      ]);
      applied.push(migration.version);
    }
    return applied;
  });
}
