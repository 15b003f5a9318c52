/**
 * A double click on a form's button, while the first answer is on its way (src/http/assets/forms.js).
 * Without the guard the second post of a consent with a nonce was refused as a replay, and the
 * relying party received that error while the code of the first post stayed unused; without a
 * nonce, two codes were issued for one answer. Latency is added so the second click lands while
 * the first post is in flight.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { type BrowserSuite, authorizeUrl, createApp, freshPage, signUp, startBrowserSuite } from './support.js';

describe('browser: a form posted twice by a double click', () => {
  let suite: BrowserSuite;
  before(async () => {
    suite = await startBrowserSuite();
  });
  after(() => suite?.close());

  /** Two clicks on the named button, `gap` ms apart, with 300 ms of network latency. */
  async function doubleClick(page: Page, name: string, gap = 150) {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 300, downloadThroughput: -1, uploadThroughput: -1 });
    const button = page.getByRole('button', { name });
    await button.scrollIntoViewIfNeeded();
    const box = await button.boundingBox();
    assert.ok(box);
    await page.mouse.click(box.x + 5, box.y + 5);
    await page.waitForTimeout(gap);
    await page.mouse.click(box.x + 5, box.y + 5).catch(() => {}); // the page may be gone already
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  }

  /** A new account on the console's new-app form, filled in and not yet sent. */
  async function newAppForm(page: Page, email: string, name: string) {
    await signUp(page, suite.server.url, { name: 'Form User', email });
    await page.goto(`${suite.server.url}/settings/oauth/new`);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Redirect URIs').fill('https://app.example/cb');
  }

  test('Allow clicked twice with a nonce: the relying party gets one code, and only one code exists', async () => {
    const { server, browser, rp } = suite;
    const { context, page } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Double Click', email: 'double-click@example.com' });
    const app = await createApp(page, server.url, { name: 'Double App', redirectUri: rp.callback });
    const before = rp.received.length;
    await page.goto(authorizeUrl(server.url, { client_id: app.clientId, redirect_uri: rp.callback, state: 'dbl', nonce: 'n-double' }));
    await doubleClick(page, 'Allow');
    await page.waitForURL((url) => url.href.startsWith(rp.callback));
    await page.waitForTimeout(1000); // a second post, were there one, would land meanwhile
    const received = rp.received.slice(before).map(String);
    assert.equal(received.length, 1, received.join('\n'));
    assert.match(received[0] ?? '', /^code=polar_ac_/);
    const { ctx } = server.borealis;
    assert.equal(await ctx.store.codes.nonceInUse(app.clientId, 'n-double'), true);
    await context.close();
  });

  test('Save clicked twice on a new app: one app', async () => {
    const { server, browser } = suite;
    const { context, page } = await freshPage(browser);
    await newAppForm(page, 'double-save@example.com', 'Saved Once');
    await doubleClick(page, 'Save');
    await page.locator('#client-secret').waitFor();
    await page.waitForTimeout(1000); // a second post, were there one, would land meanwhile
    const { ctx } = server.borealis;
    const owner = await ctx.store.users.findByEmail('double-save@example.com');
    assert.ok(owner);
    const { items } = await ctx.store.clients.listByOwner(owner.id, 0, 10);
    assert.deepEqual(items.map((c) => c.metadata.client_name), ['Saved Once']);
    await context.close();
  });

  // The page stopped while the post was on its way (Stop, Esc): the form must not stay dead.
  test('a form whose sending was stopped can be sent again a few seconds later', { timeout: 30_000 }, async () => {
    const { context, page } = await freshPage(suite.browser);
    await newAppForm(page, 'stopped-save@example.com', 'Stopped Once');
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 2000, downloadThroughput: -1, uploadThroughput: -1 });
    await page.getByRole('button', { name: 'Save' }).click({ noWaitAfter: true });
    await page.waitForTimeout(300);
    await cdp.send('Page.stopLoading');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await page.waitForTimeout(5500);
    await page.getByRole('button', { name: 'Save' }).click();
    // The stopped post may have reached the server: then this one is the same form sent again,
    // answered with the app it created and the way to a secret (console-pages.ts); else with
    // the new app and its secret. Either way there is one app.
    await page.locator('#client-id').waitFor();
    const shown = (await page.locator('#client-secret').count()) + (await page.getByText('This form was already sent, and created this app.').count());
    assert.equal(shown, 1);
    const { ctx } = suite.server.borealis;
    const owner = await ctx.store.users.findByEmail('stopped-save@example.com');
    assert.ok(owner);
    assert.deepEqual((await ctx.store.clients.listByOwner(owner.id, 0, 10)).items.map((c) => c.metadata.client_name), ['Stopped Once']);
    await context.close();
  });
});

