/**
 * An authorization request sent as a form POST to the authorization page (OIDC Core §3.1.2.1:
 * the authorization endpoint MUST support GET and POST). A relying party's auto-submitted form
 * is cross-site by nature; it goes on as the GET it stands for (303), where every rule applies.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, aUser, authorizeQuery, form, issParam, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('an authorization request sent by POST', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const CROSS_SITE = { origin: 'https://rp.example', 'sec-fetch-site': 'cross-site' };
  const post = (body: URLSearchParams, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/oauth2/authorize`, { method: 'POST', body, headers: { ...CROSS_SITE, ...headers }, redirect: 'manual' });

  test('a first-party app, signed in: the form becomes the GET it stands for, which redirects with a code', async () => {
    const client = await aClient(server, {}, { firstParty: true });
    const cookie = await signIn(server, await aUser(server));
    const body = form(authorizeQuery(client, { nonce: 'n-post' }));
    const answer = await post(body, { cookie });
    assert.equal(answer.status, 303);
    assert.equal(answer.headers.get('location'), `/oauth2/authorize?${body}`);
    assert.equal(answer.headers.get('cache-control'), 'no-store');

    const followed = await fetch(`${server.url}${answer.headers.get('location')}`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(followed.status, 302);
    // The code's redirect is neither cached nor leaked through a Referer (docs/compatibility.md).
    assert.deepEqual([followed.headers.get('cache-control'), followed.headers.get('referrer-policy')], ['no-store', 'no-referrer']);
    const location = new URL(followed.headers.get('location') ?? '');
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.match(location.searchParams.get('code') ?? '', /^polar_ac_/);
    assert.ok(location.search.endsWith(`&state=st&${issParam(server)}`), location.search);
  });

  test('signed out: the same GET, which asks to sign in first and comes back to the request', async () => {
    const client = await aClient(server);
    const body = form(authorizeQuery(client));
    const answer = await post(body);
    assert.equal(answer.status, 303);
    const followed = await fetch(`${server.url}${answer.headers.get('location')}`, { redirect: 'manual' });
    assert.equal(followed.status, 303);
    assert.equal(followed.headers.get('location'), `/login?return_to=${encodeURIComponent(`/oauth2/authorize?${body}`)}`);
  });

  // Node reads a request line and its headers within 16 KiB: the GET a posted request becomes
  // must fit, cookies and all, or the browser would get a bare 431.
  test('a posted request becomes a URL of at most 12,288 characters; a longer one is a 400 page saying so', async () => {
    const client = await aClient(server, {}, { firstParty: true });
    const cookie = await signIn(server, await aUser(server));
    const fits = form(authorizeQuery(client, { state: 's'.repeat(12_000) }));
    const answer = await post(fits, { cookie });
    assert.equal(answer.status, 303);
    const followed = await fetch(`${server.url}${answer.headers.get('location')}`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(followed.status, 302);
    assert.match(followed.headers.get('location') ?? '', /[?&]code=polar_ac_/);

    const tooLong = await post(form(authorizeQuery(client, { state: 's'.repeat(12_300) })), { cookie });
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.headers.get('location'), null);
    assert.ok((await tooLong.text()).includes('The authorization request is too long: 12,288 characters at most, once URL-encoded.'));
  });

  test('a form that is neither a request nor the consent form grants nothing and redirects nowhere', async () => {
    const cookie = await signIn(server, await aUser(server));
    for (const body of [new URLSearchParams({ action: 'allow' }), new URLSearchParams()]) {
      const answer = await post(body, { cookie });
      assert.equal(answer.status, 403, String(body));
      assert.equal(answer.headers.get('location'), null);
    }
  });
});
