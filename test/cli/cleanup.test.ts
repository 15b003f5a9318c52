/** `borealis cleanup`: the servers' hourly cleanup (store/maintenance.test.ts), run once from the command line. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { timeOrderedId } from '../../src/oauth/ids.js';
import { openStore } from '../../src/store/sql/index.js';
import { aSession, hex64, storedUser } from '../store/fixtures.js';
import { cliSandbox, run } from '../support/cli.js';
import { TEST_SECRET } from '../support/server.js';

describe('borealis cleanup', () => {
  const cli = cliSandbox();
  const { borealis, json, fails } = cli;
  const now = () => Math.floor(Date.now() / 1000);

  /** Stores an expired session and a security event two days old, for a user of its own. */
  async function somethingToClean() {
    const store = await openStore(cli.database.url);
    try {
      const user = await storedUser(store);
      const session = aSession(user.id, { createdAt: now() - 7200, expiresAt: now() - 60 });
      await store.sessions.create(session, hex64());
      const event = { id: timeOrderedId(Date.now()), type: 'sign_in.succeeded', occurredAt: now() - 2 * 86400, userId: user.id, clientId: null, organizationId: null, ip: null, details: {} };
      await store.securityEvents.append(event);
      return { user: user.id };
    } finally {
      await store.close();
    }
  }
  const eventsOf = async (userId: string) => {
    const store = await openStore(cli.database.url);
    try {
      return (await store.securityEvents.list({ userId }, 0, 10)).total;
    } finally {
      await store.close();
    }
  };

  test('removes what has expired, once; a second run finds nothing', async () => {
    await json('migrate');
    const { user } = await somethingToClean();
    assert.deepEqual(await json('cleanup'), { removed: 1 }, 'the expired session; the event is within the 90 days kept');
    assert.equal(await eventsOf(user), 1);
    assert.equal(await borealis('cleanup'), 'cleanup: 0 rows removed or scrubbed\n');
  });

  test('security events go after BOREALIS_SECURITY_EVENT_DAYS, as the servers count them', async () => {
    const { user } = await somethingToClean();
    const env = { ...process.env, DATABASE_URL: cli.database.url, BOREALIS_SECRET: TEST_SECRET, BOREALIS_DATA_DIR: cli.dataDir, BOREALIS_SECURITY_EVENT_DAYS: '1' };
    const { stdout } = await run(process.execPath, ['bin/borealis.js', 'cleanup', '--json'], { env });
    assert.deepEqual(JSON.parse(stdout), { removed: 3 }, "this test's session, and its event and the test before's, both two days old");
    assert.equal(await eventsOf(user), 0);
  });

  test('a stray argument is a usage error (exit 2); an unreachable database exits 1 in one line', async () => {
    const stray = await fails({}, 'cleanup', 'now');
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^borealis: an argument without its --option/);
    const unreachable = await fails({ DATABASE_URL: `postgres://postgres@127.0.0.1:1/${randomUUID()}` }, 'cleanup');
    assert.equal(unreachable.code, 1);
    assert.match(unreachable.stderr, /^borealis: .*\n\(LOG_LEVEL=debug shows where it failed\)\n$/);
  });
});
