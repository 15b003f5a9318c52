import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authlibJson } from '../../src/http/json.js';
import { insufficientScope, invalidClient, invalidToken } from '../../src/oauth/errors.js';

describe('wire errors (polar-oauth2.md §2.3, §2.4)', () => {
  test('invalid_token: 401, Bearer challenge with realm, error and description', () => {
    const error = invalidToken();
    assert.equal(error.status, 401);
    assert.equal(
      error.headers['www-authenticate'],
      'Bearer realm="polar", error="invalid_token", error_description="The access token provided is expired, revoked, malformed, or invalid for other reasons."',
    );
    assert.equal(
      authlibJson(error.body()),
      '{"error": "invalid_token", "error_description": "The access token provided is expired, revoked, malformed, or invalid for other reasons."}',
    );
  });

  test('insufficient_scope: 403 and the required scope in the challenge (RFC 6750 §3.1)', () => {
    const error = insufficientScope('openid email');
    assert.equal(error.status, 403);
    assert.equal(
      error.headers['www-authenticate'],
      'Bearer realm="polar", scope="openid email", error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token."',
    );
  });

  test('invalid_client over Basic: 401 and quotes in the description become |', () => {
    const error = invalidClient('a "quoted" word', true);
    assert.equal(error.status, 401);
    assert.equal(error.headers['www-authenticate'], 'Basic error="invalid_client", error_description="a |quoted| word"');
    assert.equal(invalidClient('x', false).status, 400);
  });

  test('authlib JSON: Python separators and ASCII escapes, keys in insertion order', () => {
    assert.equal(authlibJson({ b: 1, a: ['é', null, true], c: { d: 'x"y' } }), '{"b": 1, "a": ["\\u00e9", null, true], "c": {"d": "x\\"y"}}');
    // Python's json.dumps escapes all outside space…`~`: DEL too, controls as JSON.stringify does.
    assert.equal(authlibJson({ s: '\x7f\u00e9\x01\n' }), '{"s": "\\u007f\\u00e9\\u0001\\n"}');
    // Undefined members are left out (as Python never has them); empty containers stay empty.
    assert.equal(authlibJson({ skipped: undefined, a: {}, b: [], c: undefined, d: [[1, 2], { e: 'ü' }] }), '{"a": {}, "b": [], "d": [[1, 2], {"e": "\\u00fc"}]}');
  });
});
