/**
 * Signing in from the authorization page: return_to survives the detour through /login,
 * prompt=login forces the form, wrong credentials say the same thing whichever part was wrong,
 * and five failures lock the email out (src/accounts/sign-in.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/server.js';
import {
  PASSWORD,
  type BrowserSuite,
  type RelyingParty,
  authorizeUrl,
  createApp,
  freshPage,
  landedOnCallback,
  signUp,
  startBrowserSuite,
  submitSignIn,
} from './support.js';

describe('browser: sign-in', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let suite: BrowserSuite | undefined;
  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser, rp } = suite);
  });
  after(() => suite?.close());

  const alertText = async (page: Page) => ((await page.getByRole('alert').textContent()) ?? '').trim();

  test('signed out, the authorize URL leads to /login and back to consent; prompt=login forces the form', async () => {
    const { context, page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Return User', email: 'return@example.com' });
    const app = await createApp(page, server.url, { name: 'Return App', redirectUri: rp.callback });
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.getByRole('button', { name: 'Sign out' }).click()]);

    const target = authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'back-again' });
    await page.goto(target);
    const login = new URL(page.url());
    assert.equal(login.pathname, '/login');
    assert.equal(login.searchParams.get('return_to'), target.slice(server.url.length), 'return_to is the authorize request');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    assert.equal(await submitSignIn(page, 'return@example.com', PASSWORD), 303);
    assert.equal(page.url(), target, 'after signing in the browser is back on the authorize request');
    await page.getByRole('heading', { name: 'Return App wants to access your account' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    let query = await landedOnCallback(page, rp);
    assert.ok(query.get('code'));
    assert.equal(query.get('state'), 'back-again');

    // Signed in, consent remembered: prompt=login still asks for the password first.
    const forced = authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'again', prompt: 'login' });
    await page.goto(forced);
    const relogin = new URL(page.url());
    assert.equal(relogin.pathname, '/login');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const returnTo = new URL(relogin.searchParams.get('return_to') ?? '', server.url);
    assert.equal(returnTo.pathname, '/oauth2/authorize');
    assert.equal(returnTo.searchParams.get('prompt'), 'consent', 'prompt=login becomes consent so it does not loop');
    assert.equal(returnTo.searchParams.get('state'), 'again');
    assert.equal(await submitSignIn(page, 'return@example.com', PASSWORD), 303);
    await page.getByRole('heading', { name: 'Return App wants to access your account' }).waitFor();
    await page.getByRole('button', { name: 'Allow' }).click();
    query = await landedOnCallback(page, rp);
    assert.ok(query.get('code'));
    assert.equal(query.get('state'), 'again');
    await context.close();
  });

  test('consent remembered: signing in lands straight on the client (the sign-in form posts into a cross-origin redirect)', async () => {
    const { context, page } = await freshPage(browser);
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await signUp(page, server.url, { name: 'Straight User', email: 'straight@example.com' });
    const app = await createApp(page, server.url, { name: 'Straight App', redirectUri: rp.callback });
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'first' }));
    await page.getByRole('button', { name: 'Allow' }).click();
    assert.equal((await landedOnCallback(page, rp)).get('state'), 'first');
    await page.goto(`${server.url}/settings/oauth`);
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.getByRole('button', { name: 'Sign out' }).click()]);

    // POST /login → 303 /oauth2/authorize → 302 to the client: a form-action 'self' on the sign-in
    // page would make Chromium block that last, cross-origin hop (pitfalls.md).
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'straight' }));
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('straight@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const query = await landedOnCallback(page, rp);
    assert.ok(query.get('code'));
    assert.equal(query.get('state'), 'straight');
    assert.deepEqual(violations, []);
    await context.close();
  });

  test('a wrong password and an unknown email get the same words', async () => {
    const { context, page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Typo User', email: 'typo@example.com' });
    await context.clearCookies();

    await page.goto(`${server.url}/login`);
    assert.equal(await submitSignIn(page, 'typo@example.com', 'not the password'), 400);
    assert.equal(await alertText(page), 'Wrong email or password.');
    assert.equal(await page.getByLabel('Email').inputValue(), 'typo@example.com', 'the email is kept');
    assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not echoed');

    await page.goto(`${server.url}/login`);
    assert.equal(await submitSignIn(page, 'nobody-here@example.com', 'not the password'), 400);
    assert.equal(await alertText(page), 'Wrong email or password.');
    await context.close();
  });

  test('five wrong passwords lock the email; the right password is refused while locked', async () => {
    const { context, page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Locked User', email: 'locked@example.com' });
    await context.clearCookies();

    await page.goto(`${server.url}/login`);
    for (let attempt = 1; attempt <= 4; attempt++) {
      assert.equal(await submitSignIn(page, 'locked@example.com', `wrong password ${attempt}`), 400, `attempt ${attempt}`);
      assert.equal(await alertText(page), 'Wrong email or password.', `attempt ${attempt}`);
    }
    assert.equal(await submitSignIn(page, 'locked@example.com', 'wrong password 5'), 429);
    assert.match(await alertText(page), /^Too many failed attempts\. Try again in \d+ minutes\.$/);
    assert.match(await alertText(page), /Try again in 15 minutes/);

    assert.equal(await submitSignIn(page, 'locked@example.com', PASSWORD), 429, 'locked even with the right password');
    assert.match(await alertText(page), /Try again in/);
    assert.deepEqual((await context.cookies()).map((c) => c.name), ['borealis_csrf'], 'no session cookie was set, only the form token\'s');
    await page.goto(`${server.url}/settings/oauth`);
    assert.equal(new URL(page.url()).pathname, '/login', 'still signed out');
    await context.close();
  });
});
