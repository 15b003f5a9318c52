import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { CREDENTIAL_PREFIX, Credentials, checksum, safeEqual, tokenSelector } from '../../src/oauth/credentials.js';

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

  test('a token selector is the time in ms × 2048 plus 11 random bits, and leads the random part in base62', () => {
    const now = Date.UTC(2026, 10, 29);
    const selectors = Array.from({ length: 200 }, () => tokenSelector(now));
    for (const selector of selectors) assert.ok(selector >= now * 2048 && selector < (now + 1) * 2048);
    assert.ok(new Set(selectors).size > 150); // the low bits are random
    const value = credentials.mint('userAccessToken', selectors[0]);
    assert.ok(credentials.isWellFormed(value, 'userAccessToken'));
    const random = value.slice('polar_at_u_'.length, -6);
    let decoded = 0;
    for (const c of random.slice(0, 9)) decoded = decoded * 62 + '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'.indexOf(c);
    assert.equal(decoded, selectors[0]);
    assert.notEqual(random.slice(9), credentials.mint('userAccessToken', selectors[0]).slice('polar_at_u_'.length + 9, -6));
  });

  test('tokenKey: the selector in 14 hex digits, then the HMAC; the HMAC alone for rows from before selectors', () => {
    const selector = tokenSelector();
    const value = credentials.mint('userRefreshToken', selector);
    const hmac = credentials.hash(value);
    assert.deepEqual(credentials.tokenKey(value), { hash: selector.toString(16).padStart(14, '0') + hmac, legacyHash: hmac });
    // Nine characters that decode past 2^53 cannot be a selector: only the HMAC is tried.
    const random = 'z'.repeat(37);
    const unselected = `polar_rt_u_${random}${checksum(random)}`;
    assert.deepEqual(credentials.tokenKey(unselected), { hash: credentials.hash(unselected), legacyHash: null });
  });

  test('later tokens get greater keys, so their index grows at its end', () => {
    const keys = [0, 1, 2, 1000, 86_400_000].map((offset) => credentials.tokenKey(credentials.mint('userAccessToken', tokenSelector(Date.UTC(2026, 0, 1) + offset))).hash);
    assert.deepEqual([...keys].sort(), keys);
  });

  test('verifySecret: a client secret matches the HMAC stored for it, also once remembered, and no other', () => {
    const fresh = new Credentials('s'.repeat(40), 'polar_');
    const [secret, rotated] = [fresh.mint('clientSecret'), fresh.mint('clientSecret')];
    const [stored, storedAfterRotation] = [fresh.hash(secret), fresh.hash(rotated)];
    assert.equal(fresh.verifySecret(secret, stored), true);
    assert.equal(fresh.verifySecret(secret, stored), true, 'remembered');
    // Remembered for the old stored hash, the secret must not match the client's new one.
    assert.equal(fresh.verifySecret(secret, storedAfterRotation), false);
    assert.equal(fresh.verifySecret(rotated, storedAfterRotation), true);
    assert.equal(fresh.verifySecret(rotated, stored), false);
    assert.equal(fresh.verifySecret(`${secret}x`, stored), false);
    assert.equal(fresh.verifySecret('', stored), false);
    // Another server secret: the same value has another HMAC, and nothing remembered carries over.
    assert.equal(new Credentials('t'.repeat(40), 'polar_').verifySecret(secret, stored), false);
    // Past the bound the oldest are forgotten, and every secret still verifies by its HMAC.
    const many = Array.from({ length: 1100 }, () => fresh.mint('clientSecret'));
    for (const value of many) assert.equal(fresh.verifySecret(value, fresh.hash(value)), true);
    for (const value of many) assert.equal(fresh.verifySecret(value, fresh.hash(value)), true);
    assert.equal(fresh.verifySecret(many[0] as string, stored), false);
  });

  test('safeEqual compares whole values of any length', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});
