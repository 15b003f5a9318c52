/**
 * `max_age` at authorize (OIDC Core §3.1.2.1), on a fake clock. Polar ignores it (§4.4), which is
 * harmless there because its `auth_time` is the code's issue time; D9 makes `auth_time` the sign-in
 * time, so a client that sends `max_age` checks `auth_time` against it and would reject an id_token
 * from a session older than that. Borealis asks for a fresh sign-in instead (docs/compatibility.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import type { AuthorizationRequest } from '../../src/oauth/authorize/request.js';
import { signInTooOld } from '../../src/oauth/authorize/prompt.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, authorizeQuery, form, getAuthorize, issParam, obtainCode, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

test('max_age=0 asks even when the age reads negative (a clock stepped back, instances a second apart)', () => {
  const request = (maxAge: number | undefined) => ({ maxAge }) as AuthorizationRequest;
  assert.equal(signInTooOld(request(0), -1), true);
  assert.equal(signInTooOld(request(0), 0), true);
  assert.equal(signInTooOld(request(60), -1), false);
  assert.equal(signInTooOld(request(undefined), 1e9), false);
});

describe('max_age at authorize (OIDC Core §3.1.2.1)', () => {
  const clock = fakeClock();
  let server: TestServer;
  let client: TestClient;
  before(async () => {
    server = await startServer({ now: clock });
    // First party: approved without a consent screen, so the outcome is the prompt rules alone.
    client = await aClient(server, {}, { firstParty: true });
  });
  after(() => server.close());

  const query = (extra: Record<string, string>) => form(authorizeQuery(client, { scope: 'openid', ...extra })).toString();

  async function expectLogin(response: Response) {
    assert.equal(response.status, 401, await response.clone().text());
    assert.equal(await response.text(), '{"detail":"Unauthorized"}');
  }

  async function expectRedirect(response: Response, params: string) {
    assert.equal(response.status, 302, await response.clone().text());
    assert.equal(response.headers.get('location'), `${REDIRECT_URI}?${params}&${issParam(server)}`);
  }

  test('a session younger than max_age gets a code; its id_token passes the client check auth_time + max_age ≥ now', async () => {
    const T = clock();
    const cookie = await signIn(server, await aUser(server));
    clock.advance(50);
    const { code } = await obtainCode(server, client, cookie, { scope: 'openid', max_age: '60' });
    const token = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    assert.equal(token.status, 200, token.text);
    const claims = decodeJwt(JSON.parse(token.text).id_token);
    assert.equal(claims.auth_time, T);
    assert.ok((claims.auth_time as number) + 60 >= clock());
  });

  test('a session older than max_age must sign in again: 401 on the JSON API, login_required with prompt=none', async () => {
    const cookie = await signIn(server, await aUser(server));
    clock.advance(61);
    await expectLogin(await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '60' })));
    await expectRedirect(await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '60', prompt: 'none' })), 'error=login_required&state=st');
    // Without max_age the same session is approved.
    const plain = await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid' }));
    assert.equal(plain.status, 302);
    assert.match(plain.headers.get('location') ?? '', /\?code=polar_ac_/);
  });

  test('a session exactly max_age whole seconds old may be up to a second older: it must sign in again', async () => {
    const cookie = await signIn(server, await aUser(server));
    clock.advance(59);
    const fresh = await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '60' }));
    assert.equal(fresh.status, 302, await fresh.clone().text());
    assert.match(fresh.headers.get('location') ?? '', /\?code=polar_ac_/);
    clock.advance(1);
    await expectLogin(await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '60' })));
    await expectRedirect(await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '60', prompt: 'none' })), 'error=login_required&state=st');
  });

  test('max_age=0 is prompt=login: even a session signed in this second must sign in again', async () => {
    const cookie = await signIn(server, await aUser(server));
    await expectLogin(await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '0' })));
  });

  test('the page sends a stale session to sign in, and comes back without max_age, so it does not loop', async () => {
    const cookie = await signIn(server, await aUser(server));
    clock.advance(120);
    const response = await fetch(`${server.url}/oauth2/authorize?${query({ max_age: '60' })}`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(response.status, 303);
    const location = new URL(response.headers.get('location') ?? '', server.url);
    assert.equal(location.pathname, '/login');
    const back = new URLSearchParams((location.searchParams.get('return_to') ?? '').split('?')[1]);
    assert.equal(back.get('max_age'), null);
    assert.equal(back.get('client_id'), client.clientId);
  });

  describe('a consent answered after max_age has passed: sign in again, no code', () => {
    let thirdParty: TestClient;
    before(async () => {
      thirdParty = await aClient(server);
    });
    const consentQuery = () => form(authorizeQuery(thirdParty, { scope: 'openid', max_age: '60' })).toString();

    test('JSON consent API: 401 as GET /v1/oauth2/authorize answers then; deny still redirects', async () => {
      const cookie = await signIn(server, await aUser(server));
      clock.advance(10);
      const shown = await fetch(`${server.url}/v1/oauth2/authorize?${consentQuery()}`, { headers: { cookie } });
      assert.equal(shown.status, 200);
      const { csrf_token } = (await shown.json()) as { csrf_token: string };
      clock.advance(51); // 61 s after signing in
      const answer = (action: string) =>
        fetch(`${server.url}/v1/oauth2/consent?${consentQuery()}`, { method: 'POST', headers: { cookie }, body: form({ action, csrf_token }), redirect: 'manual' });
      await expectLogin(await answer('allow'));
      await expectRedirect(await answer('deny'), 'error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request&state=st');
    });

    test('the page: to sign-in, coming back without max_age; a sign-in then gets the code', async () => {
      const user = await aUser(server);
      const stale = await signIn(server, user);
      const html = await (await fetch(`${server.url}/oauth2/authorize?${consentQuery()}`, { headers: { cookie: stale } })).text();
      const fields = (html: string) => ({
        action: 'allow',
        csrf_token: /name="csrf_token" value="([^"]+)"/.exec(html)?.[1],
        shown_scope: /name="shown_scope" value="([^"]*)"/.exec(html)?.[1],
      });
      clock.advance(61);
      const post = (cookie: string, query: string, body: URLSearchParams) =>
        fetch(`${server.url}/oauth2/authorize?${query}`, { method: 'POST', headers: { cookie }, body, redirect: 'manual' });
      const refused = await post(stale, consentQuery(), form(fields(html)));
      assert.equal(refused.status, 303);
      const location = new URL(refused.headers.get('location') ?? '', server.url);
      assert.equal(location.pathname, '/login');
      const back = location.searchParams.get('return_to') ?? '';
      assert.equal(new URLSearchParams(back.split('?')[1]).get('max_age'), null);
      // Signed in afresh, the request comes back and the answer is taken.
      const fresh = await signIn(server, user);
      const again = await (await fetch(`${server.url}${back}`, { headers: { cookie: fresh } })).text();
      const allowed = await post(fresh, back.split('?')[1] ?? '', form(fields(again)));
      assert.equal(allowed.status, 303, await allowed.clone().text());
      assert.match(allowed.headers.get('location') ?? '', /^http:\/\/127\.0\.0\.1:9999\/callback\?code=polar_ac_/);
    });
  });

  test('a max_age of any length is a number of seconds: a huge one never asks again', async () => {
    const cookie = await signIn(server, await aUser(server));
    clock.advance(86_400);
    const response = await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: '9'.repeat(30) }));
    assert.equal(response.status, 302);
    assert.match(response.headers.get('location') ?? '', /\?code=polar_ac_/);
  });

  for (const bad of ['-1', '1.5', 'abc', '1e3', ' 60']) {
    test(`max_age=${JSON.stringify(bad)} → invalid_request redirect`, async () => {
      const cookie = await signIn(server, await aUser(server));
      await expectRedirect(
        await getAuthorize(server, cookie, authorizeQuery(client, { scope: 'openid', max_age: bad })),
        'error=invalid_request&error_description=Invalid+%27max_age%27+parameter.&state=st',
      );
    });
  }
});
