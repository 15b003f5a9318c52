/**
 * /settings/account: a signed-in user changes their password. The current password is checked
 * as a sign-in is (its throttle counts a wrong one); the change ends the user's other sessions
 * and keeps this one; the tokens their apps hold stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consolePost } from '../support/console.js';
import { PASSWORD, aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('the account page: changing the password', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const page = (cookie: string, path = '/settings/account') => fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const change = (cookie: string, current: string, next: string) =>
    consolePost(server, cookie, '/settings/account/password', { current_password: current, new_password: next });
  const signInWith = async (email: string, password: string) =>
    (await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' })).status;
  /** The fields marked invalid and described by the error (WCAG 3.3.1). */
  const marked = (html: string) => [...html.matchAll(/<input id="(\w+)"[^>]* aria-invalid="true" aria-describedby="form-error"/g)].map((m) => m[1]);

  test('the page: who is signed in and a labelled form; signed out, sign-in leads back to it', async () => {
    const user = await aUser(server);
    const shown = await page(await signIn(server, user));
    assert.deepEqual([shown.status, shown.headers.get('content-type'), shown.headers.get('cache-control')], [200, 'text/html; charset=utf-8', 'no-store']);
    const html = await shown.text();
    assert.ok(html.includes(`<p>Signed in as <strong>${user.email}</strong> (Test User).</p>`), html);
    assert.ok(html.includes('<label for="current_password">Current password</label>\n<input id="current_password" name="current_password" type="password" autocomplete="current-password" required>'), html);
    assert.ok(html.includes('<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" required>'), html);
    assert.ok(html.includes('<a href="/settings/account">Account</a>'), 'in the navigation');
    const signedOut = await page('');
    assert.deepEqual([signedOut.status, signedOut.headers.get('location')], [303, `/login?return_to=${encodeURIComponent('/settings/account')}`]);
  });

  test('a change ends the other sessions, keeps this one and the apps\' tokens; the old password no longer signs in', async () => {
    const user = await aUser(server);
    const [here, elsewhere] = [await signIn(server, user), await signIn(server, user)];
    const tokens = await tokensFor(server, await aClient(server), elsewhere);
    const changed = await change(here, PASSWORD, 'a brand new password');
    assert.deepEqual([changed.status, changed.location, changed.text], [303, '/settings/account?notice=password', '']);
    const after = await page(here, changed.location ?? '');
    assert.equal(after.status, 200);
    assert.ok((await after.text()).includes('<p class="notice" role="status">Your password was changed, and your other sessions were signed out.</p>'));
    assert.equal((await page(elsewhere)).status, 303, 'the other session ended');
    const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200, 'an app acts for the user, not the password');
    assert.deepEqual([await signInWith(user.email, PASSWORD), await signInWith(user.email, 'a brand new password')], [400, 303]);
  });

  test('a short new password or a wrong current one: the form again (400), the field marked, nothing changed', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const short = await change(cookie, PASSWORD, 'short');
    assert.equal(short.status, 400);
    assert.ok(short.text.includes('<p class="error" role="alert" id="form-error">The new password must be at least 8 characters.</p>'), short.text);
    assert.deepEqual(marked(short.text), ['new_password']);
    const wrong = await change(cookie, 'not the password', 'a brand new password');
    assert.equal(wrong.status, 400);
    assert.ok(wrong.text.includes('<p class="error" role="alert" id="form-error">The current password is wrong.</p>'), wrong.text);
    assert.deepEqual(marked(wrong.text), ['current_password']);
    assert.equal(await signInWith(user.email, PASSWORD), 303, 'the password is unchanged');
  });

  test('guessing the current password from a session is throttled as sign-in is: the fifth wrong try locks (429), the right one is refused too', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await change(cookie, `guess ${i}`, 'a brand new password')).status);
    assert.deepEqual(statuses, [400, 400, 400, 400, 429, 429]);
    const locked = await change(cookie, PASSWORD, 'a brand new password');
    assert.equal(locked.status, 429);
    assert.match(locked.text, /<p class="error" role="alert" id="form-error">Too many failed attempts\. Try again in \d+ minutes?\.<\/p>/);
  });

  test('without the form token, or from another site: 403, nothing changed (D14)', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const body = new URLSearchParams({ current_password: PASSWORD, new_password: 'a brand new password', csrf_token: 'wrong' });
    for (const origin of [server.url, 'https://elsewhere.example']) {
      const refused = await fetch(`${server.url}/settings/account/password`, { method: 'POST', headers: { cookie, origin }, body, redirect: 'manual' });
      assert.equal(refused.status, 403, origin);
      assert.equal(refused.headers.get('content-type'), 'text/html; charset=utf-8');
    }
    assert.equal(await signInWith(user.email, PASSWORD), 303);
  });
});
