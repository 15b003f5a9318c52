/**
 * Helpers for the consent tests (POST /v1/oauth2/consent, polar-oauth2.md §3.5): read the consent
 * screen, post an answer, and read what the code bought.
 */
import assert from 'node:assert/strict';
import type { User } from '../../src/store/store.js';
import { REDIRECT_URI, type TestClient, type Query, aUser, anOrganization, authorizeQuery, form, getAuthorize, issParam, postToken, signIn } from './fixtures.js';
import type { TestServer } from './server.js';

/** `serverOf` is read at each call: the suite starts its server in `before`. */
export function consentHelpers(serverOf: () => TestServer) {
  const query = authorizeQuery;

  /** Signs in and reads the consent screen; returns what the page would need to post. */
  async function consentScreen(user: User, _client: TestClient, q: Query) {
    const cookie = await signIn(serverOf(), user);
    const response = await getAuthorize(serverOf(), cookie, q);
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
    return fetch(`${serverOf().url}/v1/oauth2/consent?${form(q)}`, {
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
    assert.equal(location, `${REDIRECT_URI}?code=${code}&state=st&${issParam(serverOf())}`);
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
    const result = await postToken(serverOf(), {
      grant_type: 'authorization_code',
      client_id: client.clientId,
      client_secret: client.clientSecret,
      code,
      redirect_uri: REDIRECT_URI,
    });
    assert.equal(result.status, 200, result.text);
    const { access_token } = JSON.parse(result.text) as { access_token: string };
    const ctx = serverOf().borealis.ctx;
    const row = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(access_token));
    assert.ok(row);
    return [...row.organizationIds].sort();
  }

  /** A user member of two organizations, `a-…` created before `b-…`. */
  async function userWithTwoOrgs() {
    const user = await aUser(serverOf());
    const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const a = await anOrganization(serverOf(), user, `a-${suffix}`);
    const b = await anOrganization(serverOf(), user, `b-${suffix}`);
    return { user, a, b };
  }

  return { query, consentScreen, post, expectCode, expectJson, tokenOrganizations, userWithTwoOrgs };
}
