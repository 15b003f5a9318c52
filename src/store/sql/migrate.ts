/**
 * Versioned migrations, applied in order under a cross-process lock so that several
 * instances starting together against one database apply each exactly once.
 */
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
];

export async function migrate(db: Db, now: number): Promise<number[]> {
  return db.exclusive(async (tx) => {
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const done = new Set((await tx.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version));
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
