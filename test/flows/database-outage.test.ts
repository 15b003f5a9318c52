/**
 * PostgreSQL stops answering (src/store/sql/postgres.ts): requests fail within the statement and
 * connect timeouts with a 503 the client may retry, never hang; readiness says so at once; once
 * the database answers again the server recovers without a restart. A real PostgreSQL behind a
 * proxy the test freezes (test/support/tcp-proxy.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/store/sql/db.js';
import { CONNECT_TIMEOUT_MS, STATEMENT_TIMEOUT_MS } from '../../src/store/sql/postgres.js';
import { StoreUnavailable } from '../../src/store/store.js';
import { aClient, aUser, form, signIn, tokensFor } from '../support/fixtures.js';
import { ENGINE, type TestDatabase, type TestServer, freshDatabase, startServer } from '../support/server.js';
import { type TcpProxy, tcpProxy } from '../support/tcp-proxy.js';

const UNAVAILABLE =
  '{"error": "temporarily_unavailable", "error_description": "The authorization server is temporarily unavailable; try again later."}';

describe('a database that stops answering (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite is a file in this process, with no connection to lose' }, () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  before(async () => {
    database = await freshDatabase();
    const real = new URL(database.url);
    proxy = await tcpProxy(Number(real.port || 5432), real.hostname);
    real.port = String(proxy.port);
    server = await startServer({ database: { url: real.toString(), drop: async () => {} } });
  });
  after(async () => {
    await server.close();
    await proxy.close();
    await database.drop();
  });

  const introspect = async (client: { clientId: string; clientSecret: string }, token: string) => {
    const started = Date.now();
    const response = await fetch(`${server.url}/v1/oauth2/introspect`, {
      method: 'POST',
      body: form({ client_id: client.clientId, client_secret: client.clientSecret, token }),
    });
    return {
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      cacheControl: response.headers.get('cache-control'),
      text: await response.text(),
      took: Date.now() - started,
    };
  };

  test('frozen: a 503 to retry within the timeouts, readiness fails at once; thawed: served again', { timeout: 60_000 }, async () => {
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    assert.equal(JSON.parse((await introspect(client, tokens.access_token)).text).active, true);

    proxy.freeze();
    try {
      const ready = await fetch(`${server.url}/health/ready`);
      assert.equal(ready.status, 503);
      const answers = await Promise.all([introspect(client, tokens.access_token), introspect(client, tokens.access_token)]);
      for (const answer of answers) {
        assert.deepEqual(
          { status: answer.status, retryAfter: answer.retryAfter, cacheControl: answer.cacheControl, text: answer.text },
          { status: 503, retryAfter: '5', cacheControl: 'no-store', text: UNAVAILABLE },
        );
        assert.ok(answer.took < STATEMENT_TIMEOUT_MS + CONNECT_TIMEOUT_MS + 1000, `answered after ${answer.took} ms`);
      }
    } finally {
      proxy.thaw();
    }

    // The connections that stopped answering were dropped, not pooled again: no restart needed.
    for (let i = 0; i < 3; i++) {
      const answer = await introspect(client, tokens.access_token);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(JSON.parse(answer.text).active, true);
    }
    assert.equal((await fetch(`${server.url}/health/ready`)).status, 200);
  });

  test('frozen inside a transaction: StoreUnavailable within one statement timeout, the connection dropped without a ROLLBACK to wait for', { timeout: 60_000 }, async () => {
    const url = new URL(database.url);
    url.port = String(proxy.port);
    const db = await openDb(url.toString());
    try {
      await db.get('SELECT 1 AS one');
      const started = Date.now();
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.get('SELECT 1 AS one');
          proxy.freeze();
          await tx.get('SELECT 2 AS two');
        }),
        StoreUnavailable,
      );
      // A ROLLBACK sent on the frozen connection would wait out a second statement timeout.
      const took = Date.now() - started;
      assert.ok(took < STATEMENT_TIMEOUT_MS + 2000, `answered after ${took} ms`);
    } finally {
      proxy.thaw();
      await db.close();
    }
  });
});
