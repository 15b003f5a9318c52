/**
 * "Bad input gets a clear error in the right wire shape, never a 5xx, a stack trace or a partial
 * write" — checked systematically. Every route the app registers (the table below, compared with
 * Fastify's own route tree so a new route cannot be forgotten) gets malformed variants of its
 * query, form or JSON body, path parameter and credentials, anonymously and with each credential
 * the route reads (session cookie, Bearer access token, registration access token, HTTP Basic).
 * Each answer must be below 500, carry no stack trace or JS error text, and be JSON, an HTML page,
 * or an empty redirect/204. Found on its first run, and fixed: an encoded NUL in a path id or a
 * Basic user name reached PostgreSQL (500); an unknown asset answered a text/plain 404.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, describe, test } from 'node:test';
import { startSession } from '../../src/accounts/sessions.js';
import { inviteToOrganization } from '../../src/accounts/invitations.js';
import { ALLOWED_METHODS } from '../../src/http/app.js';
import { OTHER_METHODS } from '../../src/http/methods.js';
import { csrfToken } from '../../src/http/csrf.js';
import { ADMIN_METHODS, ADMIN_PREFIX } from '../../src/http/routes/admin.js';
import { requestPasswordReset, sendVerificationMail } from '../../src/accounts/email-links.js';
import { register } from '../../src/oauth/registration/index.js';
import { PASSWORD, REDIRECT_URI, aClient, aUser, anOrganization, pkcePair, signIn, tokensFor } from '../support/fixtures.js';
import { linkIn, startMailbox } from '../support/mailbox.js';
import { TEST_SECRET, startServer } from '../support/server.js';

// ---------------------------------------------------------------------------------------------
// The server and the real ids the routes need.

const ADMIN_TOKEN = 'no-server-errors-admin-token-0123456789abcdef';
const METRICS_TOKEN = 'no-server-errors-metrics-token-0123456789ab';
const mailbox = await startMailbox();
const server = await startServer({
  env: { BOREALIS_REGISTRATION_RATE_LIMIT: '1000000', BOREALIS_TRUST_PROXY: 'true', BOREALIS_ADMIN_TOKEN: ADMIN_TOKEN, BOREALIS_METRICS_TOKEN: METRICS_TOKEN, BOREALIS_SMTP_URL: mailbox.url },
});
after(async () => {
  await server.close();
  await mailbox.close();
});

const port = Number(new URL(server.url).port);
const user = await aUser(server);
const organization = await anOrganization(server, user);
/** A link the user (a member already) made to their own organization: opening or accepting it changes nothing. */
const invitationToken = (await inviteToOrganization(server.borealis.accounts, user, organization.id))?.token ?? '';
const loginCookie = await signIn(server, user);
/** The admin API's own user and organization: blocking, resets and membership changes touch nothing else. */
const adminUser = await aUser(server);
const adminOrganization = await anOrganization(server, adminUser);
/** Third-party clients, each with one job so that no case spoils another's baseline. */
const authorizeClient = await aClient(server); // GET authorize: consent is asked (prompt=consent)
const consentClient = await aClient(server); // POST consent / POST page: allow
const tokenClient = await aClient(server); // bearer, refresh and revoke victims
const revokedConsentClient = await aClient(server); // /settings/oauth/authorized/:id/revoke
const webClient = await aClient(server, { grant_types: ['authorization_code', 'refresh_token', 'web'] }, { firstParty: true });
const bearer = await tokensFor(server, tokenClient, loginCookie);
const refreshVictim = await tokensFor(server, tokenClient, loginCookie);
const introspectVictim = await tokensFor(server, tokenClient, loginCookie);
const revokeVictim = await tokensFor(server, tokenClient, loginCookie);
await tokensFor(server, revokedConsentClient, loginCookie);
const pkce = pkcePair();
/** Links mailed to users of their own: a reset whose new password is too short spends nothing. */
const mailedToken = async (purpose: 'reset' | 'verify') => {
  const owner = await aUser(server);
  const outcome = purpose === 'reset' ? await requestPasswordReset(server.borealis.accounts, owner.email) : await sendVerificationMail(server.borealis.accounts, owner);
  assert.equal(outcome, 'sent');
  const link = linkIn(await mailbox.next(owner.email), server.url, purpose === 'reset' ? '/reset-password' : '/verify-email');
  return new URL(link).searchParams.get('token') ?? '';
};
const [resetToken, verifyToken] = [await mailedToken('reset'), await mailedToken('verify')];

interface Runtime {
  /** The real id for the route's path parameter (an owned client unless the route says otherwise). */
  clientId: string;
  regToken: string;
  session: string;
  csrf: string;
  /** The new-app form's hidden fields (console-pages.ts): the id of the app it creates and its proof. */
  newApp: [string, string][];
  /** The invitation form's hidden fields (organization-pages.ts), for `organization`. */
  newInvitation: [string, string][];
}

async function freshRuntime(): Promise<Runtime> {
  const { ctx, accounts } = server.borealis;
  const created = await register({ client_name: 'Owned', redirect_uris: [REDIRECT_URI] }, { kind: 'user', userId: user.id }, ctx);
  const started = await startSession(accounts, user);
  assert.ok(started);
  const { token, session } = started;
  const appId = randomUUID();
  return {
    clientId: created.client_id as string,
    regToken: created.registration_access_token as string,
    session: token,
    csrf: csrfToken(TEST_SECRET, session.id),
    newApp: [['app_id', appId], ['app_proof', csrfToken(TEST_SECRET, `${session.id} new-app ${appId}`)]],
    newInvitation: [['invitation_id', appId], ['invitation_proof', csrfToken(TEST_SECRET, `${session.id} invite ${organization.id} ${appId}`)]],
  };
}
/** Shared by every case whose route cannot change what the next case relies on. */
const shared = await freshRuntime();

// ---------------------------------------------------------------------------------------------
// Sending raw requests: node:http keeps the path as written (`..`, `%2F`, bad escapes). One
// connection per request: some answers (Node's parser refusing the request line) close it.

interface Answer {
  status: number;
  contentType: string | undefined;
  text: string;
}

interface Req {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer | undefined;
}

function send(req: Req): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers['content-length'] = req.body.length;
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = true;
        const type = res.headers['content-type'];
        resolve({ status: res.statusCode ?? 0, contentType: Array.isArray(type) ? type.join(', ') : type, text: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    // The server may answer (413) and close before the whole body is written.
    outgoing.on('error', (error) => {
      if (!answered) reject(error);
    });
    outgoing.end(req.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Values.

type Pairs = [string, string][]; // raw, already percent-encoded
const enc = encodeURIComponent;
const encodePairs = (pairs: [string, string][]): Pairs => pairs.map(([k, v]) => [enc(k), enc(v)]);
const joinPairs = (pairs: Pairs) => pairs.map(([k, v]) => (v === '\u0000bare' ? k : `${k}=${v}`)).join('&');
const LONG = 'x'.repeat(10 * 1024);
const NON_ASCII = enc('héllo wörld 日本 🙂 \u202e');
const BAD_PERCENT = '%E0%A4%A';
const SURROGATE = '%ED%A0%80';
const NUL = 'a%00b';
const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

let serial = 0;
const unique = () => `${Date.now().toString(36)}${(serial++).toString(36)}`;

/** Replaces the values of `name` in `pairs` (or appends) by `values`, keeping the others. */
function withValues(pairs: Pairs, name: string, values: string[]): Pairs {
  const at = pairs.findIndex(([k]) => k === name);
  const others = pairs.filter(([k]) => k !== name);
  const replaced: Pairs = values.map((v) => [name, v]);
  if (at === -1) return [...others, ...replaced];
  return [...others.slice(0, at), ...replaced, ...others.slice(at)];
}

/** Every known name set to `value`, other base pairs kept. */
function allTo(pairs: Pairs, names: string[], value: string): Pairs {
  let out = pairs;
  for (const name of names) out = withValues(out, enc(name), [value]);
  return out;
}

function multipart(pairs: [string, string][], boundary = 'BorealisBoundary'): Buffer {
  const parts = pairs.map(([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
  return Buffer.from(`${parts.join('')}--${boundary}--\r\n`);
}

const nested = (depth: number, open: string, close: string, leaf = '1') => open.repeat(depth) + leaf + close.repeat(depth);

// ---------------------------------------------------------------------------------------------
// The route table.

type Auth = 'anon' | 'session' | 'bearer' | 'regtoken' | 'basic' | 'admin' | 'metrics';

interface Route {
  method: string;
  path: string;
  /** Credentials to try; the first gets the full set of variants, the others a smaller one. */
  auths: Auth[];
  /** Query parameters the route reads, and a valid baseline (decoded). */
  query?: string[];
  baseQuery?: (r: Runtime, auth: Auth) => [string, string][];
  /** Form fields the route reads, and a valid baseline (decoded). */
  form?: string[];
  baseForm?: (r: Runtime, auth: Auth) => [string, string][];
  /** The route reads a JSON body; its valid baseline. */
  json?: (r: Runtime) => Record<string, unknown>;
  /** The real value of the path parameter (default: the runtime's owned client). */
  id?: (r: Runtime) => string;
  /** Cases may change state the next case relies on: each gets its own client and session. */
  fresh?: boolean;
  /** Content types the route legitimately sends besides JSON and HTML (static assets). */
  extraTypes?: RegExp;
  /** A 405 answer from the method table: a few variants suffice. */
  slim?: boolean;
  /** Another row of the same route: only its own parameters vary (bodies and headers are the first row's). */
  paramsOnly?: boolean;
  /** Reads the client address (sign-in lockout): give each case its own. */
  perIp?: boolean;
}

const AUTHORIZE_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'prompt', 'nonce', 'code_challenge', 'code_challenge_method', 'sub_type', 'organizations'];
const authorizeBase = (clientId: string) => (): [string, string][] => [
  ['response_type', 'code'],
  ['client_id', clientId],
  ['redirect_uri', REDIRECT_URI],
  ['scope', 'openid email profile'],
  ['state', 'st'],
  ['nonce', 'n-0S6_WzA2Mj'],
  ['prompt', 'consent'],
  ['code_challenge', pkce.challenge],
  ['code_challenge_method', 'S256'],
];
const CONSOLE_FIELDS = ['client_name', 'redirect_uris', 'scope', 'token_endpoint_auth_method', 'client_uri', 'logo_uri', 'tos_uri', 'policy_uri'];
const consoleForm = (r: Runtime): [string, string][] => [
  ['csrf_token', r.csrf],
  ['client_name', 'Console App'],
  ['redirect_uris', `${REDIRECT_URI}\nhttps://example.com/cb`],
  ['scope', 'openid profile email'],
  ['token_endpoint_auth_method', 'client_secret_post'],
  ['client_uri', 'https://example.com'],
  ['logo_uri', 'https://example.com/logo.png'],
  ['tos_uri', 'https://example.com/tos'],
  ['policy_uri', 'https://example.com/policy'],
];
const csrfOnly = (r: Runtime): [string, string][] => [['csrf_token', r.csrf]];
const clientCredentials = (client: { clientId: string; clientSecret: string }, auth: Auth): [string, string][] =>
  auth === 'basic' ? [] : [['client_id', client.clientId], ['client_secret', client.clientSecret]];
const registrationJson = () => ({ client_name: 'Registered', redirect_uris: [REDIRECT_URI], scope: 'openid email', token_endpoint_auth_method: 'client_secret_post' });

const ROUTES: Route[] = [
  // Discovery, keys, assets and the root redirect.
  { method: 'GET', path: '/.well-known/openid-configuration', auths: ['anon'] },
  { method: 'GET', path: '/.well-known/oauth-authorization-server', auths: ['anon'] },
  { method: 'GET', path: '/.well-known/jwks.json', auths: ['anon'] },
  { method: 'GET', path: '/health/live', auths: ['anon'] },
  { method: 'GET', path: '/health/ready', auths: ['anon'] },
  { method: 'GET', path: '/metrics', auths: ['metrics', 'anon'], extraTypes: /^text\/plain; version=0\.0\.4; charset=utf-8$/ },
  { method: 'GET', path: '/assets/:name', auths: ['anon'], id: () => 'style.css', extraTypes: /^text\/(css|javascript); charset=utf-8$/ },
  { method: 'GET', path: '/', auths: ['anon', 'session'] },

  // Token endpoint, one row per grant so each grant's parameters are reached.
  {
    method: 'POST', path: '/v1/oauth2/token', auths: ['anon', 'basic'],
    form: ['grant_type', 'client_id', 'client_secret', 'code', 'redirect_uri', 'code_verifier'],
    baseForm: (_r, auth) => [['grant_type', 'authorization_code'], ...clientCredentials(tokenClient, auth), ['code', 'polar_ac_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJ'], ['redirect_uri', REDIRECT_URI], ['code_verifier', pkce.verifier]],
  },
  {
    method: 'POST', path: '/v1/oauth2/token#refresh_token', auths: ['anon'], paramsOnly: true,
    form: ['grant_type', 'client_id', 'client_secret', 'refresh_token', 'scope'],
    baseForm: (_r, auth) => [['grant_type', 'refresh_token'], ...clientCredentials(tokenClient, auth), ['refresh_token', refreshVictim.refresh_token ?? ''], ['scope', 'openid email']],
  },
  {
    method: 'POST', path: '/v1/oauth2/token#web', auths: ['anon'], paramsOnly: true,
    form: ['grant_type', 'client_id', 'client_secret', 'session_token', 'sub_type', 'sub', 'scope'],
    baseForm: (r, auth) => [['grant_type', 'web'], ...clientCredentials(webClient, auth), ['session_token', r.session], ['sub_type', 'organization'], ['sub', organization.id], ['scope', 'openid email']],
  },
  { method: 'POST', path: '/v1/oauth2/introspect', auths: ['anon', 'basic'], form: ['token', 'token_type_hint', 'client_id', 'client_secret'],
    baseForm: (_r, auth) => [...clientCredentials(tokenClient, auth), ['token', introspectVictim.access_token], ['token_type_hint', 'access_token']] },
  { method: 'POST', path: '/v1/oauth2/revoke', auths: ['anon', 'basic'], form: ['token', 'token_type_hint', 'client_id', 'client_secret'],
    baseForm: (_r, auth) => [...clientCredentials(tokenClient, auth), ['token', revokeVictim.access_token], ['token_type_hint', 'access_token']] },
  { method: 'GET', path: '/v1/oauth2/userinfo', auths: ['bearer', 'anon', 'session'], query: ['access_token'] },
  { method: 'POST', path: '/v1/oauth2/userinfo', auths: ['bearer', 'anon'], form: ['access_token'] },

  // The authorization JSON API.
  { method: 'GET', path: '/v1/oauth2/authorize', auths: ['session', 'anon', 'bearer'], query: AUTHORIZE_PARAMS, baseQuery: authorizeBase(authorizeClient.clientId) },
  {
    method: 'POST', path: '/v1/oauth2/consent', auths: ['session', 'anon', 'bearer'],
    query: AUTHORIZE_PARAMS, baseQuery: authorizeBase(consentClient.clientId),
    form: ['action', 'csrf_token', 'organizations'], baseForm: (r) => [['action', 'allow'], ['csrf_token', r.csrf], ['organizations', organization.id]],
  },

  // Registration (RFC 7591/7592) and the owner's list.
  { method: 'POST', path: '/v1/oauth2/register', auths: ['anon', 'session', 'bearer', 'regtoken'], perIp: true, json: registrationJson },
  { method: 'GET', path: '/v1/oauth2/register/:client_id', auths: ['regtoken', 'session', 'anon', 'bearer'] },
  { method: 'PUT', path: '/v1/oauth2/register/:client_id', auths: ['regtoken', 'session', 'anon', 'bearer'], fresh: true, json: (r) => ({ ...registrationJson(), client_id: r.clientId }) },
  { method: 'DELETE', path: '/v1/oauth2/register/:client_id', auths: ['regtoken', 'session', 'anon', 'bearer'], fresh: true },
  { method: 'GET', path: '/v1/oauth2/', auths: ['session', 'anon', 'bearer'], query: ['page', 'limit'], baseQuery: () => [['page', '1'], ['limit', '10']] },

  // Sign-in, sign-up, sign-out.
  { method: 'GET', path: '/login', auths: ['anon', 'session'], query: ['return_to'], baseQuery: () => [['return_to', '/settings/oauth']] },
  {
    method: 'POST', path: '/login', auths: ['anon', 'session'], perIp: true, form: ['email', 'password', 'return_to'],
    baseForm: () => [['email', `nobody-${unique()}@example.com`], ['password', PASSWORD], ['return_to', '/settings/oauth']],
  },
  { method: 'GET', path: '/signup', auths: ['anon', 'session'], query: ['return_to'], baseQuery: () => [['return_to', '/settings/oauth']] },
  {
    method: 'POST', path: '/signup', auths: ['anon', 'session'], form: ['email', 'password', 'name', 'return_to'],
    baseForm: () => [['email', `new-${unique()}@example.com`], ['password', PASSWORD], ['name', 'New User'], ['return_to', '/settings/oauth']],
  },
  { method: 'POST', path: '/logout', auths: ['session', 'anon'], fresh: true, form: ['csrf_token'], baseForm: csrfOnly },

  // The built-in authorization page.
  { method: 'GET', path: '/oauth2/authorize', auths: ['session', 'anon', 'bearer'], query: AUTHORIZE_PARAMS, baseQuery: authorizeBase(authorizeClient.clientId) },
  {
    method: 'POST', path: '/oauth2/authorize', auths: ['session', 'anon', 'bearer'],
    query: AUTHORIZE_PARAMS, baseQuery: authorizeBase(consentClient.clientId),
    form: ['csrf_token', 'action', 'organization_mode', 'organizations'],
    baseForm: (r) => [['csrf_token', r.csrf], ['action', 'allow'], ['organization_mode', 'specific'], ['organizations', organization.id]],
  },

  // The developer console.
  { method: 'GET', path: '/settings/oauth', auths: ['session', 'anon'], query: ['notice', 'client_id', 'proof'], baseQuery: () => [['notice', 'revoked'], ['client_id', revokedConsentClient.clientId], ['proof', 'x']] },
  { method: 'GET', path: '/settings/oauth/new', auths: ['session', 'anon'] },
  { method: 'POST', path: '/settings/oauth/new', auths: ['session', 'anon'], form: ['csrf_token', ...CONSOLE_FIELDS], baseForm: (r) => [...consoleForm(r), ...r.newApp] },
  { method: 'GET', path: '/settings/oauth/apps/:client_id', auths: ['session', 'anon'] },
  { method: 'POST', path: '/settings/oauth/apps/:client_id', auths: ['session', 'anon'], fresh: true, form: ['csrf_token', ...CONSOLE_FIELDS], baseForm: consoleForm },
  { method: 'GET', path: '/settings/oauth/apps/:client_id/rotate-secret', auths: ['session', 'anon'] },
  { method: 'POST', path: '/settings/oauth/apps/:client_id/rotate-secret', auths: ['session', 'anon'], fresh: true, form: ['csrf_token'], baseForm: csrfOnly },
  { method: 'GET', path: '/settings/oauth/apps/:client_id/delete', auths: ['session', 'anon'] },
  { method: 'POST', path: '/settings/oauth/apps/:client_id/delete', auths: ['session', 'anon'], fresh: true, form: ['csrf_token'], baseForm: csrfOnly },
  { method: 'GET', path: '/settings/oauth/authorized/:client_id/revoke', auths: ['session', 'anon'], id: () => revokedConsentClient.clientId },
  {
    method: 'POST', path: '/settings/oauth/authorized/:client_id/revoke', auths: ['session', 'anon'],
    id: () => revokedConsentClient.clientId, form: ['csrf_token'], baseForm: csrfOnly,
  },

  // Links sent by mail. The reset's new password is too short, so its link stays good; the
  // confirmation is spent by its first case, the others find it spent.
  { method: 'GET', path: '/forgot-password', auths: ['anon', 'session'] },
  { method: 'POST', path: '/forgot-password', auths: ['anon', 'session'], perIp: true, form: ['csrf_token', 'email'], baseForm: () => [['email', `nobody-${unique()}@example.com`]] },
  { method: 'GET', path: '/reset-password', auths: ['anon', 'session'], query: ['token'], baseQuery: () => [['token', resetToken]] },
  { method: 'POST', path: '/reset-password', auths: ['anon', 'session'], form: ['csrf_token', 'token', 'new_password'], baseForm: () => [['token', resetToken], ['new_password', 'short']] },
  { method: 'GET', path: '/verify-email', auths: ['anon', 'session'], query: ['token'], baseQuery: () => [['token', verifyToken]] },
  { method: 'POST', path: '/verify-email', auths: ['anon', 'session'], form: ['csrf_token', 'token'], baseForm: () => [['token', verifyToken]] },
  { method: 'POST', path: '/settings/account/verify-email', auths: ['session', 'anon'], fresh: true, form: ['csrf_token'], baseForm: csrfOnly },

  // Organizations.
  { method: 'GET', path: '/settings/organizations', auths: ['session', 'anon'], query: ['return_to', 'notice', 'organization', 'proof'], baseQuery: () => [['return_to', '/oauth2/authorize?client_id=x'], ['notice', 'left'], ['organization', organization.slug], ['proof', 'x']] },
  {
    method: 'POST', path: '/settings/organizations', auths: ['session', 'anon'], form: ['csrf_token', 'slug', 'name', 'return_to'],
    baseForm: (r) => [['csrf_token', r.csrf], ['slug', `org-${unique()}`], ['name', 'An Org'], ['return_to', '/settings/oauth']],
  },
  // The account page. The current password given is wrong: nothing changes (sign-in's throttle counts it).
  { method: 'GET', path: '/settings/account', auths: ['session', 'anon'], query: ['notice'], baseQuery: () => [['notice', 'password']] },
  { method: 'GET', path: '/settings/security-log', auths: ['session', 'anon'], query: ['page'], baseQuery: () => [['page', '1']] },
  // Sessions: the id stays the literal `:session_id`, which names none. Ending every other session
  // would end the one the shared cases sign in with (every runtime is the same user's): anonymous
  // only here; flows/sessions.test.ts signs in for it.
  { method: 'GET', path: '/settings/sessions', auths: ['session', 'anon'], query: ['notice', 'count', 'proof'], baseQuery: () => [['notice', 'signed_out'], ['count', '1'], ['proof', 'x']] },
  { method: 'POST', path: '/settings/sessions/:session_id/end', auths: ['session', 'anon'], form: ['csrf_token'], baseForm: csrfOnly },
  { method: 'POST', path: '/settings/sessions/end-others', auths: ['anon'], form: ['csrf_token'], baseForm: csrfOnly },
  {
    method: 'POST', path: '/settings/account/password', auths: ['session', 'anon'], fresh: true, form: ['csrf_token', 'current_password', 'new_password'],
    baseForm: (r) => [['csrf_token', r.csrf], ['current_password', 'not the password'], ['new_password', 'a new password']],
  },
  // Deleting the account: the password given is wrong, so nothing is deleted.
  { method: 'GET', path: '/settings/account/delete', auths: ['session', 'anon'] },
  {
    method: 'POST', path: '/settings/account/delete', auths: ['session', 'anon'], form: ['csrf_token', 'password'],
    baseForm: (r) => [['csrf_token', r.csrf], ['password', 'not the password']],
  },
  // The user is the organization's only member: every case is refused, none changes anything.
  { method: 'GET', path: '/settings/organizations/:organization_id/leave', auths: ['session', 'anon'], id: () => organization.id },
  { method: 'POST', path: '/settings/organizations/:organization_id/leave', auths: ['session', 'anon'], id: () => organization.id, form: ['csrf_token'], baseForm: csrfOnly },
  // Invitation links: past the organization's limit, making one is refused; the invitation id
  // stays the literal `:invitation_id`, which names none.
  {
    method: 'POST', path: '/settings/organizations/:organization_id/invitations', auths: ['session', 'anon'],
    id: () => organization.id, form: ['csrf_token', 'invitation_id', 'invitation_proof'], baseForm: (r) => [...csrfOnly(r), ...r.newInvitation],
  },
  {
    method: 'POST', path: '/settings/organizations/:organization_id/invitations/:invitation_id/withdraw', auths: ['session', 'anon'],
    id: () => organization.id, form: ['csrf_token'], baseForm: csrfOnly,
  },
  { method: 'GET', path: '/settings/organizations/invitation', auths: ['session', 'anon'], query: ['token'], baseQuery: () => [['token', invitationToken]] },
  {
    method: 'POST', path: '/settings/organizations/invitation', auths: ['session', 'anon'], form: ['csrf_token', 'token'],
    baseForm: (r) => [['csrf_token', r.csrf], ['token', invitationToken]],
  },
  // The admin API (BOREALIS_ADMIN_TOKEN). A member path's second id stays the literal `:user_id`.
  { method: 'POST', path: '/admin/v1/users', auths: ['admin', 'anon'], json: () => ({ email: `admin-${unique()}@example.com`, password: PASSWORD, name: 'Made' }) },
  { method: 'GET', path: '/admin/v1/users', auths: ['admin', 'anon'], query: ['email'], baseQuery: () => [['email', adminUser.email]] },
  { method: 'GET', path: '/admin/v1/users/:user_id', auths: ['admin', 'anon'], id: () => adminUser.id },
  // The id stays the literal `:user_id`, which names no one: the shared admin user is not deleted.
  { method: 'DELETE', path: '/admin/v1/users/:user_id', auths: ['admin', 'anon'] },
  { method: 'POST', path: '/admin/v1/users/:user_id/block', auths: ['admin', 'anon'], id: () => adminUser.id },
  { method: 'POST', path: '/admin/v1/users/:user_id/unblock', auths: ['admin', 'anon'], id: () => adminUser.id },
  { method: 'PUT', path: '/admin/v1/users/:user_id/password', auths: ['admin', 'anon'], id: () => adminUser.id, json: () => ({ password: 'a new password', revoke_tokens: false }) },
  { method: 'POST', path: '/admin/v1/users/:user_id/password-reset-mail', auths: ['admin', 'anon'], id: () => adminUser.id },
  { method: 'POST', path: '/admin/v1/organizations', auths: ['admin', 'anon'], json: () => ({ slug: `org-${unique()}`, name: 'An Org', owner_id: adminUser.id }) },
  { method: 'GET', path: '/admin/v1/organizations/:slug', auths: ['admin', 'anon'], id: () => adminOrganization.slug },
  { method: 'GET', path: '/admin/v1/organizations/:slug/members', auths: ['admin', 'anon'], id: () => adminOrganization.slug },
  { method: 'PUT', path: '/admin/v1/organizations/:slug/members/:user_id', auths: ['admin', 'anon'], id: () => adminOrganization.slug },
  { method: 'DELETE', path: '/admin/v1/organizations/:slug/members/:user_id', auths: ['admin', 'anon'], id: () => adminOrganization.slug },
  { method: 'GET', path: '/admin/v1/events', auths: ['admin', 'anon'], query: ['user_id', 'page'], baseQuery: () => [['user_id', adminUser.id], ['page', '1']] },
];

// The 405 answers of the method tables in src/http/app.ts and src/http/routes/admin.ts.
for (const [path, methods] of Object.entries(ALLOWED_METHODS)) {
  for (const method of OTHER_METHODS.filter((m) => !methods.includes(m))) {
    ROUTES.push({ method, path, auths: ['anon'], slim: true });
  }
}
for (const [path, methods] of Object.entries(ADMIN_METHODS)) {
  for (const method of OTHER_METHODS.filter((m) => !methods.includes(m))) {
    ROUTES.push({ method, path: `${ADMIN_PREFIX}${path}`, auths: ['admin'], slim: true, id: () => adminOrganization.slug });
  }
}

// ---------------------------------------------------------------------------------------------
// Variants.

interface Variant {
  name: string;
  /** Overrides of the request built from the route's baseline. */
  make: (base: Built) => Partial<Built>;
}

interface Built {
  id: string | undefined;
  query: Pairs;
  rawQuery?: string;
  form: Pairs;
  json: Record<string, unknown> | undefined;
  /** A body given as is, with its content type (undefined: none). */
  body?: Buffer | undefined;
  type?: string | undefined;
  headers: Record<string, string>;
  method?: string;
}

const PATH_IDS: [string, string][] = [
  ['unknown id', 'polar_ci_0000000000000000000000000000000000000000000'],
  ['id of 5000 characters', 'a'.repeat(5000)], // beyond the router's maxParamLength
  ['id of 100 characters', `polar_ci_${'a'.repeat(91)}`], // the longest the router passes on
  ['id with %2F', 'abc%2Fdef'],
  ['id ..', '..'],
  ['id %2E%2E', '%2E%2E'],
  ['non-ASCII id', enc('clïent-日本')],
  ['id with bad percent', BAD_PERCENT],
  ['id __proto__', '__proto__'],
  ['id with NUL', NUL],
  ['id with lone surrogate', SURROGATE],
];

/** Which request headers a route's code reads (src/http/app.ts: the browser context has cookies). */
function headersRead(route: Route) {
  const path = route.path.replace(/#.*$/, '');
  const clientAuth = ['/v1/oauth2/token', '/v1/oauth2/introspect', '/v1/oauth2/revoke'].includes(path);
  const machine = clientAuth || path.startsWith('/v1/oauth2/userinfo') || path.startsWith('/.well-known/') || path.startsWith('/health/') || path === '/metrics' || path.startsWith('/assets/') || path === '/';
  const webCaller = path.startsWith('/v1/oauth2/') && !machine;
  return {
    cookie: !machine,
    bearer: webCaller || path === '/oauth2/authorize' || path === '/v1/oauth2/userinfo',
    basic: clientAuth,
    origin: !machine && route.method === 'POST' && !path.startsWith('/v1/oauth2/register'),
  };
}

function variantsFor(route: Route, full: boolean): Variant[] {
  const out: Variant[] = [{ name: 'baseline', make: () => ({}) }];
  const add = (name: string, make: Variant['make']) => out.push({ name, make });
  const hasBody = route.method !== 'GET';
  const queryNames = route.query ?? [];
  const formNames = route.form ?? [];

  // Parameters repeated with different values, one at a time (all at once for secondary credentials).
  const repeat = (list: Pairs, name: string): Pairs => {
    const key = enc(name);
    const current = list.find(([k]) => k === key)?.[1];
    return withValues(list, key, current === undefined ? ['1', '2'] : [current, `${current}x`]);
  };
  if (full) {
    for (const name of queryNames) add(`query ${name} repeated`, (b) => ({ query: repeat(b.query, name) }));
    for (const name of formNames) add(`form ${name} repeated`, (b) => ({ form: repeat(b.form, name) }));
  } else {
    if (queryNames.length) add('every query parameter repeated', (b) => ({ query: queryNames.reduce(repeat, b.query) }));
    if (formNames.length) add('every form field repeated', (b) => ({ form: formNames.reduce(repeat, b.form) }));
  }

  // Junk keys every route may meet, whatever it reads.
  const junkKeys: Pairs = [['a', '1'], ['a', '2'], ['a%5B%5D', '1'], ['a[]', '2'], ['a[0]', '1'], ['a%5Bb%5D', '3'], ['__proto__', 'x'], ['__proto__[polluted]', '1'], ['constructor', 'x'], ['constructor[prototype][p]', '1'], ['toString', 'x'], ['hasOwnProperty', 'x'], ['valueOf', 'x']];
  add('junk keys in query (repeats, a[], a[0], __proto__, constructor, toString)', (b) => ({ query: [...b.query, ...junkKeys] }));
  add('bad encodings in query (bad percent, NUL, lone surrogate, lone %)', (b) => ({ query: [...b.query, ['x', BAD_PERCENT], ['y', NUL], ['z', SURROGATE], [BAD_PERCENT, '1'], ['w', '%'], ['v', '%zz']] }));
  if (full) add('raw UTF-8 bytes in query', (b) => ({ rawQuery: [joinPairs(b.query), 'q=caf\u00c3\u00a9'].filter(Boolean).join('&') }));

  const locations: ['query' | 'form', string[]][] = [['query', queryNames], ['form', formNames]];
  for (const [where, names] of locations) {
    if (!names.length || !full) continue;
    const set = (values: (b: Built) => Pairs): Variant['make'] => (b) => ({ [where]: values(b) }) as Partial<Built>;
    const list = (b: Built) => (where === 'query' ? b.query : b.form);
    add(`${where}: array-ish keys for every parameter`, set((b) => [...list(b), ...names.flatMap((n): Pairs => [[`${enc(n)}[]`, '1'], [`${enc(n)}%5B0%5D`, '2']])]));
    add(`${where}: every parameter empty`, set((b) => allTo(list(b), names, '')));
    add(`${where}: every parameter = __proto__`, set((b) => allTo(list(b), names, '__proto__')));
    add(`${where}: parameters = constructor, toString, hasOwnProperty in turn`, set((b) => names.reduce((acc, n, i) => withValues(acc, enc(n), [['constructor', 'toString', 'hasOwnProperty'][i % 3] as string]), list(b))));
    add(`${where}: every parameter bare (no =)`, set((b) => allTo(list(b), names, '\u0000bare')));
    add(`${where}: every parameter non-ASCII`, set((b) => allTo(list(b), names, NON_ASCII)));
    add(`${where}: every parameter with NUL`, set((b) => allTo(list(b), names, NUL)));
    add(`${where}: every parameter with bad percent-encoding`, set((b) => allTo(list(b), names, BAD_PERCENT)));
    add(`${where}: every parameter a lone surrogate`, set((b) => allTo(list(b), names, SURROGATE)));
    // 10 kB values. URLs stop at 16 KiB: the first query parameter at 10 kB, then all at 1 kB;
    // form fields all at once if under the 64 KiB body limit, else five at a time.
    if (where === 'query') {
      add(`query: ${names[0]} of 10 kB`, (b) => ({ query: withValues(b.query, enc(names[0] as string), [LONG]) }));
      if (names.length > 1) add('query: every parameter 1 kB', (b) => ({ query: allTo(b.query, names, LONG.slice(0, 1024)) }));
    } else if (names.length * LONG.length < 60 * 1024) add('form: every field 10 kB', (b) => ({ form: allTo(b.form, names, LONG) }));
    else for (let i = 0; i < names.length; i += 5) add(`form: ${names.slice(i, i + 5).join(', ')} of 10 kB`, (b) => ({ form: allTo(b.form, names.slice(i, i + 5), LONG) }));
  }

  if (route.paramsOnly) return out;

  if (hasBody) {
    add('empty body, no content type', () => ({ body: Buffer.alloc(0), type: undefined }));
    add('body over 64 KiB', () => ({ body: Buffer.from(`a=${'x'.repeat(70 * 1024)}`), type: FORM }));
    add('invalid JSON', () => ({ body: Buffer.from('{"client_name": "x", '), type: JSON_TYPE }));
    if (full) {
      add('text/plain body', (b) => ({ body: Buffer.from(joinPairs(b.form) || 'hello'), type: 'text/plain' }));
      add('multipart with a broken boundary', () => ({ body: multipart([['a', '1']], 'Other'), type: 'multipart/form-data; boundary=Expected' }));
      add('multipart without boundary', () => ({ body: multipart([['a', '1']]), type: 'multipart/form-data' }));
      add('multipart, truncated', () => ({ body: multipart([['a', '1']]).subarray(0, 30), type: 'multipart/form-data; boundary=BorealisBoundary' }));
      add('form content type with parameters and odd case', (b) => ({ body: Buffer.from(joinPairs(b.form)), type: 'Application/X-WWW-Form-Urlencoded; charset=ISO-8859-1; x=y' }));
      add('look-alike form content type', (b) => ({ body: Buffer.from(joinPairs(b.form)), type: 'application/x-www-form-urlencodedx' }));
      add('JSON array', () => ({ body: Buffer.from('[]'), type: JSON_TYPE }));
      add('JSON nested 100 objects', () => ({ body: Buffer.from(nested(100, '{"a":', '}')), type: JSON_TYPE }));
      if (route.json) {
        add('JSON number', () => ({ body: Buffer.from('42'), type: JSON_TYPE }));
        add('JSON null', () => ({ body: Buffer.from('null'), type: JSON_TYPE }));
        add('JSON string', () => ({ body: Buffer.from('"x"'), type: JSON_TYPE }));
        add('JSON nested 100 arrays', () => ({ body: Buffer.from(nested(100, '[', ']')), type: JSON_TYPE }));
      }
      add('body with invalid UTF-8', () => ({ body: Buffer.from([0x61, 0x3d, 0xff, 0xfe, 0x26, 0x62, 0x3d, 0xc3]), type: FORM }));
    }
    if (route.form) {
      if (full) add('JSON body to a form endpoint', (b) => ({ body: Buffer.from(JSON.stringify(Object.fromEntries(b.form.map(([k, v]) => [decodeURIComponent(k), decodeURIComponent(v)])))), type: JSON_TYPE }));
      const decoded = (b: Built): [string, string][] => b.form.map(([k, v]) => [decodeURIComponent(k), decodeURIComponent(v)]);
      add('multipart: valid, every field repeated', (b) => ({ body: multipart([...decoded(b), ...decoded(b).map(([k, v]): [string, string] => [k, `${v}x`])]), type: 'multipart/form-data; boundary=BorealisBoundary' }));
      if (full) {
        add('multipart: NUL and a file', () => ({
          body: Buffer.concat([
            Buffer.from(`--B\r\ncontent-disposition: form-data; name="${formNames[0]}"\r\n\r\na\u0000b\r\n`),
            Buffer.from('--B\r\ncontent-disposition: form-data; name="f"; filename="x.txt"\r\ncontent-type: text/plain\r\n\r\nhello\r\n--B--\r\n'),
          ]),
          type: 'multipart/form-data; boundary=B',
        }));
      }
    }
    if (route.json) {
      add('form body to a JSON endpoint', () => ({ body: Buffer.from('client_name=x&redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb'), type: FORM }));
      if (full) add('JSON with duplicate keys', (b) => ({ body: Buffer.from(`{"client_name":"a","client_name":"b",${JSON.stringify(b.json).slice(1)}`), type: JSON_TYPE }));
      add('JSON with __proto__ and constructor keys', (b) => ({ body: Buffer.from(`{"__proto__":{"polluted":1},"constructor":{"prototype":{"p":1}},"toString":"x",${JSON.stringify(b.json).slice(1)}`), type: JSON_TYPE }));
      if (full) {
        const wrong = { redirect_uris: 'x', client_name: 1, scope: ['a'], token_endpoint_auth_method: {}, grant_types: 'x', response_types: [1], client_uri: 2, logo_uri: true, tos_uri: [], policy_uri: {}, default_sub_type: 7, client_id: 3 };
        add('JSON with every field of the wrong type', () => ({ body: Buffer.from(JSON.stringify(wrong)), type: JSON_TYPE }));
        const strange = (value: unknown) => Object.fromEntries(Object.keys(wrong).map((k) => [k, k === 'redirect_uris' || k === 'grant_types' || k === 'response_types' ? [value] : value]));
        add('JSON with every field = __proto__', () => ({ body: Buffer.from(JSON.stringify(strange('__proto__'))), type: JSON_TYPE }));
        add('JSON with every field null', () => ({ body: Buffer.from(JSON.stringify(strange(null))), type: JSON_TYPE }));
        add('JSON with every field empty', () => ({ body: Buffer.from(JSON.stringify(strange(''))), type: JSON_TYPE }));
        add('JSON with every field 10 kB', () => ({ body: Buffer.from(JSON.stringify(Object.fromEntries(Object.keys(wrong).slice(0, 5).map((k) => [k, k === 'redirect_uris' ? [`https://example.com/${LONG}`] : LONG])))), type: JSON_TYPE }));
        add('JSON with lone surrogates, NUL and non-ASCII', (b) => ({ body: Buffer.from(JSON.stringify({ ...b.json, client_name: 'a\ud800b\u0000日本', scope: '\udfff', redirect_uris: ['https://ex\u00e4mple.com/\ud800'] })), type: JSON_TYPE }));
        add('JSON with invalid UTF-8 inside a string', () => ({ body: Buffer.concat([Buffer.from('{"client_name":"'), Buffer.from([0xff, 0xc3]), Buffer.from('","redirect_uris":["http://127.0.0.1/cb"]}')]), type: JSON_TYPE }));
        add('JSON nested 100 levels inside a field', (b) => ({ body: Buffer.from(JSON.stringify({ ...b.json, logo_uri: 'X' }).replace('"X"', nested(100, '{"a":', '}'))), type: JSON_TYPE }));
        add('JSON redirect_uris with 2000 entries', (b) => ({ body: Buffer.from(JSON.stringify({ ...b.json, redirect_uris: Array.from({ length: 2000 }, (_, i) => `https://example.com/${i}`) })), type: JSON_TYPE }));
      }
    }
  }

  if (route.path.includes('/:')) {
    const ids = full ? PATH_IDS : PATH_IDS.slice(0, 2);
    for (const [name, id] of ids) add(`path: ${name}`, () => ({ id }));
  }

  // Headers, where the route reads them.
  const reads = headersRead(route);
  const header = (name: string, value: (b: Built) => string): Variant['make'] => (b) => ({ headers: { ...b.headers, [name]: value(b) } });
  if (full) {
    if (reads.cookie) add('malformed cookies', header('cookie', (b) => `polar_session=${BAD_PERCENT}; polar_session=x; ${b.headers.cookie ?? 'a=b'}; =; ;;`));
    if (reads.bearer) {
      add('Authorization: Bearer without a value', header('authorization', () => 'Bearer'));
      add('Authorization: Bearer with spaces and junk', header('authorization', () => 'Bearer a b c'));
      add('Authorization: Bearer of 10 kB', header('authorization', () => `Bearer polar_at_u_${LONG}`));
      add('Authorization: Bearer registration-token look-alike', header('authorization', () => 'Bearer polar_crt_x'));
    }
    if (reads.basic) {
      add('Authorization: Basic not base64', header('authorization', () => 'Basic !!!%%%'));
      add('Authorization: Basic of non-UTF-8 and no colon', header('authorization', () => `Basic ${Buffer.from([0xff, 0xfe, 0x25]).toString('base64')}`));
      add('Authorization: Basic with %00 in the client id', header('authorization', () => `Basic ${Buffer.from('a%00b:secret').toString('base64')}`));
      add('Authorization: Basic with a raw NUL in the client id', header('authorization', () => `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`));
    }
    if (reads.origin) add('Origin null and a listed Sec-Fetch-Site', (b) => ({ headers: { ...b.headers, origin: 'null', 'sec-fetch-site': 'same-origin, cross-site' } }));
    if (route.method === 'GET') add('HEAD instead of GET', () => ({ method: 'HEAD' }));
    // Random: PostgreSQL compresses a repetitive key under its index entry bound (2,704 bytes).
    if (route.perIp) add('X-Forwarded-For of 8 kB random junk', (b) => ({ headers: { ...b.headers, 'x-forwarded-for': randomBytes(6 * 1024).toString('base64') } }));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Building and checking one case.

function authHeaders(auth: Auth, r: Runtime): Record<string, string> {
  switch (auth) {
    case 'anon':
      return {};
    case 'session':
      return { cookie: `polar_session=${r.session}` };
    case 'bearer':
      return { authorization: `Bearer ${bearer.access_token}` };
    case 'regtoken':
      return { authorization: `Bearer ${r.regToken}` };
    case 'basic':
      return { authorization: `Basic ${Buffer.from(`${enc(tokenClient.clientId)}:${enc(tokenClient.clientSecret)}`).toString('base64')}` };
    case 'admin':
      return { authorization: `Bearer ${ADMIN_TOKEN}` };
    case 'metrics':
      return { authorization: `Bearer ${METRICS_TOKEN}` };
  }
}

let ip = 0;
function buildRequest(route: Route, auth: Auth, variant: Variant, r: Runtime): Req {
  const base: Built = {
    id: route.id ? route.id(r) : r.clientId,
    query: encodePairs(route.baseQuery?.(r, auth) ?? []),
    form: encodePairs(route.baseForm?.(r, auth) ?? []),
    json: route.json?.(r),
    headers: authHeaders(auth, r),
  };
  const built: Built = { ...base, ...variant.make(base) };
  const path = route.path.replace(/#.*$/, '').replace(/:\w+/, built.id ?? '');
  const query = built.rawQuery ?? joinPairs(built.query);
  const headers = { ...built.headers };
  if (route.perIp && headers['x-forwarded-for'] === undefined) headers['x-forwarded-for'] = `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip++ & 255}`;
  let body: Buffer | undefined;
  if ('body' in built) {
    body = built.body;
    if (built.type !== undefined) headers['content-type'] = built.type;
  } else if (route.json) {
    body = Buffer.from(JSON.stringify(built.json));
    headers['content-type'] = JSON_TYPE;
  } else if (route.method !== 'GET' && built.form.length) {
    body = Buffer.from(joinPairs(built.form));
    headers['content-type'] = FORM;
  }
  return { method: built.method ?? route.method, path: query ? `${path}?${query}` : path, headers, body };
}

const STACK_LINE = /^\s*at .*(?:\(|\s)(?:file:\/\/|node:|\/)\S*:\d+(?::\d+)?\)?\s*$/m;
const FILE_POSITION = /(?:file:\/\/|\/)[\w.@/-]+\.(?:ts|js|mjs|cjs):\d+(?::\d+)?/;
const ERROR_WITH_PATH = /\b(?:[A-Z]\w*)?Error: [^\n]*(?:file:\/\/|\/[\w.-]+\/)[\w./-]*\.(?:ts|js|mjs|cjs)\b/;
const JS_ERRORS = ['TypeError', 'ReferenceError', 'undefined is not', 'RangeError', 'SyntaxError: ', 'Cannot read properties of'];
const ALLOWED_TYPES = new Set(['application/json', 'text/html; charset=utf-8']);

function problems(answer: Answer, route: Route, method: string): string[] {
  const found: string[] = [];
  if (answer.status >= 500) found.push(`status ${answer.status}`);
  if (answer.status < 100) found.push('no status');
  if (STACK_LINE.test(answer.text) || /\n {4}at /.test(answer.text)) found.push('stack trace in the body');
  if (FILE_POSITION.test(answer.text) || ERROR_WITH_PATH.test(answer.text)) found.push('source file position in the body');
  for (const s of JS_ERRORS) if (answer.text.includes(s)) found.push(`"${s}" in the body`);
  const type = answer.contentType;
  const emptyOk = answer.text === '' && ((answer.status >= 300 && answer.status < 400) || answer.status === 204 || method === 'HEAD');
  if (type === undefined) {
    if (!emptyOk) found.push(`no Content-Type on a ${answer.status} with ${answer.text.length} bytes`);
  } else if (!ALLOWED_TYPES.has(type) && !(route.extraTypes?.test(type) && answer.status === 200)) {
    found.push(`Content-Type ${type}`);
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// The cases.

const labelOf = (route: Route, auth: Auth, variant: Variant) => `${route.method} ${route.path} [${auth}] ${variant.name}`;
let cases = 0;
const seen = new Set<string>();

describe('no input makes any route answer 5xx, a stack trace or an unexpected content type', () => {
  test('the table covers every route the app registers', () => {
    const registered = new Set<string>();
    const stack: { indent: number; path: string }[] = [];
    for (const line of server.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const match = /^(.*?)(?:└──|├──) (\S+) \(([^)]*)\)/.exec(line);
      if (!match) continue;
      const indent = (match[1] as string).length;
      while (stack.length && (stack.at(-1) as { indent: number }).indent >= indent) stack.pop();
      const path = (stack.at(-1)?.path ?? '') + match[2];
      stack.push({ indent, path });
      for (const method of (match[3] as string).split(', ')) if (method !== 'HEAD') registered.add(`${method} ${path}`);
    }
    const table = new Set(ROUTES.map((r) => `${r.method} ${r.path.replace(/#.*$/, '')}`));
    assert.deepEqual([...registered].filter((r) => !table.has(r)).sort(), [], 'routes missing from the table');
    assert.deepEqual([...table].filter((r) => !registered.has(r)).sort(), [], 'table rows the app does not register');
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path}`, () => {
      route.auths.forEach((auth, i) => {
        const full = i === 0 && !route.slim;
        let variants = variantsFor(route, full);
        // OPTIONS has no body to send, and its 405 is the same handler's as the others'.
        const slim = route.method === 'OPTIONS' ? ['baseline'] : ['baseline', 'body over 64 KiB', 'bad encodings in query (bad percent, NUL, lone surrogate, lone %)'];
        if (route.slim) variants = variants.filter((v) => slim.includes(v.name));
        for (const variant of variants) {
          const label = labelOf(route, auth, variant);
          assert.ok(!seen.has(label), `duplicate case ${label}`);
          seen.add(label);
          cases++;
          test(`[${auth}] ${variant.name}`, async () => {
            const runtime = route.fresh ? await freshRuntime() : shared;
            const req = buildRequest(route, auth, variant, runtime);
            const answer = await send(req);
            const found = problems(answer, route, req.method);
            if (found.length) {
              const shown = req.path.length > 300 ? `${req.path.slice(0, 300)}…` : req.path;
              assert.fail(`${label}\n  ${req.method} ${shown}\n  ${found.join('; ')}\n  → ${answer.status} ${answer.contentType ?? '(no type)'} ${answer.text.slice(0, 600)}`);
            }
          });
        }
      });
    });
  }

  test('the case count stays within the request budget', () => {
    // A bound on the file's run time; the 405 answers of every method Fastify routes on the
    // discovery paths added about a hundred cheap cases, leaving an organization about forty, the
    // confirmation pages and the notices' parameters about sixty, the account page about sixty,
    // the invitation links' four routes about 165, the admin API's eleven and its 405s about 530,
    // the mailed links' seven routes about 205, the admin API's reset mail and its 405s about 55
    // the security events' list, page and 405s about 65, the sessions page and its two forms about
    // 110, deleting an account (its page, its form, the admin API's DELETE) about 80, /metrics
    // about 10 (the whole file runs in about fifteen seconds).
    assert.ok(cases <= 3020, `${cases} cases (setup adds 25 requests; the budget is 3045)`);
  });
});
