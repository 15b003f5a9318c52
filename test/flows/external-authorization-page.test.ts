/**
 * BOREALIS_AUTHORIZATION_ENDPOINT puts the authorization page at another origin: its consent
 * form posts to the JSON consent API from there (D14 trusts that origin, and only it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, aUser, authorizeQuery, form, issParam, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const CROSS_SITE = '{"error":"NotPermitted","detail":"Cross-site request refused."}';
/** The JSON consent API's token is bound to what its consent data showed (D6). */
const CONSENT_CSRF = '{"error":"NotPermitted","detail":"Invalid or missing CSRF token, or the request changed since its consent data was read."}';

async function post(server: TestServer, path: string, fields: Record<string, string>, headers: Record<string, string>) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body: form(fields), headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function assertNotPermitted(answer: { status: number; headers: Headers; text: string }, text: string) {
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.text, text);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  assert.equal(answer.headers.get('location'), null);
}

// BOREALIS_AUTHORIZATION_ENDPOINT puts the authorization page elsewhere (polar-oauth2.md §3.4:
// Polar's frontend); its consent form posts to the API from that page's origin.
describe('an authorization page served at another origin (BOREALIS_AUTHORIZATION_ENDPOINT)', () => {
  const PAGE_ORIGIN = 'https://app.example.test';
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_AUTHORIZATION_ENDPOINT: `${PAGE_ORIGIN}/oauth2/authorize` } });
  });
  after(() => server.close());

  test("its consent form is accepted from its origin, with the consent data's token; any other origin is refused", async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const query = form(authorizeQuery(client)).toString();
    const consentData = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie } });
    const { csrf_token } = (await consentData.json()) as { csrf_token: string };
    const consent = (headers: Record<string, string>, token = csrf_token) =>
      post(server, `/v1/oauth2/consent?${query}`, { action: 'allow', csrf_token: token }, { cookie, ...headers });

    assertNotPermitted(await consent({ origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), CROSS_SITE);
    assertNotPermitted(await consent({ origin: 'https://app.example.test.evil.example', 'sec-fetch-site': 'cross-site' }), CROSS_SITE);
    assertNotPermitted(await consent({ origin: PAGE_ORIGIN, 'sec-fetch-site': 'cross-site' }, 'wrong'), CONSENT_CSRF);
    const allowed = await consent({ origin: PAGE_ORIGIN, 'sec-fetch-site': 'cross-site' });
    assert.equal(allowed.status, 302, allowed.text);
    assert.match(allowed.headers.get('location') ?? '', new RegExp(`^${REDIRECT_URI}\\?code=polar_ac_[0-9A-Za-z]{43}&state=st&${issParam(server)}$`));
  });
});
