/**
 * Bad input at GET /v1/oauth2/authorize (polar-oauth2.md §3.4, D6–D8, D10, D16). Until the
 * client and its redirect URI are verified, errors are JSON 400 (shape A, with `state` when
 * sent) and never a redirect (RFC 6749 §4.1.2.1); afterwards they are 302s to the redirect URI
 * with form-encoded `error`, `error_description`, then `state`, then `iss` (RFC 9207).
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, pkcePair, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

async function authorize(server: TestServer, query: string, cookie?: string): Promise<Answer> {
  const response = await fetch(`${server.url}/v1/oauth2/authorize?${query}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function assertOAuthError(answer: Answer, status: number, text: string) {
  assert.ok(answer.status < 500, `a ${answer.status}: ${answer.text}`);
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.text, text);
  assert.equal(answer.headers.get('location'), null);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('pragma'), 'no-cache');
}

function assertRedirect(answer: Answer, location: string) {
  assert.equal(answer.status, 302, answer.text);
  assert.equal(answer.headers.get('location'), location);
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.text, '');
}

const json = (error: string, description: string, state?: string) =>
  `{"error": "${error}", "error_description": "${description}"${state === undefined ? '' : `, "state": "${state}"`}}`;
const enc = encodeURIComponent;

const SCOPE = 'The+requested+scope+is+invalid%2C+unknown%2C+or+malformed.';

describe('GET /v1/oauth2/authorize: bad input', () => {
  let server: TestServer;
  let client: TestClient;
  let publicClient: TestClient;
  let noCode: TestClient; // response_types: []
  let noRedirect: TestClient; // no registered redirect URI
  let withQuery: TestClient; // redirect URI that already has a query
  let ISS: string;
  /** response_type, client_id, redirect_uri, scope, state — then the extra raw query text. */
  let base: (extra?: string, c?: TestClient) => string;
  /** The expected error redirect, spelled out in form encoding. */
  let redirect: (error: string, description?: string, state?: string, uri?: string) => string;

  before(async () => {
    server = await startServer();
    client = await aClient(server);
    publicClient = await aClient(server, { token_endpoint_auth_method: 'none' });
    noCode = await aClient(server, { response_types: [] });
    noRedirect = await aClient(server, { redirect_uris: [] });
    withQuery = await aClient(server, { redirect_uris: ['http://127.0.0.1:9999/cb?tenant=a%20b'] });
    ISS = `iss=${server.url.replaceAll(':', '%3A').replaceAll('/', '%2F')}`;
    base = (extra = '', c = client) =>
      `response_type=code&client_id=${c.clientId}&redirect_uri=${enc(c.metadata.redirect_uris[0] ?? '')}&scope=openid+email&state=st${extra}`;
    redirect = (error, description, state = 'st', uri = REDIRECT_URI) =>
      `${uri}${uri.includes('?') ? '&' : '?'}error=${error}${description ? `&error_description=${description}` : ''}${state ? `&state=${state}` : ''}&${ISS}`;
  });
  after(() => server.close());

  describe('before the redirect URI is verified → JSON 400, never a redirect', () => {
    const cases: [string, () => string, () => string][] = [
      // §3.4 step 1 comes first: the response type (missing → invalid_request, compatibility.md).
      ['no parameters at all', () => '', () => json('invalid_request', "Missing 'response_type' in request.")],
      ['no client_id', () => `response_type=code&state=st`, () => json('invalid_client', "Missing 'client_id' parameter.", 'st')],
      ['an empty client_id', () => `response_type=code&client_id=&state=st`, () => json('invalid_client', "Missing 'client_id' parameter.", 'st')],
      ['an unknown client', () => `response_type=code&client_id=polar_ci_nope&state=st`, () => json('invalid_client', 'The client does not exist on this server.', 'st')],
      ['a non-ASCII client_id', () => `response_type=code&client_id=%C3%A9t%C3%A9&state=st`, () => json('invalid_client', 'The client does not exist on this server.', 'st')],
      ['an overlong client_id', () => `response_type=code&client_id=${'c'.repeat(6000)}`, () => json('invalid_client', 'The client does not exist on this server.')],
      ['a client_id=__proto__', () => `response_type=code&client_id=__proto__`, () => json('invalid_client', 'The client does not exist on this server.')],
      ...(
        [
          ['another host', 'https://evil.example/callback'],
          ['a trailing slash', `${REDIRECT_URI}/`],
          ['another case', REDIRECT_URI.replace('callback', 'Callback')],
          ['an added query', `${REDIRECT_URI}?next=https://evil.example`],
          ['a fragment', `${REDIRECT_URI}#x`],
          // (Another port of this loopback URI is allowed: RFC 8252 §7.3, authorize-request.test.ts.)
          ['another scheme', REDIRECT_URI.replace('http:', 'https:')],
          ['a scheme-relative URI', '//evil.example/callback'],
        ] as const
      ).map(([name, uri]): [string, () => string, () => string] => [
        `an unregistered redirect_uri: ${name}`,
        () => `response_type=code&client_id=${client.clientId}&redirect_uri=${enc(uri)}&state=st`,
        () => json('invalid_request', `Redirect URI ${uri} is not supported by client.`, 'st'),
      ]),
      [
        'a non-ASCII redirect_uri (escaped as Python does)',
        () => `response_type=code&client_id=${client.clientId}&redirect_uri=${enc('https://évil.example/☃')}`,
        () => json('invalid_request', 'Redirect URI https://\\u00e9vil.example/\\u2603 is not supported by client.'),
      ],
      [
        'an astral character in redirect_uri (a surrogate pair, as Python escapes it)',
        () => `response_type=code&client_id=${client.clientId}&redirect_uri=${enc('https://e.example/😀')}&state=st`,
        () => json('invalid_request', 'Redirect URI https://e.example/\\ud83d\\ude00 is not supported by client.', 'st'),
      ],
      [
        'an unregistered redirect_uri with a bad response_type: the response type error (§3.4 step 1), as JSON, not redirected',
        () => `response_type=token&client_id=${client.clientId}&redirect_uri=${enc('https://evil.example/cb')}&state=st`,
        () => json('unsupported_response_type', "The response type 'token' is not supported by the server.", 'st'),
      ],
      [
        'an unknown client with a bad response_type: the response type error (§3.4 step 1)',
        () => `response_type=token&client_id=polar_ci_nope&state=st`,
        () => json('unsupported_response_type', "The response type 'token' is not supported by the server.", 'st'),
      ],
      ['no redirect_uri and none registered', () => `response_type=code&client_id=${noRedirect.clientId}&state=st`, () => json('invalid_request', "Missing 'redirect_uri' in request.", 'st')],
      ['an invalid sub_type (JSON even after verification)', () => base('&sub_type=team'), () => json('invalid_request', 'Invalid sub_type', 'st')],
      ['sub_type=__proto__', () => base('&sub_type=__proto__'), () => json('invalid_request', 'Invalid sub_type', 'st')],
      ['a malformed percent-escape', () => `client_id=%E0%A4%A&state=st`, () => json('invalid_request', 'The request is malformed: invalid percent-encoding, UTF-8 or NUL byte.')],
      ['a NUL byte', () => base('&nonce=%00'), () => json('invalid_request', 'The request is malformed: invalid percent-encoding, UTF-8 or NUL byte.')],
    ];
    for (const [name, query, text] of cases) {
      test(name, async () => assertOAuthError(await authorize(server, query()), 400, text()));
    }
  });

  describe('a parameter sent twice → JSON 400 (D16), even with a valid redirect URI', () => {
    const names = ['response_type', 'client_id', 'redirect_uri', 'scope', 'prompt', 'nonce', 'code_challenge', 'code_challenge_method', 'sub_type'];
    for (const name of names) {
      test(name, async () => {
        const value = { response_type: 'code', client_id: client.clientId, redirect_uri: enc(REDIRECT_URI), scope: 'email' }[name] ?? 'x';
        assertOAuthError(await authorize(server, base(`&${name}=${value}&${name}=${value}`)), 400, json('invalid_request', `Multiple '${name}' in request.`, 'st'));
      });
    }
    test('state (then no state is echoed)', async () => {
      assertOAuthError(await authorize(server, base('&state=other')), 400, json('invalid_request', "Multiple 'state' in request."));
    });
    test('before the response type is judged: no error redirects while a parameter is ambiguous', async () => {
      const query = `response_type=token&client_id=${client.clientId}&redirect_uri=${enc(REDIRECT_URI)}&scope=email&scope=openid&state=st`;
      assertOAuthError(await authorize(server, query), 400, json('invalid_request', "Multiple 'scope' in request.", 'st'));
    });
    test("a GET's body is not read (RFC 9110 §9.3.1: it has no meaning)", async () => {
      // fetch refuses to send a GET with a body; node:http sends what it is given.
      const body = `client_id=${client.clientId}&scope=email`;
      const answer = await new Promise<Answer>((resolve, reject) => {
        const headers = { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) };
        const sent = request(`${server.url}/v1/oauth2/authorize?response_type=code&state=st`, { method: 'GET', headers }, (response) => {
          let text = '';
          response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: new Headers(response.headers as Record<string, string>), text }));
        });
        sent.on('error', reject).end(body);
      });
      assertOAuthError(answer, 400, json('invalid_client', "Missing 'client_id' parameter.", 'st'));
    });
    test('control: organizations may repeat (the anonymous user is then asked to sign in)', async () => {
      const answer = await authorize(server, base('&organizations=a&organizations=b'));
      assert.equal(answer.status, 401);
      assert.equal(answer.text, '{"detail":"Unauthorized"}');
    });
  });

  describe('after the redirect URI is verified → 302 to it with the error', () => {
    const cases: [string, () => string, () => string][] = [
      ['no response_type', () => `client_id=${client.clientId}&state=st`, () => redirect('invalid_request', 'Missing+%27response_type%27+in+request.')],
      ['response_type=token', () => base('').replace('response_type=code', 'response_type=token'), () => redirect('unsupported_response_type', 'The+response+type+%27token%27+is+not+supported+by+the+server.')],
      ['response_type="code token"', () => base('').replace('response_type=code', 'response_type=code+token'), () => redirect('unsupported_response_type', 'The+response+type+%27code+token%27+is+not+supported+by+the+server.')],
      ['response_type=CODE', () => base('').replace('response_type=code', 'response_type=CODE'), () => redirect('unsupported_response_type', 'The+response+type+%27CODE%27+is+not+supported+by+the+server.')],
      ['response_type=__proto__', () => base('').replace('response_type=code', 'response_type=__proto__'), () => redirect('unsupported_response_type', 'The+response+type+%27__proto__%27+is+not+supported+by+the+server.')],
      ['a non-ASCII response_type', () => base('').replace('response_type=code', 'response_type=c%C3%B6de'), () => redirect('unsupported_response_type', 'The+response+type+%27c%C3%B6de%27+is+not+supported+by+the+server.')],
      ['the default redirect URI is verified too', () => `response_type=token&client_id=${client.clientId}&state=st`, () => redirect('unsupported_response_type', 'The+response+type+%27token%27+is+not+supported+by+the+server.')],
      ['a client without the code response type', () => base('', noCode), () => redirect('unauthorized_client', 'The+client+is+not+authorized+to+use+%27response_type%3Dcode%27')],
      ['an unknown scope', () => base('').replace('scope=openid+email', 'scope=openid+bogus'), () => redirect('invalid_scope', SCOPE)],
      ['scope=__proto__', () => base('').replace('scope=openid+email', 'scope=__proto__'), () => redirect('invalid_scope', SCOPE)],
      ['scope=constructor toString', () => base('').replace('scope=openid+email', 'scope=constructor+toString'), () => redirect('invalid_scope', SCOPE)],
      ['a scope with a different case', () => base('').replace('scope=openid+email', 'scope=OpenID'), () => redirect('invalid_scope', SCOPE)],
      ['a known scope the client lacks (D6)', () => base('').replace('scope=openid+email', 'scope=orders%3Aread'), () => redirect('invalid_scope', SCOPE)],
      ['a scope of only spaces', () => base('').replace('scope=openid+email', 'scope=+++'), () => redirect('invalid_scope', SCOPE)],
      ['code_challenge_method without code_challenge', () => base('&code_challenge_method=S256'), () => redirect('invalid_request', 'Missing+%27code_challenge%27')],
      ['a 42-character code_challenge', () => base(`&code_challenge=${'a'.repeat(42)}&code_challenge_method=S256`), () => redirect('invalid_request', 'Invalid+%27code_challenge%27')],
      ['a 129-character code_challenge', () => base(`&code_challenge=${'a'.repeat(129)}&code_challenge_method=S256`), () => redirect('invalid_request', 'Invalid+%27code_challenge%27')],
      ['a code_challenge in base64, not base64url', () => base(`&code_challenge=${enc(`${'a+/'.repeat(14)}a=`)}&code_challenge_method=S256`), () => redirect('invalid_request', 'Invalid+%27code_challenge%27')],
      ['a non-ASCII code_challenge', () => base(`&code_challenge=${enc('é'.repeat(43))}`), () => redirect('invalid_request', 'Invalid+%27code_challenge%27')],
      ['code_challenge_method=S512', () => base(`&code_challenge=${pkcePair().challenge}&code_challenge_method=S512`), () => redirect('invalid_request', 'Unsupported+%27code_challenge_method%27')],
      ['code_challenge_method=s256 (case matters)', () => base(`&code_challenge=${pkcePair().challenge}&code_challenge_method=s256`), () => redirect('invalid_request', 'Unsupported+%27code_challenge_method%27')],
      ['a public client without code_challenge (D7)', () => base('', publicClient), () => redirect('invalid_request', 'Public+clients+must+send+a+%27code_challenge%27+with+%27code_challenge_method%3DS256%27.')],
      ['a public client with plain (D7)', () => base(`&code_challenge=${pkcePair().verifier}&code_challenge_method=plain`, publicClient), () => redirect('invalid_request', 'Public+clients+must+use+%27code_challenge_method%3DS256%27.')],
      ['a public client with no method (plain by default)', () => base(`&code_challenge=${pkcePair().challenge}`, publicClient), () => redirect('invalid_request', 'Public+clients+must+use+%27code_challenge_method%3DS256%27.')],
      ['a nonce over 512 characters (openid)', () => base(`&nonce=${'é'.repeat(513)}`), () => redirect('invalid_request', 'Invalid+%27nonce%27+parameter%3A+512+characters+at+most.')],
      ['prompt "none login"', () => base('&prompt=none+login'), () => redirect('invalid_request', 'Invalid+%27prompt%27+parameter.')],
      ['prompt "consent none" without openid', () => base('&prompt=consent+none').replace('scope=openid+email', 'scope=email'), () => redirect('invalid_request', 'Invalid+%27prompt%27+parameter.')],
      ['prompt=none, not signed in', () => base('&prompt=none'), () => redirect('login_required')],
      // OIDC Core §6.1, §6.2 (Polar ignores both; docs/compatibility.md).
      ['a request object (JAR)', () => base('&request=eyJhbGciOiJub25lIn0.eyJzY29wZSI6Im9wZW5pZCJ9.'), () => redirect('request_not_supported')],
      ['a request_uri', () => base('&request_uri=urn%3Aexample%3Arequest'), () => redirect('request_uri_not_supported')],
      ['an empty redirect_uri is omitted: the registered one is used', () => base('').replace(/redirect_uri=[^&]*/, 'redirect_uri=').replace('scope=openid+email', 'scope=bogus'), () => redirect('invalid_scope', SCOPE)],
      ['an empty state is omitted', () => base('').replace('state=st', 'state=').replace('scope=openid+email', 'scope=bogus'), () => redirect('invalid_scope', SCOPE, '')],
      ['no state: none is echoed', () => base('').replace('&state=st', '').replace('scope=openid+email', 'scope=bogus'), () => redirect('invalid_scope', SCOPE, '')],
      ['state is echoed in form encoding', () => base('').replace('state=st', `state=${enc('a b&c=d/é')}`).replace('scope=openid+email', 'scope=bogus'), () => redirect('invalid_scope', SCOPE, 'a+b%26c%3Dd%2F%C3%A9')],
      [
        'a redirect URI with a query keeps it and appends',
        () => base('', withQuery).replace('scope=openid+email', 'scope=bogus'),
        () => redirect('invalid_scope', SCOPE, 'st', 'http://127.0.0.1:9999/cb?tenant=a%20b'),
      ],
    ];
    for (const [name, query, location] of cases) {
      test(name, async () => assertRedirect(await authorize(server, query()), location()));
    }
    test('prompt=none, signed in without remembered consent → consent_required', async () => {
      const cookie = await signIn(server, await aUser(server));
      assertRedirect(await authorize(server, base('&prompt=none'), cookie), redirect('consent_required'));
    });
  });
});
