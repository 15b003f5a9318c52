/** The `web` grant: a web session exchanged for a short-lived access token (polar-oauth2.md §4.3). */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { aClient, anOrganization, aUser, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('web grant', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const webClient = () => aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [], scope: 'openid email products:read' });
  const sessionOf = async (cookie: string) => cookie.replace(/^polar_session=/, '');
  const row = async (accessToken: string) => {
    const { ctx } = server.borealis;
    return ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(accessToken));
  };

  test('multipart, user subject: 3600 s, no refresh token, the client scope, unrestricted', async () => {
    const client = await webClient();
    const user = await aUser(server);
    const session = await sessionOf(await signIn(server, user));
    const body = new FormData();
    for (const [k, v] of Object.entries({ grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret, session_token: session })) {
      body.append(k, v);
    }
    const response = await fetch(`${server.url}/v1/oauth2/token`, { method: 'POST', body });
    const text = await response.text();
    assert.equal(response.status, 200, text);
    const parsed = JSON.parse(text);
    assert.equal(text, `{"token_type": "Bearer", "access_token": "${parsed.access_token}", "expires_in": 3600, "scope": "openid email products:read"}`);
    const stored = await row(parsed.access_token);
    assert.equal(stored?.userId, user.id);
    assert.deepEqual(stored?.organizationIds, []);
    assert.equal(stored?.refreshTokenHash, null);
  });

  test('organization subject: down-scoped to exactly that organization', async () => {
    const client = await webClient();
    const user = await aUser(server);
    const org = await anOrganization(server, user);
    const session = await sessionOf(await signIn(server, user));
    const result = await postToken(server, {
      grant_type: 'web',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      session_token: session,
      sub_type: 'organization',
      sub: org.id,
      scope: 'products:read',
    });
    assert.equal(result.status, 200, result.text);
    const parsed = JSON.parse(result.text);
    assert.equal(parsed.scope, 'products:read');
    assert.deepEqual((await row(parsed.access_token))?.organizationIds, [org.id]);
    // Spelled as Python's uuid.UUID also reads it (Polar parses `sub` so).
    const plain = await postToken(server, { grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret, session_token: session, sub_type: 'organization', sub: `{${org.id.replaceAll('-', '').toUpperCase()}}` });
    assert.equal(plain.status, 200, plain.text);
    assert.deepEqual((await row(JSON.parse(plain.text).access_token))?.organizationIds, [org.id]);
  });

  // D1: Polar omits `scope` when nothing was granted; its own schema (and SDK 0.x) require it.
  test('narrowing that leaves nothing sends "scope": "" on the wire (D1)', async () => {
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [], scope: 'openid' });
    const session = await sessionOf(await signIn(server, await aUser(server)));
    const result = await postToken(server, {
      grant_type: 'web',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      session_token: session,
      scope: 'products:read',
    });
    assert.equal(result.status, 200, result.text);
    const { access_token } = JSON.parse(result.text);
    assert.equal(result.text, `{"token_type": "Bearer", "access_token": "${access_token}", "expires_in": 3600, "scope": ""}`);
    assert.equal((await row(access_token))?.scope, '');
  });

  test('request errors, each with its exact body', async () => {
    const client = await webClient();
    const user = await aUser(server);
    const stranger = await aUser(server);
    const foreign = await anOrganization(server, stranger);
    const session = await sessionOf(await signIn(server, user));
    const base = { grant_type: 'web', client_id: client.clientId, client_secret: client.clientSecret };
    const cases: [Record<string, string>, string][] = [
      [{}, `{"error": "invalid_request", "error_description": "Missing 'session_token' in request."}`],
      [{ session_token: session, sub_type: 'team' }, '{"error": "invalid_request", "error_description": "Invalid sub_type"}'],
      [{ session_token: session, sub_type: 'organization' }, `{"error": "invalid_request", "error_description": "Missing 'sub' for organization sub_type"}`],
      [{ session_token: session, sub: foreign.id }, `{"error": "invalid_request", "error_description": "Can't specify 'sub' for user sub_type"}`],
      [{ session_token: session, scope: 'openid nope:read' }, '{"error": "invalid_scope", "error_description": "The requested scope is invalid, unknown, or malformed."}'],
      [{ session_token: 'polar_us_notarealsession' }, '{"error": "invalid_grant"}'],
      [{ session_token: session, sub_type: 'organization', sub: 'not-a-uuid' }, `{"error": "invalid_request", "error_description": "Invalid 'sub' UUID"}`],
      [{ session_token: session, sub_type: 'organization', sub: foreign.id }, '{"error": "invalid_grant"}'],
    ];
    for (const [extra, expected] of cases) {
      const result = await postToken(server, { ...base, ...extra });
      assert.equal(result.status, 400, JSON.stringify(extra));
      assert.equal(result.text, expected, JSON.stringify(extra));
    }
  });

  test('a signed-out session no longer works', async () => {
    const client = await webClient();
    const cookie = await signIn(server, await aUser(server));
    const logout = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    assert.equal(logout.status, 303);
    const result = await postToken(server, {
      grant_type: 'web',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      session_token: await sessionOf(cookie),
    });
    assert.equal(result.text, '{"error": "invalid_grant"}');
  });

  test('a client without the web grant is unauthorized_client; public auth is not allowed', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const result = await postToken(server, {
      grant_type: 'web',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      session_token: await sessionOf(cookie),
    });
    assert.equal(result.text, `{"error": "unauthorized_client", "error_description": "The client is not authorized to use 'grant_type=web'"}`);
    const publicAttempt = await postToken(server, { grant_type: 'web', client_id: client.clientId, session_token: 'x' });
    assert.equal(publicAttempt.status, 401);
    assert.equal(
      publicAttempt.text,
      `{"error": "invalid_client", "error_description": "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']"}`,
    );
  });
});
