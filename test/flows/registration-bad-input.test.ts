/**
 * POST /v1/oauth2/register with bad input (polar-oauth2.md §3.11, §2.3-A/C): the FastAPI 422
 * layer (compact bodies), authlib's 400 invalid_client_metadata layer (Python-style bodies),
 * oversized and deeply nested bodies — always a 4xx, never a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, startServer } from '../support/server.js';

const OK = { client_name: 'Bad Input', redirect_uris: ['https://bad.example/cb'] };

/** Shape C: FastAPI's compact validation body. */
const invalid = (...detail: Record<string, unknown>[]) => JSON.stringify({ error: 'RequestValidationError', detail });
/** Shape A: authlib's invalid_client_metadata, Python separators. */
const badClaim = (claim: string) => `{"error": "invalid_client_metadata", "error_description": "Invalid claim: '${claim}'"}`;

const AUTH_METHODS = "'client_secret_basic', 'client_secret_post' or 'none'";
const GRANTS = "'authorization_code' or 'refresh_token'";

describe('POST /v1/oauth2/register: bad input', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_REGISTRATION_RATE_LIMIT: '10000' } });
  });
  after(() => server.close());

  async function post(raw: string | Buffer, contentType = 'application/json') {
    const response = await fetch(`${server.url}/v1/oauth2/register`, { method: 'POST', headers: { 'content-type': contentType }, body: raw });
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  async function expect(raw: string, status: number, text: string, label: string) {
    const result = await post(raw);
    assert.equal(result.status, status, `${label}: ${result.text}`);
    assert.equal(result.text, text, label);
    assert.equal(result.headers.get('content-type'), 'application/json', label);
    if (status === 400) {
      assert.equal(result.headers.get('cache-control'), 'no-store', label);
      assert.equal(result.headers.get('pragma'), 'no-cache', label);
    }
  }

  test('malformed and non-object JSON → 422', async () => {
    const cases: [string, string][] = [
      ['not json', invalid({ type: 'json_invalid', loc: ['body', 0], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } })],
      ['[]', invalid({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: [] })],
      ['"a string"', invalid({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: 'a string' })],
      ['42', invalid({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: 42 })],
      [`[${JSON.stringify(OK)}]`, invalid({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: [OK] })],
    ];
    for (const [raw, text] of cases) await expect(raw, 422, text, raw);
    for (const raw of ['null', '', '{"client_name": "x",}', '{', '\u00ff\u00fe']) {
      const result = await post(raw);
      assert.equal(result.status, 422, raw);
      assert.equal(JSON.parse(result.text).error, 'RequestValidationError', raw);
    }
  });

  test('bytes that are not UTF-8 → 400 as FastAPI answers a UnicodeDecodeError; a leading BOM is dropped, as Python does', async () => {
    const latin1 = Buffer.from(JSON.stringify({ ...OK, client_name: 'café' }), 'latin1');
    const refused = await post(latin1);
    assert.equal(refused.status, 400);
    assert.equal(refused.text, '{"detail":"There was an error parsing the body"}');
    assert.equal(refused.headers.get('content-type'), 'application/json');
    const bom = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ ...OK, client_name: 'café' }))]));
    assert.equal(bom.status, 201, bom.text);
    assert.equal(JSON.parse(bom.text).client_name, 'café');
  });

  // FastAPI reads JSON only under a JSON media type (or none); a text/plain body, which any page
  // can send cross-site without a preflight, is validated as text and refused.
  test('a JSON body under another media type → 422 model_attributes_type with the text; JSON types are read', async () => {
    const raw = JSON.stringify(OK);
    for (const contentType of ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const result = await post(raw, contentType);
      assert.equal(result.status, 422, contentType);
      assert.equal(
        result.text,
        invalid({ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: raw }),
        contentType,
      );
    }
    for (const contentType of ['application/json; charset=utf-8', 'Application/JSON', 'application/vnd.example+json']) {
      assert.equal((await post(raw, contentType)).status, 201, contentType);
    }
  });

  test("FastAPI's exact json_invalid position and message; an empty or null body is a missing body", async () => {
    // FastAPI reports the JSONDecodeError's position and message; an empty or `null` body is `missing`.
    const cases: [string, string][] = [
      ['{"client_name": "x",}', invalid({ type: 'json_invalid', loc: ['body', 20], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting property name enclosed in double quotes' } })],
      ['{"client_name": ', invalid({ type: 'json_invalid', loc: ['body', 16], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } })],
      // Python counts code points: an emoji before the error is one, not two UTF-16 units.
      ['{"client_name": "😀", x}', invalid({ type: 'json_invalid', loc: ['body', 21], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting property name enclosed in double quotes' } })],
      // Where V8 reports another position, or none (test/http/python-json-error.test.ts has more).
      ['{"client_name": "x"} x', invalid({ type: 'json_invalid', loc: ['body', 21], msg: 'JSON decode error', input: {}, ctx: { error: 'Extra data' } })],
      ['{"client_name": "x', invalid({ type: 'json_invalid', loc: ['body', 16], msg: 'JSON decode error', input: {}, ctx: { error: 'Unterminated string starting at' } })],
      ['{"client_name": tru}', invalid({ type: 'json_invalid', loc: ['body', 16], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } })],
      // A body of spaces is a body to FastAPI: json.loads refuses it.
      ['  ', invalid({ type: 'json_invalid', loc: ['body', 2], msg: 'JSON decode error', input: {}, ctx: { error: 'Expecting value' } })],
      ['', invalid({ type: 'missing', loc: ['body'], msg: 'Field required', input: null })],
      ['null', invalid({ type: 'missing', loc: ['body'], msg: 'Field required', input: null })],
      [' null ', invalid({ type: 'missing', loc: ['body'], msg: 'Field required', input: null })],
    ];
    for (const [raw, text] of cases) await expect(raw, 422, text, JSON.stringify(raw));
  });

  test('missing required fields → 422 missing, with the whole body as input', async () => {
    const noName = { redirect_uris: OK.redirect_uris };
    const noUris = { client_name: OK.client_name };
    const missing = (field: string, input: unknown) => ({ type: 'missing', loc: ['body', field], msg: 'Field required', input });
    await expect(JSON.stringify(noName), 422, invalid(missing('client_name', noName)), 'no client_name');
    await expect(JSON.stringify(noUris), 422, invalid(missing('redirect_uris', noUris)), 'no redirect_uris');
    await expect('{}', 422, invalid(missing('redirect_uris', {}), missing('client_name', {})), 'empty object');
  });

  test('an explicit null for a required field is a type error (pydantic), not missing', async () => {
    const nulls = { client_name: null, redirect_uris: null };
    await expect(
      JSON.stringify(nulls),
      422,
      invalid(
        { type: 'list_type', loc: ['body', 'redirect_uris'], msg: 'Input should be a valid list', input: null },
        { type: 'string_type', loc: ['body', 'client_name'], msg: 'Input should be a valid string', input: null },
      ),
      'nulls',
    );
  });

  // polar-sdk-surface.md: only the four URIs are `Optional`; the other optional fields have
  // defaults but are not nullable, so Pydantic refuses an explicit null for them.
  test('null for an optional field: the URIs mean omitted; grant_types, response_types, scope, default_sub_type → 422', async () => {
    const nulls = { grant_types: null, response_types: null, scope: null, default_sub_type: null };
    await expect(
      JSON.stringify({ ...OK, ...nulls }),
      422,
      invalid(
        { type: 'list_type', loc: ['body', 'grant_types'], msg: 'Input should be a valid list', input: null },
        { type: 'list_type', loc: ['body', 'response_types'], msg: 'Input should be a valid list', input: null },
        { type: 'string_type', loc: ['body', 'scope'], msg: 'Input should be a valid string', input: null },
        { type: 'enum', loc: ['body', 'default_sub_type'], msg: "Input should be 'user' or 'organization'", input: null, ctx: { expected: "'user' or 'organization'" } },
      ),
      'nulls',
    );
    const uris = { client_uri: null, logo_uri: null, tos_uri: null, policy_uri: null };
    assert.equal((await post(JSON.stringify({ ...OK, ...uris }))).status, 201);
  });

  test('wrong types and values → 422, every problem in one body, in field order', async () => {
    const cases: [Record<string, unknown>, Record<string, unknown>[]][] = [
      [{ client_name: 42 }, [{ type: 'string_type', loc: ['body', 'client_name'], msg: 'Input should be a valid string', input: 42 }]],
      [{ client_name: true }, [{ type: 'string_type', loc: ['body', 'client_name'], msg: 'Input should be a valid string', input: true }]],
      [{ redirect_uris: 'https://bad.example/cb' }, [{ type: 'list_type', loc: ['body', 'redirect_uris'], msg: 'Input should be a valid list', input: 'https://bad.example/cb' }]],
      [{ redirect_uris: [42] }, [{ type: 'url_type', loc: ['body', 'redirect_uris', 0], msg: 'URL input should be a string or URL', input: 42 }]],
      [
        { redirect_uris: ['https://bad.example/cb', 'no scheme'] },
        [{ type: 'url_parsing', loc: ['body', 'redirect_uris', 1], msg: 'Input should be a valid URL, relative URL without a base', input: 'no scheme', ctx: { error: 'relative URL without a base' } }],
      ],
      [
        { token_endpoint_auth_method: 'private_key_jwt' },
        [{ type: 'literal_error', loc: ['body', 'token_endpoint_auth_method'], msg: `Input should be ${AUTH_METHODS}`, input: 'private_key_jwt', ctx: { expected: AUTH_METHODS } }],
      ],
      [{ grant_types: ['authorization_code', 'web'] }, [{ type: 'literal_error', loc: ['body', 'grant_types', 1], msg: `Input should be ${GRANTS}`, input: 'web', ctx: { expected: GRANTS } }]],
      [{ grant_types: ['implicit'] }, [{ type: 'literal_error', loc: ['body', 'grant_types', 0], msg: `Input should be ${GRANTS}`, input: 'implicit', ctx: { expected: GRANTS } }]],
      [{ grant_types: 'authorization_code' }, [{ type: 'list_type', loc: ['body', 'grant_types'], msg: 'Input should be a valid list', input: 'authorization_code' }]],
      [{ response_types: ['token'] }, [{ type: 'literal_error', loc: ['body', 'response_types', 0], msg: "Input should be 'code'", input: 'token', ctx: { expected: "'code'" } }]],
      [{ scope: ['openid'] }, [{ type: 'string_type', loc: ['body', 'scope'], msg: 'Input should be a valid string', input: ['openid'] }]],
      [
        { default_sub_type: 'team' },
        // Polar's field is an Enum (SubType): Pydantic's `enum`, where the others are Literals.
        [{ type: 'enum', loc: ['body', 'default_sub_type'], msg: "Input should be 'user' or 'organization'", input: 'team', ctx: { expected: "'user' or 'organization'" } }],
      ],
      [
        { tos_uri: 5, policy_uri: {} },
        [
          { type: 'url_type', loc: ['body', 'tos_uri'], msg: 'URL input should be a string or URL', input: 5 },
          { type: 'url_type', loc: ['body', 'policy_uri'], msg: 'URL input should be a string or URL', input: {} },
        ],
      ],
      [
        { client_name: 1, grant_types: ['web'], token_endpoint_auth_method: 'x' },
        [
          { type: 'literal_error', loc: ['body', 'token_endpoint_auth_method'], msg: `Input should be ${AUTH_METHODS}`, input: 'x', ctx: { expected: AUTH_METHODS } },
          { type: 'literal_error', loc: ['body', 'grant_types', 0], msg: `Input should be ${GRANTS}`, input: 'web', ctx: { expected: GRANTS } },
          { type: 'string_type', loc: ['body', 'client_name'], msg: 'Input should be a valid string', input: 1 },
        ],
      ],
    ];
    for (const [fields, detail] of cases) await expect(JSON.stringify({ ...OK, ...fields }), 422, invalid(...detail), JSON.stringify(fields));
    // Pydantic 2.13's own answers for these inputs (its Rust URL parser's reasons), checked there.
    const parsing = (loc: (string | number)[], input: string, error: string) => ({ type: 'url_parsing', loc, msg: `Input should be a valid URL, ${error}`, input, ctx: { error } });
    const reasons: [string, string][] = [
      ['not a url', 'relative URL without a base'],
      ['https://', 'empty host'],
      ['http://[::1/', 'invalid IPv6 address'],
      ['https://a.example:99999/', 'invalid port number'],
      ['http://999.1.1.1/', 'invalid IPv4 address'],
      ['https://a b.example/', 'invalid international domain name'],
      ['https://:80/', 'empty host'], ['http://[::1]:x/', 'invalid port number'],
      ['', 'input is empty'],
    ];
    for (const field of ['logo_uri', 'tos_uri', 'policy_uri']) {
      for (const [input, error] of reasons) await expect(JSON.stringify({ ...OK, [field]: input }), 422, invalid(parsing(['body', field], input, error)), input);
      const scheme = { type: 'url_scheme', loc: ['body', field], msg: "URL scheme should be 'http' or 'https'", input: 'ftp://a.example/l.png', ctx: { expected_schemes: "'http' or 'https'" } };
      await expect(JSON.stringify({ ...OK, [field]: 'ftp://a.example/l.png' }), 422, invalid(scheme), field);
    }
    for (const [input, error] of reasons) {
      await expect(JSON.stringify({ ...OK, redirect_uris: [input] }), 422, invalid(parsing(['body', 'redirect_uris', 0], input, error)), input);
    }
  });

  test("URLs over 2,083 characters (Pydantic's HttpUrl) and a client_name over 255 → 422; at the limits, 201", async () => {
    const url = (length: number) => `https://bad.example/${'a'.repeat(length - 'https://bad.example/'.length)}`;
    const long = url(2084);
    const tooLong = (loc: (string | number)[]) => ({ type: 'url_too_long', loc, msg: 'URL should have at most 2083 characters', input: long, ctx: { max_length: 2083 } });
    const name = 'n'.repeat(256);
    await expect(
      JSON.stringify({ ...OK, client_name: name, redirect_uris: ['https://bad.example/cb', long], logo_uri: long }),
      422,
      invalid(
        tooLong(['body', 'redirect_uris', 1]),
        { type: 'string_too_long', loc: ['body', 'client_name'], msg: 'String should have at most 255 characters', input: name, ctx: { max_length: 255 } },
        tooLong(['body', 'logo_uri']),
      ),
      'too long',
    );
    const atLimits = await post(JSON.stringify({ ...OK, client_name: 'n'.repeat(255), redirect_uris: [url(2083)], tos_uri: url(2083) }));
    assert.equal(atLimits.status, 201, atLimits.text);
    // Characters, as Pydantic counts them: 255 emoji (510 UTF-16 units) fit, 256 do not.
    assert.equal((await post(JSON.stringify({ ...OK, client_name: '😀'.repeat(255) }))).status, 201);
    const emoji = '😀'.repeat(256);
    const tooMany = { type: 'string_too_long', loc: ['body', 'client_name'], msg: 'String should have at most 255 characters', input: emoji, ctx: { max_length: 255 } };
    await expect(JSON.stringify({ ...OK, client_name: emoji }), 422, invalid(tooMany), '256 emoji');
  });

  test('NUL characters in any string → 422', async () => {
    const nul = (loc: (string | number)[], input: string) => ({ type: 'value_error', loc, msg: 'Value error, NUL characters are not allowed', input });
    const cases: [Record<string, unknown>, Record<string, unknown>][] = [
      [{ client_name: 'a\u0000b' }, nul(['body', 'client_name'], 'a\u0000b')],
      [{ redirect_uris: ['https://bad.example/\u0000'] }, nul(['body', 'redirect_uris', 0], 'https://bad.example/\u0000')],
      [{ scope: 'openid\u0000' }, nul(['body', 'scope'], 'openid\u0000')],
      [{ client_uri: 'https://bad.example/\u0000' }, nul(['body', 'client_uri'], 'https://bad.example/\u0000')],
      [{ logo_uri: 'https://bad.example/\u0000.png' }, nul(['body', 'logo_uri'], 'https://bad.example/\u0000.png')],
    ];
    for (const [fields, problem] of cases) await expect(JSON.stringify({ ...OK, ...fields }), 422, invalid(problem), JSON.stringify(fields));
  });

  test('second layer → 400 invalid_client_metadata: fragments, script schemes, reserved or unknown scopes, hostless client_uri', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ redirect_uris: ['https://bad.example/cb#frag'] }, 'redirect_uris'],
      [{ redirect_uris: ['https://bad.example/cb', 'https://bad.example/cb#'] }, 'redirect_uris'],
      [{ redirect_uris: ['myapp://cb#x'] }, 'redirect_uris'],
      [{ redirect_uris: ['http://127.0.0.1:9999/cb#x'] }, 'redirect_uris'],
      // Schemes a browser would run or read locally, with or without a "host".
      ...['javascript:alert(1)', 'javascript://x/%0Aalert(1)', 'JavaScript:alert(1)', 'vbscript:msgbox', 'data:text/html,<script>alert(1)</script>', 'file:///etc/passwd', 'blob:https://a.example/x', 'about:blank'].map(
        (uri): [Record<string, unknown>, string] => [{ redirect_uris: ['https://ok.example/cb', uri] }, 'redirect_uris'],
      ),
      [{ scope: 'organization_access_tokens:read' }, 'scope'],
      [{ scope: 'openid organization_access_tokens:write' }, 'scope'],
      [{ scope: 'nope' }, 'scope'],
      [{ scope: 'openid nope' }, 'scope'],
      [{ scope: 'OPENID' }, 'scope'],
      // Space-delimited (RFC 6749 §3.3); authlib's split would also cut at these.
      [{ scope: 'openid\temail' }, 'scope'],
      [{ scope: 'openid\nemail' }, 'scope'],
      [{ scope: 'openid\u00a0email' }, 'scope'],
      [{ client_uri: 'not a url' }, 'client_uri'],
      [{ client_uri: 'https://bad.example/#about' }, 'client_uri'],
      // Not Polar's (authlib wants a scheme and a host): the pages show it as a link.
      [{ client_uri: 'ftp://bad.example/' }, 'client_uri'],
      [{ client_uri: 'javascript://bad.example/%0Aalert(1)' }, 'client_uri'],
      [{ logo_uri: 'https://bad.example/logo.png#x' }, 'logo_uri'],
    ];
    for (const [fields, claim] of cases) await expect(JSON.stringify({ ...OK, ...fields }), 400, badClaim(claim), JSON.stringify(fields));
  });

  test('a body over 64 KiB → 413; just under is fine', async () => {
    const big = JSON.stringify({ ...OK, client_name: 'x'.repeat(70 * 1024) });
    const result = await post(big);
    assert.equal(result.status, 413);
    assert.equal(result.headers.get('content-type'), 'application/json');
    assert.equal(JSON.parse(result.text).error, 'invalid_request');
    // 30 redirect URIs of 2,000 characters each: 60 KiB, every field within its own limit.
    const redirect_uris = Array.from({ length: 30 }, (_, i) => `https://bad.example/${i}/${'x'.repeat(1990)}`);
    const justUnder = await post(JSON.stringify({ ...OK, redirect_uris }));
    assert.equal(justUnder.status, 201, justUnder.text.slice(0, 300));
  });

  const DEPTH = 10_000;
  const ARRAYS = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
  const OBJECTS = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
  const NESTED: [string, string][] = [
    ['10000 unclosed [', '['.repeat(DEPTH)],
    ['10000 nested arrays', ARRAYS],
    ['10000 nested objects', OBJECTS],
    ['nested arrays as a redirect URI', `{"client_name":"x","redirect_uris":[${ARRAYS}]}`],
    ['nested arrays as client_name', `{"client_name":${ARRAYS},"redirect_uris":["https://bad.example/cb"]}`],
    ['nested objects as an unknown field of an invalid body', `{"extra":${OBJECTS}}`],
  ];

  test('deeply nested JSON is a 4xx, never a 5xx, and the server keeps answering', async () => {
    for (const [label, raw] of NESTED) {
      const result = await post(raw);
      assert.ok(result.status >= 400 && result.status < 500, `${label}: ${result.status} ${result.text.slice(0, 200)}`);
    }
    // Nesting is bounded before the body is walked (pitfalls.md), even in a field that would be dropped.
    const deep = await post(`{"client_name":"x","redirect_uris":["https://bad.example/cb"],"extra":${ARRAYS}}`);
    assert.equal(deep.status, 422, deep.text.slice(0, 200));
    assert.match(deep.text, /"ctx":\{"error":"Nesting deeper than 32 levels"\}/);
    assert.equal((await post(JSON.stringify(OK))).status, 201);
  });

  test('deeply nested JSON gets a shape-C body, not the framework default leaking an internal error', async () => {
    for (const [label, raw] of NESTED) {
      const result = await post(raw);
      assert.equal(result.status, 422, label);
      // Regression: echoing a deeply nested input once overflowed the serializer's stack.
      assert.equal(result.headers.get('content-type'), 'application/json', label);
      const body = JSON.parse(result.text) as Record<string, unknown>;
      assert.equal(body.error, 'RequestValidationError', `${label}: ${result.text.slice(0, 200)}`);
      assert.ok(Array.isArray(body.detail), label);
      assert.equal(result.text.includes('call stack'), false, label);
    }
  });
});
