/**
 * /settings/sessions (src/http/routes/security-pages.ts): a person sees where they are signed in,
 * each browser named from its User-Agent with the address it signed in from, and signs out one
 * session, or every other one; nothing else is touched, and the security log says so.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { browserLabel } from '../../src/http/views/sessions.js';
import { PASSWORD, aUser } from '../support/fixtures.js';
import { consoleCsrf } from '../support/console.js';
import { type TestServer, startServer } from '../support/server.js';

const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0';
const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1';

describe('/settings/sessions', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  /** Signs in as a browser with that User-Agent would; the session cookie. */
  const signInAs = async (email: string, userAgent: string) => {
    const response = await fetch(`${server.url}/login`, {
      method: 'POST',
      headers: { 'user-agent': userAgent },
      body: new URLSearchParams({ email, password: PASSWORD, return_to: '/' }),
      redirect: 'manual',
    });
    assert.equal(response.status, 303);
    return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  };
  const page = async (cookie: string, query = '') => {
    const response = await fetch(`${server.url}/settings/sessions${query}`, { headers: { cookie }, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), body: await response.text() };
  };
  const post = async (cookie: string, path: string, csrf?: string) => {
    const body = new URLSearchParams({ csrf_token: csrf ?? (await consoleCsrf(server, cookie)) });
    const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie, origin: server.url }, body, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location') };
  };
  const signedIn = async (cookie: string) => (await page(cookie)).status === 200;
  /** Each row: browser, address, and what the last cell offers. */
  const rows = (body: string) =>
    [...body.matchAll(/<tr><td><time[^>]*>[^<]*<\/time><\/td><td title="[^"]*">([^<]*)<\/td><td>(.*?)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [
      m[1],
      m[2],
      /This browser/.test(m[3] ?? '') ? 'this' : (/action="\/settings\/sessions\/([^/]+)\/end"/.exec(m[3] ?? '')?.[1] ?? '?'),
    ]);

  test('each browser listed, newest first, the one in use marked; signing out one ends only it', async () => {
    const user = await aUser(server);
    const phone = await signInAs(user.email, SAFARI);
    const laptop = await signInAs(user.email, FIREFOX);
    const listed = await page(laptop);
    assert.equal(listed.status, 200);
    const [first, second] = rows(listed.body);
    assert.deepEqual(first, ['Firefox on Linux', '127.0.0.1', 'this']);
    assert.deepEqual(second?.slice(0, 2), ['Safari on iOS', '127.0.0.1']);
    assert.match(listed.body, /Sign out every other session/);

    const ended = await post(laptop, `/settings/sessions/${second?.[2]}/end`);
    assert.equal(ended.status, 303);
    assert.match(ended.location ?? '', /^\/settings\/sessions\?notice=signed_out&count=1&proof=/);
    assert.match((await page(laptop, (ended.location ?? '').slice('/settings/sessions'.length))).body, /<p class="notice" role="status">Signed out of one other session\.<\/p>/);
    assert.equal(await signedIn(phone), false, 'the phone is signed out');
    assert.equal(await signedIn(laptop), true);
    assert.deepEqual(rows((await page(laptop)).body), [['Firefox on Linux', '127.0.0.1', 'this']]);
    assert.doesNotMatch((await page(laptop)).body, /Sign out every other session/);
  });

  test('every other session at once; the security log says how many', async () => {
    const user = await aUser(server);
    const others = [await signInAs(user.email, SAFARI), await signInAs(user.email, 'curl/8.14.1')];
    const here = await signInAs(user.email, FIREFOX);
    const ended = await post(here, '/settings/sessions/end-others');
    assert.equal(ended.status, 303);
    assert.match(ended.location ?? '', /count=2&/);
    assert.match((await page(here, (ended.location ?? '').slice('/settings/sessions'.length))).body, /Signed out of 2 other sessions\./);
    for (const cookie of others) assert.equal(await signedIn(cookie), false);
    await server.borealis.ctx.audit.settled();
    const log = await (await fetch(`${server.url}/settings/security-log`, { headers: { cookie: here } })).text();
    assert.match(log, /<td>You signed out 2 other sessions<\/td>/);
  });

  test("refused: another person's session, the one in use, a forged form, a forged notice; signed out, the sign-in page", async () => {
    const [user, stranger] = [await aUser(server), await aUser(server)];
    const mine = await signInAs(user.email, FIREFOX);
    const theirs = await signInAs(stranger.email, SAFARI);
    const theirId = rows((await page(theirs)).body)[0]?.[2];
    assert.deepEqual(await post(mine, `/settings/sessions/${theirId}/end`), { status: 303, location: '/settings/sessions' });
    assert.equal(await signedIn(theirs), true, "another person's session is untouched");
    assert.deepEqual(rows((await page(mine)).body), [['Firefox on Linux', '127.0.0.1', 'this']], 'the session in use has no button');
    const own = (await server.borealis.ctx.store.sessions.listForUser(user.id, server.borealis.ctx.now()))[0]?.id;
    assert.deepEqual(await post(mine, `/settings/sessions/${own}/end`), { status: 303, location: '/settings/sessions' });
    assert.equal(await signedIn(mine), true, 'the session in use is ended by signing out, not here');
    assert.equal((await post(mine, '/settings/sessions/end-others', 'forged')).status, 403);
    assert.doesNotMatch((await page(mine, '?notice=signed_out&count=99&proof=forged')).body, /Signed out of/);
    const signedOut = await page('');
    assert.deepEqual([signedOut.status, signedOut.location], [303, '/login?return_to=%2Fsettings%2Fsessions']);
  });

  test('browsers named from their User-Agent; an unknown one shown as sent, cut', () => {
    const cases: [string | null, string][] = [
      [FIREFOX, 'Firefox on Linux'],
      [SAFARI, 'Safari on iOS'],
      ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0', 'Edge on Windows'],
      ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Safari/537.36', 'Chrome on macOS'],
      ['Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36', 'Chrome on Android'],
      ['curl/8.14.1', 'curl/8.14.1'],
      ['x'.repeat(100), `${'x'.repeat(60)}…`],
      [null, 'Unknown browser'],
    ];
    for (const [userAgent, label] of cases) assert.equal(browserLabel(userAgent), label);
  });
});
