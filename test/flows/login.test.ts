/** Sign-in and sign-out with the `polar_session` cookie. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AccountError, createOrganization, createUser } from '../../src/accounts/accounts.js';
import { startSession } from '../../src/accounts/sessions.js';
import { signInWithPassword } from '../../src/accounts/sign-in.js';
import { MAX_SESSIONS_PER_USER } from '../../src/store/limits.js';
import { openDb } from '../../src/store/sql/db.js';
import type { Store } from '../../src/store/store.js';
import { PASSWORD, REDIRECT_URI, aClient, aUser, authorizeQuery, form, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const login = (server: TestServer, fields: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${server.url}/login`, { method: 'POST', body: form(fields), headers, redirect: 'manual' });

describe('sign-in', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('sets an HttpOnly, SameSite=Lax, 31-day polar_session cookie and returns to a same-origin path', async () => {
    const user = await aUser(server);
    const response = await login(server, { email: user.email.toUpperCase(), password: PASSWORD, return_to: '/v1/oauth2/authorize?a=b' });
    assert.equal(response.status, 303);
    assert.equal(response.headers.get('location'), '/v1/oauth2/authorize?a=b');
    const cookie = response.headers.get('set-cookie') ?? '';
    assert.match(cookie, /^polar_session=polar_us_[0-9A-Za-z]{43}; Max-Age=2678400; Path=\/; HttpOnly; SameSite=Lax$/);
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const user = await aUser(server);
    const wrong = await login(server, { email: user.email, password: 'not the password' });
    const unknown = await login(server, { email: 'nobody@example.com', password: 'not the password' });
    assert.equal(wrong.status, 400);
    assert.equal(unknown.status, 400);
    assert.doesNotMatch(wrong.headers.get('set-cookie') ?? '', /polar_session/);
    // Identical pages but for the email the form keeps for the user to correct, and the form's
    // CSRF token (each answer here starts a pre-session cookie of its own).
    const token = /name="csrf_token" value="[^"]+"/;
    const wrongPage = (await wrong.text()).replace(user.email, 'EMAIL').replace(token, 'TOKEN');
    const unknownPage = (await unknown.text()).replace('nobody@example.com', 'EMAIL').replace(token, 'TOKEN');
    assert.equal(wrongPage, unknownPage);
    assert.match(wrongPage, /<p class="error" role="alert" id="form-error">Wrong email or password.<\/p>/);
    // Both fields are marked and described by the error (WCAG 3.3.1): neither is singled out.
    assert.match(wrongPage, /<input id="email" name="email" type="email" autocomplete="username" value="EMAIL" aria-invalid="true" aria-describedby="form-error" required autofocus>/);
    assert.match(wrongPage, /<input id="password" name="password" type="password" autocomplete="current-password" aria-invalid="true" aria-describedby="form-error" required>/);
  });

  // A lock read first and a failure recorded after the password check let every attempt sent at
  // once through to the check. Counted first, no more than the email's maximum (5) are checked.
  test('30 wrong passwords at once: no more than five are checked; then the right one is refused while locked', async () => {
    const user = await aUser(server);
    const { accounts } = server.borealis;
    let checked = 0;
    const users: Store['users'] = { ...accounts.store.users, findByEmail: (email) => (checked++, accounts.store.users.findByEmail(email)) };
    const store = Object.create(accounts.store, { users: { value: users } }) as Store;
    const attempts = Array.from({ length: 30 }, (_, i) => `wrong ${i}`);
    // From 30 addresses: from one, its own limit (20) would lock some of the first five as well,
    // depending on the order in which the two counts of each attempt land.
    const results = await Promise.all(attempts.map((password, i) => signInWithPassword({ ...accounts, store }, user.email, password, `203.0.113.${i + 1}`)));
    assert.ok(checked <= 5, `${checked} passwords were checked`);
    assert.equal(results.filter((r) => !r.ok && r.lockedUntil > 0).length, 26, 'the fifth locks; the 25 after it are refused unchecked');
    assert.equal((await signInWithPassword(accounts, user.email, PASSWORD, '203.0.113.8')).ok, false);
  });

  test('an email of any length is an ordinary wrong sign-in, never a 5xx', async () => {
    for (const length of [300, 3000, 30000]) {
      const response = await login(server, { email: `${'a'.repeat(length)}@example.com`, password: 'whatever' });
      assert.equal(response.status, 400, String(length));
    }
  });

  test('sign-up takes an address with a dotted domain; anything else, however long, is refused at once', async () => {
    const { accounts } = server.borealis;
    const tag = Date.now().toString(36);
    for (const email of [`ada-${tag}@example.com`, `a.b+c-${tag}@sub.example.co.uk`, `élodie-${tag}@exämple.de`]) {
      assert.equal((await createUser(accounts, { email, password: PASSWORD })).email, email);
    }
    const refused = ['a@b', 'a@b.', 'a@.b', 'a@b..c', 'a b@c.d', 'a@@b.c', `a@${'.'.repeat(64_000)}@`, `${'a'.repeat(310)}@example.com`,
      // Invisible: each would read as another account's address.
      'alice\u200b@example.com', 'ali\u202ece@example.com', 'alice@exam\u00adple.com', 'alice\u0007@example.com', 'ali\ufeffce@example.com'];
    for (const email of refused) {
      await assert.rejects(createUser(accounts, { email, password: PASSWORD }), /A valid email address is required\./, email.slice(0, 40));
    }
  });

  test('one account per address as it reads: composed or decomposed accents, full-width letters and IDN domains are one spelling', async () => {
    const { accounts } = server.borealis;
    const tag = Date.now().toString(36);
    const user = await createUser(accounts, { email: `René-${tag}@Bücher.example`, password: PASSWORD });
    for (const twin of [`rene\u0301-${tag}@bücher.example`, `ＲＥＮÉ-${tag}@xn--bcher-kva.example`]) {
      await assert.rejects(createUser(accounts, { email: twin, password: PASSWORD }), /A user with this email already exists\./, twin);
      // And any spelling signs in to that one account.
      const signedIn = await fetch(`${server.url}/login`, { method: 'POST', body: form({ email: twin, password: PASSWORD, return_to: '/' }), redirect: 'manual' });
      assert.equal(signedIn.status, 303, twin);
    }
    assert.equal((await server.borealis.ctx.store.users.findByEmail(`RENE\u0301-${tag}@BÜCHER.EXAMPLE`))?.id, user.id);
  });

  test('the same email signed up 8 times at once: one account, the others an ordinary 400 (never a 5xx)', async () => {
    const email = `race-${Date.now().toString(36)}@example.com`;
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${server.url}/signup`, { method: 'POST', body: form({ email, password: PASSWORD, return_to: '/' }), redirect: 'manual' }),
      ),
    );
    assert.deepEqual(answers.map((a) => a.status).sort(), [303, 400, 400, 400, 400, 400, 400, 400]);
    for (const answer of answers.filter((a) => a.status === 400)) assert.match(await answer.text(), /A user with this email already exists\./);
  });

  test('the same organization slug created 8 times at once: one organization, the others the ordinary AccountError', async () => {
    const owner = await aUser(server);
    const slug = `race-${Date.now().toString(36)}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 8 }, () => createOrganization(server.borealis.accounts, { slug, name: 'Race', owner })),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
    for (const outcome of outcomes.filter((o) => o.status === 'rejected')) {
      assert.ok(outcome.reason instanceof AccountError, String(outcome.reason));
      assert.equal(outcome.reason.message, `The slug ${slug} is taken.`);
    }
  });

  test('a cross-site form post is refused (D14)', async () => {
    const user = await aUser(server);
    const response = await login(server, { email: user.email, password: PASSWORD }, { 'sec-fetch-site': 'cross-site' });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await response.text(), /This form has expired or was sent from another site\./);
    const foreign = await login(server, { email: user.email, password: PASSWORD }, { origin: 'https://evil.example' });
    assert.equal(foreign.status, 403);
  });

  test('the sign-in page is a plain form, not framable', async () => {
    const response = await fetch(`${server.url}/login?return_to=/x`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    const page = await response.text();
    assert.match(page, /<form method="post" action="\/login">/);
    // Its only script keeps a double click from posting twice (assets/forms.js); it works without.
    assert.deepEqual([...page.matchAll(/<script[^>]*>/g)].map((m) => m[0]), ['<script src="/assets/forms.js" defer>']);
    assert.match(page, /name="return_to" value="\/x"/);
  });

  test("form-action: 'self', plus the client's origin where a form can end at its redirect URI", async () => {
    const csp = async (path: string, headers: Record<string, string> = {}) =>
      (await fetch(`${server.url}${path}`, { headers, redirect: 'manual' })).headers.get('content-security-policy') ?? '';
    const formAction = (policy: string) => policy.split('; ').find((d) => d.startsWith('form-action'));
    const client = await aClient(server);
    const authorize = `/oauth2/authorize?${form({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'email' })}`;
    const unknown = `/oauth2/authorize?${form({ response_type: 'code', client_id: 'polar_ci_nope', redirect_uri: 'https://evil.example/cb' })}`;
    // Chromium checks form-action on each redirect after the POST: sign-in → authorize → the client.
    for (const page of ['/login', '/signup']) {
      assert.equal(formAction(await csp(page)), "form-action 'self'", page);
      assert.equal(formAction(await csp(`${page}?return_to=${encodeURIComponent(authorize)}`)), "form-action 'self' http://127.0.0.1:9999", page);
      assert.equal(formAction(await csp(`${page}?return_to=${encodeURIComponent(unknown)}`)), "form-action 'self'", `${page}: an unverified redirect_uri is never listed`);
    }
    const cookie = await signIn(server, await aUser(server));
    assert.equal(formAction(await csp('/settings/oauth', { cookie })), "form-action 'self'");
    assert.equal(formAction(await csp('/settings/organizations', { cookie })), "form-action 'self'");
    assert.equal(formAction(await csp(`/settings/organizations?return_to=${encodeURIComponent(authorize)}`, { cookie })), "form-action 'self' http://127.0.0.1:9999");
    assert.equal(formAction(await csp(authorize, { cookie })), "form-action 'self' http://127.0.0.1:9999", 'the consent page');
  });

  test('sign-out ends the session', async () => {
    const user = await aUser(server);
    const cookie = ((await login(server, { email: user.email, password: PASSWORD })).headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { ctx } = server.borealis;
    const hash = ctx.credentials.hash(cookie.replace('polar_session=', ''));
    assert.ok(await ctx.store.sessions.findActive(hash, ctx.now()));
    const out = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /^polar_session=; Max-Age=0/);
    assert.equal(await ctx.store.sessions.findActive(hash, ctx.now()), undefined);
  });

  // store/limits.ts: the 100th sign-in after one ends that one, however many share its second
  // (created_at counts seconds; session ids are time-ordered).
  test('past 100 sessions a sign-in ends the oldest, in the order they were started', async () => {
    const user = await aUser(server);
    const { accounts, ctx } = server.borealis;
    const tokens: string[] = [];
    for (let i = 0; i < MAX_SESSIONS_PER_USER + 3; i++) {
      const started = await startSession(accounts, user);
      assert.ok(started);
      tokens.push(started.token);
      await new Promise((resolve) => setTimeout(resolve, 2)); // a millisecond of its own
    }
    const ended = [];
    for (const [i, token] of tokens.entries()) if (!(await ctx.store.sessions.findActive(ctx.credentials.hash(token), ctx.now()))) ended.push(i);
    assert.deepEqual(ended, [0, 1, 2]);
  });

  // OWASP session management: every re-authentication replaces the session, so a copied cookie
  // stops working once its owner signs in again (prompt=login, max_age, switching accounts).
  test('signing in or up again ends the session the browser held', async () => {
    const { ctx } = server.borealis;
    const live = async (cookie: string) => (await ctx.store.sessions.findActive(ctx.credentials.hash(cookie.replace('polar_session=', '')), ctx.now())) !== undefined;
    const user = await aUser(server);
    const first = await signIn(server, user);
    const again = await login(server, { email: user.email, password: PASSWORD }, { cookie: first });
    assert.equal(again.status, 303);
    const second = (again.headers.get('set-cookie') ?? '').split(';')[0] as string;
    assert.notEqual(second, first);
    assert.deepEqual([await live(first), await live(second)], [false, true]);
    assert.equal((await fetch(`${server.url}/settings/oauth`, { headers: { cookie: first }, redirect: 'manual' })).status, 303, 'the old cookie signs no one in');

    // A refused sign-in leaves the session as it was.
    assert.equal((await login(server, { email: user.email, password: 'wrong' }, { cookie: second })).status, 400);
    assert.equal(await live(second), true);
    const signup = await fetch(`${server.url}/signup`, {
      method: 'POST', headers: { cookie: second }, body: form({ email: `new-${user.id}@example.com`, password: PASSWORD }), redirect: 'manual',
    });
    assert.equal(signup.status, 303);
    assert.equal(await live(second), false);
  });

  test('a lock ending within the minute says "1 minute"; a refused sign-up keeps the name typed', async () => {
    const user = await aUser(server);
    for (let i = 0; i < 5; i++) await login(server, { email: user.email, password: 'wrong' });
    const db = await openDb(server.database.url);
    await db.run("UPDATE sign_in_failures SET locked_until = ? WHERE locked_until > 0 AND key LIKE 'email:%'", [server.borealis.ctx.now() + 30]).finally(() => db.close());
    const locked = await login(server, { email: user.email, password: PASSWORD });
    assert.equal(locked.status, 429);
    assert.match(await locked.text(), /Too many failed attempts\. Try again in 1 minute\.</);

    const taken = await fetch(`${server.url}/signup`, { method: 'POST', body: form({ name: 'Ada Again', email: user.email, password: PASSWORD }), redirect: 'manual' });
    assert.equal(taken.status, 400);
    const takenPage = await taken.text();
    assert.match(takenPage, /<input id="name" name="name" type="text" autocomplete="name" value="Ada Again">/);
    // The error is about the email: that field, and only it, is marked and described by it (WCAG 3.3.1).
    assert.match(takenPage, /<p class="error" role="alert" id="form-error">A user with this email already exists.<\/p>/);
    assert.deepEqual([...takenPage.matchAll(/<input id="(\w+)"[^>]* aria-invalid="true" aria-describedby="form-error"/g)].map((m) => m[1]), ['email']);
  });

  // Switching accounts on the consent page: the next sign-in carries on with the request. Only a
  // path on our origin is followed (safeReturnTo); anything else signs in to the default page.
  test('sign-out with a return_to leads to a sign-in that returns there; a foreign one is dropped', async () => {
    const cases: [string | undefined, string][] = [
      ['/oauth2/authorize?client_id=x&prompt=consent', `/login?return_to=${encodeURIComponent('/oauth2/authorize?client_id=x&prompt=consent')}`],
      ['//evil.example/x', '/login'],
      ['https://evil.example/x', '/login'],
      [undefined, '/login'],
    ];
    for (const [returnTo, location] of cases) {
      const cookie = await signIn(server, await aUser(server));
      const body = new URLSearchParams(returnTo === undefined ? {} : { return_to: returnTo });
      const out = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, body, redirect: 'manual' });
      assert.equal(out.status, 303);
      assert.equal(out.headers.get('location'), location, String(returnTo));
    }
    // The consent page's sign-out form carries the request.
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const query = form(authorizeQuery(client)).toString();
    const html = await (await fetch(`${server.url}/oauth2/authorize?${query}`, { headers: { cookie } })).text();
    const hidden = /action="\/logout"><input type="hidden" name="csrf_token" value="[^"]+"><input type="hidden" name="return_to" value="([^"]+)">/.exec(html)?.[1];
    assert.equal(hidden?.replaceAll('&amp;', '&'), `/oauth2/authorize?${query}`);
  });

  test('a malformed sign-out (return_to twice) is refused before anything is written: still signed in', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const body = new URLSearchParams([['return_to', '/a'], ['return_to', '/b']]);
    const out = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, body, redirect: 'manual' });
    assert.equal(out.status, 400);
    assert.equal(out.headers.get('set-cookie'), null);
    const settings = await fetch(`${server.url}/settings/oauth`, { headers: { cookie }, redirect: 'manual' });
    assert.equal(settings.status, 200);
  });

  test('sign-out while the user is blocked deletes the session too: unblocking does not revive it', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const { ctx } = server.borealis;
    const hash = ctx.credentials.hash(cookie.replace('polar_session=', ''));
    const db = await openDb(server.database.url);
    try {
      await db.run('UPDATE users SET blocked_at = ? WHERE id = ?', [ctx.now(), user.id]);
      const out = await fetch(`${server.url}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
      assert.equal(out.status, 303);
      assert.equal(await ctx.store.sessions.findActive(hash, ctx.now()), undefined);
      await db.run('UPDATE users SET blocked_at = NULL WHERE id = ?', [user.id]);
      const settings = await fetch(`${server.url}/settings/oauth`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(settings.status, 303, 'signed out: the settings page sends to sign-in');
    } finally {
      await db.close();
    }
  });
});

describe('sign-in over https', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_PUBLIC_URL: 'https://auth.example' } });
  });
  after(() => server.close());

  test('the session cookie is Secure', async () => {
    const user = await aUser(server);
    const response = await login(server, { email: user.email, password: PASSWORD });
    assert.match(response.headers.get('set-cookie') ?? '', /; Secure/);
  });

  test("the sign-in form's cookie is __Host- prefixed, so no other subdomain can plant one of its name", async () => {
    const page = await fetch(`${server.url}/login`);
    const setCookie = page.headers.get('set-cookie') ?? '';
    assert.match(setCookie, /^__Host-borealis_csrf=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
    const value = setCookie.split(';')[0]!.split('=')[1]!;
    const csrf_token = /name="csrf_token" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
    const user = await aUser(server);
    const fromThePage = { origin: 'https://auth.example', 'sec-fetch-site': 'same-origin' };
    const fields = { email: user.email, password: PASSWORD, csrf_token };
    // The same value without the prefix is what a sibling subdomain could set: it is not read.
    const planted = await login(server, fields, { ...fromThePage, cookie: `borealis_csrf=${value}` });
    assert.equal(planted.status, 403);
    assert.equal(planted.headers.get('set-cookie')?.startsWith('polar_session='), false);
    const signedIn = await login(server, fields, { ...fromThePage, cookie: `__Host-borealis_csrf=${value}` });
    assert.equal(signedIn.status, 303);
    assert.match(signedIn.headers.get('set-cookie') ?? '', /^polar_session=polar_us_\w+; Max-Age=\d+; Path=\/; HttpOnly; Secure; SameSite=Lax$/);
  });
});
