/**
 * A real OpenID Connect relying party, openid-client 6, end to end against a real Borealis:
 * discovery, authorization code + PKCE S256 + nonce + state with the RFC 9207 `iss` check, the
 * id_token verified against the JWK Set, userinfo, refresh rotation, introspection, revocation.
 * The browser part (consent) is driven through the HTTP API with the URL the library built.
 * oauth4webapi 3 and the Polar SDK are in oidc-clients-oauth4webapi / -polar-sdk.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as client from 'openid-client';
import { REDIRECT_URI, type TestClient, aClient, aUser, approve, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const ACCESS_TOKEN = /^polar_at_u_[0-9A-Za-z]{43}$/;
const REFRESH_TOKEN = /^polar_rt_u_[0-9A-Za-z]{43}$/;
const INVALID_TOKEN_DESCRIPTION = 'The access token provided is expired, revoked, malformed, or invalid for other reasons.';


/** openid-client wraps oauth4webapi's processing errors: a ClientError with the code, the detail in `cause`. */
const clientError = (code: string, detail: RegExp) => (error: unknown) => {
  assert.ok(error instanceof client.ClientError, String(error));
  assert.equal(error.code, code);
  assert.match(String((error.cause as Error | undefined)?.message), detail);
  return true;
};

const discover = (server: TestServer, c: TestClient, auth?: client.ClientAuth) =>
  client.discovery(new URL(server.url), c.clientId, c.clientSecret, auth, { execute: [client.allowInsecureRequests] });

interface Checks {
  verifier: string;
  nonce: string;
  state: string;
}

async function authorizationUrl(config: client.Configuration, scope = 'openid email'): Promise<{ url: URL; checks: Checks }> {
  const verifier = client.randomPKCECodeVerifier();
  const checks = { verifier, nonce: client.randomNonce(), state: client.randomState() };
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce: checks.nonce,
    state: checks.state,
  });
  return { url, checks };
}

const grant = (config: client.Configuration, callback: URL, checks: Checks) =>
  client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: checks.verifier,
    expectedNonce: checks.nonce,
    expectedState: checks.state,
    idTokenExpected: true,
  });

describe('openid-client 6', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('client_secret_basic: the whole flow with every client-side check on, no validation error', async () => {
    const user = await aUser(server);
    const registered = await aClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    const config = await discover(server, registered, client.ClientSecretBasic());
    // Verify the id_token signature against jwks_uri (oauth4webapi skips it for TLS-delivered tokens).
    client.enableNonRepudiationChecks(config);
    const metadata = config.serverMetadata();
    assert.equal(metadata.issuer, server.url);
    assert.equal(metadata.authorization_response_iss_parameter_supported, true);
    assert.ok(metadata.supportsPKCE());

    const { url, checks } = await authorizationUrl(config);
    assert.equal(`${url.origin}${url.pathname}`, metadata.authorization_endpoint);
    const callback = await approve(server, await signIn(server, user), url.searchParams.toString());
    assert.equal(callback.searchParams.get('iss'), server.url);
    assert.equal(callback.searchParams.get('state'), checks.state);

    const tokens = await grant(config, callback, checks);
    assert.equal(tokens.token_type, 'bearer'); // oauth4webapi lower-cases the recognised type
    assert.match(tokens.access_token, ACCESS_TOKEN);
    assert.match(tokens.refresh_token ?? '', REFRESH_TOKEN);
    assert.equal(tokens.expires_in, 864000);
    assert.equal(tokens.scope, 'openid email');
    const claims = tokens.claims();
    assert.ok(claims);
    assert.equal(claims.iss, server.url);
    assert.deepEqual(claims.aud, [registered.clientId]);
    assert.equal(claims.sub, user.id);
    assert.equal(claims.nonce, checks.nonce);
    assert.equal(claims.email, user.email);
    assert.equal(claims.email_verified, false);
    assert.equal(claims.exp - claims.iat, 3600);
    assert.equal(typeof claims.auth_time, 'number');

    const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
    assert.deepEqual(info, { sub: user.id, email: user.email, email_verified: false });

    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.match(refreshed.access_token, ACCESS_TOKEN);
    assert.match(refreshed.refresh_token ?? '', REFRESH_TOKEN);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal(refreshed.expires_in, 3600);
    assert.equal(refreshed.scope, 'openid email');
    assert.equal(refreshed.id_token, undefined);

    const introspection = await client.tokenIntrospection(config, refreshed.access_token);
    assert.deepEqual(Object.keys(introspection), ['active', 'client_id', 'token_type', 'scope', 'sub_type', 'sub', 'organizations', 'aud', 'iss', 'exp', 'iat']);
    assert.equal(introspection.active, true);
    assert.equal(introspection.client_id, registered.clientId);
    assert.equal(introspection.token_type, 'access_token');
    assert.equal(introspection.aud, registered.clientId);
    assert.equal(introspection.iss, server.url);
    assert.equal(introspection.sub, user.id);
    assert.equal((introspection.exp ?? 0) - (introspection.iat ?? 0), 3600);
    const ofRefresh = await client.tokenIntrospection(config, refreshed.refresh_token ?? '', { token_type_hint: 'refresh_token' });
    assert.equal(ofRefresh.active, true);
    assert.equal(ofRefresh.token_type, 'refresh_token');
    // The rotated generation is dead.
    assert.deepEqual(await client.tokenIntrospection(config, tokens.access_token), { active: false });

    assert.equal(await client.tokenRevocation(config, refreshed.refresh_token ?? '', { token_type_hint: 'refresh_token' }), undefined);
    assert.deepEqual(await client.tokenIntrospection(config, refreshed.access_token), { active: false });
    // Revoking an unknown (here: already revoked) token is still a success.
    assert.equal(await client.tokenRevocation(config, refreshed.access_token), undefined);

    await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, claims.sub), (error: unknown) => {
      assert.ok(error instanceof client.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      const [challenge] = error.cause;
      assert.equal(challenge?.scheme, 'bearer');
      assert.deepEqual(challenge?.parameters, { realm: 'polar', error: 'invalid_token', error_description: INVALID_TOKEN_DESCRIPTION });
      return true;
    });
    await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token ?? ''), (error: unknown) => {
      assert.ok(error instanceof client.ResponseBodyError, String(error));
      assert.equal(error.status, 400);
      assert.equal(error.error, 'invalid_grant');
      return true;
    });
  });

  test('the default client authentication (client_secret_post) with a client_secret_post client; access token revocation', async () => {
    const user = await aUser(server);
    const registered = await aClient(server); // token_endpoint_auth_method defaults to client_secret_post (§3.11)
    assert.equal(registered.metadata.token_endpoint_auth_method, 'client_secret_post');
    const config = await discover(server, registered);
    client.enableNonRepudiationChecks(config);
    const { url, checks } = await authorizationUrl(config, 'openid');
    const tokens = await grant(config, await approve(server, await signIn(server, user), url.searchParams.toString()), checks);
    assert.equal(tokens.scope, 'openid');
    assert.equal(tokens.claims()?.sub, user.id);
    assert.equal(tokens.claims()?.email, undefined);
    assert.deepEqual(await client.fetchUserInfo(config, tokens.access_token, user.id), { sub: user.id });
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, true);
    await client.tokenRevocation(config, refreshed.access_token, { token_type_hint: 'access_token' });
    assert.equal((await client.tokenIntrospection(config, refreshed.access_token)).active, false);
    assert.equal((await client.tokenIntrospection(config, refreshed.refresh_token ?? '')).active, false);
  });

  test('a client_secret_basic client using post at the token endpoint is refused (registered method, §2.6)', async () => {
    const user = await aUser(server);
    const registered = await aClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    const config = await discover(server, registered, client.ClientSecretPost());
    const { url, checks } = await authorizationUrl(config);
    const callback = await approve(server, await signIn(server, user), url.searchParams.toString());
    await assert.rejects(grant(config, callback, checks), (error: unknown) => {
      assert.ok(error instanceof client.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.cause[0]?.scheme, 'basic');
      assert.equal(error.cause[0]?.parameters.error, 'invalid_client');
      return true;
    });
  });

  test('the client-side checks are live: a forged iss, state or nonce is rejected', async () => {
    const user = await aUser(server);
    const registered = await aClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    const config = await discover(server, registered, client.ClientSecretBasic());
    const cookie = await signIn(server, user);

    const forgedIss = await authorizationUrl(config);
    const callback = await approve(server, cookie, forgedIss.url.searchParams.toString());
    callback.searchParams.set('iss', 'https://attacker.example');
    await assert.rejects(grant(config, callback, forgedIss.checks), clientError('OAUTH_INVALID_RESPONSE', /unexpected "iss" \(issuer\) response parameter value/));

    const wrongState = await authorizationUrl(config);
    await assert.rejects(
      grant(config, await approve(server, cookie, wrongState.url.searchParams.toString()), { ...wrongState.checks, state: 'other' }),
      clientError('OAUTH_INVALID_RESPONSE', /unexpected "state" response parameter value/),
    );

    const wrongNonce = await authorizationUrl(config);
    await assert.rejects(
      grant(config, await approve(server, cookie, wrongNonce.url.searchParams.toString()), { ...wrongNonce.checks, nonce: 'other' }),
      clientError('OAUTH_JWT_CLAIM_COMPARISON_FAILED', /unexpected ID Token "nonce" claim value/),
    );
  });

  test('a public client (none + PKCE): code flow and refresh work; introspection is refused, revocation of its own token works', async () => {
    const user = await aUser(server);
    const registered = await aClient(server, { token_endpoint_auth_method: 'none' });
    const config = await client.discovery(new URL(server.url), registered.clientId, undefined, client.None(), {
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
    });
    const { url, checks } = await authorizationUrl(config);
    const tokens = await grant(config, await approve(server, await signIn(server, user), url.searchParams.toString()), checks);
    assert.equal(tokens.claims()?.sub, user.id);
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    assert.match(refreshed.access_token, ACCESS_TOKEN);
    await assert.rejects(client.tokenIntrospection(config, refreshed.access_token), (error: unknown) => {
      assert.ok(error instanceof client.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.cause[0]?.parameters.error, 'invalid_client');
      return true;
    });
    assert.deepEqual(await client.fetchUserInfo(config, refreshed.access_token, user.id), { sub: user.id, email: user.email, email_verified: false });
    // RFC 7009 §2.1: by client_id alone (docs/compatibility.md; Polar refuses public clients).
    await client.tokenRevocation(config, refreshed.access_token);
    await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, user.id), (error: unknown) => {
      assert.ok(error instanceof client.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      return true;
    });
  });
});
