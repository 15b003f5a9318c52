/**
 * Mailed links in Chromium, with a real SMTP relay: someone signs up and confirms their address
 * from the mail; later, signed out and with the password forgotten, they ask for a reset link
 * from the sign-in page, set a new password through it, and sign in with it. Their security log
 * then tells the story in words.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type Mailbox, linkIn, startMailbox } from '../support/mailbox.js';
import { type TestServer, startServer } from '../support/server.js';
import { freshPage, launchBrowser, signUp, submitSignIn } from './support.js';

describe('browser: links sent by mail', () => {
  let server: TestServer;
  let browser: Browser;
  let mailbox: Mailbox;
  before(async () => {
    mailbox = await startMailbox();
    [server, browser] = await Promise.all([startServer({ env: { BOREALIS_SIGNUP: 'open', BOREALIS_SMTP_URL: mailbox.url } }), launchBrowser()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await mailbox?.close();
  });

  test('confirming the address from the sign-up mail, then resetting a forgotten password', async () => {
    const email = 'mailed-links@example.com';
    const { page, context } = await freshPage(browser);
    await signUp(page, server.url, { name: 'Mae', email });
    await page.goto(linkIn(await mailbox.next(email), server.url, '/verify-email'));
    await page.getByRole('heading', { name: 'Confirm your email address' }).waitFor();
    await page.getByRole('button', { name: 'Confirm' }).click();
    await page.getByRole('heading', { name: 'Address confirmed' }).waitFor();
    await page.getByRole('link', { name: 'Your account' }).click();
    await page.getByText('Your email address is confirmed.').waitFor();

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
    await page.goto(linkIn(await mailbox.next(email), server.url, '/reset-password'));
    await page.getByLabel('New password').fill('a password remembered');
    await page.getByRole('button', { name: 'Set password' }).click();
    await page.getByRole('heading', { name: 'Password changed' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).click();
    assert.equal(await submitSignIn(page, email, 'a password remembered'), 303);
    await page.waitForURL(`${server.url}/settings/oauth`);

    await server.borealis.ctx.audit.settled();
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByRole('link', { name: 'security log' }).click();
    await page.getByRole('heading', { name: 'Security log' }).waitFor();
    assert.deepEqual(await page.locator('tbody tr td:nth-child(2)').allTextContents(), [
      'Signed in',
      'Your password was reset with a mailed link',
      'A password reset link was mailed',
      'Your email address was confirmed',
      'A link to confirm your address was mailed',
    ]);
    assert.deepEqual(await page.locator('tbody tr td:nth-child(3)').allTextContents(), ['127.0.0.1', '—', '—', '—', '—']);
    await context.close();
  });
});
