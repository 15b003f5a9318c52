/**
 * oauth4webapi 3 (strict, low-level response processing) end to end against a real Borealis:
 * discovery through both well-known documents, authorization code + PKCE S256 + nonce + state with
 * the RFC 9207 `iss` check, the id_token signature verified against jwks_uri, auth_time (max_age),
 * userinfo, refresh rotation, introspection and revocation. Consent is driven through the HTTP API.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import * as oauth from 'oauth4webapi';
import { REDIRECT_URI, type TestClient, aClient, aUser, approve, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const ACCESS_TOKEN = /^polar_at_u_[0-9A-Za-z]{43}$/;
const REFRESH_TOKEN = /^polar_rt_u_[0-9A-Za-z]{43}$/;
const INSECURE = { [oauth.allowInsecureRequests]: true } as const;


async function discover(server: TestServer, algorithm: 'oidc' | 'oauth2' = 'oidc'): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(server.url);
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...INSECURE, algorithm }));
}

interface Flow {
  as: oauth.AuthorizationServer;
  c: oauth.Client;
  auth: oauth.ClientAuth;
}

/** Authorization request → consent → validated callback → processed code exchange. */
async function codeFlow(server: TestServer, { as, c, auth }: Flow, cookie: string, options: { scope?: string; nonce?: boolean; maxAge?: number } = {}) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const nonce = options.nonce === false ? undefined : oauth.generateRandomNonce();
  const url = new URL(as.authorization_endpoint ?? '');
  url.searchParams.set('client_id', c.client_id);
  url.searchParams.set('redirect_uri', REDIRECT_URI);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', options.scope ?? 'openid email');
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  url.searchParams.set('state', state);
  if (nonce) url.searchParams.set('nonce', nonce);
  if (options.maxAge !== undefined) url.searchParams.set('max_age', String(options.maxAge));

  const callback = await approve(server, cookie, url.searchParams.toString());
  const params = oauth.validateAuthResponse(as, c, callback, state);
  const response = await oauth.authorizationCodeGrantRequest(as, c, auth, params, REDIRECT_URI, verifier, INSECURE);
  const result = await oauth.processAuthorizationCodeResponse(as, c, response, {
    expectedNonce: nonce ?? oauth.expectNoNonce,
    maxAge: options.maxAge,
    requireIdToken: (options.scope ?? 'openid email').split(' ').includes('openid'),
  });
  return { result, response, callback };
}

const tokenParts = (tokens: oauth.TokenEndpointResponse) => ({ access: tokens.access_token, refresh: tokens.refresh_token ?? '' });

describe('oauth4webapi 3', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('discovery: the OIDC and RFC 8414 documents both pass processDiscoveryResponse and are identical', async () => {
    const oidc = await discover(server, 'oidc');
    const rfc8414 = await discover(server, 'oauth2');
    assert.deepEqual(rfc8414, oidc);
    assert.equal(oidc.issuer, server.url);
    assert.equal(oidc.authorization_response_iss_parameter_supported, true);
    assert.deepEqual(oidc.code_challenge_methods_supported, ['S256', 'plain']);
  });

  test('client_secret_basic: the whole flow with strict processing, signature and auth_time checks', async () => {
    const user = await aUser(server);
    const registered: TestClient = await aClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    const flow: Flow = { as: await discover(server), c: { client_id: registered.clientId }, auth: oauth.ClientSecretBasic(registered.clientSecret) };

    const { result, response, callback } = await codeFlow(server, flow, await signIn(server, user), { maxAge: 300 });
    assert.deepEqual([...callback.searchParams.keys()], ['code', 'state', 'iss']);
    // The id_token arrived over the back channel; check its signature with the JWK Set anyway.
    await oauth.validateApplicationLevelSignature(flow.as, response, INSECURE);
    assert.equal(result.token_type, 'bearer');
    assert.match(result.access_token, ACCESS_TOKEN);
    assert.match(result.refresh_token ?? '', REFRESH_TOKEN);
    assert.equal(result.expires_in, 864000);
    assert.equal(result.scope, 'openid email');
    const claims = oauth.getValidatedIdTokenClaims(result);
    assert.ok(claims);
    assert.equal(claims.iss, server.url);
    assert.equal(claims.sub, user.id);
    assert.deepEqual(claims.aud, [registered.clientId]);
    assert.equal(claims.email, user.email);
    assert.equal(typeof claims.auth_time, 'number');

    const info = await oauth.processUserInfoResponse(
      flow.as,
      flow.c,
      claims.sub,
      await oauth.userInfoRequest(flow.as, flow.c, result.access_token, INSECURE),
    );
    assert.deepEqual(info, { sub: user.id, email: user.email, email_verified: false });

    const refreshed = await oauth.processRefreshTokenResponse(
      flow.as,
      flow.c,
      await oauth.refreshTokenGrantRequest(flow.as, flow.c, flow.auth, result.refresh_token ?? '', INSECURE),
    );
    assert.match(refreshed.access_token, ACCESS_TOKEN);
    assert.match(refreshed.refresh_token ?? '', REFRESH_TOKEN);
    assert.notEqual(refreshed.refresh_token, result.refresh_token);
    assert.equal(refreshed.expires_in, 3600);
    assert.equal(refreshed.scope, 'openid email');
    const next = tokenParts(refreshed);

    const introspect = async (token: string, hint?: string) =>
      oauth.processIntrospectionResponse(
        flow.as,
        flow.c,
        await oauth.introspectionRequest(flow.as, flow.c, flow.auth, token, {
          ...INSECURE,
          additionalParameters: hint ? { token_type_hint: hint } : undefined,
        }),
      );
    const active = await introspect(next.access, 'access_token');
    assert.equal(active.active, true);
    assert.equal(active.client_id, registered.clientId);
    assert.equal(active.token_type, 'access_token');
    assert.equal(active.aud, registered.clientId);
    assert.equal(active.iss, server.url);
    assert.equal(active.sub, user.id);
    assert.equal(active.scope, 'openid email');
    assert.deepEqual(active.organizations, []);
    assert.equal((await introspect(next.refresh)).token_type, 'refresh_token');
    assert.deepEqual(await introspect(result.access_token), { active: false });

    const revoke = async (token: string) =>
      oauth.processRevocationResponse(await oauth.revocationRequest(flow.as, flow.c, flow.auth, token, INSECURE));
    assert.equal(await revoke(next.refresh), undefined);
    assert.deepEqual(await introspect(next.access), { active: false });
    assert.equal(await revoke('not-a-token'), undefined);

    const dead = await oauth.userInfoRequest(flow.as, flow.c, next.access, INSECURE);
    await assert.rejects(oauth.processUserInfoResponse(flow.as, flow.c, user.id, dead), (error: unknown) => {
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.cause[0]?.scheme, 'bearer');
      assert.equal(error.cause[0]?.parameters.error, 'invalid_token');
      return true;
    });
    const reused = await oauth.refreshTokenGrantRequest(flow.as, flow.c, flow.auth, next.refresh, INSECURE);
    await assert.rejects(oauth.processRefreshTokenResponse(flow.as, flow.c, reused), (error: unknown) => {
      assert.ok(error instanceof oauth.ResponseBodyError, String(error));
      assert.equal(error.error, 'invalid_grant');
      assert.equal(error.status, 400);
      return true;
    });
  });

  test('client_secret_post, no nonce: the id_token carries no nonce claim (D9), so expectNoNonce passes', async () => {
    const user = await aUser(server);
    const registered = await aClient(server);
    const flow: Flow = { as: await discover(server, 'oauth2'), c: { client_id: registered.clientId }, auth: oauth.ClientSecretPost(registered.clientSecret) };
    const { result, response } = await codeFlow(server, flow, await signIn(server, user), { scope: 'openid', nonce: false });
    await oauth.validateApplicationLevelSignature(flow.as, response, INSECURE);
    const claims = oauth.getValidatedIdTokenClaims(result);
    assert.equal(claims?.nonce, undefined);
    assert.equal(claims?.email, undefined);
    const info = await oauth.processUserInfoResponse(flow.as, flow.c, user.id, await oauth.userInfoRequest(flow.as, flow.c, result.access_token, INSECURE));
    assert.deepEqual(info, { sub: user.id });
  });

  test('without openid: a plain OAuth 2.0 code flow, no id_token required or sent', async () => {
    const user = await aUser(server);
    const registered = await aClient(server);
    const flow: Flow = { as: await discover(server), c: { client_id: registered.clientId }, auth: oauth.ClientSecretPost(registered.clientSecret) };
    const { result } = await codeFlow(server, flow, await signIn(server, user), { scope: 'products:read', nonce: false });
    assert.equal(result.id_token, undefined);
    assert.equal(result.scope, 'products:read');
    const info = await oauth.processUserInfoResponse(flow.as, flow.c, user.id, await oauth.userInfoRequest(flow.as, flow.c, result.access_token, INSECURE));
    assert.deepEqual(info, { sub: user.id });
  });

  test('a public client (None + PKCE): code flow, refresh, and revocation of its own token at sign-out', async () => {
    const user = await aUser(server);
    const registered = await aClient(server, { token_endpoint_auth_method: 'none' });
    const flow: Flow = { as: await discover(server), c: { client_id: registered.clientId, token_endpoint_auth_method: 'none' }, auth: oauth.None() };
    const { result } = await codeFlow(server, flow, await signIn(server, user));
    const refreshed = await oauth.processRefreshTokenResponse(
      flow.as,
      flow.c,
      await oauth.refreshTokenGrantRequest(flow.as, flow.c, flow.auth, result.refresh_token ?? '', INSECURE),
    );
    assert.match(refreshed.access_token, ACCESS_TOKEN);
    // RFC 7009 §2.1: a public client presents its client_id alone (docs/compatibility.md; Polar refuses).
    await oauth.processRevocationResponse(await oauth.revocationRequest(flow.as, flow.c, flow.auth, refreshed.refresh_token ?? '', INSECURE));
    await assert.rejects(
      oauth.processRefreshTokenResponse(flow.as, flow.c, await oauth.refreshTokenGrantRequest(flow.as, flow.c, flow.auth, refreshed.refresh_token ?? '', INSECURE)),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant',
    );
  });
});
