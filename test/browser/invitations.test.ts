/**
 * An invitation link in Chromium: a member makes it and copies it; someone new opens it, has no
 * account yet, signs up from the sign-in page it leads to, comes back to it and joins. Reloading
 * the page that showed the link (console.js) makes no second link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type BrowserSuite, PASSWORD, createOrganization, freshPage, signUp, startBrowserSuite } from './support.js';

describe('browser: joining an organization through an invitation link', () => {
  let suite: BrowserSuite;
  before(async () => {
    suite = await startBrowserSuite();
  });
  after(() => suite?.close());

  test('made and copied by a member; opened by someone new, who signs up, comes back and joins', async () => {
    const { server, browser } = suite;
    const owner = await freshPage(browser);
    await signUp(owner.page, server.url, { name: 'Owner', email: 'invite-owner@example.com' });
    await createOrganization(owner.page, server.url, 'Invite Co', 'invite-co');
    await owner.page.getByRole('button', { name: 'Make an invitation link' }).click();
    await owner.page.getByRole('heading', { name: 'Invite to Invite Co' }).waitFor();
    const link = (await owner.page.locator('#invitation-link').textContent())?.trim() ?? '';
    assert.match(link, new RegExp(`^${server.url}/settings/organizations/invitation\\?token=polar_oi_\\w{43}$`));
    // The history entry is the organizations page now: a reload makes no second link.
    assert.equal(new URL(owner.page.url()).pathname, '/settings/organizations');
    await owner.page.reload();
    assert.equal(await owner.page.getByText(/^By invite-owner@example\.com, expires/).count(), 1);

    const guest = await freshPage(browser);
    await guest.page.goto(link);
    await guest.page.getByRole('link', { name: 'Create one' }).click();
    await guest.page.getByLabel('Name').fill('Guest');
    await guest.page.getByLabel('Email').fill('invite-guest@example.com');
    await guest.page.getByLabel('Password').fill(PASSWORD);
    await guest.page.getByRole('button', { name: 'Create account' }).click();
    await guest.page.getByRole('heading', { name: 'Join Invite Co?' }).waitFor();
    assert.ok((await guest.page.locator('main').textContent())?.includes('Owner (invite-owner@example.com) invites you to join Invite Co'));
    await guest.page.getByRole('button', { name: 'Join Invite Co' }).click();
    await guest.page.getByText('You joined Invite Co.').waitFor();
    assert.equal(new URL(guest.page.url()).pathname, '/settings/organizations');
    assert.ok(await guest.page.getByRole('listitem').filter({ hasText: 'invite-owner@example.com' }).count());

    await owner.page.reload();
    assert.equal(await owner.page.getByText(/^By invite-owner@example\.com, expires/).count(), 0, 'spent, no longer waiting');
    assert.ok(await owner.page.getByRole('listitem').filter({ hasText: 'invite-guest@example.com' }).count());
    await owner.context.close();
    await guest.context.close();
  });
});
