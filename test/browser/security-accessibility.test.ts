/**
 * What the pages promise beyond the happy path: errors that must never redirect, security
 * headers on the sign-in and consent pages and on the redirect carrying the code, and a
 * consent page usable with the keyboard alone, labelled, and narrow-screen safe.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page, Response } from 'playwright-core';
import type { TestServer } from '../support/server.js';
import {
  type BrowserSuite,
  type RelyingParty,
  authorizeUrl,
  createApp,
  createOrganization,
  freshPage,
  landedOnCallback,
  signUp,
  startBrowserSuite,
} from './support.js';

/** CSP directives by name, e.g. `script-src` → ["'self'"]. */
function directives(csp: string | undefined): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of (csp ?? '').split(';')) {
    const [name, ...values] = part.trim().split(/\s+/);
    if (name) map.set(name.toLowerCase(), values);
  }
  return map;
}

/** CSP forbids inline script, forbids framing; X-Frame-Options agrees. */
async function assertPageHeaders(response: Response | null, what: string) {
  assert.ok(response, what);
  const headers = await response.allHeaders();
  const csp = directives(headers['content-security-policy']);
  const scripts = csp.get('script-src') ?? csp.get('default-src');
  assert.ok(scripts, `${what}: the CSP restricts scripts`);
  assert.ok(!scripts.includes("'unsafe-inline'"), `${what}: no 'unsafe-inline' for scripts`);
  assert.ok(!scripts.includes("'unsafe-eval'"), `${what}: no 'unsafe-eval' for scripts`);
  assert.deepEqual(csp.get('frame-ancestors'), ["'none'"], `${what}: frame-ancestors 'none'`);
  assert.equal(headers['x-frame-options'], 'DENY', `${what}: X-Frame-Options`);
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
}

/** Form controls (other than hidden inputs) without an associated label or aria-label. */
const UNLABELLED = `[...document.querySelectorAll('input:not([type=hidden]):not([hidden]), select, textarea')]
  .filter((e) => !(e.labels && [...e.labels].some((l) => l.textContent.trim())) && !e.getAttribute('aria-label'))
  .map((e) => e.outerHTML)`;

describe('browser: errors, security headers, keyboard and small screens', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  let suite: BrowserSuite | undefined;
  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser, rp } = suite);
  });
  after(() => suite?.close());

  /** A user (with one organization) and an app, in the given page; returns the authorize URL. */
  async function consentSetup(page: Page, email: string, appName: string, slug: string): Promise<string> {
    await signUp(page, server.url, { name: 'Key User', email });
    await createOrganization(page, server.url, `Org ${slug}`, slug);
    const app = await createApp(page, server.url, { name: appName, redirectUri: rp.callback });
    return authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: `st-${slug}` });
  }

  test('unknown client_id and unregistered redirect_uri: an error page, never a redirect', async () => {
    const { context, page } = await freshPage(browser);
    const hits = rp.hits.length;
    const unknown = await page.goto(authorizeUrl(server.url, { client_id: 'polar_ci_doesnotexist', redirect_uri: rp.callback, state: 'x' }));
    assert.ok(unknown);
    assert.equal(unknown.status(), 400);
    assert.equal(unknown.request().redirectedFrom(), null, 'no redirect happened');
    assert.ok(page.url().startsWith(`${server.url}/oauth2/authorize?`), 'the browser stays on the authorization server');
    await page.getByRole('heading', { name: 'This request cannot be completed' }).waitFor();
    assert.match((await page.textContent('main')) ?? '', /invalid_client/);
    await assertPageHeaders(unknown, 'error page');

    const authorize = await consentSetup(page, 'wrong-uri@example.com', 'Strict App', 'strict');
    const elsewhere = rp.callback.replace(/\/cb$/, '/elsewhere');
    const url = new URL(authorize);
    url.searchParams.set('redirect_uri', elsewhere);
    const before = rp.hits.length;
    const unregistered = await page.goto(url.href);
    assert.ok(unregistered);
    assert.equal(unregistered.status(), 400);
    assert.equal(unregistered.request().redirectedFrom(), null);
    assert.ok(page.url().startsWith(`${server.url}/oauth2/authorize?`));
    const text = (await page.textContent('main')) ?? '';
    assert.match(text, /invalid_request/);
    assert.ok(text.includes(`Redirect URI ${elsewhere} is not supported by client.`), text);
    assert.equal(rp.hits.length, before, 'the relying party received nothing');
    assert.equal(before, hits, 'nor for the unknown client');
    await context.close();
  });

  test('security headers on sign-in and consent; the redirect carrying the code has Referrer-Policy: no-referrer', async () => {
    const { context, page } = await freshPage(browser);
    await assertPageHeaders(await page.goto(`${server.url}/login`), 'sign-in page');
    const authorize = await consentSetup(page, 'headers@example.com', 'Header App', 'headers');
    await assertPageHeaders(await page.goto(authorize), 'consent page');

    const [redirect] = await Promise.all([
      page.waitForResponse((r) => r.status() >= 300 && r.status() < 400 && (r.headers().location ?? '').includes('code=')),
      page.getByRole('button', { name: 'Allow' }).click(),
    ]);
    const headers = await redirect.allHeaders();
    assert.ok(headers.location?.startsWith(`${rp.callback}?code=`), headers.location);
    assert.equal(headers['referrer-policy'], 'no-referrer');
    assert.equal(headers['cache-control'], 'no-store');
    await landedOnCallback(page, rp);
    // (Chromium may then fetch the RP's /favicon.ico: that request is the RP page's own business.)
    const hit = rp.hits.find((h) => h.startsWith('/cb?code=') && h.includes('state=st-headers')) ?? '';
    assert.match(hit, /^\/cb\?code=/);
    assert.ok(hit.endsWith(' -'), `the relying party got no Referer header: ${hit}`);
    await context.close();
  });

  test('keyboard only: Tab reaches Allow and Enter submits; every input is labelled', async () => {
    const { context, page } = await freshPage(browser);
    await page.goto(`${server.url}/login`);
    const email = page.getByLabel('Email');
    const password = page.getByLabel('Password');
    assert.equal(await email.count(), 1);
    assert.equal(await password.count(), 1);
    assert.equal(await email.getAttribute('type'), 'email');
    assert.equal(await password.getAttribute('type'), 'password');
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'sign-in page');
    await page.goto(`${server.url}/signup`);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'sign-up page');

    const authorize = await consentSetup(page, 'keys@example.com', 'Keyboard App', 'keys');
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'app page');
    await page.goto(`${server.url}/settings/organizations`);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'organizations page');
    await page.goto(`${server.url}/settings/account`);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'account page');
    await page.goto(authorize);
    assert.deepEqual(await page.evaluate(UNLABELLED), [], 'consent page');
    assert.equal(await page.getByLabel('All organizations').count(), 1);
    assert.equal(await page.getByLabel('Org keys (keys)', { exact: true }).count(), 1);

    // The focused element itself (not its subtree): `tag name=value "text"`.
    const focused = () =>
      page.evaluate(`(() => { const e = document.activeElement; if (!e || e === document.body) return 'body';
        return e.tagName.toLowerCase() + ' ' + (e.getAttribute('name') || '') + '=' + (e.getAttribute('value') || '') + ' "' + e.textContent.trim() + '"'; })()`) as Promise<string>;
    const allow = 'button action=allow "Allow"';
    const path: string[] = [await focused()];
    for (let i = 0; i < 40 && path.at(-1) !== allow; i++) {
      await page.keyboard.press('Tab');
      path.push(await focused());
    }
    assert.equal(path.at(-1), allow, `Tab never reached Allow: ${path.join(' → ')}`);
    const before = rp.received.length;
    await page.keyboard.press('Enter');
    const query = await landedOnCallback(page, rp);
    assert.equal(rp.received.length, before + 1);
    assert.ok(query.get('code'), 'Enter on Allow approved the request');
    assert.equal(query.get('state'), 'st-keys');
    await context.close();
  });

  test('at 375 px wide the consent page has no horizontal scroll', async () => {
    const { context, page } = await freshPage(browser, { viewport: { width: 375, height: 800 } });
    const authorize = await consentSetup(page, 'narrow-screen-user-with-a-long-address@example.com', 'Narrow App', 'a-rather-long-organization-slug');
    await createOrganization(page, server.url, 'Second', 'second-org');
    await page.goto(`${server.url}/login`);
    const widths: Record<string, unknown> = {};
    widths.login = await page.evaluate('document.documentElement.scrollWidth');
    await page.goto(authorize);
    await page.getByRole('button', { name: 'Allow' }).waitFor();
    widths.consent = await page.evaluate('document.documentElement.scrollWidth');
    assert.ok(Number(widths.consent) <= 375, `consent page scrollWidth ${widths.consent}`);
    assert.ok(Number(widths.login) <= 375, `sign-in page scrollWidth ${widths.login}`);
    await context.close();
  });

  /** WCAG 1.4.11: the contrast of two `rgb(r, g, b)` colours (relative luminance, WCAG 2.2 §1.4.3's formula). */
  function contrast(a: string, b: string): number {
    const luminance = (rgb: string) => {
      const [r, g, bl] = (rgb.match(/\d+/g) ?? []).slice(0, 3).map((c) => {
        const v = Number(c) / 255;
        return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      }) as [number, number, number];
      return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
    };
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
    return (hi + 0.05) / (lo + 0.05);
  }

  test('an error is read with the field it is about; the focus ring and field borders stand out; headings in order; a copy is announced', async () => {
    const { context, page } = await freshPage(browser, { permissions: ['clipboard-read', 'clipboard-write'] });
    await page.goto(`${server.url}/login`);
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    const description = (label: string) =>
      page.getByLabel(label).evaluate((e) => [e.getAttribute('aria-invalid'), e.ownerDocument.getElementById(e.getAttribute('aria-describedby') ?? '')?.textContent]);
    assert.deepEqual(await description('Email'), ['true', 'Wrong email or password.']);
    assert.deepEqual(await description('Password'), ['true', 'Wrong email or password.']);

    // The focus ring and a field's border against the white card, at 3:1 or more.
    await page.keyboard.press('Tab');
    const ring = await page.evaluate(`(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.borderTopColor]; })()`) as string[];
    assert.deepEqual(ring.slice(0, 2), ['solid', '3px']);
    assert.ok(contrast(ring[2] as string, 'rgb(255, 255, 255)') >= 3, `focus ring ${ring[2]}`);
    assert.ok(contrast(ring[3] as string, 'rgb(255, 255, 255)') >= 3, `field border ${ring[3]}`);

    // One h1 and no level skipped, on the app page right after creation (the secret card shown).
    await signUp(page, server.url, { name: 'Heading User', email: 'headings@example.com' });
    await createApp(page, server.url, { name: 'Heading App', redirectUri: rp.callback });
    const levels = (await page.evaluate(`[...document.querySelectorAll('main h1, main h2, main h3')].map((h) => h.tagName + ' ' + h.textContent.trim())`)) as string[];
    assert.deepEqual(levels, ['H1 Heading App', 'H2 Copy the client secret now', 'H2 Settings', 'H2 Client secret', 'H2 Delete this app']);
    await page.getByRole('button', { name: 'Copy client ID' }).click();
    const status = page.locator('[data-copy-status="client-id"]');
    assert.equal(await status.getAttribute('role'), 'status');
    await page.waitForFunction(`document.querySelector('[data-copy-status="client-id"]')?.textContent === 'Copied to the clipboard.'`);
    await context.close();
  });
});
