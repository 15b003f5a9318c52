/**
 * Clients are counted by their block of addresses (src/accounts/address-block.ts): an IPv6
 * client, usually given a whole /64, cannot escape sign-in lockout or a rate limit by moving
 * through it. Found by an audit: 25 sign-ins and 35 registrations, each from another address
 * of one /64, were all let through. A forwarded address with a port counts without it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { addressBlock } from '../../src/accounts/address-block.js';
import { SIGN_IN_POLICY, signInWithPassword } from '../../src/accounts/sign-in.js';
import { ENGINE, type TestServer, startServer } from '../support/server.js';

test('an IPv4 address is its own block; an IPv6 address counts by its /64, however it is written', () => {
  assert.equal(addressBlock('203.0.113.7'), '203.0.113.7');
  for (const written of ['2001:db8:1:2::1', '2001:0db8:0001:0002:0000:0000:0000:0001', '2001:DB8:1:2:ffff:ffff:ffff:ffff', '2001:db8:1:2::192.0.2.1', 'fe80::1%eth0'.replace('fe80::', '2001:db8:1:2::')]) {
    assert.equal(addressBlock(written), '2001:db8:1:2::/64', written);
  }
  assert.equal(addressBlock('2001:db8:1:3::1'), '2001:db8:1:3::/64');
  assert.equal(addressBlock('::1'), '0:0:0:0::/64');
  assert.equal(addressBlock('1::'), '1:0:0:0::/64');
  assert.equal(addressBlock('fe80::1%eth0'), 'fe80:0:0:0::/64');
});

test('an IPv6 address carrying an IPv4 one (mapped, NAT64, SIIT, compatible) is that IPv4 address; anything else is left as it is', () => {
  assert.equal(addressBlock('::ffff:203.0.113.7'), '203.0.113.7');
  assert.equal(addressBlock('::FFFF:cb00:7107'), '203.0.113.7');
  // Translated to reach an IPv6-only server: each IPv4 client still counts apart.
  assert.equal(addressBlock('64:ff9b::203.0.113.7'), '203.0.113.7');
  assert.equal(addressBlock('64:ff9b::198.51.100.1'), '198.51.100.1');
  assert.equal(addressBlock('::ffff:0:203.0.113.7'), '203.0.113.7');
  assert.equal(addressBlock('::203.0.113.7'), '203.0.113.7');
  assert.equal(addressBlock('::'), '0:0:0:0::/64');
  assert.equal(addressBlock('sha256:0123abcd'), 'sha256:0123abcd');
  assert.equal(addressBlock('not an address'), 'not an address');
});

describe(`counted by block (${ENGINE})`, () => {
  let server: TestServer;
  before(async () => {
    server = await startServer({ env: { BOREALIS_TRUST_PROXY: 'true', BOREALIS_REGISTRATION_RATE_LIMIT: '3' } });
  });
  after(() => server.close());

  test("sign-in: failures from every address of one /64 add up to the address's limit; another /64 is not locked", async () => {
    const { accounts } = server.borealis;
    const limit = SIGN_IN_POLICY.ip.maxFailures;
    // Each attempt for another unknown address, so that only the client's count can lock.
    const attempt = (i: number, ip: string) => signInWithPassword(accounts, `nobody-${i}-${Date.now()}@example.com`, 'wrong', ip);
    for (let i = 1; i <= limit; i++) assert.equal((await attempt(i, `2001:db8:aa:1::${i.toString(16)}`)).ok, false);
    const locked = await attempt(limit + 1, '2001:db8:aa:1:dead:beef:0:1');
    assert.ok(!locked.ok && locked.lockedUntil > accounts.now(), 'past the limit, the /64 is locked');
    const elsewhere = await attempt(limit + 2, '2001:db8:aa:2::1');
    assert.ok(!elsewhere.ok && elsewhere.lockedUntil === 0, 'another /64 is counted apart');
  });

  /** A registration as a trusted proxy forwards it, for the client `forwardedFor` names. */
  const register = (forwardedFor: string) =>
    fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ client_name: 'Spray', redirect_uris: ['https://example.com/cb'] }),
    });

  test('registration: the per-address limit holds across one /64 (X-Forwarded-For from a trusted proxy)', async () => {
    for (let i = 1; i <= 3; i++) assert.equal((await register(`2001:db8:bb:1::${i}`)).status, 201);
    assert.equal((await register('2001:db8:bb:1:ffff::4')).status, 429);
    assert.equal((await register('::ffff:198.51.100.9')).status, 201);
    assert.equal((await register('2001:db8:bb:2::1')).status, 201);
  });

  test('a forwarded address with its port counts as the address: a new connection does not start a new count', async () => {
    for (const port of [40001, 40002, 40003]) assert.equal((await register(`198.51.100.20:${port}`)).status, 201);
    assert.equal((await register('198.51.100.20:40004')).status, 429);
    assert.equal((await register('198.51.100.20')).status, 429);
    for (const written of ['[2001:db8:cc:1::1]:443', '[2001:db8:cc:1::2]:443', '[2001:db8:cc:1::3]']) assert.equal((await register(written)).status, 201, written);
    assert.equal((await register('[2001:db8:cc:1::4]:8443')).status, 429);
    assert.equal((await register('198.51.100.21:40001')).status, 201);
  });
});
