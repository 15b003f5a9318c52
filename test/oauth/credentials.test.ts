import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { CREDENTIAL_PREFIX, Credentials, checksum, safeEqual } from '../../src/oauth/credentials.js';

const credentials = new Credentials('s'.repeat(40), 'polar_');

describe('credentials (polar-oauth2.md §2.1, §2.2)', () => {
  test('every kind is prefix + 37 base62 + 6-char CRC32 checksum', () => {
    for (const kind of Object.keys(CREDENTIAL_PREFIX) as (keyof typeof CREDENTIAL_PREFIX)[]) {
      const value = credentials.mint(kind);
      const prefix = `polar_${CREDENTIAL_PREFIX[kind]}`;
      assert.ok(value.startsWith(prefix));
      assert.equal(value.length, prefix.length + 43);
      assert.match(value.slice(prefix.length), /^[0-9A-Za-z]{43}$/);
      assert.ok(credentials.isWellFormed(value, kind));
    }
    assert.equal(credentials.mint('clientId').length, 52);
  });

  test('the checksum is CRC32 in base62 (0-9A-Za-z), left-padded to 6', () => {
    // CRC32("a") = 0xe8b7be43 = 3904355907; in base62 that is "4GEHKN" (checked with Python zlib).
    assert.equal(checksum("a"), "4GEHKN");
    assert.equal(checksum(''), '000000');
  });

  test('a flipped character, wrong prefix, non-ASCII or wrong length is not well-formed', () => {
    const value = credentials.mint('userRefreshToken');
    const flipped = value.slice(0, 20) + (value[20] === 'a' ? 'b' : 'a') + value.slice(21);
    assert.equal(credentials.isWellFormed(flipped, 'userRefreshToken'), false);
    assert.equal(credentials.isWellFormed(value, 'userAccessToken'), false);
    assert.equal(credentials.isWellFormed(value.slice(0, -1) + 'é', 'userRefreshToken'), false);
    assert.equal(credentials.isWellFormed(value + 'x', 'userRefreshToken'), false);
  });

  test('the namespace is configurable', () => {
    const other = new Credentials('s'.repeat(40), 'acme_');
    assert.match(other.mint('userAccessToken'), /^acme_at_u_[0-9A-Za-z]{43}$/);
  });

  test('the stored form is HMAC-SHA256(secret, value) in lowercase hex', () => {
    const value = credentials.mint('authorizationCode');
    assert.equal(credentials.hash(value), createHmac('sha256', 's'.repeat(40)).update(value).digest('hex'));
  });

  test('safeEqual compares whole values of any length', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});
