/**
 * Pages a person fills in answer what went wrong as pages, with a way back, not the API's JSON
 * (src/http/pages/page-errors.ts): a form that cannot be read, one too large, too many sign-ups,
 * an address that names no page.
 * The expired or cross-site form: flows/csrf-forms.test.ts; the console's own: flows/console.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { PASSWORD, aUser, form, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const SIGNUPS_PER_MINUTE = 3;

describe('errors on the pages a person fills in', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: String(SIGNUPS_PER_MINUTE) } });
  });
  after(() => server.close());

  const post = async (path: string, body: string | URLSearchParams, cookie?: string, contentType = 'application/x-www-form-urlencoded') => {
    const response = await fetch(`${server.url}${path}`, {
      method: 'POST',
      body,
      headers: { 'content-type': contentType, ...(cookie ? { cookie } : {}) },
      redirect: 'manual',
    });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const get = async (path: string, cookie?: string) => {
    const response = await fetch(`${server.url}${path}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
    return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
  };
  const assertPage = (answer: Awaited<ReturnType<typeof post>>, status: number, title: string, back: string) => {
    assert.equal(answer.status, status, answer.text);
    assert.equal(answer.type, 'text/html; charset=utf-8');
    assert.match(answer.text, new RegExp(`<h1>${title}</h1>`));
    assert.ok(answer.text.includes(back), `a way back: ${back}`);
  };

  test('a sign-in form with a field twice: 400, "Form not understood", back to sign in', async () => {
    const body = new URLSearchParams([['email', 'a@example.com'], ['email', 'b@example.com'], ['password', 'x']]);
    assertPage(await post('/login', body), 400, 'Form not understood', 'href="/login"');
  });

  test('a console form over 64 KiB: 413, "Form too large", back to the apps', async () => {
    const cookie = await signIn(server, await aUser(server));
    const body = form({ client_name: 'Big', redirect_uris: 'https://a.example/cb\n'.repeat(4000) });
    assertPage(await post('/settings/oauth/new', body, cookie), 413, 'Form too large', 'href="/settings/oauth"');
  });

  // Refused by the framework before any route ran: pages still, not the API's JSON.
  test('a Content-Type that cannot be read: 415 "Form not understood"; on the authorization page too', async () => {
    assertPage(await post('/login', 'email=a', undefined, ';'), 415, 'Form not understood', 'href="/login"');
    assertPage(await post('/oauth2/authorize?client_id=x', 'action=allow', undefined, ';;'), 415, 'Form not understood', 'href="/login"');
    assertPage(await post('/oauth2/authorize?client_id=x', 'a'.repeat(70 * 1024)), 413, 'Form too large', 'href="/login"');
  });

  test('an address that names no page: 404 "Page not found"; the API keeps its JSON', async () => {
    const cookie = await signIn(server, await aUser(server));
    assertPage(await get('/settings/oauth/apps/%FF', cookie), 404, 'Page not found', 'href="/settings/oauth"');
    assertPage(await get('/settings/nothing-here', cookie), 404, 'Page not found', 'href="/settings/oauth"');
    assertPage(await get('/settings/oauth/apps/a%00b', cookie), 404, 'Page not found', 'href="/settings/oauth"');
    const api = await get('/v1/nothing-here');
    assert.equal(api.status, 404);
    assert.equal(api.text, '{"detail":"Not Found"}');
    // An id of any length is looked up, and is an app that does not exist, as a short one is.
    assertPage(await get(`/settings/oauth/apps/polar_ci_${'x'.repeat(200)}`, cookie), 404, 'App not found', 'href="/settings/oauth"');
  });

  test('a signed-in user keeps the navigation on every error page; signed out, there is none', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const nav = `<nav aria-label="Account">\n<a href="/settings/oauth">OAuth apps</a>`;
    // Unrouted (the cookie read from the header), decoded before routing, routed, and refused by a route.
    for (const path of ['/settings/nothing-here', '/settings/oauth/apps/%FF', '/settings/oauth/apps/polar_ci_unknown']) {
      const page = await get(path, cookie);
      assert.equal(page.status, 404, path);
      assert.ok(page.text.includes(nav) && page.text.includes(`<span class="muted">${user.email}</span>`), `${path}: ${page.text}`);
      assert.equal((await get(path)).text.includes('<nav'), false, `${path} signed out`);
    }
    const expired = await post('/settings/organizations', form({ csrf_token: 'stale', name: 'X', slug: 'x' }), cookie);
    assert.equal(expired.status, 403);
    assert.ok(expired.text.includes(nav), expired.text);
    // A cookie naming no session is as signed out.
    assert.equal((await get('/settings/nothing-here', `polar_session=polar_us_${'A'.repeat(43)}`)).text.includes('<nav'), false);
    // The authorization page's own error (an unknown client: nothing to redirect to), by GET and by its form.
    const unknownClient = '/oauth2/authorize?response_type=code&client_id=polar_ci_unknown&redirect_uri=https%3A%2F%2Fapp.example%2Fcb';
    const authorizeError = await get(unknownClient, cookie);
    assert.equal(authorizeError.status, 400);
    assert.ok(authorizeError.text.includes('<h1>This request cannot be completed</h1>') && authorizeError.text.includes(nav), authorizeError.text);
    assert.equal((await get(unknownClient)).text.includes('<nav'), false, 'signed out');
    const csrf = /name="csrf_token" value="([\w-]+)"/.exec(authorizeError.text)?.[1] ?? '';
    const body = form({ action: 'allow', csrf_token: csrf });
    const formError = await fetch(`${server.url}${unknownClient}`, { method: 'POST', headers: { cookie, origin: server.url }, body, redirect: 'manual' });
    const formErrorText = await formError.text();
    assert.equal(formError.status, 400, formErrorText);
    assert.ok(formErrorText.includes('<h1>This request cannot be completed</h1>') && formErrorText.includes(nav), formErrorText);
  });

  test(`sign-ups past ${SIGNUPS_PER_MINUTE} a minute from one address: 429 "Too many requests", and no account`, async () => {
    const tag = Date.now().toString(36);
    const signUp = (i: number) => post('/signup', form({ email: `many-${tag}-${i}@example.com`, password: PASSWORD, return_to: '/' }));
    for (let i = 0; i < SIGNUPS_PER_MINUTE; i++) assert.equal((await signUp(i)).status, 303);
    assertPage(await signUp(SIGNUPS_PER_MINUTE), 429, 'Too many requests', 'href="/login"');
    assert.equal(await server.borealis.ctx.store.users.findByEmail(`many-${tag}-${SIGNUPS_PER_MINUTE}@example.com`), undefined);
  });
});
