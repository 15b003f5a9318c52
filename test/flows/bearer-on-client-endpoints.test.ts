/**
 * Token, revocation and introspection authenticate the client from the body or Basic
 * (RFC 6749 §2.3), never from a Bearer token. Polar's global middleware (polar-oauth2.md §2.4,
 * derived) would answer a stray invalid Bearer there with 401 invalid_token; Borealis ignores it
 * (docs/compatibility.md), so SDK 1.x, which sends `Authorization: Bearer undefined` on every
 * call, can use these endpoints.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestClient, aClient, aUser, form, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const STRAY = ['Bearer undefined', 'Bearer ', 'Bearer polar_at_u_not-a-real-token'];

describe('a stray Bearer header on the client-authenticated endpoints', () => {
  let server: TestServer;
  let client: TestClient;
  let cookie: string;
  before(async () => {
    server = await startServer();
    client = await aClient(server);
    cookie = await signIn(server, await aUser(server));
  });
  after(() => server.close());

  const post = async (path: string, fields: Record<string, string>, authorization: string) => {
    const response = await fetch(`${server.url}${path}`, { method: 'POST', body: form(fields), headers: { authorization } });
    return { status: response.status, text: await response.text() };
  };

  for (const authorization of STRAY) {
    test(`${JSON.stringify(authorization)}: refresh, introspect and revoke answer as without it`, async () => {
      const issued = await tokensFor(server, client, cookie);
      const credentials = { client_id: client.clientId, client_secret: client.clientSecret };
      const refreshed = await postToken(server, { grant_type: 'refresh_token', refresh_token: issued.refresh_token, ...credentials }, { authorization });
      assert.equal(refreshed.status, 200, refreshed.text);
      const next = JSON.parse(refreshed.text) as { access_token: string };
      const introspected = await post('/v1/oauth2/introspect', { token: next.access_token, ...credentials }, authorization);
      assert.equal(introspected.status, 200, introspected.text);
      assert.equal((JSON.parse(introspected.text) as { active: boolean }).active, true);
      const revoked = await post('/v1/oauth2/revoke', { token: next.access_token, ...credentials }, authorization);
      assert.deepEqual(revoked, { status: 200, text: '{}' });
      const after = await post('/v1/oauth2/introspect', { token: next.access_token, ...credentials }, authorization);
      assert.deepEqual(after, { status: 200, text: '{"active": false}' });
    });
  }

  test('a Bearer header is not client authentication: without body credentials the client is still unauthenticated', async () => {
    const issued = await tokensFor(server, client, cookie);
    const answer = await postToken(
      server,
      { grant_type: 'refresh_token', refresh_token: issued.refresh_token, client_id: client.clientId },
      { authorization: `Bearer ${issued.access_token}` },
    );
    assert.equal(answer.status, 401, answer.text);
    assert.equal(
      answer.text,
      `{"error": "invalid_client", "error_description": "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post', 'none']"}`,
    );
  });
});
