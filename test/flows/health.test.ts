/**
 * Health checks (src/http/routes/health.ts): liveness needs only the process, readiness a
 * database round trip in time. Broken databases are real ones: the schema's table renamed away,
 * or (PostgreSQL) locked by another session so that the round trip cannot finish.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { READY_TIMEOUT_MS } from '../../src/http/routes/health.js';
import { type Db, openDb } from '../../src/store/sql/db.js';
import { ENGINE, type TestServer, startServer } from '../support/server.js';

const OK = '{"status":"ok"}';
const UNAVAILABLE = '{"status":"unavailable"}';

describe(`health checks (${ENGINE})`, () => {
  let server: TestServer;
  let db: Db;
  before(async () => {
    server = await startServer();
    db = await openDb(server.database.url);
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  const probe = async (path: string) => {
    const response = await fetch(`${server.url}${path}`);
    return {
      status: response.status,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      body: await response.text(),
    };
  };
  const answer = (status: number, body: string) => ({ status, contentType: 'application/json', cacheControl: 'no-store', body });

  test('a serving instance is live and ready; no cache keeps either answer', async () => {
    assert.deepEqual(await probe('/health/live'), answer(200, OK));
    assert.deepEqual(await probe('/health/ready'), answer(200, OK));
  });

  test('only GET (and HEAD) are answered', async () => {
    const response = await fetch(`${server.url}/health/ready`, { method: 'POST' });
    assert.equal(response.status, 404);
    assert.equal((await fetch(`${server.url}/health/live`, { method: 'HEAD' })).status, 200);
  });

  test('a database whose schema is gone: not ready, still live; ready again once it is back', async () => {
    await db.exec('ALTER TABLE schema_migrations RENAME TO schema_migrations_away');
    try {
      assert.deepEqual(await probe('/health/ready'), answer(503, UNAVAILABLE));
      assert.deepEqual(await probe('/health/live'), answer(200, OK));
    } finally {
      await db.exec('ALTER TABLE schema_migrations_away RENAME TO schema_migrations');
    }
    assert.deepEqual(await probe('/health/ready'), answer(200, OK));
  });

  test(
    'a database that does not answer: not ready within the deadline, not hanging the probe',
    { skip: ENGINE === 'sqlite' && 'SQLite is a file this process reads; WAL readers are never blocked, so no round trip can hang' },
    async () => {
      await db.transaction(async (tx) => {
        await tx.exec('LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE');
        const started = Date.now();
        assert.deepEqual(await probe('/health/ready'), answer(503, UNAVAILABLE));
        const took = Date.now() - started;
        assert.ok(took >= READY_TIMEOUT_MS - 50, `answered after ${took} ms, before the deadline`);
        assert.deepEqual(await probe('/health/live'), answer(200, OK));
      });
      assert.deepEqual(await probe('/health/ready'), answer(200, OK));
    },
  );
});
