/**
 * The screenshots in docs/img/, made from the real pages with fixed names and emails so they
 * only change when the pages do: sign-in, consent (several organizations and
 * sub_type=organization), the console and the error page. Random identifiers (client IDs) are
 * masked. Each shot is also a smoke test of what it shows.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { TestServer } from '../support/server.js';
import {
  type BrowserSuite,
  type ConsoleApp,
  type RelyingParty,
  authorizeUrl,
  createApp,
  createOrganization,
  freshPage,
  landedOnCallback,
  screenshotPath,
  signUp,
  startBrowserSuite,
} from './support.js';

const VIEWPORT = { width: 900, height: 900 };
const SCOPE = 'openid profile email products:read orders:read subscriptions:write';

describe('browser: documentation screenshots', () => {
  let server: TestServer;
  let browser: Browser;
  let rp: RelyingParty;
  /** Ada, signed in, with two organizations and the "Acme Analytics" app. */
  let ada: { page: Page; close(): Promise<void>; app: ConsoleApp };

  let suite: BrowserSuite | undefined;
  before(async () => {
    suite = await startBrowserSuite();
    ({ server, browser, rp } = suite);
    const { context, page } = await freshPage(browser, { viewport: VIEWPORT, colorScheme: 'light', locale: 'en-US' });
    await signUp(page, server.url, { name: 'Ada Lovelace', email: 'ada@example.com' });
    await createOrganization(page, server.url, 'Analytical Engines', 'analytical-engines');
    await createOrganization(page, server.url, 'Difference Engines', 'difference-engines');
    const app = await createApp(page, server.url, { name: 'Acme Analytics', redirectUri: rp.callback, scope: SCOPE });
    ada = { page, app, close: () => context.close() };
  });
  after(async () => {
    await ada?.close();
    await suite?.close();
  });

  async function shoot(page: Page, name: string, mask: ReturnType<Page['locator']>[] = []) {
    const path = screenshotPath(name);
    await page.screenshot({ path, fullPage: true, animations: 'disabled', caret: 'hide', mask, maskColor: '#d9dce1' });
    assert.ok(statSync(path).size > 5_000, `${name} was written`);
  }

  test('sign-in.png', async () => {
    const { context, page } = await freshPage(browser, { viewport: VIEWPORT, colorScheme: 'light', locale: 'en-US' });
    await page.goto(`${server.url}/login`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill('ada@example.com');
    await shoot(page, 'sign-in.png');
    await context.close();
  });

  test('consent.png: several organizations', async () => {
    const { page, app } = ada;
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, scope: SCOPE, state: 'shot' }));
    await page.getByRole('heading', { name: 'Acme Analytics wants to access your account' }).waitFor();
    assert.equal(await page.getByRole('radio').count(), 2, 'All organizations / Only the organizations selected below');
    assert.equal(await page.getByRole('checkbox').count(), 2);
    const text = (await page.textContent('main')) ?? '';
    for (const expected of ['Your identity', 'Read your email address', 'Read products', 'Read orders', 'Create or modify subscriptions']) {
      assert.ok(text.includes(expected), expected);
    }
    await shoot(page, 'consent.png');
  });

  test('consent-single-organization.png: sub_type=organization', async () => {
    const { page, app } = ada;
    await page.goto(
      authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, scope: SCOPE, state: 'shot-org', sub_type: 'organization' }),
    );
    await page.getByRole('group', { name: 'Choose the organization this app may act for' }).waitFor();
    assert.equal(await page.getByRole('radio').count(), 2, 'one radio button per organization');
    assert.equal(await page.getByRole('checkbox').count(), 0);
    assert.equal(await page.getByLabel('Analytical Engines (analytical-engines)', { exact: true }).isChecked(), true, 'the first is preselected');
    await shoot(page, 'consent-single-organization.png');
  });

  test('console.png: my apps and authorized apps', async () => {
    const { page, app } = ada;
    // Authorize once so the app also appears under "Authorized apps".
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, scope: 'openid email', state: 'shot-console' }));
    await page.getByRole('button', { name: 'Allow' }).click();
    assert.ok((await landedOnCallback(page, rp)).get('code'));
    await page.goto(`${server.url}/settings/oauth`);
    await page.getByRole('heading', { name: 'My OAuth apps' }).waitFor();
    assert.equal(await page.getByRole('cell', { name: 'Acme Analytics', exact: true }).count(), 2, 'listed as mine and as authorized');
    const clientIds = page.locator('code', { hasText: app.clientId });
    assert.equal(await clientIds.count(), 1);
    await shoot(page, 'console.png', [clientIds]);
  });

  test('error.png: unknown client', async () => {
    const { context, page } = await freshPage(browser, { viewport: VIEWPORT, colorScheme: 'light', locale: 'en-US' });
    const response = await page.goto(authorizeUrl(server.url, { client_id: 'polar_ci_unknown', redirect_uri: 'https://app.example.com/callback', state: 'x' }));
    assert.equal(response?.status(), 400);
    assert.match((await page.textContent('main')) ?? '', /invalid_client/);
    await shoot(page, 'error.png');
    await context.close();
  });
});
