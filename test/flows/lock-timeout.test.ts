/**
 * A statement held up by a lock that another connection keeps (an operator's transaction, a
 * REINDEX): PostgreSQL itself cancels it at SERVER_STATEMENT_TIMEOUT_MS (src/store/sql/postgres.ts),
 * so the 503 the client got is the whole story. Before, only the driver gave up; the backend
 * kept waiting and committed the rotation once the lock went, and the client's retry of the
 * refresh token, past the grace window, revoked its family as reuse.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { SERVER_STATEMENT_TIMEOUT_MS, STATEMENT_TIMEOUT_MS, openPostgres } from '../../src/store/sql/postgres.js';
import { aClient, aUser, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { ENGINE, type TestServer, startServer } from '../support/server.js';

const UNAVAILABLE =
  '{"error": "temporarily_unavailable", "error_description": "The authorization server is temporarily unavailable; try again later."}';

describe('a statement waiting on a lock held elsewhere (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite answers a held write lock within its busy timeout, committing nothing' }, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('a refresh held past the timeout is a 503 that changed nothing: once the lock goes, the same refresh token rotates', { timeout: 60_000 }, async () => {
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const refresh = () =>
      postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: tokens.refresh_token });

    // The test database's URL carries the server's schema (support/server.ts).
    const holder = new pg.Client({ connectionString: server.database.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT id FROM oauth2_tokens WHERE client_id = $1 FOR UPDATE', [client.clientId]);
      const started = Date.now();
      const held = await refresh();
      const took = Date.now() - started;
      assert.deepEqual([held.status, held.headers.get('retry-after'), held.text], [503, '5', UNAVAILABLE]);
      assert.ok(took >= SERVER_STATEMENT_TIMEOUT_MS - 500 && took < STATEMENT_TIMEOUT_MS + 1_000, `answered after ${took} ms`);
      // Long enough for a backend still waiting to take the lock and commit once it is released.
      await holder.query('ROLLBACK');
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      const stored = await holder.query('SELECT rotated_at FROM oauth2_tokens WHERE client_id = $1', [client.clientId]);
      assert.deepEqual(stored.rows, [{ rotated_at: null }], 'one token, not rotated');
    } finally {
      await holder.end();
    }

    const retried = await refresh();
    assert.equal(retried.status, 200, retried.text);
    assert.notEqual(JSON.parse(retried.text).refresh_token, tokens.refresh_token);
  });

  // The bound is the server's default only: a role's own statement_timeout is the operator's choice.
  test("each pooled connection is bound at 9 s, unless its role sets a statement_timeout of its own", async () => {
    const setting = async (url: string) => {
      const db = openPostgres(url, 2);
      try {
        const rows = await Promise.all([1, 2].map(() => db.transaction((tx) => tx.get<{ v: string }>("SELECT current_setting('statement_timeout') AS v"))));
        return rows.map((r) => r?.v);
      } finally {
        await db.close();
      }
    };
    assert.deepEqual(await setting(server.database.url), ['9s', '9s']);
    const role = `borealis_timeout_${process.pid}_${Date.now()}`;
    const admin = new pg.Client({ connectionString: server.database.url });
    await admin.connect();
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN SUPERUSER`);
      await admin.query(`ALTER ROLE ${role} SET statement_timeout = '1234ms'`);
      const own = new URL(server.database.url);
      own.username = role;
      assert.deepEqual(await setting(own.toString()), ['1234ms', '1234ms']);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`).catch(() => {});
      await admin.end();
    }
  });
});
