/** Accounts, clients and a whole authorization round trip, through the real core and HTTP API. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createOrganization, createUser } from '../../src/accounts/accounts.js';
import { createClient, withDefaults } from '../../src/oauth/clients.js';
import type { ClientMetadata, Organization, User } from '../../src/store/store.js';
import type { TestServer } from './server.js';

export const REDIRECT_URI = 'http://127.0.0.1:9999/callback';
export const PASSWORD = 'correct horse battery';

let counter = 0;
const unique = () => `${Date.now().toString(36)}${(counter++).toString(36)}${randomBytes(2).toString('hex')}`;

export async function aUser(server: TestServer, email = `user-${unique()}@example.com`): Promise<User> {
  return createUser(server.borealis.accounts, { email, password: PASSWORD, name: 'Test User' });
}

/** A web session restricted to `organizationIds`, as an SSO session is (§3.4); sign-in makes unrestricted ones. Its cookie. */
export async function downScopedSession(server: TestServer, user: User, organizationIds: string[]): Promise<string> {
  const { credentials, store, now } = server.borealis.ctx;
  const token = credentials.mint('userSession');
  const at = now();
  await store.sessions.create({ id: randomUUID(), userId: user.id, createdAt: at, expiresAt: at + 3600, organizationIds }, credentials.hash(token));
  return `polar_session=${token}`;
}

export async function anOrganization(server: TestServer, owner: User, slug = `org-${unique()}`): Promise<Organization> {
  return createOrganization(server.borealis.accounts, { slug, name: `Org ${slug}`, owner });
}

export interface TestClient {
  clientId: string;
  clientSecret: string;
  metadata: ClientMetadata;
}

export async function aClient(
  server: TestServer,
  overrides: Partial<ClientMetadata> = {},
  options: { firstParty?: boolean } = {},
): Promise<TestClient> {
  const metadata = withDefaults({ client_name: 'Test App', redirect_uris: [REDIRECT_URI], scope: 'openid email profile products:read', ...overrides });
  const created = await createClient(server.borealis.ctx, metadata, options);
  return { clientId: created.client.clientId, clientSecret: created.clientSecret, metadata };
}

/** Signs in through POST /login and returns the Cookie header value. */
export async function signIn(server: TestServer, user: User): Promise<string> {
  const response = await fetch(`${server.url}/login`, {
    method: 'POST',
    body: new URLSearchParams({ email: user.email, password: PASSWORD, return_to: '/' }),
    redirect: 'manual',
  });
  if (response.status !== 303) throw new Error(`sign-in failed: ${response.status}`);
  const cookie = response.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] as string;
}

export const form = (fields: Record<string, string | undefined>) => {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) body.append(k, v);
  return body;
};

export type Query = Record<string, string | undefined>;

/** A complete authorization request for `client` (code flow, openid email, state "st"). */
export const authorizeQuery = (client: TestClient, extra: Query = {}): Query => ({
  response_type: 'code',
  client_id: client.clientId,
  redirect_uri: REDIRECT_URI,
  scope: 'openid email',
  state: 'st',
  ...extra,
});

/** The `iss` parameter (RFC 9207) as it appears, form-encoded, in a redirect from `server`. */
export const issParam = (server: TestServer) => `iss=${encodeURIComponent(server.url)}`;

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** GET /v1/oauth2/authorize with the session cookie; returns the raw response. */
export function getAuthorize(server: TestServer, cookie: string | undefined, query: Record<string, string | undefined>) {
  return fetch(`${server.url}/v1/oauth2/authorize?${form(query)}`, {
    headers: cookie ? { cookie } : {},
    redirect: 'manual',
  });
}

/**
 * What a browser does with an authorization URL's query: GET /v1/oauth2/authorize with the
 * session; if it shows consent, allow (with its CSRF token and any organizations). Returns the
 * redirect back to the client.
 */
export async function approve(server: TestServer, cookie: string, query: string, organizations: string[] = []): Promise<URL> {
  const first = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: { cookie }, redirect: 'manual' });
  let location: string | null;
  if (first.status === 302) {
    location = first.headers.get('location');
  } else {
    if (first.status !== 200) throw new Error(`authorize: ${first.status} ${await first.text()}`);
    const { csrf_token } = (await first.json()) as { csrf_token: string };
    const body = form({ action: 'allow', csrf_token });
    for (const org of organizations) body.append('organizations', org);
    const answer = await fetch(`${server.url}/v1/oauth2/consent?${query}`, { method: 'POST', headers: { cookie }, body, redirect: 'manual' });
    if (answer.status !== 302) throw new Error(`consent: ${answer.status} ${await answer.text()}`);
    location = answer.headers.get('location');
  }
  return new URL(location ?? '');
}

/** Runs authorize then consent (allow) and returns the code from the redirect. */
export async function obtainCode(
  server: TestServer,
  client: TestClient,
  cookie: string,
  query: Query = {},
  organizations: string[] = [],
): Promise<{ code: string; location: URL }> {
  const location = await approve(server, cookie, form(authorizeQuery(client, query)).toString(), organizations);
  const code = location.searchParams.get('code');
  if (!code) throw new Error(`no code in ${location}`);
  return { code, location };
}

export async function postToken(server: TestServer, fields: Record<string, string | undefined>, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}/v1/oauth2/token`, { method: 'POST', body: form(fields), headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** A full code exchange for a confidential client: returns the parsed token response. */
export async function tokensFor(server: TestServer, client: TestClient, cookie: string, query: Record<string, string | undefined> = {}) {
  const { code } = await obtainCode(server, client, cookie, query);
  const result = await postToken(server, {
    grant_type: 'authorization_code',
    client_id: client.clientId,
    client_secret: client.clientSecret,
    code,
    redirect_uri: REDIRECT_URI,
  });
  if (result.status !== 200) throw new Error(`token: ${result.status} ${result.text}`);
  return JSON.parse(result.text) as { access_token: string; refresh_token?: string; id_token?: string; scope: string; expires_in: number };
}
