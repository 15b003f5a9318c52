/**
 * Validation of the authorization request (polar-oauth2.md §3.4 steps 1–10 with D6, D7, D10):
 * scope narrowing before consent, PKCE for public clients, `state` and `iss` echo, redirect URIs.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, getAuthorize, obtainCode, pkcePair, postToken, signIn, authorizeQuery, issParam } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('authorization request validation', () => {
  let server: TestServer;
  let iss: string;
  before(async () => {
    server = await startServer();
    iss = issParam(server);
  });
  after(() => server.close());

  const query = authorizeQuery;

  async function signedIn() {
    const user = await aUser(server);
    return { user, cookie: await signIn(server, user) };
  }

  async function expectRedirect(response: Response, location: string) {
    assert.equal(response.status, 302, await response.clone().text());
    assert.equal(response.headers.get('location'), location);
    assert.equal(await response.text(), '');
  }

  async function expectJson(response: Response, status: number, text: string) {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('location'), null);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(await response.text(), text);
  }

  const exchange = (client: TestClient, fields: Record<string, string | undefined>) =>
    postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, ...fields });

  test('D6: scopes outside the client registration are dropped before consent and never remembered', async () => {
    const { user, cookie } = await signedIn();
    const client = await aClient(server);
    const q = query(client, { scope: 'openid products:write email' });
    const response = await getAuthorize(server, cookie, q);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { scopes: string[] };
    assert.deepEqual(body.scopes, ['openid', 'email']);

    const { code } = await obtainCode(server, client, cookie, q);
    const consent = await server.borealis.ctx.store.consents.find(client.clientId, user.id);
    assert.equal(consent?.scope, 'openid email');
    const token = await exchange(client, { code, redirect_uri: REDIRECT_URI });
    assert.equal(token.status, 200, token.text);
    assert.equal(JSON.parse(token.text).scope, 'openid email');
  });

  test('D6: nothing left after narrowing, or an unknown scope → invalid_scope redirect', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server);
    const expected = `${REDIRECT_URI}?error=invalid_scope&error_description=The+requested+scope+is+invalid%2C+unknown%2C+or+malformed.&state=st&${iss}`;
    await expectRedirect(await getAuthorize(server, cookie, query(client, { scope: 'products:write orders:read' })), expected);
    await expectRedirect(await getAuthorize(server, cookie, query(client, { scope: 'openid no_such:scope' })), expected);
  });

  test('D7: a public client without code_challenge, or with plain, gets invalid_request', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server, { token_endpoint_auth_method: 'none' });
    const { challenge } = pkcePair();
    await expectRedirect(
      await getAuthorize(server, cookie, query(client)),
      `${REDIRECT_URI}?error=invalid_request&error_description=Public+clients+must+send+a+%27code_challenge%27+with+%27code_challenge_method%3DS256%27.&state=st&${iss}`,
    );
    const plain = `${REDIRECT_URI}?error=invalid_request&error_description=Public+clients+must+use+%27code_challenge_method%3DS256%27.&state=st&${iss}`;
    await expectRedirect(await getAuthorize(server, cookie, query(client, { code_challenge: challenge, code_challenge_method: 'plain' })), plain);
    // No method means plain (RFC 7636 §4.3), so it is refused too.
    await expectRedirect(await getAuthorize(server, cookie, query(client, { code_challenge: challenge })), plain);
    const ok = await getAuthorize(server, cookie, query(client, { code_challenge: challenge, code_challenge_method: 'S256' }));
    assert.equal(ok.status, 200);
  });

  test('D7: a confidential client may use plain PKCE and redeems with the same verifier', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server);
    const { verifier } = pkcePair();
    const { code } = await obtainCode(server, client, cookie, { code_challenge: verifier, code_challenge_method: 'plain' });
    // Wrong verifiers, of the same length and longer, fail without consuming the code (§4.1).
    for (const wrong of [`${verifier.slice(0, -1)}${verifier.endsWith('A') ? 'B' : 'A'}`, `${verifier}x`]) {
      const failed = await exchange(client, { code, redirect_uri: REDIRECT_URI, code_verifier: wrong });
      assert.equal(failed.status, 400);
      assert.deepEqual(JSON.parse(failed.text), { error: 'invalid_grant', error_description: 'Code challenge failed.' });
    }
    const token = await exchange(client, { code, redirect_uri: REDIRECT_URI, code_verifier: verifier });
    assert.equal(token.status, 200, token.text);
  });

  test('D10: state is echoed (form-encoded) in codes and errors, iss is always present, nothing extra without state', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server, {}, { firstParty: true });
    const state = 'a b/c?d&e=f';
    const encoded = 'a+b%2Fc%3Fd%26e%3Df';
    const withState = await getAuthorize(server, cookie, query(client, { state }));
    assert.equal(withState.status, 302);
    const code = new URL(withState.headers.get('location') ?? '').searchParams.get('code');
    assert.equal(withState.headers.get('location'), `${REDIRECT_URI}?code=${code}&state=${encoded}&${iss}`);

    const noState = await getAuthorize(server, cookie, query(client, { state: undefined }));
    const code2 = new URL(noState.headers.get('location') ?? '').searchParams.get('code');
    assert.equal(noState.headers.get('location'), `${REDIRECT_URI}?code=${code2}&${iss}`);

    await expectRedirect(
      await getAuthorize(server, cookie, query(client, { state, response_type: 'token' })),
      `${REDIRECT_URI}?error=unsupported_response_type&error_description=The+response+type+%27token%27+is+not+supported+by+the+server.&state=${encoded}&${iss}`,
    );
    await expectRedirect(
      await getAuthorize(server, cookie, query(client, { state: undefined, scope: 'bogus' })),
      `${REDIRECT_URI}?error=invalid_scope&error_description=The+requested+scope+is+invalid%2C+unknown%2C+or+malformed.&${iss}`,
    );
    // JSON errors (before the redirect URI is trusted) carry the state in the body.
    await expectJson(
      await getAuthorize(server, cookie, query(client, { state, client_id: 'polar_ci_unknown' })),
      400,
      `{"error": "invalid_client", "error_description": "The client does not exist on this server.", "state": "${state}"}`,
    );
  });

  test('redirect_uri omitted: the first registered URI is used and the token request may omit it', async () => {
    const { cookie } = await signedIn();
    const first = 'http://127.0.0.1:9999/first';
    const client = await aClient(server, { redirect_uris: [first, REDIRECT_URI] });
    const { code, location } = await obtainCode(server, client, cookie, { redirect_uri: undefined });
    assert.equal(location.href, `${first}?code=${code}&state=st&${iss}`);
    const token = await exchange(client, { code });
    assert.equal(token.status, 200, token.text);

    // When it was sent, it must be repeated exactly.
    const sent = await obtainCode(server, client, cookie, { redirect_uri: REDIRECT_URI });
    const missing = await exchange(client, { code: sent.code });
    assert.equal(missing.status, 400);
    assert.equal(missing.text, `{"error": "invalid_grant", "error_description": "Invalid 'redirect_uri' in request."}`);
  });

  // RFC 8252 §7.3 (a MUST; Polar matches exactly, see docs/compatibility.md): a native app gets
  // whatever port the system gives it, so a loopback IP literal's port may differ. Only the port.
  test('a loopback IP redirect_uri on another port is accepted, and the exchange must repeat that port', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server, { redirect_uris: ['http://127.0.0.1/callback', 'https://app.example/cb'] });
    const ephemeral = 'http://127.0.0.1:51234/callback';
    const { code, location } = await obtainCode(server, client, cookie, { redirect_uri: ephemeral });
    assert.equal(`${location.origin}${location.pathname}`, ephemeral);
    const wrongPort = await exchange(client, { code, redirect_uri: 'http://127.0.0.1/callback' });
    assert.equal(wrongPort.text, `{"error": "invalid_grant", "error_description": "Invalid 'redirect_uri' in request."}`);
    const { code: again } = await obtainCode(server, client, cookie, { redirect_uri: ephemeral });
    assert.equal((await exchange(client, { code: again, redirect_uri: ephemeral })).status, 200);
    // http's default port, spelled out, is a port like any other.
    const eighty = 'http://127.0.0.1:80/callback';
    const { code: onEighty } = await obtainCode(server, client, cookie, { redirect_uri: eighty });
    assert.equal((await exchange(client, { code: onEighty, redirect_uri: eighty })).status, 200);

    for (const uri of [
      'http://127.0.0.1:51234/callback/',
      'http://127.0.0.1:51234/other',
      'http://127.0.0.1:51234/callback?x=1',
      'http://127.0.0.1:080/callback',
      'http://127.0.0.1:80//callback',
      'http://127.0.0.1:51234/x/../callback',
      'http://user@127.0.0.1:51234/callback',
      'http://localhost:51234/callback',
      'https://127.0.0.1:51234/callback',
      'https://app.example:8443/cb',
    ]) {
      await expectJson(
        await getAuthorize(server, cookie, query(client, { redirect_uri: uri })),
        400,
        `{"error": "invalid_request", "error_description": "Redirect URI ${uri} is not supported by client.", "state": "st"}`,
      );
    }
  });

  test('redirect_uri not registered (even a trailing slash) → 400 JSON, never a redirect', async () => {
    const { cookie } = await signedIn();
    const client = await aClient(server);
    for (const uri of [`${REDIRECT_URI}/`, 'http://127.0.0.1:9999/Callback', 'http://evil.example/callback']) {
      await expectJson(
        await getAuthorize(server, cookie, query(client, { redirect_uri: uri })),
        400,
        `{"error": "invalid_request", "error_description": "Redirect URI ${uri} is not supported by client.", "state": "st"}`,
      );
    }
    // Also before sign-in: the error is about the request, not the user.
    await expectJson(
      await getAuthorize(server, undefined, query(client, { redirect_uri: `${REDIRECT_URI}/`, prompt: 'none' })),
      400,
      `{"error": "invalid_request", "error_description": "Redirect URI ${REDIRECT_URI}/ is not supported by client.", "state": "st"}`,
    );
  });
});
