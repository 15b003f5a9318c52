/**
 * D4's grace window against what ends access meanwhile: a rotated refresh token presented again
 * within the window gets the identical answer only while the pair it would return still works
 * (docs/compatibility.md). A block, a consent taken back on the console and a client's deletion
 * (D12) each end that pair, so the replay is refused, and nothing it would hand out works.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setBlocked } from '../../src/accounts/accounts.js';
import { type TestClient, aClient, aUser, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('the grace window after a revocation (D4)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const refresh = (client: TestClient, refreshToken: string) =>
    postToken(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.clientId, client_secret: client.clientSecret });
  const userinfo = async (token: string) => (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } })).status;

  const INVALID_GRANT = '{"error": "invalid_grant"}';
  // A deleted client no longer authenticates (client_secret_post: 400, §2.6).
  const NO_CLIENT = '{"error": "invalid_client", "error_description": "The client does not exist on this server."}';
  const ends: [string, (client: TestClient, user: { id: string; email: string }) => Promise<void>, string][] = [
    ['a block', async (_, user) => void (await setBlocked(server.borealis.accounts, user.email, true)), INVALID_GRANT],
    ['a consent taken back', async (client, user) => server.borealis.ctx.store.consents.revoke(client.clientId, user.id, server.borealis.ctx.now()), INVALID_GRANT],
    ["the client's deletion", async (client) => server.borealis.ctx.store.clients.delete(client.clientId, server.borealis.ctx.now()), NO_CLIENT],
  ];
  for (const [name, end, refusal] of ends) {
    test(`after ${name}, a replay within the window is refused and what it would return does not work`, async () => {
      const user = await aUser(server);
      const client = await aClient(server);
      const first = await tokensFor(server, client, await signIn(server, user));
      const rotated = await refresh(client, first.refresh_token ?? '');
      assert.equal(rotated.status, 200, rotated.text);
      const pair = JSON.parse(rotated.text) as { access_token: string; refresh_token: string };
      const again = await refresh(client, first.refresh_token ?? '');
      assert.equal(again.text, rotated.text, 'control: the identical answer within the window');

      await end(client, user);
      const replay = await refresh(client, first.refresh_token ?? '');
      assert.equal(replay.status, 400);
      assert.equal(replay.text, refusal);
      assert.equal(await userinfo(pair.access_token), 401);
      assert.equal((await refresh(client, pair.refresh_token)).text, refusal);
    });
  }
});
