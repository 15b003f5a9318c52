/**
 * The organizations on the built-in consent page (POST /oauth2/authorize, polar-oauth2.md §3.6):
 * those the authorization request names are shown ticked, and the form alone says what is
 * granted. The JSON consent API keeps Polar's merge of query and body (§2.5; consent.test.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, authorizeQuery, form, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('consent page: what the user sees and leaves ticked is what is granted', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test("an app's name cannot turn the words after it around: bidi overrides and isolates are left out of the page", async () => {
    const { cookie } = await setUp();
    const client = await aClient(server, { client_name: 'Acme Docs \u202e\u2066' });
    const html = await page(cookie, form(authorizeQuery(client)).toString());
    assert.ok(html.includes('<h1>Acme Docs  wants to access your account</h1>'), html);
    assert.ok(html.includes('<title>Authorize Acme Docs  · Borealis</title>'));
    assert.doesNotMatch(html, /[\u202a-\u202e\u2066-\u2069]/);
  });

  async function setUp(metadata: Parameters<typeof aClient>[1] = {}) {
    const user = await aUser(server);
    const a = await anOrganization(server, user);
    const b = await anOrganization(server, user);
    return { user, a, b, client: await aClient(server, metadata), cookie: await signIn(server, user) };
  }

  /** A hidden field of the page's form. */
  const field = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? '';

  async function page(cookie: string, query: string): Promise<string> {
    const response = await fetch(`${server.url}/oauth2/authorize?${query}`, { headers: { cookie } });
    assert.equal(response.status, 200);
    return response.text();
  }

  /** Submits the page's form with `fields`; returns the organizations of the token its code buys. */
  async function allow(client: TestClient, cookie: string, query: string, html: string, fields: [string, string][]): Promise<string[]> {
    const csrf = field(html, 'csrf_token');
    const shown = field(html, 'shown_scope');
    const body = new URLSearchParams([['csrf_token', csrf], ['shown_scope', shown], ['action', 'allow'], ...fields]);
    const response = await fetch(`${server.url}/oauth2/authorize?${query}`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
    assert.equal(response.status, 303, await response.text());
    const code = new URL(response.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const token = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    assert.equal(token.status, 200, token.text);
    const { ctx } = server.borealis;
    const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(JSON.parse(token.text).access_token));
    return [...(row?.organizationIds ?? [])];
  }

  /** Submits the page's form as shown; returns the scope of the token its code buys. */
  async function allowScope(client: TestClient, cookie: string, query: string, html: string): Promise<string> {
    const csrf = field(html, 'csrf_token');
    const shown = field(html, 'shown_scope');
    const body = new URLSearchParams([['csrf_token', csrf], ['shown_scope', shown], ['action', 'allow']]);
    const response = await fetch(`${server.url}/oauth2/authorize?${query}`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
    assert.equal(response.status, 303, await response.text());
    const code = new URL(response.headers.get('location') ?? '').searchParams.get('code') ?? '';
    const token = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    assert.equal(token.status, 200, token.text);
    return JSON.parse(token.text).scope;
  }

  const box = (name: string, value: string, checked: boolean) =>
    `name="${name}" value="${value}"${checked ? ' checked' : ''}>`;

  test('nothing named: "All organizations" is chosen and no box is ticked', async () => {
    const { a, b, cookie, client } = await setUp();
    const html = await page(cookie, form(authorizeQuery(client)).toString());
    for (const expected of [box('organization_mode', 'all', true), box('organization_mode', 'specific', false), box('organizations', a.id, false), box('organizations', b.id, false)]) {
      assert.ok(html.includes(expected), expected);
    }
    // Each by its name, its slug beside it.
    for (const org of [a, b]) assert.ok(html.includes(`${box('organizations', org.id, false)} ${org.name} <span class="muted">(${org.slug})</span></label>`), html);
  });

  test('a named organization is shown ticked; the user ticks another instead → only that one', async () => {
    const { a, b, cookie, client } = await setUp();
    const query = form(authorizeQuery(client, { organizations: a.id.toUpperCase() })).toString();
    const html = await page(cookie, query);
    for (const expected of [box('organization_mode', 'specific', true), box('organizations', a.id, true), box('organizations', b.id, false)]) {
      assert.ok(html.includes(expected), expected);
    }
    assert.deepEqual(await allow(client, cookie, query, html, [['organization_mode', 'specific'], ['organizations', b.id]]), [b.id]);
    // Switching to "All organizations" grants all of them: no down-scope at all.
    assert.deepEqual(await allow(client, cookie, query, await page(cookie, query), [['organization_mode', 'all']]), []);
  });

  // Without script the boxes can be ticked under "All organizations"; either reading could grant
  // what the person did not mean. Asked again, with the page as they left it.
  test('"All organizations" with boxes ticked, or "Only the selected" with none: the page again as left, nothing granted', async () => {
    const { user, a, cookie, client } = await setUp();
    const query = form(authorizeQuery(client)).toString();
    const html = await page(cookie, query);
    const base: [string, string][] = [['csrf_token', field(html, 'csrf_token')], ['shown_scope', field(html, 'shown_scope')], ['action', 'allow']];
    const cases: [[string, string][], string, string[]][] = [
      [[['organization_mode', 'all'], ['organizations', a.id]], 'You chose All organizations and also ticked some: untick them, or choose Only the organizations selected below.', [box('organization_mode', 'all', true), box('organizations', a.id, true)]],
      [[['organization_mode', 'specific']], 'Select at least one organization, or choose All organizations.', [box('organization_mode', 'specific', true), box('organizations', a.id, false)]],
    ];
    for (const [fields, why, kept] of cases) {
      const again = await post(cookie, query, [...base, ...fields]);
      assert.equal(again.status, 400, again.text);
      assert.equal(again.location, null);
      assert.ok(again.text.includes(why), again.text);
      for (const expected of kept) assert.ok(again.text.includes(expected), expected);
      // The choice the error is about is described by it (WCAG 3.3.1); its boxes are a group of their own.
      assert.ok(again.text.includes(`<p class="error" role="alert" id="form-error">${why}</p>`), again.text);
      assert.ok(again.text.includes('<fieldset aria-describedby="form-error"><legend>Organizations this app may act for</legend>'), again.text);
      assert.ok(again.text.includes('<fieldset class="nested"><legend>Selected organizations</legend>'), again.text);
    }
    assert.equal(await server.borealis.ctx.store.consents.find(client.clientId, user.id), undefined, 'nothing remembered');
  });

  test('single-organization mode: the named one is the selected radio; choosing the other grants the other', async () => {
    const { a, b, cookie, client } = await setUp({ default_sub_type: 'organization' });
    const query = form(authorizeQuery(client, { organizations: b.id })).toString();
    const html = await page(cookie, query);
    assert.ok(html.includes(box('organizations', b.id, true)));
    assert.ok(html.includes(box('organizations', a.id, false)));
    assert.deepEqual(await allow(client, cookie, query, html, [['organizations', a.id]]), [a.id]);
  });

  test('a logo is shown over https only: the page\'s CSP would block an http one as a broken image', async () => {
    const { cookie } = await setUp();
    for (const [logo, shown] of [['https://cdn.example/logo.png', true], ['http://cdn.example/logo.png', false]] as const) {
      const client = await aClient(server, { logo_uri: logo });
      const html = await page(cookie, form(authorizeQuery(client)).toString());
      assert.equal(html.includes(`<img src="${logo}" alt="">`), shown, logo);
    }
  });

  // A client's name and logo are whatever its registration says (RFC 6749 §10.2): the page
  // also shows where the answer goes, which the registration cannot dress up.
  test('the page names the host the answer is sent to, or a native app\'s scheme', async () => {
    const { cookie } = await setUp();
    const web = await aClient(server, { client_name: 'Google Drive', redirect_uris: ['https://evil.example/cb'] });
    const html = await page(cookie, form(authorizeQuery(web, { redirect_uri: 'https://evil.example/cb' })).toString());
    assert.ok(html.includes('Either way, you will be sent back to <strong>evil.example</strong>.'), html);
    const native = await aClient(server, { redirect_uris: ['com.example.app:/cb'] });
    const nativePage = await page(cookie, form(authorizeQuery(native, { redirect_uri: 'com.example.app:/cb' })).toString());
    assert.ok(nativePage.includes('you will be sent back to <strong>com.example.app:</strong>'));
    const { client } = await setUp();
    assert.ok((await page(cookie, form(authorizeQuery(client)).toString())).includes('<strong>127.0.0.1:9999</strong>'));
  });

  test('an app that acts for one organization, and a user with none: no Allow, a way to create one', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const client = await aClient(server, { default_sub_type: 'organization' });
    const query = form(authorizeQuery(client)).toString();
    const html = await page(cookie, query);
    assert.ok(html.includes('This app needs one: create it, and you will come back here.'));
    assert.ok(html.includes(`href="/settings/organizations?return_to=${encodeURIComponent(`/oauth2/authorize?${query}`).replaceAll('&', '&amp;')}"`), html);
    assert.equal(html.includes('value="allow"'), false);
    assert.ok(html.includes('value="deny"'));
    // Once they have one, Allow is back.
    await anOrganization(server, user);
    assert.ok((await page(cookie, query)).includes('value="allow"'));
  });

  /**
   * D6: what is granted is what the page showed. The scope is narrowed to the client's
   * registration again when the form is posted; an owner who widens it meanwhile (RFC 7592 PUT,
   * the console) must not turn the shown scope into a larger grant.
   */
  test('the registration widened between the page and Allow: the page is shown again with the new scope, and no code', async () => {
    const { user, cookie, client } = await setUp({ scope: 'openid email' });
    const query = form(authorizeQuery(client, { scope: 'openid email products:write' })).toString();
    const html = await page(cookie, query);
    assert.ok(html.includes('name="shown_scope" value="openid email"'), html);
    const { ctx } = server.borealis;
    await ctx.store.clients.updateMetadata(client.clientId, (stored) => ({ ...stored, scope: 'openid email products:write' }), ctx.now());

    const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
    for (const shown of ['openid email', undefined]) {
      const fields: [string, string][] = [['csrf_token', csrf], ['action', 'allow']];
      if (shown !== undefined) fields.push(['shown_scope', shown]);
      const body = new URLSearchParams(fields);
      const response = await fetch(`${server.url}/oauth2/authorize?${query}`, { method: 'POST', body, headers: { cookie }, redirect: 'manual' });
      const again = await response.text();
      assert.equal(response.status, 400, again);
      assert.equal(response.headers.get('location'), null);
      assert.ok(again.includes('What this app asks for has changed. Please review it again.'), again);
      assert.ok(again.includes('name="shown_scope" value="openid email products:write"'), again);
    }
    assert.equal(await ctx.store.consents.find(client.clientId, user.id), undefined, 'nothing remembered');
    // Allowing the page as shown now grants what it shows.
    const granted = await allowScope(client, cookie, query, await page(cookie, query));
    assert.equal(granted, 'openid email products:write');
  });

  async function post(cookie: string, query: string, fields: [string, string][]) {
    const response = await fetch(`${server.url}/oauth2/authorize?${query}`, { method: 'POST', body: new URLSearchParams(fields), headers: { cookie }, redirect: 'manual' });
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }

  // Signed out and in again in another tab: the open page's form carries the old session's
  // token. It was a dead end (403, no way on); the page is shown again for the session now.
  test('signed in again elsewhere since the page was shown: the page again, for this session, and no code', async () => {
    const { user, client, cookie } = await setUp();
    const query = form(authorizeQuery(client)).toString();
    const html = await page(cookie, query);
    const newCookie = await signIn(server, user);
    const fields: [string, string][] = [['csrf_token', field(html, 'csrf_token')], ['shown_scope', field(html, 'shown_scope')], ['action', 'allow']];
    const again = await post(newCookie, query, fields);
    assert.equal(again.status, 400, again.text);
    assert.equal(again.location, null);
    assert.ok(again.text.includes('This page expired, or you signed in again since it was shown. Please review it again.'), again.text);
    assert.equal(await server.borealis.ctx.store.consents.find(client.clientId, user.id), undefined, 'nothing remembered');
    const allowed = await post(newCookie, query, [['csrf_token', field(again.text, 'csrf_token')], ['shown_scope', field(again.text, 'shown_scope')], ['action', 'allow'], ['organization_mode', 'all']]);
    assert.equal(allowed.status, 303, allowed.text);
  });

  // The app became one that acts for exactly one organization while the page offered "All
  // organizations": asked again with the one-organization picker, not a 400 dead end.
  test('the app now acts for one organization and the page offered several: the page again, and no code', async () => {
    const { user, client, cookie, a } = await setUp();
    const query = form(authorizeQuery(client)).toString();
    const html = await page(cookie, query);
    const { ctx } = server.borealis;
    await ctx.store.clients.updateMetadata(client.clientId, (stored) => ({ ...stored, default_sub_type: 'organization' }), ctx.now());
    const fields: [string, string][] = [['csrf_token', field(html, 'csrf_token')], ['shown_scope', field(html, 'shown_scope')], ['action', 'allow'], ['organization_mode', 'all']];
    const again = await post(cookie, query, fields);
    assert.equal(again.status, 400, again.text);
    assert.equal(again.location, null);
    assert.ok(again.text.includes('What this app asks for has changed. Please review it again.'), again.text);
    assert.ok(again.text.includes(`type="radio" name="organizations" value="${a.id}"`), again.text);
    assert.equal(await ctx.store.consents.find(client.clientId, user.id), undefined, 'nothing remembered');
  });
});
