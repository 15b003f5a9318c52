/**
 * POST /v1/oauth2/consent (polar-oauth2.md §3.5, §6, §9, Appendix B.3; D10, D14): deny, the
 * organization down-scope of the issued token, nonce replay and concurrent approvals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { User } from '../../src/store/store.js';
import { REDIRECT_URI, type TestClient, aClient, aUser, anOrganization, downScopedSession, form, getAuthorize, postToken, signIn, authorizeQuery, issParam, type Query } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('POST /v1/oauth2/consent', () => {
  let server: TestServer;
  let iss: string;
  before(async () => {
    server = await startServer();
    iss = issParam(server);
  });
  after(() => server.close());

  const query = authorizeQuery;

  /** Signs in and reads the consent screen; returns what the page would need to post. */
  async function consentScreen(user: User, _client: TestClient, q: Query) {
    const cookie = await signIn(server, user);
    const response = await getAuthorize(server, cookie, q);
    assert.equal(response.status, 200, await response.clone().text());
    const body = (await response.json()) as {
      csrf_token: string;
      organizations: { id: string; slug: string; avatar_url: string | null }[];
      requires_single_organization: boolean;
    };
    return { cookie, body };
  }

  function post(cookie: string | undefined, q: Query, fields: Query, organizations: string[] = []) {
    const body = form(fields);
    for (const org of organizations) body.append('organizations', org);
    return fetch(`${server.url}/v1/oauth2/consent?${form(q)}`, {
      method: 'POST',
      headers: cookie ? { cookie } : {},
      body,
      redirect: 'manual',
    });
  }

  async function expectCode(response: Response): Promise<string> {
    assert.equal(response.status, 302, await response.clone().text());
    const location = response.headers.get('location') ?? '';
    const code = /[?&]code=(polar_ac_[0-9A-Za-z]{43})&/.exec(location)?.[1];
    assert.ok(code, location);
    assert.equal(location, `${REDIRECT_URI}?code=${code}&state=st&${iss}`);
    return code;
  }

  async function expectJson(response: Response, status: number, text: string) {
    assert.equal(response.status, status);
    assert.equal(response.headers.get('location'), null);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.equal(await response.text(), text);
  }

  /** Exchanges the code and returns the stored token row's organization down-scope. */
  async function tokenOrganizations(client: TestClient, code: string): Promise<string[]> {
    const result = await postToken(server, {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    });
    assert.equal(result.status, 200, result.text);
    const { access_token } = JSON.parse(result.text) as { access_token: string };
    const ctx = server.borealis.ctx;
    const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(access_token));
    assert.ok(row);
    return [...row.organizationIds].sort();
  }

  /** A user member of two organizations, `a-…` created before `b-…`. */
  async function userWithTwoOrgs() {
    const user = await aUser(server);
    const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const a = await anOrganization(server, user, `a-${suffix}`);
    const b = await anOrganization(server, user, `b-${suffix}`);
    return { user, a, b };
  }

  test('deny → access_denied redirect with the exact description, state and iss', async () => {
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(await aUser(server), client, q);
    const response = await post(cookie, q, { action: 'deny', csrf_token: body.csrf_token });
    assert.equal(response.status, 302);
    assert.equal(
      response.headers.get('location'),
      `${REDIRECT_URI}?error=access_denied&error_description=The+resource+owner+or+authorization+server+denied+the+request&state=st&${iss}`,
    );
  });

  test('not signed in → 401; a missing CSRF token → 403; a missing action → 422', async () => {
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(await aUser(server), client, q);
    const anonymous = await post(undefined, q, { action: 'allow', csrf_token: body.csrf_token });
    await expectJson(anonymous, 401, '{"error":"Unauthorized","detail":"Unauthorized"}');
    await expectJson(await post(cookie, q, { action: 'allow' }), 403, '{"error":"NotPermitted","detail":"Invalid or missing CSRF token."}');
    await expectJson(
      await post(cookie, q, { csrf_token: body.csrf_token }),
      422,
      '{"error":"RequestValidationError","detail":[{"type":"missing","loc":["body","action"],"msg":"Field required","input":null}]}',
    );
  });

  test('organizations are listed; one selected → the token is down-scoped to it; none → unrestricted', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    assert.deepEqual(body.organizations, [
      { id: a.id, slug: a.slug, avatar_url: null },
      { id: b.id, slug: b.slug, avatar_url: null },
    ]);
    assert.equal(body.requires_single_organization, false);

    const one = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [b.id]));
    assert.deepEqual(await tokenOrganizations(client, one), [b.id]);
    const both = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [b.id, a.id, b.id]));
    assert.deepEqual(await tokenOrganizations(client, both), [a.id, b.id].sort());
    const none = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));
    assert.deepEqual(await tokenOrganizations(client, none), []);
  });

  test('an organization the user is not a member of, or not a UUID → 400 JSON, no redirect', async () => {
    const { user } = await userWithTwoOrgs();
    const stranger = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    await expectJson(
      await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [stranger.a.id]),
      400,
      `{"error": "invalid_request", "error_description": "Organization ${stranger.a.id} is not accessible"}`,
    );
    await expectJson(
      await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, ['not-a-uuid']),
      400,
      `{"error": "invalid_request", "error_description": "Invalid 'organizations' UUID"}`,
    );
  });

  test('single-organization mode: sub_type=organization or default_sub_type organization', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const plain = await aClient(server);
    const orgClient = await aClient(server, { default_sub_type: 'organization' });
    const required = `{"error": "invalid_request", "error_description": "sub_type=organization requires selecting an organization"}`;
    const smallest = [a.id, b.id].sort()[0] as string;

    for (const [client, q] of [
      [plain, query(plain, { sub_type: 'organization' })],
      [orgClient, query(orgClient)],
    ] as const) {
      const { cookie, body } = await consentScreen(user, client, q);
      assert.equal(body.requires_single_organization, true);
      await expectJson(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }), 400, required);
      const one = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [a.id]));
      assert.deepEqual(await tokenOrganizations(client, one), [a.id]);
      const several = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [b.id, a.id]));
      assert.deepEqual(await tokenOrganizations(client, several), [smallest]);
    }
    // An explicit sub_type=user overrides the client default.
    const { body } = await consentScreen(user, orgClient, query(orgClient, { sub_type: 'user', prompt: 'consent' }));
    assert.equal(body.requires_single_organization, false);
  });

  test('auto-approval in organization mode (§9 caveat): 400 without a preselected organization, honoured with one', async () => {
    const { user, a } = await userWithTwoOrgs();
    const client = await aClient(server, { default_sub_type: 'organization' }, { firstParty: true });
    const cookie = await signIn(server, user);
    await expectJson(
      await getAuthorize(server, cookie, query(client)),
      400,
      `{"error": "invalid_request", "error_description": "sub_type=organization requires selecting an organization"}`,
    );
    const code = await expectCode(await getAuthorize(server, cookie, query(client, { organizations: a.id })));
    assert.deepEqual(await tokenOrganizations(client, code), [a.id]);
  });

  // Polar's consent memory keeps scopes only; Borealis stays within the organizations chosen with
  // the consent (docs/compatibility.md, "Further differences").
  test('a remembered consent approves only within the organizations chosen with it', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [b.id]))), [b.id]);

    // Asked again without organizations, with or without prompt=none, or naming the chosen one:
    // approved at once, for the chosen organization only.
    for (const extra of [{}, { prompt: 'none' }, { organizations: b.id }, { organizations: b.id.toUpperCase() }]) {
      const code = await expectCode(await getAuthorize(server, cookie, query(client, extra)));
      assert.deepEqual(await tokenOrganizations(client, code), [b.id], JSON.stringify(extra));
    }
    // Naming another organization asks the user again; prompt=none cannot ask.
    const other = await getAuthorize(server, cookie, query(client, { organizations: a.id }));
    assert.equal(other.status, 200);
    assert.equal(((await other.json()) as { client: { client_id: string } }).client.client_id, client.clientId);
    const silent = await getAuthorize(server, cookie, query(client, { organizations: a.id, prompt: 'none' }));
    assert.equal(silent.status, 302);
    assert.equal(silent.headers.get('location'), `${REDIRECT_URI}?error=consent_required&state=st&${iss}`);

    // Consent for all organizations: whatever the request names, as before.
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await getAuthorize(server, cookie, query(client)))), []);
    const named = await expectCode(await getAuthorize(server, cookie, query(client, { organizations: a.id })));
    assert.deepEqual(await tokenOrganizations(client, named), [a.id]);
  });

  test('organization mode: the organization chosen at consent is approved again (no §9 dead end)', async () => {
    const { user, a } = await userWithTwoOrgs();
    const client = await aClient(server, { default_sub_type: 'organization' });
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [a.id]));
    const code = await expectCode(await getAuthorize(server, cookie, q));
    assert.deepEqual(await tokenOrganizations(client, code), [a.id]);
  });

  test('chosen organizations the session cannot reach are not approved again; none left → ask', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [a.id, b.id]));
    // A session down-scoped to `a` (as an SSO session is, §3.4) reaches only `a` of the two.
    const onlyA = await downScopedSession(server, user, [a.id]);
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await getAuthorize(server, onlyA, q))), [a.id]);
    const other = await userWithTwoOrgs();
    const neither = await downScopedSession(server, user, [other.a.id]);
    assert.equal((await getAuthorize(server, neither, q)).status, 200);
  });

  // §2.5 collects `organizations` from the query and then the body, and §3.5 has the page re-post
  // the authorize query verbatim, so a preselection in that query (honoured at GET, §9 caveat)
  // down-scopes the code, in single-organization mode too.
  test('organizations preselected in the re-posted authorize query are honoured at consent', async () => {
    const { user, a } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client, { organizations: a.id });
    const { cookie, body } = await consentScreen(user, client, q);
    const code = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));
    assert.deepEqual(await tokenOrganizations(client, code), [a.id]);
  });

  test('nonce replay: the same openid + nonce before the first code is exchanged → Replay attack', async () => {
    const client = await aClient(server);
    const q = query(client, { nonce: 'n-replay' });
    const { cookie, body } = await consentScreen(await aUser(server), client, q);
    const first = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));

    const replay = `${REDIRECT_URI}?error=invalid_request&error_description=Replay+attack&state=st&${iss}`;
    const second = await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token });
    assert.equal(second.status, 302);
    assert.equal(second.headers.get('location'), replay);
    const again = await getAuthorize(server, cookie, q);
    assert.equal(again.status, 302);
    assert.equal(again.headers.get('location'), replay);
    // Without openid the nonce is not checked (§3.4 step 9).
    const withoutOpenid = query(client, { nonce: 'n-replay', scope: 'email' });
    const third = await expectCode(await post(cookie, withoutOpenid, { action: 'allow', csrf_token: body.csrf_token }));

    // Once the codes carrying it are exchanged, the nonce is free again (codes leave the table on exchange).
    assert.deepEqual(await tokenOrganizations(client, first), []);
    assert.deepEqual(await tokenOrganizations(client, third), []);
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));
  });

  test('10 concurrent approvals (different nonces) for the same user and client all succeed', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const { cookie, body } = await consentScreen(user, client, query(client));
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        post(cookie, query(client, { nonce: `n-${i}` }), { action: 'allow', csrf_token: body.csrf_token }),
      ),
    );
    const codes = await Promise.all(responses.map(expectCode));
    assert.equal(new Set(codes).size, 10);
    const remembered = await server.borealis.ctx.store.consents.find(client.clientId, user.id);
    assert.deepEqual(remembered, { clientId: client.clientId, userId: user.id, scope: 'openid email', organizationIds: [] });
    const followUp = await getAuthorize(server, cookie, query(client));
    assert.equal(followUp.status, 302);
  });
});
