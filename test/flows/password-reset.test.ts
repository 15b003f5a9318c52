/**
 * "Forgot your password?" (accounts/email-links.ts): a link mailed through a real SMTP relay,
 * opened, and a new password set with it. The answer never tells whether an account has the
 * address; the link works once, for an hour, and only the newest one; the reset ends every
 * session, lifts the sign-in lock, and on an address never confirmed ends the apps' access too.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent } from '../../src/audit.js';
import { consolePost } from '../support/console.js';
import { type Mailbox, linkIn, startMailbox } from '../support/mailbox.js';
import { PASSWORD, aClient, aUser, authorizeQuery, getAuthorize, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

describe('password reset by a mailed link', () => {
  let server: TestServer;
  let mailbox: Mailbox;
  const clock = fakeClock();
  before(async () => {
    mailbox = await startMailbox();
    // Behind a proxy, so each request may name its own address: the per-address limit is tested once, below.
    const env = { BOREALIS_SMTP_URL: mailbox.url, BOREALIS_MAIL_FROM: 'Borealis <accounts@example.com>', BOREALIS_TRUST_PROXY: '1' };
    server = await startServer({ now: clock, env });
  });
  after(async () => {
    await server.close();
    await mailbox.close();
  });

  const get = (path: string, cookie = '') => fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  let address = 0;
  /** A form POST as a script sends it (no Sec-Fetch-Site, no Origin): no CSRF token needed. Each from an address of its own. */
  const post = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'x-forwarded-for': `10.0.${Math.floor(++address / 250)}.${address % 250}`, ...headers },
      body: new URLSearchParams(fields),
      redirect: 'manual',
    });
  const signInStatus = async (email: string, password: string) => (await post('/login', { email, password, return_to: '/' })).status;
  /** Asks for a link for `email`, and the link mailed. */
  async function resetLink(email: string): Promise<string> {
    assert.equal((await post('/forgot-password', { email })).status, 200);
    return linkIn(await mailbox.next(email, 'Set a new password'), server.url, '/reset-password');
  }
  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
  const mailsAfterAMoment = async (email: string) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    return mailbox.take(email);
  };

  test('the sign-in page offers it; the form asks for an address', async () => {
    assert.ok((await (await get('/login')).text()).includes('<a class="button secondary" href="/forgot-password">Forgot your password?</a>'));
    const page = await get('/forgot-password');
    assert.deepEqual([page.status, page.headers.get('cache-control')], [200, 'no-store']);
    const html = await page.text();
    assert.ok(html.includes('<form method="post" action="/forgot-password"><input type="hidden" name="csrf_token" value="'), html);
    assert.ok(html.includes('<input id="email" name="email" type="email" autocomplete="username" value="" required autofocus>'), html);
  });

  test('the answer is the same page whether or not an account has the address; only an account gets a mail, with one link', async () => {
    const user = await aUser(server);
    const stranger = `nobody-${Date.now()}@example.com`;
    const [known, unknown] = [await post('/forgot-password', { email: `  ${user.email}  ` }), await post('/forgot-password', { email: stranger })];
    assert.deepEqual([known.status, unknown.status], [200, 200]);
    const [knownText, unknownText] = [await known.text(), await unknown.text()];
    assert.equal(knownText.replace(user.email, 'E'), unknownText.replace(stranger, 'E'));
    assert.ok(knownText.includes(`<p>If an account uses <strong>${user.email}</strong>, a link to set a new password is on its way there.`), knownText);
    const mail = await mailbox.next(user.email);
    assert.deepEqual([mail.to, mail.from, mail.subject], [[user.email], 'Borealis <accounts@example.com>', 'Set a new password']);
    const link = linkIn(mail, server.url, '/reset-password');
    assert.match(link, new RegExp(`^${server.url}/reset-password\\?token=polar_pr_\\w+$`));
    assert.equal(
      mail.text.replace(link, 'LINK').replace(/\r\n/g, '\n'),
      `Hello,\n\nSomeone, hopefully you, asked to set a new password for the account ${user.email} at ${new URL(server.url).host}. To choose one, open this link within an hour:\n\nLINK\n\nIf it was not you, ignore this mail: your password stays as it is.\n`,
    );
    assert.deepEqual(await mailsAfterAMoment(stranger), []);
  });

  test('opening the link shows the form and spends nothing; the new password signs in, the old one no longer; every session ended; the link works once', async () => {
    const user = await aUser(server);
    const session = await signIn(server, user);
    const link = await resetLink(user.email);
    const path = link.slice(server.url.length);
    for (const _ of [1, 2]) {
      const opened = await get(path);
      assert.deepEqual([opened.status, opened.headers.get('referrer-policy')], [200, 'no-referrer']);
      const html = await opened.text();
      const warning = `<p>For <strong>${user.email}</strong>. Every session of this account will be signed out, and, as its address was never confirmed, so will every app you or anyone else authorized with it.</p>`;
      assert.ok(html.includes(warning), html);
      assert.equal(html.includes('end_app_access'), false, 'no choice to make: every app loses access');
      assert.ok(html.includes(`<input type="hidden" name="token" value="${tokenOf(link)}">`), html);
      assert.ok(html.includes('<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="8" required autofocus>'), html);
    }
    const short = await post('/reset-password', { token: tokenOf(link), new_password: 'short' });
    assert.equal(short.status, 400);
    assert.ok((await short.text()).includes('<p class="error" role="alert" id="form-error">The password must be at least 8 characters.</p>'));
    const done = await post('/reset-password', { token: tokenOf(link), new_password: 'a new password at last' });
    assert.deepEqual([done.status, done.headers.get('referrer-policy')], [200, 'no-referrer']);
    assert.ok((await done.text()).includes('<h1>Password changed</h1>'));
    assert.deepEqual([await signInStatus(user.email, PASSWORD), await signInStatus(user.email, 'a new password at last')], [400, 303]);
    assert.equal((await get('/settings/account', session)).status, 303, 'the session from before ended');
    const again = await post('/reset-password', { token: tokenOf(link), new_password: 'yet another password' });
    assert.equal(again.status, 404);
    assert.ok((await again.text()).includes('<p class="error" role="alert">This link was used, has expired, or a newer one replaced it.</p>'));
    assert.equal((await get(path)).status, 404);
  });

  test('on an address never confirmed the apps lose access too (a pre-made account); on a confirmed one they keep it', async () => {
    const unconfirmed = await aUser(server);
    const client = await aClient(server);
    const before = await tokensFor(server, client, await signIn(server, unconfirmed));
    const done = await post('/reset-password', { token: tokenOf(await resetLink(unconfirmed.email)), new_password: 'a new password at last' });
    const said = await done.text();
    assert.ok(said.includes("<p>Sign in with your new password. Every session of the account was signed out, and every app's access to it ended.</p>"), said);
    const userinfo = (token: string) => fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal((await userinfo(before.access_token)).status, 401);
    const signedIn = await post('/login', { email: unconfirmed.email, password: 'a new password at last', return_to: '/' });
    const after = await tokensFor(server, client, (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '');
    const claims = (await (await userinfo(after.access_token)).json()) as { email_verified: boolean };
    assert.equal(claims.email_verified, true, 'the reset link proved the address');
    clock.advance(61);
    const second = await post('/reset-password', { token: tokenOf(await resetLink(unconfirmed.email)), new_password: 'and one more password' });
    assert.ok((await second.text()).includes('<p>Sign in with your new password. Every session of the account was signed out.</p>'));
    assert.equal((await userinfo(after.access_token)).status, 200, 'confirmed now: an app acts for the user, not the password');
  });

  test('an account made in its owner\'s name: after the owner\'s reset, an app it authorized asks for consent again', async () => {
    const owner = await aUser(server);
    const client = await aClient(server);
    await tokensFor(server, client, await signIn(server, owner)); // consented, by whoever made the account
    await post('/reset-password', { token: tokenOf(await resetLink(owner.email)), new_password: 'the owner password' });
    const signedIn = await post('/login', { email: owner.email, password: 'the owner password', return_to: '/' });
    const cookie = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const silent = await getAuthorize(server, cookie, authorizeQuery(client, { prompt: 'none' }));
    const location = new URL(silent.headers.get('location') ?? '', server.url);
    assert.deepEqual([silent.status, location.searchParams.get('error'), location.searchParams.get('code')], [302, 'consent_required', null]);
  });

  test("a confirmed account may end every app's access with its reset; the owner is told by mail of each change", async () => {
    const user = await aUser(server);
    const userinfo = (token: string) => fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
    const cookieWith = async (password: string) =>
      (await post('/login', { email: user.email, password, return_to: '/' })).headers.get('set-cookie')?.split(';')[0] ?? '';
    const reset = async (password: string, fields: Record<string, string> = {}) =>
      post('/reset-password', { token: tokenOf(await resetLink(user.email)), new_password: password, ...fields });
    await reset('first new password'); // confirms the address
    const notice = await mailbox.next(user.email, 'Your password was changed');
    assert.equal(
      notice.text.replace(/\r\n/g, '\n'),
      `Hello,\n\nThe password of the account ${user.email} at ${new URL(server.url).host} was changed just now through a link sent by mail, and every session was signed out.\n\nIf you expected this, there is nothing to do. If not, set a new password at once:\n\n${server.url}/forgot-password\n`,
    );
    const kept = await tokensFor(server, await aClient(server), await cookieWith('first new password'));
    const link = await resetLink(user.email);
    const form = await (await get(link.slice(server.url.length))).text();
    assert.ok(form.includes('<label class="choice"><input type="checkbox" name="end_app_access"> Also end the access of every app I authorized (someone else may have had my password)</label>'), form);
    await post('/reset-password', { token: tokenOf(link), new_password: 'second new password' });
    assert.equal((await userinfo(kept.access_token)).status, 200, 'not asked: the apps keep their access');
    const ended = await tokensFor(server, await aClient(server), await cookieWith('second new password'));
    const done = await reset('third new password', { end_app_access: 'on' });
    assert.ok((await done.text()).includes("<p>Sign in with your new password. Every session of the account was signed out, and every app's access to it ended.</p>"));
    assert.deepEqual([(await userinfo(kept.access_token)).status, (await userinfo(ended.access_token)).status], [401, 401]);
    for (const _ of [2, 3]) await mailbox.next(user.email, 'Your password was changed');
  });

  test('a change on the account page is told by mail too', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const changed = await consolePost(server, cookie, '/settings/account/password', { current_password: PASSWORD, new_password: 'changed on the page' });
    assert.equal(changed.status, 303);
    const notice = (await mailbox.next(user.email, 'Your password was changed')).text.replace(/\r\n/g, '\n');
    assert.ok(notice.includes(` at ${new URL(server.url).host} was changed just now, and its other sessions were signed out.\n`), notice);
    assert.ok(notice.includes(`${server.url}/forgot-password`));
  });

  test('a newer link replaces the one before; at most one mail a minute; a link lasts an hour', async () => {
    const user = await aUser(server);
    const first = await resetLink(user.email);
    assert.equal((await post('/forgot-password', { email: user.email })).status, 200);
    assert.deepEqual(await mailsAfterAMoment(user.email), [], 'within the minute: no second mail');
    clock.advance(61);
    const second = await resetLink(user.email);
    assert.equal((await get(first.slice(server.url.length))).status, 404, 'replaced');
    assert.equal((await get(second.slice(server.url.length))).status, 200);
    clock.advance(3600);
    assert.equal((await get(second.slice(server.url.length))).status, 404, 'expired');
  });

  test('five requests an hour for one account, however far apart: the sixth mails nothing; the next hour, a mail again', async () => {
    const user = await aUser(server);
    let newest = '';
    for (let i = 0; i < 5; i++) {
      newest = await resetLink(user.email);
      clock.advance(61);
    }
    assert.equal((await post('/forgot-password', { email: user.email })).status, 200, 'the same answer');
    assert.deepEqual(await mailsAfterAMoment(user.email), [], 'the sixth: no mail');
    assert.equal((await get(newest.slice(server.url.length))).status, 200, 'the newest link mailed still works');
    clock.advance(3600);
    await resetLink(user.email);
  });

  test('the reset lifts the sign-in lock of the address', async () => {
    const user = await aUser(server);
    for (let i = 0; i < 5; i++) await signInStatus(user.email, 'wrong password');
    assert.equal(await signInStatus(user.email, PASSWORD), 429);
    await post('/reset-password', { token: tokenOf(await resetLink(user.email)), new_password: 'a new password at last' });
    assert.equal(await signInStatus(user.email, 'a new password at last'), 303);
  });

  test('a blocked user gets no mail; blocking ends a link already sent', async () => {
    const user = await aUser(server);
    const link = await resetLink(user.email);
    await server.borealis.accounts.store.users.block(user.id, clock());
    assert.equal((await get(link.slice(server.url.length))).status, 404);
    clock.advance(61);
    assert.equal((await post('/forgot-password', { email: user.email })).status, 200);
    assert.deepEqual(await mailsAfterAMoment(user.email), []);
  });

  test('one link sent twice at once: one reset, the other finds it spent', async () => {
    const user = await aUser(server);
    const token = tokenOf(await resetLink(user.email));
    const answers = await Promise.all(['first password one', 'second password two'].map((p) => post('/reset-password', { token, new_password: p })));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 404]);
    const won = answers[0]?.status === 200 ? 'first password one' : 'second password two';
    assert.equal(await signInStatus(user.email, won), 303);
  });

  test("a browser's form needs the page's CSRF token; another site's form is refused", async () => {
    const user = await aUser(server);
    const browser = { 'sec-fetch-site': 'same-origin', origin: server.url };
    const refused = await post('/forgot-password', { email: user.email }, browser);
    assert.equal(refused.status, 403);
    assert.ok((await refused.text()).includes('The form expired. Please try again.'));
    const token = tokenOf(await resetLink(user.email));
    assert.equal((await post('/reset-password', { token, new_password: 'a new password at last' }, browser)).status, 403);
    const crossSite = await post('/reset-password', { token, new_password: 'a new password at last' }, { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    assert.equal(crossSite.status, 403);
    assert.equal(await signInStatus(user.email, PASSWORD), 303, 'nothing changed');
  });

  test('ten requests a minute from one address, then 429', async () => {
    const from = { 'x-forwarded-for': '192.0.2.7' };
    const statuses = [];
    for (let i = 0; i < 11; i++) statuses.push((await post('/forgot-password', { email: `nobody-${i}@example.com` }, from)).status);
    assert.deepEqual(statuses, [...Array(10).fill(200), 429]);
  });

  test('security events: the request and the change, with ids only (no address, no link)', async () => {
    const user = await aUser(server);
    clock.advance(61);
    const events: AuditEvent[] = [];
    const detach = server.borealis.ctx.audit.attach((event) => events.push(event));
    try {
      const link = await resetLink(user.email);
      await post('/reset-password', { token: tokenOf(link), new_password: 'a new password at last' });
      assert.deepEqual(events, [
        { audit: 'password.reset_requested', user_id: user.id },
        { audit: 'password.changed', user_id: user.id, by: 'reset_link', tokens_revoked: true },
      ]);
      assert.equal(JSON.stringify(events).includes(tokenOf(link)), false);
    } finally {
      detach();
    }
  });

  test('a malformed or unknown token is the same "not valid" page', async () => {
    for (const token of ['', 'nonsense', 'polar_pr_0000000000000000000000000000000000000000000000', 'polar_ev_abc']) {
      const page = await get(`/reset-password?token=${encodeURIComponent(token)}`);
      assert.equal(page.status, 404, token);
      assert.ok((await page.text()).includes('<a class="button" href="/forgot-password">Ask for a new link</a>'));
      assert.equal((await post('/reset-password', { token, new_password: 'a new password at last' })).status, 404);
    }
  });
});

describe('without a mail relay', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('nothing is offered that would send mail', async () => {
    assert.equal((await (await fetch(`${server.url}/login`)).text()).includes('forgot-password'), false);
    for (const path of ['/forgot-password', '/reset-password?token=x', '/verify-email?token=x']) {
      assert.equal((await fetch(`${server.url}${path}`)).status, 404, path);
    }
    const cookie = await signIn(server, await aUser(server));
    const account = await (await fetch(`${server.url}/settings/account`, { headers: { cookie } })).text();
    assert.ok(account.includes('<p>Your email address is not confirmed yet: apps you sign in to are told so.</p>'), account);
    assert.equal(account.includes('verify-email'), false);
  });
});
