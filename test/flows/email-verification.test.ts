/**
 * Confirming an address by a mailed link (accounts/email-links.ts): mailed at sign-up and from the
 * account page, confirmed by the link's form, signed in to the account (opening it spends
 * nothing: mail scanners fetch links; and someone who made an account in another's name cannot
 * have it confirmed by that person's click), and then `email_verified` is true in userinfo.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { AuditEvent } from '../../src/audit.js';
import { consoleCsrf } from '../support/console.js';
import { type Mailbox, linkIn, startMailbox } from '../support/mailbox.js';
import { aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

describe('confirming an email address by a mailed link', () => {
  let server: TestServer;
  let mailbox: Mailbox;
  const clock = fakeClock();
  before(async () => {
    mailbox = await startMailbox();
    server = await startServer({ now: clock, env: { BOREALIS_SMTP_URL: mailbox.url } });
  });
  after(async () => {
    await server.close();
    await mailbox.close();
  });

  const get = (path: string, cookie = '') => fetch(`${server.url}${path}`, { headers: { cookie }, redirect: 'manual' });
  const post = (path: string, fields: Record<string, string>, cookie = '') =>
    fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie }, body: new URLSearchParams(fields), redirect: 'manual' });
  const tokenOf = (link: string) => new URL(link).searchParams.get('token') ?? '';
  const emailVerified = async (cookie: string) => {
    const { access_token } = await tokensFor(server, await aClient(server), cookie);
    const info = await fetch(`${server.url}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${access_token}` } });
    return ((await info.json()) as { email_verified: boolean }).email_verified;
  };
  const askForLink = async (cookie: string) => post('/settings/account/verify-email', { csrf_token: await consoleCsrf(server, cookie) }, cookie);
  /** The confirmation form's POST, signed in as `cookie` says, with that session's CSRF token. */
  const confirm = async (token: string, cookie: string) => post('/verify-email', { token, csrf_token: await consoleCsrf(server, cookie) }, cookie);

  test('sign-up mails a link; opening it only asks; confirming sets email_verified; the link works once', async () => {
    const email = `new-${Date.now()}@example.com`;
    const signedUp = await post('/signup', { email, password: 'a long enough password', return_to: '/' });
    assert.equal(signedUp.status, 303);
    const cookie = (signedUp.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const mail = await mailbox.next(email);
    assert.deepEqual([mail.subject, mail.from], ['Confirm your email address', `Borealis <no-reply@${new URL(server.url).hostname}>`]);
    const link = linkIn(mail, server.url, '/verify-email');
    assert.match(link, /\?token=polar_ev_\w+$/);
    assert.equal(
      mail.text.replace(link, 'LINK').replace(/\r\n/g, '\n'),
      `Hello,\n\nAn account at ${new URL(server.url).host} uses this email address. To confirm that it is yours, open this link within 24 hours and sign in to that account if you are asked:\n\nLINK\n\nIf you did not create that account, ignore this mail: the address stays unconfirmed.\n`,
    );
    const path = link.slice(server.url.length);
    const opened = await get(path, cookie);
    assert.deepEqual([opened.status, opened.headers.get('referrer-policy')], [200, 'no-referrer']);
    const html = await opened.text();
    assert.ok(html.includes(`<p>Confirm that <strong>${email}</strong> is your address. Apps you sign in to will be told it is confirmed.</p>`), html);
    assert.ok(html.includes(`<input type="hidden" name="token" value="${tokenOf(link)}">`), html);
    assert.equal((await get(path)).status, 200, 'fetched signed out, as a mail scanner does');
    assert.equal(await emailVerified(cookie), false, 'a fetched link confirms nothing');
    const confirmed = await confirm(tokenOf(link), cookie);
    assert.equal(confirmed.status, 200);
    assert.ok((await confirmed.text()).includes(`<p><strong>${email}</strong> is confirmed.</p>`));
    assert.equal(await emailVerified(cookie), true);
    assert.equal((await confirm(tokenOf(link), cookie)).status, 404);
    const account = await (await get('/settings/account', cookie)).text();
    assert.ok(account.includes('<p>Your email address is confirmed.</p>'), account);
    assert.equal(account.includes('verify-email'), false);
  });

  test('the account page mails a link on request: once a minute, and not when confirmed', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const account = await (await get('/settings/account', cookie)).text();
    assert.ok(account.includes('<p>Your email address is not confirmed yet: apps you sign in to are told so.</p>'), account);
    assert.ok(account.includes('<form method="post" action="/settings/account/verify-email">'), account);
    const asked = await askForLink(cookie);
    assert.equal(asked.status, 303);
    const location = asked.headers.get('location') ?? '';
    assert.match(location, new RegExp(`^/settings/account\\?notice=mailed&user=${user.id}&proof=[\\w-]{43}$`));
    assert.ok((await (await get(location, cookie)).text()).includes(`<p class="notice" role="status">A confirmation link is on its way to ${user.email}. It works for 24 hours.</p>`));
    const first = linkIn(await mailbox.next(user.email), server.url, '/verify-email');
    const tooSoon = await askForLink(cookie);
    assert.equal(tooSoon.status, 429);
    assert.ok((await tooSoon.text()).includes('<p class="error" role="alert">A link was mailed less than a minute ago: please check your mail, or ask again in a minute.</p>'));
    clock.advance(61);
    assert.equal((await askForLink(cookie)).status, 303);
    const second = linkIn(await mailbox.next(user.email), server.url, '/verify-email');
    assert.equal((await get(first.slice(server.url.length))).status, 404, 'replaced by the newer link');
    assert.equal((await confirm(tokenOf(second), cookie)).status, 200);
    const done = await askForLink(cookie);
    assert.deepEqual([done.status, done.headers.get('location')], [303, '/settings/account']);
    assert.deepEqual(mailbox.take(user.email), []);
    clock.advance(61);
  });

  test('past five requests an hour, the page says the newest link mailed works', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await askForLink(cookie)).status);
    assert.deepEqual(statuses, [303, 429, 429, 429, 429]);
    await mailbox.next(user.email);
    const tooMany = await askForLink(cookie);
    assert.equal(tooMany.status, 429);
    const page = await tooMany.text();
    assert.ok(page.includes('<p class="error" role="alert">Several links were asked for in the last hour: please check your mail (the newest link works), or ask again later.</p>'), page);
  });

  test('a relay that refuses: the page says so (503), and the address stays unconfirmed', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    mailbox.refuse(true);
    try {
      const refused = await askForLink(cookie);
      assert.equal(refused.status, 503);
      assert.ok((await refused.text()).includes('<p class="error" role="alert">The mail could not be sent. Please try again in a minute.</p>'));
    } finally {
      mailbox.refuse(false);
    }
    assert.equal(await emailVerified(cookie), false);
  });

  test('a link lasts 24 hours', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    await askForLink(cookie);
    const link = linkIn(await mailbox.next(user.email), server.url, '/verify-email');
    clock.advance(24 * 3600);
    assert.equal((await confirm(tokenOf(link), cookie)).status, 404);
    assert.equal(await emailVerified(cookie), false);
  });

  test('security events: the mail sent and the address confirmed, with ids only', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const events: AuditEvent[] = [];
    const detach = server.borealis.ctx.audit.attach((event) => events.push(event));
    try {
      await askForLink(cookie);
      await confirm(tokenOf(linkIn(await mailbox.next(user.email), server.url, '/verify-email')), cookie);
      assert.deepEqual(events, [
        { audit: 'email.verification_sent', user_id: user.id },
        { audit: 'email.verified', user_id: user.id },
      ]);
    } finally {
      detach();
    }
  });

  test('only the account itself confirms: signed out, or signed in as another, the link asks to sign in to it (pre-hijacked accounts)', async () => {
    // Someone signs up with an address that is not theirs; its owner gets the mail and clicks.
    const email = `victim-${Date.now()}@example.com`;
    const squatter = await post('/signup', { email, password: 'the squatter password', return_to: '/' });
    const squatterCookie = (squatter.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const token = tokenOf(linkIn(await mailbox.next(email), server.url, '/verify-email'));
    const owner = await signIn(server, await aUser(server));
    const path = `/verify-email?token=${encodeURIComponent(token)}`;
    for (const cookie of ['', owner]) {
      const opened = await get(path, cookie);
      assert.equal(opened.status, 200);
      const html = await opened.text();
      assert.ok(html.includes(`<p>To confirm <strong>${email}</strong>, sign in to its account first`), html);
      assert.ok(html.includes(`<a class="button" href="/login?return_to=${encodeURIComponent(path)}">Sign in</a>`), html);
      assert.equal(html.includes(`name="token"`), false, 'no form that would confirm');
    }
    assert.equal((await post('/verify-email', { token })).status, 403);
    assert.equal((await post('/verify-email', { token, csrf_token: await consoleCsrf(server, owner) }, owner)).status, 403);
    assert.equal(await emailVerified(squatterCookie), false, "still unconfirmed: a reset by the owner will end the squatter's access");
  });

  test('an address a mail header would read as several, or as a name, is refused at sign-up: a mail to it would go elsewhere', async () => {
    for (const email of [`victim,attacker@evil.example`, 'x<attacker@evil.example>victim.example.com', '"quoted"@example.com', 'a;b@example.com']) {
      const refused = await post('/signup', { email, password: 'a long enough password', return_to: '/' });
      assert.equal(refused.status, 400, email);
      assert.ok((await refused.text()).includes('A valid email address is required.'), email);
    }
    assert.equal(mailbox.received.some((m) => m.to.includes('attacker@evil.example')), false);
  });

  test("the confirmation needs the session's CSRF token", async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    await askForLink(cookie);
    const token = tokenOf(linkIn(await mailbox.next(user.email), server.url, '/verify-email'));
    assert.equal((await post('/verify-email', { token }, cookie)).status, 403);
    assert.equal(await emailVerified(cookie), false);
    assert.equal((await confirm(token, cookie)).status, 200);
  });
});
