/**
 * D14 (decisions.md: CSRF protection on every state-changing form, Origin / Sec-Fetch-Site check
 * and a token) on the forms beyond the consent API, which bad-input-consent-login.test.ts covers:
 * the HTML consent form at POST /oauth2/authorize (polar-oauth2.md §3.6), the console forms
 * (rotate secret, revoke an authorized app), POST /login and /signup (a token bound to a
 * pre-session cookie), POST /logout, and the
 * `Origin: null` + `Sec-Fetch-Site: same-origin` case src/http/csrf.ts trusts. Each refusal is
 * checked for its exact answer and for having changed nothing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createClient, withDefaults } from '../../src/oauth/clients.js';
import type { User } from '../../src/store/store.js';
import { PASSWORD, REDIRECT_URI, type TestClient, aClient, aUser, authorizeQuery, form, issParam, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function post(server: TestServer, path: string, fields: Record<string, string | undefined>, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    body: form(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    redirect: 'manual',
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

async function get(server: TestServer, path: string, cookie: string): Promise<Answer> {
  const response = await fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A refusal on a page a person fills in (pages/page-errors.ts): a page they can act on, nothing set, nowhere sent. */
function assertFormExpired(answer: Answer) {
  assert.equal(answer.status, 403, answer.text);
  assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.ok(answer.text.includes('This form has expired or was sent from another site. Go back, reload the page and try again.'), answer.text);
  assert.equal(answer.headers.get('location'), null);
  assert.equal(answer.headers.get('set-cookie'), null);
}

/** The csrf_token hidden field of an HTML page (the console and consent pages carry one). */
function csrfOf(page: string): string {
  const token = /name="csrf_token" value="([^"]+)"/.exec(page)?.[1];
  assert.ok(token, 'no csrf_token on the page');
  return token;
}

describe('CSRF on the HTML forms (D14)', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const userinfoStatus = async (accessToken: string) =>
    (await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
  const introspect = (client: TestClient, token: string) =>
    post(server, '/v1/oauth2/introspect', { client_id: client.clientId, client_secret: client.clientSecret, token });

  /** A client registered through the console by `owner` (so the console may manage it). */
  async function ownedClient(owner: User): Promise<TestClient> {
    const metadata = withDefaults({ client_name: 'Owned App', redirect_uris: [REDIRECT_URI], scope: 'openid email' });
    const created = await createClient(server.borealis.ctx, metadata, { userId: owner.id });
    return { clientId: created.client.clientId, clientSecret: created.clientSecret, metadata };
  }

  // Not a dead end: the page is shown again for the session signed in now (a person who signed
  // in again in another tab holds a form with the old session's token), and nothing is granted.
  test('consent page: allow with a wrong, missing or foreign csrf_token → the page again (400), no code, nothing remembered; then the real token works', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const otherCookie = await signIn(server, await aUser(server));
    const query = form(authorizeQuery(client, { nonce: 'n-csrf-page' })).toString();
    const page = await get(server, `/oauth2/authorize?${query}`, cookie);
    assert.equal(page.status, 200, page.text);
    const csrf = csrfOf(page.text);
    const foreign = csrfOf((await get(server, `/oauth2/authorize?${query}`, otherCookie)).text);
    assert.notEqual(foreign, csrf);

    for (const csrf_token of ['wrong', undefined, foreign]) {
      const answer = await post(server, `/oauth2/authorize?${query}`, { action: 'allow', csrf_token }, { cookie });
      assert.equal(answer.status, 400, String(csrf_token));
      assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.get('x-frame-options'), 'DENY');
      assert.equal(answer.headers.get('location'), null);
      assert.equal(answer.headers.get('set-cookie'), null);
      assert.ok(answer.text.includes('<p class="error" role="alert" id="form-error">This page expired, or you signed in again since it was shown. Please review it again.</p>'), answer.text);
      assert.ok(answer.text.includes(`name="csrf_token" value="${csrf}"`), 'a form with this session\'s token');
      assert.ok(!answer.text.includes('code='), 'no code anywhere in the page');
    }
    // Nothing was written: no code carries the nonce, no consent was remembered.
    const { ctx } = server.borealis;
    assert.equal(await ctx.store.codes.nonceInUse(client.clientId, 'n-csrf-page'), false);
    assert.equal(await ctx.store.consents.find(client.clientId, user.id), undefined);

    // Control: the same form with the page's own token gets a code (303, §3.6), with the same nonce.
    const shown_scope = /name="shown_scope" value="([^"]*)"/.exec(page.text)?.[1];
    const allowed = await post(server, `/oauth2/authorize?${query}`, { action: 'allow', csrf_token: csrf, shown_scope }, { cookie });
    assert.equal(allowed.status, 303, allowed.text);
    assert.match(allowed.headers.get('location') ?? '', new RegExp(`^${REDIRECT_URI}\\?code=polar_ac_[0-9A-Za-z]{43}&state=st&${issParam(server)}$`));
  });

  test('console: rotate-secret without (or with a wrong) csrf_token → 403, the old secret still authenticates', async () => {
    const user = await aUser(server);
    const client = await ownedClient(user);
    const cookie = await signIn(server, user);
    const tokens = await tokensFor(server, client, cookie);
    const path = `/settings/oauth/apps/${client.clientId}/rotate-secret`;
    const { ctx } = server.borealis;
    const hashBefore = (await ctx.store.clients.findByClientId(client.clientId))?.clientSecretHash;
    assert.equal(hashBefore, ctx.credentials.hash(client.clientSecret));

    assertFormExpired(await post(server, path, {}, { cookie }));
    assertFormExpired(await post(server, path, { csrf_token: 'wrong' }, { cookie, 'sec-fetch-site': 'same-origin' }));

    assert.equal((await ctx.store.clients.findByClientId(client.clientId))?.clientSecretHash, hashBefore);
    const still = await introspect(client, tokens.access_token);
    assert.equal(still.status, 200, still.text);
    assert.match(still.text, /^\{"active": true, /);

    // Control: with the console's token the secret is rotated and the old one stops authenticating.
    const asked = (await get(server, path, cookie)).text;
    const [csrf, secret_version] = [csrfOf(asked), /name="secret_version" value="([^"]+)"/.exec(asked)?.[1]];
    const rotated = await post(server, path, { csrf_token: csrf, secret_version }, { cookie, 'sec-fetch-site': 'same-origin' });
    assert.equal(rotated.status, 200, rotated.text);
    assert.equal((await introspect(client, tokens.access_token)).status, 401);
  });

  test('console: revoking an authorized app without (or with a wrong) csrf_token → 403, its tokens still work', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const tokens = await tokensFor(server, client, cookie);
    const path = `/settings/oauth/authorized/${client.clientId}/revoke`;
    const { ctx } = server.borealis;

    assertFormExpired(await post(server, path, {}, { cookie }));
    assertFormExpired(await post(server, path, { csrf_token: 'wrong' }, { cookie, 'sec-fetch-site': 'same-origin' }));

    assert.equal(await userinfoStatus(tokens.access_token), 200);
    assert.deepEqual(await ctx.store.consents.find(client.clientId, user.id), { clientId: client.clientId, userId: user.id, scope: 'openid email', organizationIds: [] });

    // Control: with the console's token access is revoked.
    const csrf = csrfOf((await get(server, '/settings/oauth', cookie)).text);
    const revoked = await post(server, path, { csrf_token: csrf }, { cookie, 'sec-fetch-site': 'same-origin' });
    assert.equal(revoked.status, 303, revoked.text);
    assert.match(revoked.headers.get('location') ?? '', new RegExp(`^/settings/oauth\\?notice=revoked&client_id=${client.clientId}&proof=`));
    assert.equal(await userinfoStatus(tokens.access_token), 401);
  });

  /** What a browser holds once it has loaded a sign-in or sign-up page: its pre-session cookie and the form's token. */
  async function preSession(path: '/login' | '/signup') {
    const response = await fetch(`${server.url}${path}`);
    const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.match(cookie, /^borealis_csrf=[A-Za-z0-9_-]{43}$/);
    return { cookie, csrf_token: csrfOf(await response.text()) };
  }

  // Login CSRF: a forged sign-in would put the victim in the attacker's account. Scripts that
  // send neither Sec-Fetch-Site nor Origin need no token (test/support/fixtures.ts signIn).
  test('POST /login and /signup from a browser without the page\'s token → 403 form again, no session, no user; with it → 303', async () => {
    const user = await aUser(server);
    const other = await preSession('/login');
    const mine = await preSession('/login');
    assert.notEqual(other.csrf_token, mine.csrf_token);
    const login = { email: user.email, password: PASSWORD, return_to: '/settings/oauth' };
    const email = `csrf-token-${Date.now().toString(36)}@example.com`;
    const signup = { email, password: PASSWORD, name: 'Token Test', return_to: '/' };
    const refusals: [string, Record<string, string>, string | undefined][] = [
      ['no token, no cookie', { 'sec-fetch-site': 'same-origin' }, undefined],
      ['no token', { cookie: mine.cookie, 'sec-fetch-site': 'same-origin' }, undefined],
      ['a wrong token', { cookie: mine.cookie, origin: server.url }, 'wrong'],
      ["another browser's token", { cookie: mine.cookie, 'sec-fetch-site': 'same-origin' }, other.csrf_token],
      ['the token without its cookie', { origin: server.url }, mine.csrf_token],
    ];
    for (const [label, headers, csrf_token] of refusals) {
      for (const [path, fields] of [['/login', login], ['/signup', signup]] as const) {
        const answer = await post(server, path, { ...fields, csrf_token }, headers);
        assert.equal(answer.status, 403, `${path}, ${label}`);
        assert.equal(answer.headers.get('content-type'), 'text/html; charset=utf-8');
        assert.match(answer.text, /<p class="error" role="alert" id="form-error">The form expired. Please try again.<\/p>/);
        assert.doesNotMatch(answer.headers.get('set-cookie') ?? '', /polar_session/, `${path}, ${label}`);
      }
    }
    assert.equal(await server.borealis.ctx.store.users.findByEmail(email), undefined);

    const signedIn = await post(server, '/login', { ...login, csrf_token: mine.csrf_token }, { cookie: mine.cookie, origin: server.url });
    assert.equal(signedIn.status, 303, signedIn.text);
    assert.match(signedIn.headers.get('set-cookie') ?? '', /^polar_session=/);
    const fresh = await preSession('/signup');
    const created = await post(server, '/signup', { ...signup, csrf_token: fresh.csrf_token }, { cookie: fresh.cookie, 'sec-fetch-site': 'same-origin' });
    assert.equal(created.status, 303, created.text);
    assert.ok(await server.borealis.ctx.store.users.findByEmail(email));
  });

  test('POST /signup cross-site (Sec-Fetch-Site or a foreign Origin) → 403, no user created', async () => {
    const email = `csrf-signup-${Date.now().toString(36)}@example.com`;
    const fields = { email, password: PASSWORD, name: 'Mallory Victim', return_to: '/' };
    assertFormExpired(await post(server, '/signup', fields, { 'sec-fetch-site': 'cross-site' }));
    assertFormExpired(await post(server, '/signup', fields, { origin: 'https://evil.example' }));

    assert.equal(await server.borealis.ctx.store.users.findByEmail(email), undefined);
    const login = await post(server, '/login', { email, password: PASSWORD, return_to: '/' });
    assert.equal(login.status, 400);
    assert.doesNotMatch(login.headers.get('set-cookie') ?? '', /polar_session/);

    // Control: the same form from the same origin, with its page's token, creates the account.
    const { cookie, csrf_token } = await preSession('/signup');
    const signup = await post(server, '/signup', { ...fields, csrf_token }, { cookie, 'sec-fetch-site': 'same-origin' });
    assert.equal(signup.status, 303, signup.text);
    assert.ok(await server.borealis.ctx.store.users.findByEmail(email));
  });

  // src/http/routes/login.ts asks a browser (one that sends Sec-Fetch-Site) for the token; a
  // client without fetch metadata may sign out without one (flows/login.test.ts "sign-out").
  // From this site with another session's token (a tab older than the current sign-in): asked
  // again with a fresh form, not a dead end that leaves the person signed in on a shared computer.
  test('POST /logout from a browser without a valid csrf_token → 403 asking again, the session still works until then', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const otherCookie = await signIn(server, await aUser(server));
    const { ctx } = server.borealis;
    const hash = ctx.credentials.hash(cookie.replace('polar_session=', ''));
    const foreign = csrfOf((await get(server, '/settings/oauth', otherCookie)).text);

    let asked: Answer | undefined;
    for (const csrf_token of [undefined, 'wrong', foreign]) {
      asked = await post(server, '/logout', { csrf_token, return_to: '/settings/organizations' }, { cookie, 'sec-fetch-site': 'same-origin' });
      assert.equal(asked.status, 403, asked.text);
      assert.ok(asked.text.includes('<h1>Sign out?</h1>') && asked.text.includes('name="return_to" value="/settings/organizations"'), asked.text);
      assert.equal(asked.headers.get('set-cookie'), null);
    }
    assertFormExpired(await post(server, '/logout', {}, { cookie, 'sec-fetch-site': 'cross-site' }));

    assert.ok(await ctx.store.sessions.findActive(hash, ctx.now()));
    const page = await get(server, '/settings/oauth', cookie);
    assert.equal(page.status, 200);
    assert.equal(csrfOf(asked?.text ?? ''), csrfOf(page.text), 'the form asking again carries this session\'s token');

    // Control: the page's own token signs out.
    const out = await post(server, '/logout', { csrf_token: csrfOf(page.text) }, { cookie, 'sec-fetch-site': 'same-origin' });
    assert.equal(out.status, 303);
    assert.equal(out.headers.get('location'), '/login');
    assert.equal(await ctx.store.sessions.findActive(hash, ctx.now()), undefined);
  });

  test('POST /login with Origin: null and Sec-Fetch-Site: same-origin is accepted (src/http/csrf.ts); Origin: null alone is not', async () => {
    const user = await aUser(server);
    const fields = { email: user.email, password: PASSWORD, return_to: '/settings/oauth' };
    assertFormExpired(await post(server, '/login', fields, { origin: 'null' }));

    const { cookie, csrf_token } = await preSession('/login');
    const answer = await post(server, '/login', { ...fields, csrf_token }, { cookie, origin: 'null', 'sec-fetch-site': 'same-origin' });
    assert.equal(answer.status, 303, answer.text);
    assert.equal(answer.text, '');
    assert.equal(answer.headers.get('location'), '/settings/oauth');
    const setCookie = answer.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^polar_session=polar_us_[0-9A-Za-z]{43}; Max-Age=2678400; Path=\/; HttpOnly; SameSite=Lax$/);
    assert.equal((await get(server, '/settings/oauth', setCookie.split(';')[0] as string)).status, 200);
  });
});
