/**
 * The authorization code flow in a real browser, from sign-up to a token the relying party
 * uses: consent with an organization down-scope, deny, prompt=none, and a hostile client name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/server.js';
import {
  type BrowserSuite,
  type ConsoleApp,
  type RelyingParty,
  approvedCode,
  authorizeUrl,
  createApp,
  createOrganization,
  exchangeCode,
  freshPage,
  landedOnCallback,
  postForm,
  signUp,
  startBrowserSuite,
  userinfo,
} from './support.js';

describe('browser: authorization code flow', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let suite: BrowserSuite | undefined;
  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser, rp } = suite);
  });
  after(() => suite?.close());

  /** A new user with a new app registered for the relying party's callback. */
  async function userWithApp(page: Page, email: string, appName: string): Promise<ConsoleApp> {
    await signUp(page, server.url, { name: 'Flow User', email });
    return createApp(page, server.url, { name: appName, redirectUri: rp.callback });
  }

  test('sign up → organization → console app → consent for one organization → tokens down-scoped to it', async () => {
    const { context, page, dialogs } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Flow User', email: 'flow@example.com' });
    await createOrganization(page, server.url, 'Flow North', 'flow-north');
    await createOrganization(page, server.url, 'Flow South', 'flow-south');
    const app = await createApp(page, server.url, { name: 'Flow App', redirectUri: rp.callback });
    assert.match(app.clientId, /^polar_ci_/);
    assert.match(app.clientSecret, /^polar_cs_/);

    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'state-one' }));
    await page.getByRole('heading', { name: 'Flow App wants to access your account' }).waitFor();
    assert.match((await page.textContent('main')) ?? '', /Signed in as flow@example\.com/);
    await page.getByLabel('Only the organizations selected below').check();
    const south = page.getByLabel('Flow South (flow-south)', { exact: true });
    await south.check();
    const southId = await south.getAttribute('value');
    assert.ok(southId);
    const before = rp.received.length;
    await page.getByRole('button', { name: 'Allow' }).click();
    const query = await landedOnCallback(page, rp);
    assert.equal(rp.received.length, before + 1);
    assert.equal(query.get('error'), null);
    assert.equal(query.get('state'), 'state-one');
    assert.equal(query.get('iss'), server.url);
    const code = query.get('code');
    assert.ok(code, `no code in ${query}`);

    const tokens = await exchangeCode(server.url, app, code, rp.callback);
    assert.equal(tokens.scope, 'openid email');
    assert.ok(tokens.id_token, 'openid was requested: an id_token is expected');
    const info = await userinfo(server.url, tokens.access_token);
    assert.equal(info.status, 200);
    const claims = (await info.json()) as { sub: string; email?: string };
    assert.equal(claims.email, 'flow@example.com');

    const introspection = await postForm(server.url, '/v1/oauth2/introspect', {
      token: tokens.access_token,
      client_id: app.clientId,
      client_secret: app.clientSecret,
    });
    assert.equal(introspection.status, 200, introspection.text);
    assert.equal(introspection.json.active, true);
    assert.deepEqual(introspection.json.organizations, [southId], 'the token is down-scoped to the chosen organization only');
    assert.equal(introspection.json.sub, claims.sub);
    assert.deepEqual(dialogs, []);
    await context.close();
  });

  test('"Only the organizations selected below" with none ticked does not grant every organization', async () => {
    const { context, page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Flow User', email: 'none-ticked@example.com' });
    await createOrganization(page, server.url, 'Ticks One', 'ticks-one');
    await createOrganization(page, server.url, 'Ticks Two', 'ticks-two');
    const app = await createApp(page, server.url, { name: 'Greedy App', redirectUri: rp.callback });
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'none-ticked' }));
    await page.getByLabel('Only the organizations selected below').check();
    const before = rp.received.length;
    const [answer] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === '/oauth2/authorize' && r.request().method() === 'POST'),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);
    if ((answer.headers().location ?? '').startsWith(rp.callback)) await landedOnCallback(page, rp);
    const delivered = rp.received.slice(before).find((q) => q.has('code'));
    let granted = 'no token';
    if (delivered) {
      const tokens = await exchangeCode(server.url, app, delivered.get('code') ?? '', rp.callback);
      const fields = { token: tokens.access_token, client_id: app.clientId, client_secret: app.clientSecret };
      granted = `a token with organizations ${JSON.stringify((await postForm(server.url, '/v1/oauth2/introspect', fields)).json.organizations)}`;
    }
    await context.close();
    // Regression (fixed): the form posts organization_mode=specific and no `organizations`; the page route
    // passes [] on, and [] means "no down-scope": the code and its token are valid for ALL the
    // user's organizations (introspect: "organizations": []) — the opposite of what the user
    // chose. The page should refuse (ask to tick at least one) instead of issuing a code.
    assert.equal(delivered, undefined, `no code may be issued for an empty "selected" list; the RP got ${granted}`);
  });

  test('deny → the callback gets error=access_denied with the state, and no code', async () => {
    const { context, page } = await freshPage(browser);
    const app = await userWithApp(page, 'deny@example.com', 'Deny App');
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'state-deny' }));
    await page.getByRole('button', { name: 'Deny' }).click();
    const query = await landedOnCallback(page, rp);
    assert.equal(query.get('error'), 'access_denied');
    assert.equal(query.get('state'), 'state-deny');
    assert.equal(query.get('iss'), server.url);
    assert.equal(query.get('code'), null);
    await context.close();
  });

  // OIDC Core §3.1.2.1: the authorization endpoint MUST accept POST; relying parties send long
  // requests as an auto-submitted form from their own origin.
  test('a relying party posts the authorization request as a form: consent, then a code', async () => {
    const { context, page } = await freshPage(browser);
    const app = await userWithApp(page, 'post@example.com', 'Post App');
    await page.goto(rp.callback.replace(/\/cb$/, '/start'));
    const fields = { response_type: 'code', client_id: app.clientId, redirect_uri: rp.callback, scope: 'openid email', state: 'state-post', nonce: 'n-post' };
    const inputs = Object.entries(fields).map(([name, value]) => `<input type="hidden" name="${name}" value="${value}">`).join('');
    await page.setContent(`<form method="post" action="${server.url}/oauth2/authorize">${inputs}<button>Continue</button></form>`);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    const query = await landedOnCallback(page, rp);
    assert.equal(query.get('state'), 'state-post');
    assert.match(query.get('code') ?? '', /^polar_ac_/);
    await context.close();
  });

  test('prompt=none: consent_required at first; after one consent, a code with no page shown', async () => {
    const { context, page } = await freshPage(browser);
    const app = await userWithApp(page, 'silent@example.com', 'Silent App');
    const base = { client_id: app.clientId, redirect_uri: rp.callback };

    await page.goto(authorizeUrl(server.url, { ...base, state: 'silent-1', prompt: 'none' }));
    let query = await landedOnCallback(page, rp);
    assert.equal(query.get('error'), 'consent_required');
    assert.equal(query.get('state'), 'silent-1');
    assert.equal(query.get('code'), null);

    await page.goto(authorizeUrl(server.url, { ...base, state: 'silent-2' }));
    await page.getByRole('button', { name: 'Allow' }).click();
    query = await landedOnCallback(page, rp);
    assert.ok(query.get('code'));
    assert.equal(query.get('state'), 'silent-2');

    // Any page the authorization server renders during the silent request would show up here.
    const pages: string[] = [];
    page.on('response', (response) => {
      if (response.url().startsWith(server.url) && response.status() < 300) pages.push(`${response.status()} ${response.url()}`);
    });
    const response = await page.goto(authorizeUrl(server.url, { ...base, state: 'silent-3', prompt: 'none' }));
    query = await landedOnCallback(page, rp);
    assert.ok(response?.url().startsWith(rp.callback), 'the navigation ends at the relying party');
    assert.deepEqual(pages, [], 'no page is shown for prompt=none');
    assert.equal(query.get('error'), null);
    assert.equal(query.get('state'), 'silent-3');
    const code = query.get('code');
    assert.ok(code);
    const tokens = await exchangeCode(server.url, app, code, rp.callback);
    assert.equal((await userinfo(server.url, tokens.access_token)).status, 200);
    await context.close();
  });

  test('a client named <script>alert(1)</script> is rendered as text; no dialog ever fires', async () => {
    const name = '<script>alert(1)</script>';
    const { context, page, dialogs } = await freshPage(browser);
    const app = await userWithApp(page, 'xss@example.com', name);
    assert.equal(((await page.locator('.card h1').first().textContent()) ?? '').trim(), name, 'the app page shows the name as text');

    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'xss' }));
    const heading = page.getByRole('heading', { level: 1 });
    assert.equal(((await heading.textContent()) ?? '').trim(), `${name} wants to access your account`);
    assert.ok(((await page.textContent('body')) ?? '').includes(name));
    assert.equal(await page.title(), `Authorize ${name} · Borealis`);
    const scripts = await page.locator('script').evaluateAll((all) => all.map((s) => `${s.getAttribute('src')} ${s.textContent}`));
    assert.deepEqual(scripts, ['/assets/forms.js '], "the consent page's only script is its own file, the name no script at all");

    await page.goto(`${server.url}/settings/oauth`);
    assert.equal(await page.getByRole('cell', { name, exact: true }).count(), 1, 'the console lists the name as text');
    assert.equal(await page.locator('main script').count(), 0);
    assert.deepEqual(dialogs, [], 'page.on("dialog") must never be called');
    await context.close();
  });

  // RFC 8252 §7.3: a native app registers its loopback URI without a port and listens wherever
  // it can. The consent form's CSP form-action must allow the port actually sent (pitfalls.md).
  test('a native app registered at http://127.0.0.1/cb receives the code on the port it asked for', async () => {
    const { context, page } = await freshPage(browser);
    const app = await userWithApp(page, 'native@example.com', 'Native App');
    const portless = `http://127.0.0.1${new URL(rp.callback).pathname}`;
    const { ctx } = server.borealis;
    const registered = await ctx.store.clients.findByClientId(app.clientId);
    assert.ok(registered);
    await ctx.store.clients.updateMetadata(app.clientId, (stored) => ({ ...stored, redirect_uris: [portless] }), ctx.now());
    const code = await approvedCode(page, server.url, rp, app.clientId, 'native');
    const tokens = await exchangeCode(server.url, app, code, rp.callback);
    assert.equal((await userinfo(server.url, tokens.access_token)).status, 200);
    await context.close();
  });

  test('without JavaScript: sign-up, the console and consent all work; the copy buttons stay hidden', async () => {
    const { context, page } = await freshPage(browser, { javaScriptEnabled: false });
    const app = await userWithApp(page, 'nojs@example.com', 'No Script App');
    const copyButtons = page.locator('button[data-copy]');
    assert.equal(await copyButtons.count(), 2, 'Copy secret and Copy client ID, both marked hidden');
    const visibleCopyButtons: string[] = [];
    for (const button of await copyButtons.all()) if (await button.isVisible()) visibleCopyButtons.push(((await button.textContent()) ?? '').trim());

    const code = await approvedCode(page, server.url, rp, app.clientId, 'no-js');
    const tokens = await exchangeCode(server.url, app, code, rp.callback);
    assert.equal((await userinfo(server.url, tokens.access_token)).status, 200);
    await context.close();

    // Regression (fixed): the copy buttons carry the `hidden` attribute until console.js reveals them, but
    // style.css's `button, .button { display: inline-block }` beats the user agent's
    // `[hidden] { display: none }`, so without JavaScript two dead "Copy …" buttons show.
    // Fix: `[hidden] { display: none !important; }` in style.css.
    assert.deepEqual(visibleCopyButtons, [], 'without JavaScript no copy button is visible');
  });
});
