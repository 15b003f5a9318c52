/**
 * The registration access token (RFC 7592) after what should end it:
 * - rotating the client's secret (`borealis clients rotate-secret`, the console's "Rotate
 *   secret…"; oauth/clients.ts): the RFC 7591 response that carried the secret carried the token
 *   too, and RFC 7592's read returns the current secret to that token. So the token is replaced
 *   with the secret, and a leaked registration response is worth nothing afterwards;
 * - blocking the app's owner (oauth/registration/index.ts): their apps' tokens open nothing until
 *   they are unblocked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setBlocked } from '../../src/accounts/accounts.js';
import { rotateClientSecret } from '../../src/oauth/clients.js';
import { aUser, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const NOT_FOUND = '{"error": "invalid_client", "error_description": "The client does not exist on this server."}';
const NO_METHOD = `{"error": "invalid_client", "error_description": "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post', 'none']"}`;

describe('the registration access token', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const read = async (clientId: string, token: string) => {
    const response = await fetch(`${server.url}/v1/oauth2/register/${clientId}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: response.status, text: await response.text() };
  };
  // A refresh with a made-up token: the client authenticates first (§2.6), then the grant fails.
  const authenticates = async (clientId: string, secret: string) => {
    const result = await postToken(server, { grant_type: 'refresh_token', refresh_token: `polar_rt_u_${'A'.repeat(43)}`, client_id: clientId, client_secret: secret });
    return result.text === NO_METHOD ? false : result.status === 400 ? true : result.text;
  };

  test('rotating the secret replaces the token: the leaked response opens nothing', async () => {
    const response = await fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'Leaky', redirect_uris: ['https://leaky.example/cb'] }),
    });
    const leaked = (await response.json()) as { client_id: string; client_secret: string; registration_access_token: string };
    assert.equal((await read(leaked.client_id, leaked.registration_access_token)).status, 200);

    const { ctx } = server.borealis;
    const client = await ctx.store.clients.findByClientId(leaked.client_id);
    assert.ok(client);
    const rotated = await rotateClientSecret(ctx, client);
    assert.ok(rotated);
    assert.notEqual(rotated.registrationAccessToken, leaked.registration_access_token);

    assert.deepEqual(await read(leaked.client_id, leaked.registration_access_token), { status: 401, text: NOT_FOUND });
    // A value that is not ASCII is still a token presented here (§3.12: the endpoint reads the
    // header itself, past the middleware's §2.4), one that matches no client.
    for (const sent of [`${rotated.registrationAccessToken}\u00e9`, '\u00e9']) assert.deepEqual(await read(leaked.client_id, sent), { status: 401, text: NOT_FOUND });
    const now = await read(leaked.client_id, rotated.registrationAccessToken);
    assert.equal(now.status, 200);
    const body = JSON.parse(now.text) as Record<string, unknown>;
    assert.deepEqual([body.client_secret, body.registration_access_token], [rotated.clientSecret, rotated.registrationAccessToken]);
    assert.equal(await authenticates(leaked.client_id, leaked.client_secret), false);
    assert.equal(await authenticates(leaked.client_id, rotated.clientSecret), true);
  });

  test("while the app's owner is blocked, the token opens nothing; unblocked, it does again", async () => {
    const owner = await aUser(server);
    const response = await fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: await signIn(server, owner), origin: server.url },
      body: JSON.stringify({ client_name: 'Owned', redirect_uris: ['https://owned.example/cb'] }),
    });
    assert.equal(response.status, 201);
    const made = (await response.json()) as { client_id: string; registration_access_token: string };
    assert.equal((await read(made.client_id, made.registration_access_token)).status, 200);

    await setBlocked(server.borealis.accounts, owner.email, true);
    assert.deepEqual(await read(made.client_id, made.registration_access_token), { status: 401, text: NOT_FOUND });
    const edit = await fetch(`${server.url}/v1/oauth2/register/${made.client_id}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${made.registration_access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: made.client_id, client_name: 'Owned', redirect_uris: ['https://elsewhere.example/cb'] }),
    });
    assert.deepEqual({ status: edit.status, text: await edit.text() }, { status: 401, text: NOT_FOUND });

    await setBlocked(server.borealis.accounts, owner.email, false);
    const again = await read(made.client_id, made.registration_access_token);
    assert.equal(again.status, 200);
    assert.deepEqual((JSON.parse(again.text) as { redirect_uris: string[] }).redirect_uris, ['https://owned.example/cb'], 'the edit was refused');
  });
});
