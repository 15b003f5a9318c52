/**
 * Token selectors (src/oauth/credentials.ts, docs/compatibility.md): access and refresh tokens
 * start with a time-ordered selector, and their row stores it in front of the HMAC, so the unique
 * indexes they are looked up in grow at their end. Tokens stored before selectors (the HMAC alone)
 * keep working for every use, and a token is only ever found by its own HMAC.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { checksum } from '../../src/oauth/credentials.js';
import { type Db, openDb } from '../../src/store/sql/db.js';
import { type TestClient, aClient, aUser, form, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const PREFIX = 'polar_at_u_'.length; // refresh tokens' prefix `polar_rt_u_` is as long

describe('token selectors', () => {
  let server: TestServer;
  let db: Db;
  let client: TestClient;
  let cookie: string;
  before(async () => {
    server = await startServer();
    db = await openDb(server.database.url);
    client = await aClient(server);
    cookie = await signIn(server, await aUser(server));
  });
  after(async () => {
    await db.close();
    await server.close();
  });

  const endpoint = (path: string, fields: Record<string, string>) =>
    fetch(`${server.url}/v1/oauth2/${path}`, {
      method: 'POST',
      body: form({ client_id: client.clientId, client_secret: client.clientSecret, ...fields }),
    });
  const introspect = async (token: string) => (await (await endpoint('introspect', { token })).json()) as { active: boolean };
  const userinfo = (token: string) => fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  const refresh = (refreshToken: string) =>
    postToken(server, { grant_type: 'refresh_token', client_id: client.clientId, client_secret: client.clientSecret, refresh_token: refreshToken });
  const storedRow = (accessToken: string) =>
    db.get<{ id: string; access_token_hash: string; refresh_token_hash: string }>(
      'SELECT id, access_token_hash, refresh_token_hash FROM oauth2_tokens WHERE access_token_hash = ?',
      [server.borealis.ctx.credentials.tokenKey(accessToken).hash],
    );

  test('both tokens of a row share its selector; the stored keys are the selector in hex, then the HMAC, in issue order', async () => {
    const { credentials } = server.borealis.ctx;
    const issued: { access_token: string; refresh_token?: string }[] = [];
    for (let i = 0; i < 4; i++) {
      issued.push(await tokensFor(server, client, cookie));
      await sleep(3); // a later millisecond: selectors order by time, not within one millisecond
    }
    const keys: string[] = [];
    for (const { access_token, refresh_token } of issued) {
      assert.ok(refresh_token);
      assert.equal(access_token.slice(PREFIX, PREFIX + 9), refresh_token.slice(PREFIX, PREFIX + 9));
      const row = await storedRow(access_token);
      assert.ok(row);
      assert.match(row.access_token_hash, /^[0-9a-f]{78}$/);
      assert.equal(row.access_token_hash.slice(14), credentials.hash(access_token));
      assert.equal(row.refresh_token_hash, credentials.tokenKey(refresh_token).hash);
      assert.equal(row.refresh_token_hash.slice(0, 14), row.access_token_hash.slice(0, 14));
      keys.push(row.access_token_hash);
    }
    assert.deepEqual([...keys].sort(), keys);
    // The selector is the issue time in milliseconds, times 2048, plus 11 random bits.
    const issuedAtMs = Math.floor(parseInt(keys.at(-1)!.slice(0, 14), 16) / 2048);
    assert.ok(Math.abs(Date.now() - issuedAtMs) < 60_000, `selector time ${issuedAtMs}`);
  });

  test('a row stored before selectors (its HMAC alone) still introspects, serves userinfo, refreshes and revokes', async () => {
    const legacy = async () => {
      const tokens = await tokensFor(server, client, cookie);
      const row = await storedRow(tokens.access_token);
      assert.ok(row);
      await db.run('UPDATE oauth2_tokens SET access_token_hash = ?, refresh_token_hash = ? WHERE id = ?', [
        row.access_token_hash.slice(14),
        row.refresh_token_hash.slice(14),
        row.id,
      ]);
      return tokens as Required<typeof tokens>;
    };
    const first = await legacy();
    assert.deepEqual(await introspect(first.access_token).then((r) => r.active), true);
    assert.deepEqual(await introspect(first.refresh_token).then((r) => r.active), true);
    assert.equal((await userinfo(first.access_token)).status, 200);
    const rotated = await refresh(first.refresh_token);
    assert.equal(rotated.status, 200, rotated.text);
    const next = JSON.parse(rotated.text) as { access_token: string };
    assert.match((await storedRow(next.access_token))?.access_token_hash ?? '', /^[0-9a-f]{78}$/);
    assert.equal((await userinfo(next.access_token)).status, 200);

    const second = await legacy();
    assert.equal((await endpoint('revoke', { token: second.access_token })).status, 200);
    assert.deepEqual(await introspect(second.access_token), { active: false });
    assert.equal((await userinfo(second.access_token)).status, 401);
    assert.equal((await refresh(second.refresh_token)).status, 400);
  });

  test('a token an older Borealis minted (random where the selector goes, stored by HMAC) works', async () => {
    const { credentials } = server.borealis.ctx;
    const user = await db.get<{ id: string }>('SELECT user_id AS id FROM oauth2_tokens LIMIT 1');
    assert.ok(user);
    const access = credentials.mint('userAccessToken');
    const refreshToken = credentials.mint('userRefreshToken');
    const now = Math.floor(Date.now() / 1000);
    await db.run(
      `INSERT INTO oauth2_tokens (id, family_id, client_id, user_id, sub_type, access_token_hash, refresh_token_hash, scope, issued_at, expires_in, expires_at)
       VALUES (?, ?, ?, ?, 'user', ?, ?, 'openid email', ?, 3600, ?)`,
      [randomUUID(), randomUUID(), client.clientId, user.id, credentials.hash(access), credentials.hash(refreshToken), now, now + 3600],
    );
    assert.deepEqual(await introspect(access).then((r) => r.active), true);
    assert.equal((await userinfo(access)).status, 200);
    assert.equal((await refresh(refreshToken)).status, 200);
  });

  test('a well-formed token with a live row\'s selector but other random characters is not that row', async () => {
    const { access_token, refresh_token } = await tokensFor(server, client, cookie);
    assert.ok(refresh_token);
    const forge = (token: string) => {
      const random = token.slice(PREFIX, PREFIX + 9) + 'A'.repeat(28);
      return token.slice(0, PREFIX) + random + checksum(random);
    };
    assert.deepEqual(await introspect(forge(access_token)), { active: false });
    assert.equal((await userinfo(forge(access_token))).status, 401);
    const forged = await refresh(forge(refresh_token));
    assert.equal(forged.status, 400);
    assert.equal(forged.text, '{"error": "invalid_grant"}');
    // The real ones still work.
    assert.deepEqual(await introspect(access_token).then((r) => r.active), true);
  });
});
