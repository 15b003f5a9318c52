/**
 * Bad input at POST /v1/oauth2/token, part 2: client authentication (polar-oauth2.md §2.6),
 * unauthorized_client, malformed codes / refresh tokens / session tokens (always 400
 * invalid_grant, never a 500 — §2.2 says Polar crashes on non-ASCII), and each grant's
 * request errors (§4.1–§4.3). Exact status, bytes and headers every time.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, obtainCode, pkcePair, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function token(server: TestServer, body: string | URLSearchParams, headers: Record<string, string> = {}, query = ''): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/oauth2/token${query}`, {
    method: 'POST',
    body: body.toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function assertOAuthError(answer: Answer, status: number, text: string, wwwAuthenticate: string | null = null) {
  assert.ok(answer.status < 500, `a ${answer.status}: ${answer.text}`);
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.text, text);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('pragma'), 'no-cache');
  assert.equal(answer.headers.get('www-authenticate'), wwwAuthenticate);
}

const q = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
const rawBasic = (decoded: string) => `Basic ${Buffer.from(decoded).toString('base64')}`;
const error = (code: string, description?: string) =>
  description === undefined ? `{"error": "${code}"}` : `{"error": "${code}", "error_description": "${description}"}`;

const NOT_EXIST = 'The client does not exist on this server.';
const ALL = "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post', 'none']";
const WEB = "The client cannot authenticate with methods: ['client_secret_basic', 'client_secret_post']";
const challenge = (description: string) => `Basic error="invalid_client", error_description="${description}"`;
const UNKNOWN_ID = 'polar_ci_0000000000000000000000000000000000000000000';
const INVALID_CODE = error('invalid_grant', "Invalid 'code' in request.");
const INVALID_GRANT = error('invalid_grant');

/** Values that are not credentials we issued: each must be a plain invalid_grant. */
const MALFORMED: [string, string][] = [
  ['non-ASCII', 'é'],
  ['a prefix with non-ASCII body', `polar_ac_${'é'.repeat(43)}`],
  ['an emoji', '🔑'],
  ['right-to-left override', 'polar_rt_u_\u202e'],
  ['overlong (60 000 characters)', 'x'.repeat(60000)],
  ['a bad checksum', `polar_rt_u_${'A'.repeat(43)}`],
  ['SQL', "' OR '1'='1'; DROP TABLE oauth2_tokens; --"],
  ['a percent sign left over', '%zz'],
  ['only spaces', '   '],
];

describe('POST /v1/oauth2/token: client authentication and grant input', () => {
  let server: TestServer;
  let post: TestClient; // client_secret_post (the default)
  let basicClient: TestClient;
  let publicClient: TestClient;
  let codeOnly: TestClient; // grant_types: authorization_code only
  let webClient: TestClient;
  let code: string;
  let pkceCode: string;
  let publicCode: string;
  let refreshToken: string;
  let otherRefreshToken: string;
  let sessionToken: string;

  before(async () => {
    server = await startServer();
    post = await aClient(server);
    basicClient = await aClient(server, { token_endpoint_auth_method: 'client_secret_basic' });
    publicClient = await aClient(server, { token_endpoint_auth_method: 'none' });
    codeOnly = await aClient(server, { grant_types: ['authorization_code'] });
    webClient = await aClient(server, { grant_types: ['web'], response_types: [], redirect_uris: [] });
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    sessionToken = cookie.slice('polar_session='.length);
    code = (await obtainCode(server, post, cookie, { scope: 'email' })).code;
    pkceCode = (await obtainCode(server, post, cookie, { scope: 'email', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })).code;
    publicCode = (await obtainCode(server, publicClient, cookie, { scope: 'email', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })).code;
    refreshToken = (await tokensFor(server, post, cookie, { scope: 'email' })).refresh_token as string;
    otherRefreshToken = (await tokensFor(server, await aClient(server), cookie, { scope: 'email' })).refresh_token as string;
  });
  after(() => server.close());

  const codeGrant = (extra: Record<string, string>) => q({ grant_type: 'authorization_code', code: 'polar_ac_x', ...extra });

  describe('client authentication failures (§2.6)', () => {
    const cases: [string, () => [string, Record<string, string>?, string?], number, string, string | null][] = [
      ['unknown client via client_secret_post → 400, no challenge', () => [codeGrant({ client_id: UNKNOWN_ID, client_secret: 's' })], 400, NOT_EXIST, null],
      ['unknown client via none → 400, no challenge', () => [codeGrant({ client_id: UNKNOWN_ID })], 400, NOT_EXIST, null],
      ['unknown client via Basic → 401 with the Basic challenge', () => [codeGrant({}), { authorization: basic(UNKNOWN_ID, 's') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
      ['an unknown Basic client wins over valid post credentials', () => [codeGrant({ client_id: post.clientId, client_secret: post.clientSecret }), { authorization: basic(UNKNOWN_ID, 's') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
      ['non-ASCII client_id via post', () => [codeGrant({ client_id: 'clïent', client_secret: 's' })], 400, NOT_EXIST, null],
      ['overlong client_id via post', () => [codeGrant({ client_id: 'c'.repeat(60000), client_secret: 's' })], 400, NOT_EXIST, null],
      ['non-ASCII client_id via Basic', () => [codeGrant({}), { authorization: basic('clïent', 's') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
      ['overlong client_id via Basic', () => [codeGrant({}), { authorization: basic('c'.repeat(4000), 's') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
      ['wrong secret via post → 401 with the challenge', () => [codeGrant({ client_id: post.clientId, client_secret: 'wrong' })], 401, ALL, challenge(ALL)],
      ['wrong secret via Basic', () => [codeGrant({}), { authorization: basic(basicClient.clientId, 'wrong') }], 401, ALL, challenge(ALL)],
      ['right secret, unregistered method (Basic for a post client)', () => [codeGrant({}), { authorization: basic(post.clientId, post.clientSecret) }], 401, ALL, challenge(ALL)],
      ['right secret, unregistered method (post for a Basic client)', () => [codeGrant({ client_id: basicClient.clientId, client_secret: basicClient.clientSecret })], 401, ALL, challenge(ALL)],
      ['a confidential client without its secret (none)', () => [codeGrant({ client_id: post.clientId })], 401, ALL, challenge(ALL)],
      ['an empty secret is an omitted one (RFC 6749 §3.1)', () => [codeGrant({ client_id: post.clientId, client_secret: '' })], 401, ALL, challenge(ALL)],
      ['the client_id only in the query with the secret posted (client_secret_post reads the body, RFC 6749 §2.3.1)', () => [codeGrant({ client_secret: post.clientSecret }), {}, `?client_id=${post.clientId}`], 401, ALL, challenge(ALL)],
      ['a bad percent-escape in Basic is kept as sent (authlib unquote): no such client, the posted credentials untried', () => [codeGrant({ client_id: post.clientId, client_secret: post.clientSecret }), { authorization: rawBasic('polar_ci_%ZZ:secret') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
      ['the secret only in the query (body only, §2.5)', () => [codeGrant({ client_id: post.clientId }), {}, `?client_secret=${encodeURIComponent(post.clientSecret)}`], 401, ALL, challenge(ALL)],
      ['a public client sending a wrong secret', () => [codeGrant({ client_id: publicClient.clientId, client_secret: 'x' })], 401, ALL, challenge(ALL)],
      ['no credentials at all', () => [codeGrant({})], 401, ALL, challenge(ALL)],
      ['a secret without a client_id', () => [codeGrant({ client_secret: post.clientSecret })], 401, ALL, challenge(ALL)],
      ['refresh_token grant, wrong secret', () => [q({ grant_type: 'refresh_token', refresh_token: 'r', client_id: post.clientId, client_secret: 'no' })], 401, ALL, challenge(ALL)],
      ['web grant, wrong secret: the web method list', () => [q({ grant_type: 'web', client_id: webClient.clientId, client_secret: 'no' })], 401, WEB, challenge(WEB)],
      ['web grant, no secret (none is not allowed)', () => [q({ grant_type: 'web', client_id: webClient.clientId })], 401, WEB, challenge(WEB)],
      ['web grant, unknown client via post', () => [q({ grant_type: 'web', client_id: UNKNOWN_ID, client_secret: 's' })], 400, NOT_EXIST, null],
      ['web grant, unknown client via Basic', () => [q({ grant_type: 'web' }), { authorization: basic(UNKNOWN_ID, 's') }], 401, NOT_EXIST, challenge(NOT_EXIST)],
    ];
    for (const [name, build, status, description, header] of cases) {
      test(name, async () => {
        const [body, headers, query] = build();
        assertOAuthError(await token(server, body, headers, query), status, error('invalid_client', description), header);
      });
    }
  });

  describe('malformed Authorization headers → 401 cannot authenticate', () => {
    const headers: [string, string][] = [
      ['"Basic" alone', 'Basic'],
      ['"Basic " and nothing', 'Basic '],
      ['not base64', 'Basic !!!!'],
      ['no colon', rawBasic('polar_ci_abc')],
      ['an empty client_id', rawBasic(':secret')],
      ['an empty secret', rawBasic('polar_ci_abc:')],
      ['no space after the scheme', `Basic${Buffer.from('a:b').toString('base64')}`],
      ['another scheme', `Digest username="a", realm="b"`],
    ];
    for (const [name, authorization] of headers) {
      test(name, async () => assertOAuthError(await token(server, codeGrant({}), { authorization }), 401, error('invalid_client', ALL), challenge(ALL)));
    }
    test('control: the scheme is case-insensitive and both parts are form-decoded (RFC 6749 §2.3.1)', async () => {
      const authorization = `bAsIc ${Buffer.from(`${encodeURIComponent(basicClient.clientId)}:${encodeURIComponent(basicClient.clientSecret)}`).toString('base64')}`;
      assertOAuthError(await token(server, codeGrant({}), { authorization }), 400, INVALID_CODE);
    });
  });

  describe('a grant the client lacks → 400 unauthorized_client', () => {
    const cases: [string, () => string, string][] = [
      ['refresh_token for a code-only client', () => q({ grant_type: 'refresh_token', refresh_token: 'r', client_id: codeOnly.clientId, client_secret: codeOnly.clientSecret }), 'refresh_token'],
      ['web for an ordinary client', () => q({ grant_type: 'web', session_token: sessionToken, client_id: post.clientId, client_secret: post.clientSecret }), 'web'],
      ['authorization_code for a web client', () => q({ grant_type: 'authorization_code', code, client_id: webClient.clientId, client_secret: webClient.clientSecret }), 'authorization_code'],
      ['refresh_token for a web client', () => q({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: webClient.clientId, client_secret: webClient.clientSecret }), 'refresh_token'],
    ];
    for (const [name, body, grant] of cases) {
      test(name, async () => {
        assertOAuthError(await token(server, body()), 400, error('unauthorized_client', `The client is not authorized to use 'grant_type=${grant}'`));
      });
    }
  });

  describe('authorization_code: bad codes are 400 invalid_grant, never 500', () => {
    const exchange = (fields: Record<string, string>) =>
      token(server, q({ grant_type: 'authorization_code', client_id: post.clientId, client_secret: post.clientSecret, redirect_uri: REDIRECT_URI, ...fields }));
    for (const [name, value] of MALFORMED) {
      test(name, async () => assertOAuthError(await exchange({ code: value }), 400, INVALID_CODE));
    }
    test("another client's code", async () => {
      const other = await aClient(server);
      const answer = await token(server, q({ grant_type: 'authorization_code', code, client_id: other.clientId, client_secret: other.clientSecret, redirect_uri: REDIRECT_URI }));
      assertOAuthError(answer, 400, INVALID_CODE);
    });
    test('a refresh token presented as a code', async () => assertOAuthError(await exchange({ code: refreshToken }), 400, INVALID_CODE));

    const requestErrors: [string, () => Record<string, string>, string, string][] = [
      ['no code', () => ({}), '', error('invalid_request', "Missing 'code' in request.")],
      ['an empty code', () => ({ code: '' }), '', error('invalid_request', "Missing 'code' in request.")],
      ['the code only in the query (body only, §2.5)', () => ({}), `?code=${code}`, error('invalid_request', "Missing 'code' in request.")],
      ['an empty repeat is not a repeat', () => ({ code: 'polar_ac_nope' }), '?code=', INVALID_CODE],
      ['another redirect_uri', () => ({ code, redirect_uri: `${REDIRECT_URI}/x` }), '', error('invalid_grant', "Invalid 'redirect_uri' in request.")],
      ['a verifier for a code without challenge', () => ({ code, code_verifier: pkcePair().verifier }), '', error('invalid_request', "The authorization request had no 'code_challenge', but a 'code_verifier' was provided.")],
      ['a PKCE code without verifier', () => ({ code: pkceCode }), '', error('invalid_request', "Missing 'code_verifier'")],
      ['the verifier only in the query', () => ({ code: pkceCode }), `?code_verifier=${pkcePair().verifier}`, error('invalid_request', "Missing 'code_verifier'")],
      ['a too short verifier', () => ({ code: pkceCode, code_verifier: 'short' }), '', error('invalid_request', "Invalid 'code_verifier'")],
      ['a non-ASCII verifier', () => ({ code: pkceCode, code_verifier: 'é'.repeat(43) }), '', error('invalid_request', "Invalid 'code_verifier'")],
      ['a 129-character verifier', () => ({ code: pkceCode, code_verifier: 'a'.repeat(129) }), '', error('invalid_request', "Invalid 'code_verifier'")],
      ['a wrong verifier', () => ({ code: pkceCode, code_verifier: pkcePair().verifier }), '', error('invalid_grant', 'Code challenge failed.')],
    ];
    for (const [name, fields, query, text] of requestErrors) {
      test(name, async () => {
        const body = q({ grant_type: 'authorization_code', client_id: post.clientId, client_secret: post.clientSecret, redirect_uri: REDIRECT_URI, ...fields() });
        assertOAuthError(await token(server, body, {}, query), 400, text);
      });
    }
    test('a public client without verifier', async () => {
      const answer = await token(server, q({ grant_type: 'authorization_code', client_id: publicClient.clientId, code: publicCode, redirect_uri: REDIRECT_URI }));
      assertOAuthError(answer, 400, error('invalid_request', "Missing 'code_verifier'"));
    });
  });

  describe('refresh_token: bad tokens are 400 invalid_grant, never 500', () => {
    const refresh = (fields: Record<string, string>, query = '') =>
      token(server, q({ grant_type: 'refresh_token', client_id: post.clientId, client_secret: post.clientSecret, ...fields }), {}, query);
    for (const [name, value] of MALFORMED) {
      test(name, async () => assertOAuthError(await refresh({ refresh_token: value }), 400, INVALID_GRANT));
    }
    test("another client's refresh token", async () => assertOAuthError(await refresh({ refresh_token: otherRefreshToken }), 400, INVALID_GRANT));
    test('a code presented as a refresh token', async () => assertOAuthError(await refresh({ refresh_token: code }), 400, INVALID_GRANT));
    test('no refresh_token', async () => assertOAuthError(await refresh({}), 400, error('invalid_request', "Missing 'refresh_token' in request.")));
    test('an empty refresh_token', async () => assertOAuthError(await refresh({ refresh_token: '' }), 400, error('invalid_request', "Missing 'refresh_token' in request.")));
    test('refresh_token only in the query', async () => {
      assertOAuthError(await refresh({}, `?refresh_token=${refreshToken}`), 400, error('invalid_request', "Missing 'refresh_token' in request."));
    });
    const SCOPE = error('invalid_scope', 'The requested scope is invalid, unknown, or malformed.');
    test('an unknown scope', async () => assertOAuthError(await refresh({ refresh_token: refreshToken, scope: 'bogus' }), 400, SCOPE));
    test('a scope beyond the original', async () => assertOAuthError(await refresh({ refresh_token: refreshToken, scope: 'email products:read' }), 400, SCOPE));
  });

  describe('web grant request errors (§4.3)', () => {
    const web = (fields: Record<string, string>) =>
      token(server, q({ grant_type: 'web', client_id: webClient.clientId, client_secret: webClient.clientSecret, ...fields }));
    test('control: a valid exchange works', async () => {
      const answer = await web({ session_token: sessionToken, scope: 'email' });
      assert.equal(answer.status, 200, answer.text);
      const body = JSON.parse(answer.text) as Record<string, string>;
      assert.equal(answer.text, `{"token_type": "Bearer", "access_token": "${body.access_token}", "expires_in": 3600, "scope": "email"}`);
    });
    const cases: [string, () => Record<string, string>, string][] = [
      ['no session_token', () => ({}), error('invalid_request', "Missing 'session_token' in request.")],
      ['an empty session_token', () => ({ session_token: '' }), error('invalid_request', "Missing 'session_token' in request.")],
      ['an unknown sub_type', () => ({ session_token: sessionToken, sub_type: 'team' }), error('invalid_request', 'Invalid sub_type')],
      ['sub_type=__proto__', () => ({ session_token: sessionToken, sub_type: '__proto__' }), error('invalid_request', 'Invalid sub_type')],
      ['organization without sub', () => ({ session_token: sessionToken, sub_type: 'organization' }), error('invalid_request', "Missing 'sub' for organization sub_type")],
      ['user with sub', () => ({ session_token: sessionToken, sub_type: 'user', sub: randomUUID() }), error('invalid_request', "Can't specify 'sub' for user sub_type")],
      ['sub with the default sub_type', () => ({ session_token: sessionToken, sub: randomUUID() }), error('invalid_request', "Can't specify 'sub' for user sub_type")],
      ['an unknown scope', () => ({ session_token: sessionToken, scope: 'email bogus' }), error('invalid_scope', 'The requested scope is invalid, unknown, or malformed.')],
      ['scope=constructor', () => ({ session_token: sessionToken, scope: 'constructor' }), error('invalid_scope', 'The requested scope is invalid, unknown, or malformed.')],
      ['sub not a UUID', () => ({ session_token: sessionToken, sub_type: 'organization', sub: 'not-a-uuid' }), error('invalid_request', "Invalid 'sub' UUID")],
      ['sub a UUID the session cannot access', () => ({ session_token: sessionToken, sub_type: 'organization', sub: randomUUID() }), INVALID_GRANT],
      ...MALFORMED.map(([name, value]): [string, () => Record<string, string>, string] => [`session_token ${name}`, () => ({ session_token: value }), INVALID_GRANT]),
      ['a code as session_token', () => ({ session_token: code }), INVALID_GRANT],
    ];
    for (const [name, fields, text] of cases) {
      test(name, async () => assertOAuthError(await web(fields()), 400, text));
    }
  });
});
