/**
 * GET /v1/oauth2/authorize: the login requirement, the 200 AuthorizeResponse and the prompt rules
 * (polar-oauth2.md §3.4, §9; D8, D10, D14; the order documented in src/oauth/authorize/prompt.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, aUser, authorizeQuery, form, getAuthorize, issParam, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';
import { SPEC_ALL_SCOPES } from '../support/spec.js';


describe('GET /v1/oauth2/authorize', () => {
  let server: TestServer;
  let iss: string;
  before(async () => {
    server = await startServer();
    iss = issParam(server);
  });
  after(() => server.close());

  const query = authorizeQuery;

  /** A 302 with a code: checks the exact Location and returns the code. */
  async function expectCode(response: Response, state: string | undefined = 'st'): Promise<string> {
    assert.equal(response.status, 302, await response.clone().text());
    const location = response.headers.get('location') ?? '';
    const code = /[?&]code=(polar_ac_[0-9A-Za-z]{43})&/.exec(location)?.[1];
    assert.ok(code, location);
    assert.equal(location, `${REDIRECT_URI}?code=${code}${state === undefined ? '' : `&state=${state}`}&${iss}`);
    assert.equal(await response.text(), '');
    return code;
  }

  async function expectRedirectError(response: Response, params: string) {
    assert.equal(response.status, 302, await response.clone().text());
    assert.equal(response.headers.get('location'), `${REDIRECT_URI}?${params}&${iss}`);
  }

  async function expectLogin(response: Response) {
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(response.headers.get('www-authenticate'), null);
    assert.equal(await response.text(), '{"detail":"Unauthorized"}');
  }

  async function expectConsentJson(response: Response) {
    assert.equal(response.status, 200, await response.clone().text());
    // The user's email and a session-bound CSRF token: not for any cache.
    assert.equal(response.headers.get('cache-control'), 'no-store');
    return (await response.json()) as { scopes: string[]; csrf_token: string };
  }

  /** Answers the consent screen with `allow`, as the page does (query re-posted verbatim). */
  async function allow(cookie: string, q: Record<string, string | undefined>, csrfToken: string) {
    const response = await fetch(`${server.url}/v1/oauth2/consent?${form(q)}`, {
      method: 'POST',
      headers: { cookie },
      body: form({ action: 'allow', csrf_token: csrfToken }),
      redirect: 'manual',
    });
    return expectCode(response, q.state);
  }

  async function thirdParty() {
    const user = await aUser(server);
    const client = await aClient(server);
    return { user, client, cookie: await signIn(server, user) };
  }

  test('not signed in: 401 {"detail":"Unauthorized"}, with or without openid', async () => {
    const client = await aClient(server);
    await expectLogin(await getAuthorize(server, undefined, query(client)));
    await expectLogin(await getAuthorize(server, undefined, query(client, { scope: 'products:read' })));
    await expectLogin(await getAuthorize(server, undefined, query(client, { prompt: 'consent' })));
  });

  test('prompt=none not signed in: login_required redirect with state and iss', async () => {
    const client = await aClient(server);
    await expectRedirectError(await getAuthorize(server, undefined, query(client, { prompt: 'none' })), 'error=login_required&state=st');
  });

  test('signed in, third party, nothing remembered: the exact AuthorizeResponse', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { client_uri: 'https://app.example/', logo_uri: 'https://app.example/logo.png' });
    const cookie = await signIn(server, user);
    const response = await getAuthorize(server, cookie, query(client));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/json');
    const text = await response.text();
    const body = JSON.parse(text);

    assert.deepEqual(Object.keys(body), [
      'client', 'sub_type', 'sub', 'scopes', 'organizations', 'requires_single_organization', 'scope_display_names', 'csrf_token',
    ]);
    const stored = await server.borealis.ctx.store.clients.findByClientId(client.clientId);
    assert.ok(stored);
    const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/; // Pydantic's, for whole seconds
    assert.match(body.client.created_at, ISO);
    assert.match(body.client.modified_at, ISO);
    assert.equal(Date.parse(body.client.created_at), stored.createdAt * 1000);
    assert.equal(Date.parse(body.client.modified_at), stored.modifiedAt * 1000);

    const names = body.scope_display_names as Record<string, string>;
    assert.deepEqual(Object.keys(names), SPEC_ALL_SCOPES);
    assert.equal(names.openid, 'OpenID');
    assert.equal(names.email, 'Read your email address');
    for (const label of Object.values(names)) assert.ok(typeof label === 'string' && label.length > 0);
    assert.match(body.csrf_token, /^[A-Za-z0-9_-]{43}$/);

    assert.equal(
      text,
      '{"client":{' +
        `"created_at":"${body.client.created_at}","modified_at":"${body.client.modified_at}",` +
        `"client_id":"${client.clientId}","client_name":"Test App","client_uri":"https://app.example/",` +
        '"logo_uri":"https://app.example/logo.png","tos_uri":null,"policy_uri":null},' +
        `"sub_type":"user","sub":{"id":"${user.id}","email":"${user.email}","avatar_url":null},` +
        '"scopes":["openid","email"],"organizations":[],"requires_single_organization":false,' +
        `"scope_display_names":${JSON.stringify(names)},"csrf_token":"${body.csrf_token}"}`,
    );
  });

  test('after allow, the same request auto-approves; prompt=consent and select_account still ask', async () => {
    const { user, cookie, client } = await thirdParty();
    const q = query(client);
    const { csrf_token } = await expectConsentJson(await getAuthorize(server, cookie, q));
    await allow(cookie, q, csrf_token);

    await expectCode(await getAuthorize(server, cookie, q));
    // A subset of the remembered scope is covered too; a superset is not.
    await expectCode(await getAuthorize(server, cookie, query(client, { scope: 'email' })));
    await expectConsentJson(await getAuthorize(server, cookie, query(client, { scope: 'openid email profile' })));
    // Auto-approval does not rewrite the memory (§3.4 step 12).
    assert.equal((await server.borealis.ctx.store.consents.find(client.clientId, user.id))?.scope, 'openid email');

    const forced = await expectConsentJson(await getAuthorize(server, cookie, query(client, { prompt: 'consent' })));
    assert.deepEqual(forced.scopes, ['openid', 'email']);
    await expectConsentJson(await getAuthorize(server, cookie, query(client, { prompt: 'select_account' })));
  });

  test('prompt=none: covering consent → code (D8); none remembered or not covering → consent_required', async () => {
    const { cookie, client } = await thirdParty();
    const none = query(client, { prompt: 'none' });
    await expectRedirectError(await getAuthorize(server, cookie, none), 'error=consent_required&state=st');

    const { csrf_token } = await expectConsentJson(await getAuthorize(server, cookie, query(client)));
    await allow(cookie, query(client), csrf_token);
    await expectCode(await getAuthorize(server, cookie, none));
    await expectRedirectError(
      await getAuthorize(server, cookie, query(client, { prompt: 'none', scope: 'openid email profile' })),
      'error=consent_required&state=st',
    );
  });

  test('a new allow replaces the remembered scope rather than adding to it (§9)', async () => {
    const { user, cookie, client } = await thirdParty();
    const first = await expectConsentJson(await getAuthorize(server, cookie, query(client)));
    await allow(cookie, query(client), first.csrf_token);
    const profile = query(client, { scope: 'profile' });
    await allow(cookie, profile, (await expectConsentJson(await getAuthorize(server, cookie, profile))).csrf_token);
    assert.equal((await server.borealis.ctx.store.consents.find(client.clientId, user.id))?.scope, 'profile');
    await expectConsentJson(await getAuthorize(server, cookie, query(client)));
  });

  test('prompt=login → 401 even with remembered consent, with or without openid', async () => {
    const { cookie, client } = await thirdParty();
    const { csrf_token } = await expectConsentJson(await getAuthorize(server, cookie, query(client)));
    await allow(cookie, query(client), csrf_token);
    await expectLogin(await getAuthorize(server, cookie, query(client, { prompt: 'login' })));
    await expectLogin(await getAuthorize(server, cookie, query(client, { prompt: 'login consent' })));
    // Documented order, rule 3: `login` asks to sign in again whatever the scope.
    await expectLogin(await getAuthorize(server, cookie, query(client, { prompt: 'login', scope: 'email' })));
  });

  test("`none` with another value → invalid_request `Invalid 'prompt' parameter.`, signed in or not", async () => {
    const { cookie, client } = await thirdParty();
    const expected = 'error=invalid_request&error_description=Invalid+%27prompt%27+parameter.&state=st';
    await expectRedirectError(await getAuthorize(server, cookie, query(client, { prompt: 'none login' })), expected);
    await expectRedirectError(await getAuthorize(server, cookie, query(client, { prompt: 'consent none' })), expected);
    await expectRedirectError(await getAuthorize(server, undefined, query(client, { prompt: 'none login' })), expected);
  });

  test('first-party client: auto-approved, remembers its whole registered scope, even under prompt=consent', async () => {
    const user = await aUser(server);
    const client = await aClient(server, {}, { firstParty: true });
    const cookie = await signIn(server, user);
    const consents = server.borealis.ctx.store.consents;

    await expectCode(await getAuthorize(server, cookie, query(client, { scope: 'email' })));
    assert.deepEqual(await consents.find(client.clientId, user.id), {
      clientId: client.clientId,
      userId: user.id,
      scope: 'openid email profile products:read',
      organizationIds: [],
    });
    await expectCode(await getAuthorize(server, cookie, query(client, { prompt: 'none' })));
    await expectCode(await getAuthorize(server, cookie, query(client, { prompt: 'consent' })));
    // Rules 2 and 3 come before the first-party rule.
    await expectLogin(await getAuthorize(server, cookie, query(client, { prompt: 'login' })));
    await expectLogin(await getAuthorize(server, undefined, query(client)));
  });
});
