/**
 * Bad input at POST /v1/oauth2/token, part 1: how the request is read (polar-oauth2.md §2.5,
 * §3.7, D16) — grant_type, repeated and empty parameters, content types, size, encodings,
 * multipart bodies and HTTP methods. Every answer is checked byte for byte, with its headers;
 * nothing here may ever be a 5xx. Client authentication and grant checks: bad-input-grants.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, aClient, aUser, obtainCode, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

type Body = string | Buffer | FormData | undefined;

const FORM = 'application/x-www-form-urlencoded';

async function call(server: TestServer, method: string, path: string, body?: Body, headers: Record<string, string> = {}): Promise<Answer> {
  const init: RequestInit & { duplex?: 'half' } = { method, headers, redirect: 'manual' };
  if (body !== undefined) init.body = body;
  const response = await fetch(`${server.url}${path}`, init);
  return { status: response.status, headers: response.headers, text: await response.text() };
}

const postForm = (server: TestServer, body: Body, query = '', headers: Record<string, string> = {}) =>
  call(server, 'POST', `/v1/oauth2/token${query}`, body, { 'content-type': FORM, ...headers });

/** An RFC 6749 §5.2 error (shape A): exact status and bytes, JSON, never cached, no challenge unless given. */
function assertOAuthError(answer: Answer, status: number, text: string, wwwAuthenticate: string | null = null) {
  assert.ok(answer.status < 500, `a ${answer.status}: ${answer.text}`);
  assert.equal(answer.status, status, answer.text);
  assert.equal(answer.text, text);
  assert.equal(answer.headers.get('content-type'), 'application/json');
  assert.equal(answer.headers.get('cache-control'), 'no-store');
  assert.equal(answer.headers.get('pragma'), 'no-cache');
  assert.equal(answer.headers.get('www-authenticate'), wwwAuthenticate);
}

const UNSUPPORTED = '{"error": "unsupported_grant_type"}';
const invalidRequest = (description: string) => `{"error": "invalid_request", "error_description": "${description}"}`;
const MALFORMED = invalidRequest('The request is malformed: invalid percent-encoding, UTF-8 or NUL byte.');
const NOT_UTF8 = invalidRequest('The request is malformed: the body is not valid UTF-8.');
const BAD_MULTIPART = invalidRequest('The request is malformed: invalid multipart body.');
const BAD_CHARS = invalidRequest('The request is malformed: invalid characters.');
const CONTENT_TYPE = invalidRequest('Unsupported Content-Type: send application/x-www-form-urlencoded or multipart/form-data.');
const multiple = (name: string) => invalidRequest(`Multiple '${name}' in request.`);

/** A hand-built multipart body, so that broken ones can be sent too. */
const part = (name: string, value: string | Buffer, extra = '') =>
  Buffer.concat([Buffer.from(`--XyZ\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n\r\n`), Buffer.from(value), Buffer.from('\r\n')]);
const MULTIPART = 'multipart/form-data; boundary=XyZ';
const END = Buffer.from('--XyZ--\r\n');

describe('POST /v1/oauth2/token: reading the request', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  describe('grant_type missing or unknown → 400 unsupported_grant_type, no description (§3.7)', () => {
    const cases: [string, Body][] = [
      ['no body at all', undefined],
      ['an empty body', ''],
      ['grant_type absent', 'client_id=abc&code=xyz'],
      ['grant_type empty (RFC 6749 §3.1: omitted)', 'grant_type=&client_id=abc'],
      ['grant_type without "="', 'grant_type&client_id=abc'],
      ['password', 'grant_type=password&username=a&password=b'],
      ['client_credentials', 'grant_type=client_credentials'],
      ['implicit', 'grant_type=implicit'],
      ['device_code', 'grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code'],
      ['github_oidc_id_token (removed, §4.4)', 'grant_type=github_oidc_id_token'],
      ['__proto__', 'grant_type=__proto__'],
      ['constructor', 'grant_type=constructor'],
      ['toString', 'grant_type=toString'],
      ['hasOwnProperty', 'grant_type=hasOwnProperty'],
      ['valueOf', 'grant_type=valueOf'],
      ['case differs', 'grant_type=Authorization_Code'],
      ['trailing space', 'grant_type=refresh_token+'],
      ['leading space', 'grant_type=%20web'],
      ['non-ASCII', 'grant_type=r%C3%A9fresh_token'],
      ['an overlong value', `grant_type=${'a'.repeat(60000)}`],
      ['prototype names as parameter names', '__proto__=x&constructor=y&toString=z&grant_type=hasOwnProperty'],
    ];
    for (const [name, body] of cases) {
      test(name, async () => assertOAuthError(await postForm(server, body), 400, UNSUPPORTED));
    }
    test('grant_type only in the query, unknown', async () => {
      assertOAuthError(await postForm(server, undefined, '?grant_type=password'), 400, UNSUPPORTED);
    });
  });

  describe('a parameter sent twice → 400 invalid_request (D16), before client authentication', () => {
    const cases: [string, string, string, string][] = [
      ['grant_type twice in the body', '', 'grant_type=authorization_code&grant_type=authorization_code', 'grant_type'],
      ['grant_type in query and body', '?grant_type=refresh_token', 'grant_type=refresh_token', 'grant_type'],
      ['code in query and body', '?code=a', 'grant_type=authorization_code&code=b', 'code'],
      ['code twice in the body', '', 'grant_type=authorization_code&code=a&code=a', 'code'],
      ['client_id in query and body', '?client_id=a', 'grant_type=authorization_code&client_id=a&code=c', 'client_id'],
      ['client_secret twice', '', 'grant_type=authorization_code&client_id=a&client_secret=s&client_secret=t&code=c', 'client_secret'],
      ['redirect_uri twice', '', `grant_type=authorization_code&code=c&redirect_uri=${REDIRECT_URI}&redirect_uri=${REDIRECT_URI}`, 'redirect_uri'],
      ['code_verifier in query and body', '?code_verifier=v', 'grant_type=authorization_code&code=c&code_verifier=v', 'code_verifier'],
      ['refresh_token in query and body', '?refresh_token=r', 'grant_type=refresh_token&refresh_token=r', 'refresh_token'],
      ['scope twice on refresh', '', 'grant_type=refresh_token&refresh_token=r&scope=email&scope=openid', 'scope'],
      ['session_token twice on web', '', 'grant_type=web&session_token=a&session_token=b', 'session_token'],
      ['sub_type in query and body on web', '?sub_type=user', 'grant_type=web&sub_type=organization', 'sub_type'],
      ['sub twice on web', '', 'grant_type=web&sub_type=organization&sub=a&sub=b', 'sub'],
    ];
    for (const [name, query, body, param] of cases) {
      test(name, async () => assertOAuthError(await postForm(server, body, query), 400, multiple(param)));
    }
  });

  describe('wrong or missing content type with a body → 400 invalid_request', () => {
    const cases: [string, Record<string, string>, Body][] = [
      ['application/json', { 'content-type': 'application/json' }, '{"grant_type": "authorization_code", "code": "x"}'],
      ['text/plain carrying a form', { 'content-type': 'text/plain' }, 'grant_type=authorization_code&code=x'],
      ['text/plain;charset=UTF-8 carrying a form', { 'content-type': 'text/plain;charset=UTF-8' }, 'grant_type=refresh_token'],
      ['application/xml', { 'content-type': 'application/xml' }, '<grant_type>web</grant_type>'],
      ['no Content-Type at all', {}, Buffer.from('grant_type=refresh_token')],
      ['a look-alike of the form type', { 'content-type': 'application/x-www-form-urlencodedx' }, 'grant_type=web'],
      ['a look-alike of the multipart type', { 'content-type': 'multipart/form-datax; boundary=XyZ' }, Buffer.concat([part('grant_type', 'web'), END])],
    ];
    for (const [name, headers, body] of cases) {
      test(name, async () => assertOAuthError(await call(server, 'POST', '/v1/oauth2/token', body, headers), 400, CONTENT_TYPE));
    }
    test('an unparsable Content-Type header → 415 invalid_request', async () => {
      const answer = await call(server, 'POST', '/v1/oauth2/token', 'grant_type=web', { 'content-type': ';;;' });
      assertOAuthError(answer, 415, invalidRequest('The request is malformed.'));
    });
    test('a wrong content type with an empty body is just no body', async () => {
      assertOAuthError(await call(server, 'POST', '/v1/oauth2/token', '', { 'content-type': 'application/json' }), 400, UNSUPPORTED);
    });
    test('the form type is matched case-insensitively and may carry a charset', async () => {
      const headers = { 'content-type': 'Application/X-WWW-Form-URLEncoded; charset=utf-8' };
      assertOAuthError(await call(server, 'POST', '/v1/oauth2/token', 'grant_type=password', headers), 400, UNSUPPORTED);
    });
  });

  describe('body size (64 KiB at most)', () => {
    const TOO_LARGE = invalidRequest('The request body is too large (64 KiB at most).');
    const padded = (size: number) => {
      const head = 'grant_type=password&pad=';
      return head + 'a'.repeat(size - head.length);
    };
    test('exactly 64 KiB is read', async () => {
      assertOAuthError(await postForm(server, padded(65536)), 400, UNSUPPORTED);
    });
    test('64 KiB + 1 byte → 413', async () => {
      assertOAuthError(await postForm(server, padded(65537)), 413, TOO_LARGE);
    });
    test('1 MiB → 413', async () => {
      assertOAuthError(await postForm(server, padded(1 << 20)), 413, TOO_LARGE);
    });
    test('a chunked body (no Content-Length) over 64 KiB → 413', async () => {
      const bytes = Buffer.from(padded(70000));
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          for (let at = 0; at < bytes.length; at += 8192) controller.enqueue(bytes.subarray(at, at + 8192));
          controller.close();
        },
      });
      const response = await fetch(`${server.url}/v1/oauth2/token`, {
        method: 'POST',
        body: stream,
        headers: { 'content-type': FORM },
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      assertOAuthError({ status: response.status, headers: response.headers, text: await response.text() }, 413, TOO_LARGE);
    });
    test('a large multipart body over 64 KiB → 413', async () => {
      const body = Buffer.concat([part('grant_type', 'web'), part('pad', 'b'.repeat(70000)), END]);
      assertOAuthError(await call(server, 'POST', '/v1/oauth2/token', body, { 'content-type': MULTIPART }), 413, TOO_LARGE);
    });
  });

  describe('invalid encodings → 400 invalid_request', () => {
    const bodies: [string, Body, string][] = [
      ['a truncated escape', 'grant_type=%', MALFORMED],
      ['a non-hex escape', 'grant_type=%ZZ', MALFORMED],
      ['a truncated multi-byte escape', 'grant_type=%E0%A4%A', MALFORMED],
      ['an escaped invalid UTF-8 byte', 'grant_type=%FF', MALFORMED],
      ['an escaped overlong UTF-8 sequence', 'grant_type=%C0%AF', MALFORMED],
      ['an escaped UTF-16 surrogate', 'grant_type=%ED%A0%80', MALFORMED],
      ['a bad escape in a parameter name', 'grant%ZZtype=web', MALFORMED],
      ['a bad escape in an unrelated parameter', 'grant_type=web&foo=%G0', MALFORMED],
      ['%00 in a value', 'grant_type=authorization_code&code=polar_ac_%00', MALFORMED],
      ['%00 in a name', 'grant_type=web&session%00_token=x', MALFORMED],
      ['a raw NUL byte', Buffer.from('grant_type=web\u0000&x=1'), MALFORMED],
      ['raw invalid UTF-8 (0xC3 0x28)', Buffer.from([...Buffer.from('grant_type=web&code='), 0xc3, 0x28]), NOT_UTF8],
      ['a raw 0xFF byte', Buffer.from([...Buffer.from('grant_type='), 0xff]), NOT_UTF8],
      ['a raw overlong sequence (0xC0 0xAF)', Buffer.from([...Buffer.from('code='), 0xc0, 0xaf, ...Buffer.from('&grant_type=web')]), NOT_UTF8],
      ['a raw UTF-16 surrogate (0xED 0xA0 0x80)', Buffer.from([...Buffer.from('grant_type='), 0xed, 0xa0, 0x80]), NOT_UTF8],
    ];
    for (const [name, body, text] of bodies) {
      test(`body: ${name}`, async () => assertOAuthError(await postForm(server, body), 400, text));
    }
    const queries: [string, string][] = [
      ['a truncated escape', '?grant_type=%'],
      ['an escaped invalid UTF-8 byte', '?grant_type=%FF'],
      ['%00', '?client_id=%00'],
      ['a bad escape in a name', '?%zzgrant_type=web'],
    ];
    for (const [name, query] of queries) {
      test(`query: ${name}`, async () => assertOAuthError(await postForm(server, 'grant_type=web', query), 400, MALFORMED));
    }
    test('raw UTF-8 in the body is fine and simply unknown', async () => {
      assertOAuthError(await postForm(server, 'grant_type=пароль'), 400, UNSUPPORTED);
    });
  });

  describe('multipart/form-data bodies', () => {
    test('a valid multipart body completes a code exchange (§2.5)', async () => {
      const user = await aUser(server);
      const client = await aClient(server);
      const { code } = await obtainCode(server, client, await signIn(server, user), { scope: 'email' });
      const body = new FormData();
      body.append('grant_type', 'authorization_code');
      body.append('client_id', client.clientId);
      body.append('client_secret', client.clientSecret);
      body.append('code', code);
      body.append('redirect_uri', REDIRECT_URI);
      body.append('state', ''); // empty means omitted (RFC 6749 §3.1)
      const answer = await call(server, 'POST', '/v1/oauth2/token', body);
      assert.equal(answer.status, 200, answer.text);
      assert.equal(answer.headers.get('content-type'), 'application/json');
      assert.equal(answer.headers.get('cache-control'), 'no-store');
      assert.equal(answer.headers.get('pragma'), 'no-cache');
      const token = JSON.parse(answer.text) as Record<string, string>;
      assert.equal(
        answer.text,
        `{"token_type": "Bearer", "access_token": "${token.access_token}", "expires_in": 864000, "refresh_token": "${token.refresh_token}", "scope": "email"}`,
      );
    });
    const cases: [string, string, Buffer, string][] = [
      ['an unknown grant in a valid body', MULTIPART, Buffer.concat([part('grant_type', 'password'), END]), UNSUPPORTED],
      ['an empty field is omitted', MULTIPART, Buffer.concat([part('grant_type', ''), part('x', 'y'), END]), UNSUPPORTED],
      ['a file part is ignored', MULTIPART, Buffer.concat([part('grant_type', 'web', '; filename="g.txt"'), END]), UNSUPPORTED],
      ['a repeated field', MULTIPART, Buffer.concat([part('grant_type', 'web'), part('grant_type', 'web'), END]), multiple('grant_type')],
      ['no boundary parameter', 'multipart/form-data', Buffer.concat([part('grant_type', 'web'), END]), BAD_MULTIPART],
      ['a boundary that never appears', MULTIPART, Buffer.from('grant_type=web'), BAD_MULTIPART],
      ['a truncated part', MULTIPART, Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nweb'), BAD_MULTIPART],
      ['no closing boundary', MULTIPART, part('grant_type', 'web'), BAD_MULTIPART],
      ['a part without Content-Disposition', MULTIPART, Buffer.from('--XyZ\r\n\r\nweb\r\n--XyZ--\r\n'), BAD_MULTIPART],
      ['a NUL byte in a value', MULTIPART, Buffer.concat([part('grant_type', 'we\u0000b'), END]), BAD_CHARS],
      ['invalid UTF-8 in a value', MULTIPART, Buffer.concat([part('grant_type', Buffer.from([0x77, 0xff])), END]), BAD_CHARS],
      // A part's own charset (RFC 7578 §4.4): one busboy cannot decode was a 500; UTF-16 let a lone surrogate in.
      ['a part in a charset no decoder knows', MULTIPART, Buffer.concat([part('grant_type', 'web', '\r\nContent-Type: text/plain; charset=x-nonsense'), END]), BAD_MULTIPART],
      ['a lone surrogate in a UTF-16 part', MULTIPART, Buffer.concat([part('grant_type', Buffer.from([0x00, 0xd8, 0x41, 0x00]), '\r\nContent-Type: text/plain; charset=utf-16le'), END]), BAD_CHARS],
      ['a UTF-16 part is read as what it says', MULTIPART, Buffer.concat([part('grant_type', Buffer.from('password', 'utf16le'), '\r\nContent-Type: text/plain; charset=utf-16le'), END]), UNSUPPORTED],
      // Past busboy's limits a field would be dropped or cut: a repeat after 200 fillers went unseen.
      [
        'more than 200 fields',
        MULTIPART,
        Buffer.concat([...Array.from({ length: 200 }, (_, i) => part(`f${i}`, 'x')), part('grant_type', 'web'), END]),
        invalidRequest('The request is malformed: more than 200 fields.'),
      ],
    ];
    for (const [name, contentType, body, text] of cases) {
      test(name, async () => assertOAuthError(await call(server, 'POST', '/v1/oauth2/token', body, { 'content-type': contentType }), 400, text));
    }
  });

  describe('wrong HTTP methods → 405 {"detail":"Method Not Allowed"}', () => {
    const cases: [string, string, string][] = [
      ['GET', '/v1/oauth2/token', 'POST'],
      ['PUT', '/v1/oauth2/token', 'POST'],
      ['DELETE', '/v1/oauth2/token', 'POST'],
      ['PATCH', '/v1/oauth2/token', 'POST'],
      ['POST', '/v1/oauth2/authorize', 'GET, HEAD'],
      ['PUT', '/v1/oauth2/authorize', 'GET, HEAD'],
      ['DELETE', '/v1/oauth2/authorize', 'GET, HEAD'],
      ['GET', '/v1/oauth2/consent', 'POST'],
      ['PUT', '/v1/oauth2/consent', 'POST'],
      ['OPTIONS', '/v1/oauth2/token', 'POST'], // no Origin: no CORS preflight
      ['PATCH', '/v1/oauth2/register/polar_ci_nobody', 'GET, HEAD, PUT, DELETE'],
      ['POST', '/v1/oauth2/register/polar_ci_nobody', 'GET, HEAD, PUT, DELETE'],
      ['POST', '/v1/oauth2/', 'GET, HEAD'],
      ['DELETE', '/v1/oauth2/', 'GET, HEAD'],
      ['POST', '/.well-known/jwks.json', 'GET, HEAD'],
      ['PUT', '/.well-known/openid-configuration', 'GET, HEAD'],
      ['DELETE', '/.well-known/oauth-authorization-server', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      test(`${method} ${path}`, async () => {
        const body = method === 'GET' || method === 'DELETE' ? undefined : 'grant_type=authorization_code';
        const answer = await call(server, method, `${path}?grant_type=authorization_code`, body, body ? { 'content-type': FORM } : {});
        assert.equal(answer.status, 405);
        assert.equal(answer.text, '{"detail":"Method Not Allowed"}');
        assert.equal(answer.headers.get('content-type'), 'application/json');
        assert.equal(answer.headers.get('allow'), allow);
      });
    }
  });
});
