/**
 * D4: refresh rotation is atomic; within the grace window every parallel refresh of one token
 * gets the identical response and exactly one new pair exists; after it, reuse revokes the family.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SealedBox } from '../../src/keys/sealed-box.js';
import { openDb } from '../../src/store/sql/db.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { ENGINE, TEST_SECRET, type TestServer, fakeClock, freePort, startServer, untilServing } from '../support/server.js';

const refresh = (server: { url: string }, client: TestClient, refreshToken: string, extra: Record<string, string> = {}) =>
  postToken(server as TestServer, {
    grant_type: 'refresh_token',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    refresh_token: refreshToken,
    ...extra,
  });

async function familyRows(server: TestServer, accessToken: string) {
  const { ctx } = server.borealis;
  const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(accessToken));
  assert.ok(row);
  const db = await openDb(server.database.url);
  try {
    return await db.all<{ id: string; access_token_revoked_at: number; refresh_token_revoked_at: number }>(
      'SELECT id, access_token_revoked_at, refresh_token_revoked_at FROM oauth2_tokens WHERE family_id = ? ORDER BY issued_at',
      [row.familyId],
    );
  } finally {
    await db.close();
  }
}

describe('refresh_token grant', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
  });
  after(() => server.close());

  test('rotates: new pair, 3600 s, same scope, the old access token is revoked with its row', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const result = await refresh(server, client, first.refresh_token as string);
    assert.equal(result.status, 200);
    const body = JSON.parse(result.text);
    assert.equal(
      result.text,
      `{"token_type": "Bearer", "access_token": "${body.access_token}", "expires_in": 3600, "refresh_token": "${body.refresh_token}", "scope": "openid email"}`,
    );
    assert.notEqual(body.refresh_token, first.refresh_token);
    const rows = await familyRows(server, body.access_token);
    assert.equal(rows.length, 2);
    assert.notEqual(rows[0]?.refresh_token_revoked_at, 0);
  });

  // D4: the grace response is kept sealed under a key derived from the refresh token it
  // answers, so the database (and its backups) never holds a usable bearer value.
  test('the stored grace response holds no bearer value, and only the rotated refresh token opens it (D4)', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const presented = first.refresh_token as string;
    const result = await refresh(server, client, presented);
    assert.equal(result.status, 200);
    const { access_token, refresh_token } = JSON.parse(result.text);
    const { ctx } = server.borealis;
    const row = await ctx.store.tokens.findByRefresh(ctx.credentials.tokenKey(presented));
    const sealed = row?.rotatedResponse;
    assert.ok(row && sealed);
    for (const stored of [sealed, Buffer.from(sealed, 'base64url').toString('latin1')]) {
      assert.equal(stored.includes(access_token), false);
      assert.equal(stored.includes(refresh_token), false);
    }
    const context = `oauth2_tokens.rotated_response:${row.id}`;
    assert.deepEqual(JSON.parse(SealedBox.keyedBy(ctx.graceKey, presented).open(sealed, context) ?? 'null'), JSON.parse(result.text));
    assert.equal(SealedBox.keyedBy(ctx.graceKey, refresh_token).open(sealed, context), undefined);
    assert.equal(SealedBox.forPurpose(TEST_SECRET, 'refresh-grace').open(sealed, context), undefined);
  });

  test('scope may be narrowed, never widened', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const wider = await refresh(server, client, first.refresh_token as string, { scope: 'openid email products:read' });
    assert.equal(wider.status, 400);
    assert.equal(wider.text, '{"error": "invalid_scope", "error_description": "The requested scope is invalid, unknown, or malformed."}');
    const narrower = await refresh(server, client, first.refresh_token as string, { scope: 'email' });
    assert.equal(narrower.status, 200);
    assert.equal(JSON.parse(narrower.text).scope, 'email');
  });

  test('50 parallel refreshes within the grace window get one identical response; one new pair exists', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const results = await Promise.all(Array.from({ length: 50 }, () => refresh(server, client, first.refresh_token as string)));
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(results.map((r) => r.text)).size, 1);
    const rows = await familyRows(server, first.access_token);
    assert.equal(rows.length, 2);
  });

  test('revoking the replaced access token does not turn a parallel refresh into reuse (D4)', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const rotated = await refresh(server, client, first.refresh_token as string);
    const revoked = await fetch(`${server.url}/v1/oauth2/revoke`, {
      method: 'POST',
      body: new URLSearchParams({ token: first.access_token, client_id: client.clientId, client_secret: client.clientSecret }),
    });
    assert.equal(revoked.status, 200);
    clock.advance(1);
    const straggler = await refresh(server, client, first.refresh_token as string);
    assert.equal(straggler.status, 200);
    assert.equal(straggler.text, rotated.text);
    const { ctx } = server.borealis;
    const row = (accessToken: string) => ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(accessToken));
    assert.notEqual((await row(first.access_token))?.accessTokenRevokedAt, 0);
    assert.equal((await row(JSON.parse(rotated.text).access_token))?.accessTokenRevokedAt, 0);
    const next = await refresh(server, client, JSON.parse(rotated.text).refresh_token);
    assert.equal(next.status, 200);
  });

  test('reuse after the grace window is refused and revokes every token of the family', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const second = JSON.parse((await refresh(server, client, first.refresh_token as string)).text);
    clock.advance(11);
    const reuse = await refresh(server, client, first.refresh_token as string);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.text, '{"error": "invalid_grant"}');
    const rows = await familyRows(server, first.access_token);
    assert.ok(rows.every((r) => r.access_token_revoked_at !== 0 && r.refresh_token_revoked_at !== 0));
    const child = await refresh(server, client, second.refresh_token);
    assert.equal(child.text, '{"error": "invalid_grant"}');
  });

  test('a clock stepped back: a rotation stamped more than the window ahead is reuse, not a replay; within it, a replay', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const second = await refresh(server, client, first.refresh_token as string);
    clock.advance(-5); // another instance's clock, 5 s behind: still the race the window is for
    assert.equal((await refresh(server, client, first.refresh_token as string)).text, second.text);
    clock.advance(-3600); // an hour back: the rotation "happened" in the future
    const reuse = await refresh(server, client, first.refresh_token as string);
    clock.advance(3605);
    assert.equal(reuse.text, '{"error": "invalid_grant"}');
    const rows = await familyRows(server, first.access_token);
    assert.ok(rows.every((r) => r.access_token_revoked_at !== 0 && r.refresh_token_revoked_at !== 0));
  });

  test('a grace response no key opens (sealed by another build) is refused without revoking the family', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const second = JSON.parse((await refresh(server, client, first.refresh_token as string)).text);
    const { ctx } = server.borealis;
    const row = await ctx.store.tokens.findByRefresh(ctx.credentials.tokenKey(first.refresh_token as string));
    assert.ok(row);
    // As builds before the grace key was derived per token sealed it: one key for every response.
    const foreign = SealedBox.forPurpose(TEST_SECRET, 'refresh-grace').seal(JSON.stringify(second), `oauth2_tokens.rotated_response:${row.id}`);
    const db = await openDb(server.database.url);
    try {
      await db.run('UPDATE oauth2_tokens SET rotated_response = ? WHERE id = ?', [foreign, row.id]);
    } finally {
      await db.close();
    }
    clock.advance(1);
    const replay = await refresh(server, client, first.refresh_token as string);
    assert.equal(replay.status, 400);
    assert.equal(replay.text, '{"error": "invalid_grant"}');
    const rows = await familyRows(server, second.access_token);
    const live = rows.filter((r) => r.refresh_token_revoked_at === 0).map((r) => r.id);
    assert.equal(rows.length, 2);
    assert.equal(live.length, 1, 'the winner keeps its pair');
    assert.notEqual(live[0], row.id, 'the rotated row is the one spent');
    assert.equal((await refresh(server, client, second.refresh_token)).status, 200);
  });

  test("another client's refresh token is invalid_grant and stays valid for its owner", async () => {
    const owner = await aClient(server);
    const thief = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, owner, cookie);
    const stolen = await refresh(server, thief, first.refresh_token as string);
    assert.equal(stolen.text, '{"error": "invalid_grant"}');
    assert.equal((await refresh(server, owner, first.refresh_token as string)).status, 200);
  });

  test('reuse is still detected after the cleanup: a rotated token is kept while its family can refresh', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const second = JSON.parse((await refresh(server, client, first.refresh_token as string)).text);
    // Past the first access token's 10 days: Polar's cleanup (§5.5) would delete the rotated row.
    clock.advance(864_000 + 60);
    await server.borealis.ctx.store.deleteExpired(clock());
    const reuse = await refresh(server, client, first.refresh_token as string);
    assert.equal(reuse.text, '{"error": "invalid_grant"}');
    assert.equal((await refresh(server, client, second.refresh_token)).text, '{"error": "invalid_grant"}', 'the family is revoked');
  });
});

describe('refresh_token grant with the grace window disabled', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REFRESH_GRACE_SECONDS: '0' } });
  });
  after(() => server.close());

  test('a second use is reuse at once', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    assert.equal((await refresh(server, client, first.refresh_token as string)).status, 200);
    // Nothing could ever open a grace response now, so none is stored.
    const { ctx } = server.borealis;
    const rotated = await ctx.store.tokens.findByRefresh(ctx.credentials.tokenKey(first.refresh_token as string));
    assert.notEqual(rotated?.rotatedAt, null);
    assert.equal(rotated?.rotatedResponse, null);
    const again = await refresh(server, client, first.refresh_token as string);
    assert.equal(again.text, '{"error": "invalid_grant"}');
  });
});

describe('refresh_token across two server processes sharing PostgreSQL', { skip: ENGINE !== 'postgres' && 'runs in the PostgreSQL pass' }, () => {
  let server: TestServer;
  const processes: ChildProcess[] = [];
  const urls: string[] = [];

  before(async () => {
    server = await startServer();
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const child = spawn(process.execPath, ['bin/borealis.js', 'serve', '--port', String(port), '--database', server.database.url], {
        env: {
          ...process.env,
          BOREALIS_SECRET: TEST_SECRET,
          BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-proc-')),
          BOREALIS_PUBLIC_URL: server.url,
          LOG_LEVEL: 'warn',
          HOST: '127.0.0.1',
        },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      processes.push(child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    for (const url of urls) await untilServing(url);
  });
  after(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await server.close();
  });

  test('50 parallel refreshes split over two processes: identical answers, one new pair', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const first = await tokensFor(server, client, cookie);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => refresh({ url: urls[i % 2] as string }, client, first.refresh_token as string)),
    );
    assert.deepEqual(new Set(results.map((r) => r.status)), new Set([200]));
    assert.equal(new Set(results.map((r) => r.text)).size, 1);
    assert.equal((await familyRows(server, first.access_token)).length, 2);
  });

  test('a code exchanged on one process and replayed on the other is refused and revokes its tokens (D5)', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const { code } = await obtainCode(server, client, cookie, { scope: 'email' });
    const exchange = (url: string) =>
      postToken({ url } as TestServer, {
        grant_type: 'authorization_code',
        client_id: client.clientId,
        client_secret: client.clientSecret,
        code,
        redirect_uri: REDIRECT_URI,
      });
    const first = await exchange(urls[0] as string);
    assert.equal(first.status, 200);
    const replay = await exchange(urls[1] as string);
    assert.equal(replay.text, `{"error": "invalid_grant", "error_description": "Invalid 'code' in request."}`);
    const rows = await familyRows(server, JSON.parse(first.text).access_token);
    assert.ok(rows.every((r) => r.access_token_revoked_at !== 0));
  });
});
