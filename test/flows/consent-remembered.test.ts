/**
 * Remembered consent at GET /v1/oauth2/authorize (polar-oauth2.md §9; OIDC Core §3.1.2.4): what a
 * consent given once approves later without asking, organizations included (docs/compatibility.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, downScopedSession, getAuthorize, issParam, signIn } from '../support/fixtures.js';
import { consentHelpers } from '../support/consent.js';
import { type TestServer, startServer } from '../support/server.js';

describe('remembered consent: auto-approval and its organizations', () => {
  let server: TestServer;
  let iss: string;
  before(async () => {
    server = await startServer();
    iss = issParam(server);
  });
  after(() => server.close());
  const { query, consentScreen, post, expectCode, expectJson, tokenOrganizations, userWithTwoOrgs } = consentHelpers(() => server);

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

  test('a consent for all organizations cannot pick the one an organization-mode request needs: ask (no §9 dead end)', async () => {
    const { user, a } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }))), []);

    // Before, this was a 400 "requires selecting an organization", and with prompt=none as well.
    const asked = await getAuthorize(server, cookie, query(client, { sub_type: 'organization' }));
    assert.equal(asked.status, 200);
    assert.equal(((await asked.json()) as { requires_single_organization: boolean }).requires_single_organization, true);
    const silent = await getAuthorize(server, cookie, query(client, { sub_type: 'organization', prompt: 'none' }));
    assert.equal(silent.status, 302);
    assert.equal(silent.headers.get('location'), `${REDIRECT_URI}?error=consent_required&state=st&${iss}`);
    // Naming one is still approved at once.
    const named = await expectCode(await getAuthorize(server, cookie, query(client, { sub_type: 'organization', organizations: a.id })));
    assert.deepEqual(await tokenOrganizations(client, named), [a.id]);
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


  test('a consent for several chosen organizations does not pick one for an organization-mode request: ask', async () => {
    const { user, a, b } = await userWithTwoOrgs();
    const client = await aClient(server);
    const q = query(client);
    const { cookie, body } = await consentScreen(user, client, q);
    assert.deepEqual(await tokenOrganizations(client, await expectCode(await post(cookie, q, { action: 'allow', csrf_token: body.csrf_token }, [a.id, b.id]))), [a.id, b.id].sort());

    const asked = await getAuthorize(server, cookie, query(client, { sub_type: 'organization' }));
    assert.equal(asked.status, 200, 'not a silent pick of the smaller id');
    const silent = await getAuthorize(server, cookie, query(client, { sub_type: 'organization', prompt: 'none' }));
    assert.equal(silent.headers.get('location'), `${REDIRECT_URI}?error=consent_required&state=st&${iss}`);
    const named = await expectCode(await getAuthorize(server, cookie, query(client, { sub_type: 'organization', organizations: b.id })));
    assert.deepEqual(await tokenOrganizations(client, named), [b.id]);
  });
});
