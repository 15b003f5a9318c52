/**
 * POST /v1/oauth2/consent (polar-oauth2.md §3.5, §6, §9, Appendix B.3; D10, D14): deny, the
 * organization down-scope of the issued token, nonce replay and concurrent approvals.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, aUser, getAuthorize, issParam } from '../support/fixtures.js';
import { consentHelpers } from '../support/consent.js';
import pg from 'pg';
import { ENGINE, type TestServer, startServer } from '../support/server.js';

describe('POST /v1/oauth2/consent', () => {
  let server: TestServer;
  let iss: string;
  before(async () => {
    server = await startServer();
    iss = issParam(server);
  });
  after(() => server.close());

  const { query, consentScreen, post, expectCode, expectJson, tokenOrganizations, userWithTwoOrgs } = consentHelpers(() => server);

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
    await expectJson(await post(cookie, q, { action: 'allow' }), 403, '{"error":"NotPermitted","detail":"Invalid or missing CSRF token, or the request changed since its consent data was read."}');
    await expectJson(
      await post(cookie, q, { csrf_token: body.csrf_token }),
      422,
      '{"error":"RequestValidationError","detail":[{"type":"missing","loc":["body","action"],"msg":"Field required","input":null}]}',
    );
  });

  test('§2.4: a registration token as Bearer is anonymous, and the session beside it is not read: authorize 401, consent 401', async () => {
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(await aUser(server), client, q);
    const bearer = { authorization: `Bearer ${server.borealis.ctx.credentials.mint('registrationToken')}`, cookie };
    const authorize = await fetch(`${server.url}/v1/oauth2/authorize?${new URLSearchParams(q as Record<string, string>)}`, { headers: bearer, redirect: 'manual' });
    assert.equal(authorize.status, 401);
    assert.equal(await authorize.text(), '{"detail":"Unauthorized"}');
    const consent = await fetch(`${server.url}/v1/oauth2/consent?${new URLSearchParams(q as Record<string, string>)}`, {
      method: 'POST',
      headers: bearer,
      body: new URLSearchParams({ action: 'allow', csrf_token: body.csrf_token as string }),
      redirect: 'manual',
    });
    await expectJson(consent, 401, '{"error":"Unauthorized","detail":"Unauthorized"}');
    assert.equal((await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token })).status, 302, 'the same request without the Bearer header');
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
    // Every value is parsed before any is looked up (Polar): the malformed one is reported.
    await expectJson(
      await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [stranger.a.id, 'not-a-uuid']),
      400,
      `{"error": "invalid_request", "error_description": "Invalid 'organizations' UUID"}`,
    );
  });

  // Polar parses these with Python's uuid.UUID: the same 32 hex digits without hyphens, in braces
  // or after urn:uuid: name the same organization.
  test('the spellings of a UUID Python reads name the same organization', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    const spelled = [a.id.replaceAll('-', '').toUpperCase(), `{${b.id}}`, `urn:uuid:${a.id}`];
    const code = await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, spelled));
    assert.deepEqual(await tokenOrganizations(client, code), [a.id, b.id].sort());
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

  // §2.5: Polar reads the authorization request from query and body merged, `sub_type` included.
  // Read from the query alone, a `sub_type` in the body was dropped and "none chosen" meant every
  // organization.
  test('sub_type=organization sent in the consent body asks for one organization too', async () => {
    const { user, a } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, query(client, { sub_type: 'organization' }));
    const form = { action: 'allow', csrf_token: body.csrf_token, sub_type: 'organization' };
    await expectJson(
      await post(cookie, q, form),
      400,
      `{"error": "invalid_request", "error_description": "sub_type=organization requires selecting an organization"}`,
    );
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await post(cookie, q, form, [a.id]))), [a.id]);
    // D16: sent in both, it is a repeated parameter.
    const both = await post(cookie, query(client, { sub_type: 'organization' }), form, [a.id]);
    await expectJson(both, 400, `{"error": "invalid_request", "error_description": "Multiple 'sub_type' in request.", "state": "st"}`);
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

  /**
   * D6: what is granted is what was shown. The scope is narrowed to the client's registration
   * again when Allow is posted; the consent data's csrf_token is bound to the scope it showed,
   * so an owner who widens the registration meanwhile gets a refusal, not a wider grant.
   */
  test('the registration widened between the consent data and Allow → 403, nothing granted or remembered', async () => {
    const user = await aUser(server);
    const client = await aClient(server, { scope: 'openid email' });
    const q = query(client, { scope: 'openid email products:write' });
    const { cookie, body } = await consentScreen(user, client, q);
    assert.deepEqual((body as unknown as { scopes: string[] }).scopes, ['openid', 'email']);
    const { ctx } = server.borealis;
    await ctx.store.clients.updateMetadata(client.clientId, (stored) => ({ ...stored, scope: 'openid email products:write' }), ctx.now());

    await expectJson(
      await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }),
      403,
      '{"error":"NotPermitted","detail":"Invalid or missing CSRF token, or the request changed since its consent data was read."}',
    );
    assert.equal(await ctx.store.consents.find(client.clientId, user.id), undefined, 'nothing remembered');
    // The consent data read again shows the wider scope, and its token grants exactly that.
    const again = (await (await getAuthorize(server, cookie, q)).json()) as { scopes: string[]; csrf_token: string };
    assert.deepEqual(again.scopes, ['openid', 'email', 'products:write']);
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: again.csrf_token }));
    assert.equal((await ctx.store.consents.find(client.clientId, user.id))?.scope, 'openid email products:write');
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
    // No `scope`: the client's, with openid, stands in, and its id_token would carry the nonce, so
    // it is checked too (Polar checks it only when the `scope` sent has openid; compatibility.md).
    const defaulted = await getAuthorize(server, cookie, { ...q, scope: undefined });
    assert.equal(defaulted.headers.get('location'), replay);
    // Without openid the nonce is not checked (§3.4 step 9).
    // (prompt=consent: the consent is remembered by now, and the screen's token is bound to its scope.)
    const withoutOpenid = query(client, { nonce: 'n-replay', scope: 'email', prompt: 'consent' });
    const emailOnly = (await (await getAuthorize(server, cookie, withoutOpenid)).json()) as { csrf_token: string };
    const third = await expectCode(await post(cookie, withoutOpenid, { action: 'allow', csrf_token: emailOnly.csrf_token }));

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

  /**
   * "Allow" and "revoke access" at the same moment. The answer remembers the consent and creates
   * the code in one transaction, so the revocation comes wholly before it (both stay) or wholly
   * after (both go). Played on PostgreSQL: the revocation's first step (deleting the consent) is
   * held open while the answer arrives, then its second (consuming the user's codes) commits.
   */
  test('allow racing a revocation: the code and the remembered consent stay or go together (postgres)', { skip: ENGINE !== 'postgres' && 'PostgreSQL only: SQLite runs one writer at a time' }, async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const q = query(client, { prompt: 'consent' });
    const { cookie, body } = await consentScreen(user, client, q);
    await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }));

    const revocation = new pg.Client({ connectionString: server.database.url });
    await revocation.connect();
    try {
      await revocation.query('BEGIN');
      await revocation.query('DELETE FROM oauth2_grants WHERE client_id = $1 AND user_id = $2', [client.clientId, user.id]);
      let settled = false;
      const answer = post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }).finally(() => (settled = true));
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(settled, false, 'the answer waits for the revocation');
      await revocation.query('UPDATE oauth2_authorization_codes SET consumed_at = $1 WHERE client_id = $2 AND user_id = $3 AND consumed_at IS NULL', [
        server.borealis.ctx.now(),
        client.clientId,
        user.id,
      ]);
      await revocation.query('COMMIT');
      // The answer came after the revocation: its code works and its consent is remembered.
      const code = await expectCode(await answer);
      assert.deepEqual(await tokenOrganizations(client, code), []);
      assert.notEqual(await server.borealis.ctx.store.consents.find(client.clientId, user.id), undefined);
    } finally {
      await revocation.end();
    }
  });
});
