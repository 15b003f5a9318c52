import type { Store } from '../store.js';
import { organizations, sessions, users } from './accounts.js';
import { clients } from './clients.js';
import { codes } from './codes.js';
import { type Db, openDb } from './db.js';
import { consents } from './consents.js';
import { rateLimits } from './rate-limits.js';
import { signInThrottle } from './sign-in-throttle.js';
import { signingKeys } from './signing-keys.js';
import { migrate } from './migrate.js';
import { tokens } from './tokens.js';

function storeOver(db: Db, root: Db): Store {
  const keys = signingKeys(db);
  return {
    engine: db.engine,
    users: users(db),
    organizations: organizations(db),
    sessions: sessions(db),
    clients: clients(db),
    codes: codes(db),
    tokens: tokens(db),
    consents: consents(db),
    signingKeys: keys,
    signInThrottle: signInThrottle(db),
    rateLimits: rateLimits(db),
    transaction: (work) => db.transaction((tx) => work(storeOver(tx, root))),
    async deleteExpired(now) {
      let removed = 0;
      removed += await db.run('DELETE FROM oauth2_authorization_codes WHERE expires_at < ?', [now]);
      removed += await db.run('DELETE FROM user_sessions WHERE expires_at < ?', [now]);
      // §5.5: an expired access token whose refresh token is absent or revoked is of no further use.
      removed += await db.run(
        'DELETE FROM oauth2_tokens WHERE expires_at < ? AND (refresh_token_hash IS NULL OR refresh_token_revoked_at <> 0)',
        [now],
      );
      removed += (await keys.prune(now)).length;
      removed += await db.run('DELETE FROM sign_in_failures WHERE window_start < ? AND locked_until < ?', [now - 86400, now]);
      // Rate-limit windows are minutes long; a day-old count is of no use to any of them.
      removed += await db.run('DELETE FROM rate_limit_hits WHERE window_start_ms < ?', [(now - 86400) * 1000]);
      return removed;
    },
    close: () => root.close(),
  };
}

export interface OpenStoreOptions {
  /** Apply pending migrations first (serve does; the store contract suite does). */
  migrate?: boolean;
  now?: number;
}

export async function openStore(url: string, options: OpenStoreOptions = {}): Promise<Store> {
  const db = await openDb(url);
  if (options.migrate) await migrate(db, options.now ?? Math.floor(Date.now() / 1000));
  return storeOver(db, db);
}

export { migrate, openDb };
export type { Db };
