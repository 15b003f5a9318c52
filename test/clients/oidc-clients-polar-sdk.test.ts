/**
 * The Polar SDK 0.49.0 (strict zod response schemas, polar-sdk-surface.md) on the resource-side
 * endpoints of a real Borealis: `oauth2.introspect`, `oauth2.revoke`, `oauth2.userinfo`.
 * The token endpoint through the same SDK is covered by polar-sdk.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Polar } from '@polar-sh/sdk';
import { ResponseValidationError } from '@polar-sh/sdk/models/errors/responsevalidationerror.js';
import { SDKError } from '@polar-sh/sdk/models/errors/sdkerror.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const INVALID_TOKEN_BODY =
  '{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}';

async function assertSdkError(promise: Promise<unknown>, statusCode: number, body: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SDKError, `expected SDKError, got ${String(error)}`);
    assert.equal(error.statusCode, statusCode);
    assert.equal(error.body, body);
    assert.equal(error.contentType, 'application/json');
    return true;
  });
}

/**
 * SDK limitation (polar-sdk-surface.md, "Response validation in 0.x"): IntrospectTokenResponse
 * requires all 11 fields, so RFC 7662's inactive `{"active": false}` — which Polar sends too
 * (D2) — can only surface as a ResponseValidationError carrying the raw 200 body.
 */
async function assertInactive(promise: Promise<unknown>) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ResponseValidationError, `expected ResponseValidationError, got ${String(error)}`);
    assert.equal(error.statusCode, 200);
    assert.equal(error.contentType, 'application/json');
    assert.equal(error.body, '{"active": false}');
    assert.deepEqual(error.rawValue, { active: false });
    return true;
  });
}

describe('Polar SDK 0.49.0: introspect, revoke, userinfo', () => {
  let server: TestServer;
  let savedEnvToken: string | undefined;
  before(async () => {
    // The SDK falls back to POLAR_ACCESS_TOKEN when no token is configured.
    savedEnvToken = process.env.POLAR_ACCESS_TOKEN;
    delete process.env.POLAR_ACCESS_TOKEN;
    server = await startServer();
  });
  after(async () => {
    if (savedEnvToken !== undefined) process.env.POLAR_ACCESS_TOKEN = savedEnvToken;
    await server.close();
  });

  const sdk = (accessToken?: string) => new Polar(accessToken === undefined ? { serverURL: server.url } : { serverURL: server.url, accessToken });
  const credentials = (client: TestClient) => ({ clientId: client.clientId, clientSecret: client.clientSecret });

  test('introspect an active access token and refresh token: the camelCased 11 fields', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, user), { scope: 'openid email' });
    const polar = sdk();

    const access = await polar.oauth2.introspect({ token: tokens.access_token, ...credentials(client) });
    assert.equal(typeof access.iat, 'number');
    assert.deepEqual(access, {
      active: true,
      clientId: client.clientId,
      tokenType: 'access_token',
      scope: 'openid email',
      subType: 'user',
      sub: user.id,
      organizations: [],
      aud: client.clientId,
      iss: server.url,
      exp: access.iat + 864000,
      iat: access.iat,
    });

    const refresh = await polar.oauth2.introspect({ token: tokens.refresh_token ?? '', tokenTypeHint: 'refresh_token', ...credentials(client) });
    assert.deepEqual(refresh, { ...access, tokenType: 'refresh_token' });
  });

  test('introspect a down-scoped token: organizations lists the organization', async () => {
    const user = await aUser(server);
    const organization = await anOrganization(server, user);
    const client = await aClient(server);
    const { code } = await obtainCode(server, client, await signIn(server, user), { scope: 'products:read' }, [organization.id]);
    const exchanged = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    });
    assert.equal(exchanged.status, 200, exchanged.text);
    const { access_token } = JSON.parse(exchanged.text) as { access_token: string };
    const result = await sdk().oauth2.introspect({ token: access_token, ...credentials(client) });
    assert.deepEqual(result.organizations, [organization.id]);
    assert.equal(result.scope, 'products:read');
  });

  test('introspect an inactive token (unknown, another client\'s, revoked): ResponseValidationError, a documented SDK limitation', async () => {
    const client = await aClient(server);
    const other = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const polar = sdk();
    await assertInactive(polar.oauth2.introspect({ token: `polar_at_u_${'A'.repeat(43)}`, ...credentials(client) }));
    await assertInactive(polar.oauth2.introspect({ token: tokens.access_token, ...credentials(other) }));
    await polar.oauth2.revoke({ token: tokens.access_token, ...credentials(client) });
    await assertInactive(polar.oauth2.introspect({ token: tokens.access_token, ...credentials(client) }));
    await assertInactive(polar.oauth2.introspect({ token: tokens.refresh_token ?? '', ...credentials(client) }));
  });

  test('revoke: {} for a live token, an unknown one and a second time; the token is dead afterwards', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, user));
    const polar = sdk();
    assert.deepEqual(await sdk(tokens.access_token).oauth2.userinfo(), { sub: user.id, email: user.email, emailVerified: false });

    assert.deepEqual(await polar.oauth2.revoke({ token: tokens.refresh_token ?? '', tokenTypeHint: 'refresh_token', ...credentials(client) }), {});
    assert.deepEqual(await polar.oauth2.revoke({ token: tokens.refresh_token ?? '', ...credentials(client) }), {});
    assert.deepEqual(await polar.oauth2.revoke({ token: 'unknown-token', ...credentials(client) }), {});
    await assertSdkError(sdk(tokens.access_token).oauth2.userinfo(), 401, INVALID_TOKEN_BODY);
  });

  test("revoke another client's token → SDKError 400 invalid_grant; a wrong secret → SDKError 401 invalid_client", async () => {
    const client = await aClient(server);
    const other = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, await aUser(server)));
    const polar = sdk();
    await assertSdkError(polar.oauth2.revoke({ token: tokens.access_token, ...credentials(other) }), 400, '{"error": "invalid_grant"}');
    await assertSdkError(
      polar.oauth2.revoke({ token: tokens.access_token, clientId: client.clientId, clientSecret: other.clientSecret }),
      401,
      // 'none' too: public clients may revoke their own tokens (docs/compatibility.md).
      `{"error": "invalid_client", "error_description": "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post', 'none']"}`,
    );
    assert.equal((await polar.oauth2.introspect({ token: tokens.access_token, ...credentials(client) })).active, true);
  });

  test('userinfo: email claims only with the email scope; Unauthorized without a token; invalid_token for a bad one', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const withEmail = await tokensFor(server, client, cookie, { scope: 'openid email' });
    const withoutEmail = await tokensFor(server, client, cookie, { scope: 'openid profile' });
    assert.deepEqual(await sdk(withEmail.access_token).oauth2.userinfo(), { sub: user.id, email: user.email, emailVerified: false });
    assert.deepEqual(await sdk(withoutEmail.access_token).oauth2.userinfo(), { sub: user.id });

    await assertSdkError(sdk().oauth2.userinfo(), 401, '{"error":"Unauthorized","detail":"Unauthorized"}');
    await assertSdkError(sdk('garbage').oauth2.userinfo(), 401, INVALID_TOKEN_BODY);
    await assertSdkError(sdk(withEmail.refresh_token ?? '').oauth2.userinfo(), 401, INVALID_TOKEN_BODY);
  });
});
