/**
 * /settings/account: a signed-in user changes their password. The current password is checked
 * as a sign-in is (its throttle counts a wrong one); the change ends every session of the user
 * and gives this browser a new one; the tokens their apps hold stay.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleCsrf, consolePost } from '../support/console.js';
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

  test('a change ends every session, a new one replacing this one (OWASP); the apps\' tokens stay; the old password no longer signs in', async () => {
    const user = await aUser(server);
    const [here, elsewhere] = [await signIn(server, user), await signIn(server, user)];
    const tokens = await tokensFor(server, await aClient(server), elsewhere);
    const body = new URLSearchParams({ csrf_token: await consoleCsrf(server, here), current_password: PASSWORD, new_password: 'a brand new password' });
    const changed = await fetch(`${server.url}/settings/account/password`, { method: 'POST', headers: { cookie: here, origin: server.url }, body, redirect: 'manual' });
    assert.equal(changed.status, 303);
    const location = changed.headers.get('location') ?? '';
    assert.match(location, new RegExp(`^/settings/account\\?notice=password&user=${user.id}&proof=[\\w-]{43}$`));
    const fresh = (changed.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    assert.match(fresh, /^polar_session=polar_us_/);
    assert.notEqual(fresh, here);
    const after = await page(fresh, location);
    assert.equal(after.status, 200);
    const notice = '<p class="notice" role="status">Your password was changed, and every other session was signed out.</p>';
    assert.ok((await after.text()).includes(notice));
    assert.equal((await (await page(fresh, '/settings/account?notice=password')).text()).includes(notice), false, 'a crafted notice says nothing');
    assert.deepEqual([(await page(here)).status, (await page(elsewhere)).status], [303, 303], 'both earlier sessions ended');
    const userinfo = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(userinfo.status, 200, 'an app acts for the user, not the password');
    assert.deepEqual([await signInWith(user.email, PASSWORD), await signInWith(user.email, 'a brand new password')], [400, 303]);
  });

  test('a short new password or a wrong current one: the form again (400), the field marked, nothing changed', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    // Counted as hashed: code points after NFKC, so four accented letters typed as eight code units are four.
    assert.equal((await change(cookie, PASSWORD, 'e\u0301'.repeat(4))).status, 400);
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
