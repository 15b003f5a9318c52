/**
 * The real Polar SDK 0.49.0 (Speakeasy, strict zod response schemas) drives the token endpoint of
 * a real Borealis for all three grants (polar-sdk-surface.md §0.49.0). Every success reply must pass
 * the SDK's TokenResponse validation (`token_type` the literal "Bearer", integer `expires_in`,
 * `scope` always present: D1); every error surfaces as an `SDKError` carrying the status and the
 * raw body, which must be the exact RFC 6749 JSON Polar sends (polar-oauth2.md §2.3-A, §2.6, §4).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Polar } from '@polar-sh/sdk';
import { SDKError } from '@polar-sh/sdk/models/errors/sdkerror.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, obtainCode, signIn } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

const ACCESS_TOKEN = /^polar_at_u_[0-9A-Za-z]{43}$/;
const REFRESH_TOKEN = /^polar_rt_u_[0-9A-Za-z]{43}$/;
const JWT = /^[\w-]+\.[\w-]+\.[\w-]+$/;

const INVALID_GRANT = '{"error": "invalid_grant"}';
const cannotAuthenticate = (methods: string[]) =>
  `{"error": "invalid_client", "error_description": "The client cannot authenticate with methods: [${methods.map((m) => `'${m}'`).join(', ')}]"}`;

/** The SDK rebuilds the object in its schema's key order, so only the set of keys is meaningful. */
const keys = (value: object) => Object.keys(value).sort();

const sdkFor = (server: TestServer) => new Polar({ serverURL: server.url });

/** The `polar_session` cookie value (what the `web` grant calls `session_token`). */
async function sessionToken(server: TestServer, user: Awaited<ReturnType<typeof aUser>>): Promise<string> {
  const cookie = await signIn(server, user);
  assert.ok(cookie.startsWith('polar_session='), cookie);
  return cookie.slice('polar_session='.length);
}

/** A code flow through the HTTP API, exchanged by the SDK. */
async function sdkCodeExchange(server: TestServer, client: TestClient, cookie: string, query: Record<string, string> = {}) {
  const { code } = await obtainCode(server, client, cookie, query);
  return sdkFor(server).oauth2.token({
    grantType: 'authorization_code',
    clientId: client.clientId,
    clientSecret: client.clientSecret,
    code,
    redirectUri: REDIRECT_URI,
  });
}

/** The SDK's only error for a 4xx on token(): an SDKError with the status and the raw body. */
async function assertSdkError(promise: Promise<unknown>, statusCode: number, body: string) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof SDKError, `expected SDKError, got ${String(error)}`);
    assert.equal(error.name, 'SDKError');
    assert.equal(error.statusCode, statusCode);
    assert.equal(error.body, body);
    assert.equal(error.contentType, 'application/json');
    assert.match(error.message, new RegExp(`^API error occurred: Status ${statusCode}[.\\n]`));
    return true;
  });
}

describe('Polar SDK 0.49.0: token endpoint', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('authorization_code with openid: the SDK accepts the reply, id_token included', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const result = await sdkCodeExchange(server, client, cookie, { scope: 'openid email', nonce: 'n-sdk' });

    assert.deepEqual(keys(result), ['accessToken', 'expiresIn', 'idToken', 'refreshToken', 'scope', 'tokenType']);
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(result.expiresIn, 864000);
    assert.ok(Number.isInteger(result.expiresIn));
    assert.match(result.accessToken, ACCESS_TOKEN);
    assert.match(result.refreshToken ?? '', REFRESH_TOKEN);
    assert.equal(result.scope, 'openid email');
    assert.match(result.idToken ?? '', JWT);
  });

  test('authorization_code without openid: no id_token, still a refresh token and a scope string', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const result = await sdkCodeExchange(server, client, cookie, { scope: 'products:read' });

    assert.deepEqual(keys(result), ['accessToken', 'expiresIn', 'refreshToken', 'scope', 'tokenType']);
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(result.expiresIn, 864000);
    assert.match(result.accessToken, ACCESS_TOKEN);
    assert.match(result.refreshToken ?? '', REFRESH_TOKEN);
    assert.equal(result.scope, 'products:read');
    assert.equal(result.idToken, undefined);
  });

  test('refresh_token: a new pair for 3600 s; the same token again within the grace window gets the identical reply (D4)', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const first = await sdkCodeExchange(server, client, cookie, { scope: 'openid email' });
    const polar = sdkFor(server);
    const refresh = () =>
      polar.oauth2.token({ grantType: 'refresh_token', clientId: client.clientId, clientSecret: client.clientSecret, refreshToken: first.refreshToken ?? '' });

    const second = await refresh();
    assert.deepEqual(keys(second), ['accessToken', 'expiresIn', 'refreshToken', 'scope', 'tokenType']);
    assert.equal(second.tokenType, 'Bearer');
    assert.equal(second.expiresIn, 3600);
    assert.match(second.accessToken, ACCESS_TOKEN);
    assert.match(second.refreshToken ?? '', REFRESH_TOKEN);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.equal(second.scope, 'openid email');
    assert.equal(second.idToken, undefined);

    assert.deepEqual(await refresh(), second);
  });

  test('web grant, sub_type user: 3600 s, no refresh token, the client scope', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const result = await sdkFor(server).oauth2.token({
      grantType: 'web',
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      sessionToken: await sessionToken(server, user),
      subType: 'user',
    });
    assert.deepEqual(keys(result), ['accessToken', 'expiresIn', 'scope', 'tokenType']);
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(result.expiresIn, 3600);
    assert.match(result.accessToken, ACCESS_TOKEN);
    assert.equal(result.refreshToken, undefined);
    assert.equal(result.idToken, undefined);
    assert.equal(result.scope, 'openid email profile products:read');
  });

  test('web grant, sub_type organization: accepted for a member, invalid_grant for a stranger', async () => {
    const user = await aUser(server);
    const mine = await anOrganization(server, user);
    const stranger = await aUser(server);
    const theirs = await anOrganization(server, stranger);
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    const session = await sessionToken(server, user);
    const polar = sdkFor(server);
    const asOrganization = (sub: string) =>
      polar.oauth2.token({
        grantType: 'web',
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        sessionToken: session,
        subType: 'organization',
        sub,
        scope: 'products:read',
      });

    const result = await asOrganization(mine.id);
    assert.equal(result.tokenType, 'Bearer');
    assert.equal(result.expiresIn, 3600);
    assert.match(result.accessToken, ACCESS_TOKEN);
    assert.equal(result.refreshToken, undefined);
    assert.equal(result.scope, 'products:read');

    await assertSdkError(asOrganization(theirs.id), 400, INVALID_GRANT);
  });

  test('D1: narrowing that leaves nothing still sends scope "", which the SDK requires', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [], scope: 'openid' });
    const result = await sdkFor(server).oauth2.token({
      grantType: 'web',
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      sessionToken: await sessionToken(server, user),
      scope: 'products:read',
    });
    assert.deepEqual(keys(result), ['accessToken', 'expiresIn', 'scope', 'tokenType']);
    assert.equal(result.scope, '');
    assert.equal(result.expiresIn, 3600);
    assert.match(result.accessToken, ACCESS_TOKEN);
  });

  test('a wrong client secret: SDKError 401 with the exact invalid_client body, per grant', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const { code } = await obtainCode(server, client, cookie);
    const polar = sdkFor(server);
    const wrongSecret = `${client.clientSecret.slice(0, -1)}${client.clientSecret.endsWith('A') ? 'B' : 'A'}`;

    await assertSdkError(
      polar.oauth2.token({ grantType: 'authorization_code', clientId: client.clientId, clientSecret: wrongSecret, code, redirectUri: REDIRECT_URI }),
      401,
      cannotAuthenticate(['client_secret_basic', 'client_secret_post', 'none']),
    );
    // The failed authentication did not consume the code.
    const ok = await polar.oauth2.token({ grantType: 'authorization_code', clientId: client.clientId, clientSecret: client.clientSecret, code, redirectUri: REDIRECT_URI });
    assert.equal(ok.tokenType, 'Bearer');

    await assertSdkError(
      polar.oauth2.token({ grantType: 'refresh_token', clientId: client.clientId, clientSecret: wrongSecret, refreshToken: ok.refreshToken ?? '' }),
      401,
      cannotAuthenticate(['client_secret_basic', 'client_secret_post', 'none']),
    );

    // web allows only basic and post (polar-oauth2.md §2.6), and the description lists exactly those.
    const webClient = await aClient(server, { grant_types: ['web'], redirect_uris: [], response_types: [] });
    await assertSdkError(
      polar.oauth2.token({ grantType: 'web', clientId: webClient.clientId, clientSecret: wrongSecret, sessionToken: await sessionToken(server, user) }),
      401,
      cannotAuthenticate(['client_secret_basic', 'client_secret_post']),
    );
  });
});

describe('Polar SDK 0.49.0: a rotated refresh token after the grace window (fake clock)', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
  });
  after(() => server.close());

  test('reuse after the default 10 s window → SDKError 400 invalid_grant, and the family is revoked (D4)', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const first = await sdkCodeExchange(server, client, cookie);
    const polar = sdkFor(server);
    const refresh = (refreshToken: string) =>
      polar.oauth2.token({ grantType: 'refresh_token', clientId: client.clientId, clientSecret: client.clientSecret, refreshToken });

    const second = await refresh(first.refreshToken ?? '');
    assert.equal(second.expiresIn, 3600);
    assert.match(second.refreshToken ?? '', REFRESH_TOKEN);

    clock.advance(11);
    await assertSdkError(refresh(first.refreshToken ?? ''), 400, INVALID_GRANT);
    // Reuse after the window revokes the whole family: the newest refresh token is dead too.
    await assertSdkError(refresh(second.refreshToken ?? ''), 400, INVALID_GRANT);
  });
});

describe('Polar SDK 0.49.0: BOREALIS_REFRESH_GRACE_SECONDS=0 disables the grace window', () => {
  const clock = fakeClock();
  let server: TestServer;
  before(async () => {
    server = await startServer({ now: clock, env: { BOREALIS_REFRESH_GRACE_SECONDS: '0' } });
  });
  after(() => server.close());

  test('the rotated refresh token presented again at once → SDKError 400 invalid_grant', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const first = await sdkCodeExchange(server, client, cookie);
    const polar = sdkFor(server);
    const refresh = (refreshToken: string) =>
      polar.oauth2.token({ grantType: 'refresh_token', clientId: client.clientId, clientSecret: client.clientSecret, refreshToken });

    const second = await refresh(first.refreshToken ?? '');
    assert.equal(second.expiresIn, 3600);

    // The fake clock has not moved: even a reuse in the very second of the rotation is reuse.
    await assertSdkError(refresh(first.refreshToken ?? ''), 400, INVALID_GRANT);
    await assertSdkError(refresh(second.refreshToken ?? ''), 400, INVALID_GRANT);
  });
});
