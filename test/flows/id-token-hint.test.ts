/**
 * `id_token_hint` (OIDC Core §3.1.2.1; docs/compatibility.md): a request that names its user by an
 * id_token of ours is answered only for that user. Anyone else signed in gets `login_required`, so
 * a silent re-authentication never comes back with a code for someone else.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { signIdToken } from '../../src/oauth/id-token.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, authorizeQuery, form, getAuthorize, issParam, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('id_token_hint', () => {
  let server: TestServer;
  let client: TestClient;
  before(async () => {
    server = await startServer();
    client = await aClient(server);
  });
  after(() => server.close());

  /** A user who consented once (so prompt=none can answer), signed in, with an id_token of theirs. */
  async function consented() {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const { id_token } = await tokensFor(server, client, cookie);
    assert.ok(id_token);
    return { user, cookie, idToken: id_token };
  }
  const redirectError = (error: string, error_description?: string) => `${REDIRECT_URI}?${form({ error, error_description, state: 'st' })}&${issParam(server)}`;

  test('the user it names: answered as without it, silently too', async () => {
    const { cookie, idToken } = await consented();
    for (const prompt of ['none', undefined]) {
      const response = await getAuthorize(server, cookie, authorizeQuery(client, { id_token_hint: idToken, prompt }));
      assert.equal(response.status, 302, String(prompt));
      assert.match(response.headers.get('location') ?? '', /[?&]code=polar_ac_/);
    }
  });

  test('someone else signed in: login_required, silent or not; no code', async () => {
    const { idToken } = await consented();
    const other = await consented();
    for (const prompt of ['none', undefined, 'consent']) {
      const response = await getAuthorize(server, other.cookie, authorizeQuery(client, { id_token_hint: idToken, prompt }));
      assert.equal(response.status, 302, String(prompt));
      assert.equal(response.headers.get('location'), redirectError('login_required'), String(prompt));
    }
    // The consent answer too, for a page shown before the browser switched accounts.
    const query = form(authorizeQuery(client, { id_token_hint: idToken, prompt: 'consent' })).toString();
    const { csrf_token } = (await (await getAuthorize(server, other.cookie, authorizeQuery(client, { prompt: 'consent' }))).json()) as { csrf_token: string };
    const answer = await fetch(`${server.url}/v1/oauth2/consent?${query}`, {
      method: 'POST', headers: { cookie: other.cookie }, body: form({ action: 'allow', csrf_token }), redirect: 'manual',
    });
    assert.equal(answer.status, 302);
    assert.equal(answer.headers.get('location'), redirectError('login_required'));
  });

  test('signed out: sign in as usual (the page), login_required silently', async () => {
    const { idToken } = await consented();
    const silent = await getAuthorize(server, undefined, authorizeQuery(client, { id_token_hint: idToken, prompt: 'none' }));
    assert.equal(silent.headers.get('location'), redirectError('login_required'));
    const page = await fetch(`${server.url}/oauth2/authorize?${form(authorizeQuery(client, { id_token_hint: idToken }))}`, { redirect: 'manual' });
    assert.equal(page.status, 303);
    assert.match(page.headers.get('location') ?? '', /^\/login\?return_to=/);
  });

  test('expired, it still names its user; not ours, not for this client or malformed: invalid_request', async () => {
    const { user, cookie, idToken } = await consented();
    const { ctx } = server.borealis;
    const old = ctx.now() - 7 * 86400;
    const signer = ctx.keys.current(ctx.now());
    const expired = await signIdToken({ issuer: ctx.issuer, clientId: client.clientId, subject: user.id, authTime: old, nonce: null, accessToken: 'x', now: old }, signer);
    const fine = await getAuthorize(server, cookie, authorizeQuery(client, { id_token_hint: expired, prompt: 'none' }));
    assert.match(fine.headers.get('location') ?? '', /[?&]code=polar_ac_/);

    const otherClient = await aClient(server);
    const forOther = await signIdToken({ issuer: ctx.issuer, clientId: otherClient.clientId, subject: user.id, authTime: old, nonce: null, accessToken: 'x', now: ctx.now() }, signer);
    const otherIssuer = await signIdToken({ issuer: 'https://elsewhere.example', clientId: client.clientId, subject: user.id, authTime: old, nonce: null, accessToken: 'x', now: ctx.now() }, signer);
    const [header, payload] = idToken.split('.');
    for (const hint of [forOther, otherIssuer, 'garbage', `${header}.${payload}.AAAA`]) {
      const response = await getAuthorize(server, cookie, authorizeQuery(client, { id_token_hint: hint }));
      assert.equal(response.headers.get('location'), redirectError('invalid_request', "Invalid 'id_token_hint' parameter."), hint);
    }
  });
});
