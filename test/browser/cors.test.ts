/**
 * A single-page app on another origin (the relying party's) completes its part of the flow in
 * Chromium with fetch: discovery, the PKCE code exchange as a public client, then userinfo with
 * a Bearer header, which needs a preflight. Without CORS (src/http/cors.ts) every call fails.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { aClient } from '../support/fixtures.js';
import { type BrowserSuite, authorizeUrl, freshPage, landedOnCallback, signUp, startBrowserSuite } from './support.js';

describe('browser: a single-page app on another origin', () => {
  let suite: BrowserSuite;
  before(async () => {
    suite = await startBrowserSuite();
  });
  after(() => suite.close());

  test('discovery, the PKCE token exchange and userinfo by fetch from the app\'s origin', async () => {
    const { server, browser, rp } = suite;
    const client = await aClient(server, { client_name: 'SPA', redirect_uris: [rp.callback], token_endpoint_auth_method: 'none', scope: 'openid email' });
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const { page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Spa User', email: 'spa@example.com' });
    await page.goto(authorizeUrl(server.url, { client_id: client.clientId, redirect_uri: rp.callback, state: 's', code_challenge: challenge, code_challenge_method: 'S256' }));
    await page.getByRole('button', { name: 'Allow' }).click();
    const code = (await landedOnCallback(page, rp)).get('code');
    assert.ok(code);

    // The page is the relying party's callback: another origin (another port) than Borealis.
    assert.notEqual(new URL(page.url()).origin, server.url);
    const result = await page.evaluate(
      async ({ issuer, clientId, code, verifier, redirectUri }) => {
        const discovery = (await (await fetch(`${issuer}/.well-known/openid-configuration`)).json()) as { token_endpoint: string; userinfo_endpoint: string };
        const token = await fetch(discovery.token_endpoint, {
          method: 'POST',
          body: new URLSearchParams({ grant_type: 'authorization_code', client_id: clientId, code, code_verifier: verifier, redirect_uri: redirectUri }),
        });
        const tokens = (await token.json()) as { access_token: string; scope: string };
        const userinfo = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
        // RFC 6750 §3: the app learns why from the challenge, which CORS must expose to it.
        const refused = await fetch(discovery.userinfo_endpoint, { headers: { authorization: 'Bearer polar_at_u_expired' } });
        const challenge = refused.headers.get('www-authenticate');
        return { tokenStatus: token.status, scope: tokens.scope, userinfoStatus: userinfo.status, claims: (await userinfo.json()) as { email?: string }, challenge };
      },
      { issuer: server.url, clientId: client.clientId, code, verifier, redirectUri: rp.callback },
    );
    assert.equal(result.tokenStatus, 200);
    assert.equal(result.scope, 'openid email');
    assert.equal(result.userinfoStatus, 200);
    assert.equal(result.claims.email, 'spa@example.com');
    assert.match(result.challenge ?? '', /^Bearer realm="polar", error="invalid_token"/);
  });
});
