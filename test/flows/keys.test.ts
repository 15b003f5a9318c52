/** Signing-key rotation: publish first, sign later, keep the old key until its id_tokens expire. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { KEY_REFRESH_SECONDS, PUBLISH_AHEAD, RETIRED_KEY_LIFETIME } from '../../src/keys/key-ring.js';
import { aClient, aUser, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, fakeClock, startServer } from '../support/server.js';

describe('signing keys', () => {
  const clock = fakeClock();
  let server: TestServer;
  let second: TestServer;
  before(async () => {
    server = await startServer({ now: clock });
    // A second instance on the same database, as in a multi-process deployment.
    second = await startServer({ now: clock, database: server.database });
  });
  after(async () => {
    await second.close();
    await server.close();
  });

  const jwks = async (s: TestServer) => (await (await fetch(`${s.url}/.well-known/jwks.json`)).json()) as { keys: { kid: string }[] };
  const refreshAll = () => Promise.all([server, second].map((s) => s.borealis.ctx.keys.load(clock())));

  test('two instances on one database agree on the signer from the first start', async () => {
    assert.deepEqual(await jwks(server), await jwks(second));
    assert.equal(server.borealis.ctx.keys.current(clock()).kid, second.borealis.ctx.keys.current(clock()).kid);
    assert.equal((await jwks(server)).keys.length, 1);
  });

  // OIDC Core §10.1.1: a new key is in the JWKS before it is used, also in copies cached by relying
  // parties and CDNs. The worst case: a copy fetched from an instance that has not re-read the keys yet.
  test("a JWKS copy cached before a rotation has expired before the new key signs", async () => {
    const response = await fetch(`${server.url}/.well-known/jwks.json`);
    const maxAge = Number(/(?:^|,\s*)max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
    assert.ok(maxAge > 0, response.headers.get('cache-control') ?? 'no cache-control');
    assert.ok(KEY_REFRESH_SECONDS + maxAge < PUBLISH_AHEAD, `max-age ${maxAge} s, refresh ${KEY_REFRESH_SECONDS} s, new keys sign after ${PUBLISH_AHEAD} s`);
    // The metadata and the keys alike (docs/compatibility.md: Polar sends no Cache-Control there).
    for (const path of ['/.well-known/jwks.json', '/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      assert.equal((await fetch(`${server.url}${path}`)).headers.get('cache-control'), 'public, max-age=300', path);
    }
  });

  test('rotate → published at once, signs after PUBLISH_AHEAD, old key kept until its tokens expire, then pruned', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const oldKid = server.borealis.ctx.keys.current(clock()).kid;

    const rotated = await server.borealis.ctx.keys.rotate(clock());
    await refreshAll();
    for (const s of [server, second]) {
      assert.deepEqual((await jwks(s)).keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort());
      assert.equal(s.borealis.ctx.keys.current(clock()).kid, oldKid, 'not signing before its start');
    }

    // The switch happens at the start time itself, on every instance, without waiting for the
    // next refresh: before it, a retired key would sign for up to KEY_REFRESH_SECONDS more.
    clock.advance(PUBLISH_AHEAD - 1);
    for (const s of [server, second]) assert.equal(s.borealis.ctx.keys.current(clock()).kid, oldKid);
    clock.advance(1);
    for (const s of [server, second]) assert.equal(s.borealis.ctx.keys.current(clock()).kid, rotated.kid);
    await refreshAll();
    for (const s of [server, second]) assert.equal(s.borealis.ctx.keys.current(clock()).kid, rotated.kid);
    const { id_token } = await tokensFor(server, client, cookie);
    assert.equal(decodeProtectedHeader(id_token as string).kid, rotated.kid);
    await jwtVerify(id_token as string, createLocalJWKSet((await jwks(second)) as never), { currentDate: new Date(clock() * 1000) });

    clock.advance(RETIRED_KEY_LIFETIME - 1);
    await refreshAll();
    assert.equal((await jwks(server)).keys.length, 2, 'still published while its id_tokens may be alive');
    assert.deepEqual(await server.borealis.ctx.store.signingKeys.prune(clock()), []);

    clock.advance(2);
    assert.deepEqual(await server.borealis.ctx.store.signingKeys.prune(clock()), [oldKid]);
    await refreshAll();
    for (const s of [server, second]) assert.deepEqual((await jwks(s)).keys.map((k) => k.kid), [rotated.kid]);
  });

  // An emergency: the key must stop signing now, not in six minutes.
  test('rotate --now: the new key signs at once on every instance after its refresh; the old one stays published', async () => {
    const oldKid = server.borealis.ctx.keys.current(clock()).kid;
    const rotated = await server.borealis.ctx.keys.rotate(clock(), true);
    assert.equal(server.borealis.ctx.keys.current(clock()).kid, rotated.kid);
    await refreshAll();
    for (const s of [server, second]) {
      assert.equal(s.borealis.ctx.keys.current(clock()).kid, rotated.kid);
      assert.deepEqual((await jwks(s)).keys.map((k) => k.kid).sort(), [oldKid, rotated.kid].sort());
    }
  });

  // A rotation withdrawn before its key signs: the key that signs now is not compromised, and no
  // unpublished key may take over on the spot.
  test('withdraw a rotated-in key before it signs: the current key signs on, still live; nothing new is made', async () => {
    const signing = server.borealis.ctx.keys.current(clock()).kid;
    const pending = await server.borealis.ctx.keys.rotate(clock());
    assert.equal(await server.borealis.ctx.store.signingKeys.withdraw(pending.kid, clock()), true);
    await refreshAll();
    const stored = await server.borealis.ctx.store.signingKeys.list();
    assert.deepEqual(
      stored.filter((k) => k.retiredAt === null).map((k) => k.kid),
      [signing],
      'the current key is live again, and no new key was generated',
    );
    clock.advance(PUBLISH_AHEAD + 1);
    await refreshAll();
    for (const s of [server, second]) {
      assert.equal(s.borealis.ctx.keys.current(clock()).kid, signing, 'it still signs after the withdrawn key would have started');
      assert.equal((await jwks(s)).keys.some((k) => k.kid === pending.kid), false);
    }
  });

  // A leaked key: out of the JWKS at once, so what it signed stops verifying; a new key signs.
  test('withdraw: the signing key leaves the JWKS and its id_tokens stop verifying; a new key signs at once', async () => {
    const client = await aClient(server);
    const cookie = await signIn(server, await aUser(server));
    const { id_token } = await tokensFor(server, client, cookie);
    const leaked = decodeProtectedHeader(id_token as string).kid as string;
    assert.equal(leaked, server.borealis.ctx.keys.current(clock()).kid);

    assert.equal(await server.borealis.ctx.store.signingKeys.withdraw(leaked, clock()), true);
    assert.equal(await server.borealis.ctx.store.signingKeys.withdraw(leaked, clock()), false);
    await refreshAll();
    for (const s of [server, second]) {
      const published = await jwks(s);
      assert.equal(published.keys.some((k) => k.kid === leaked), false);
      assert.notEqual(s.borealis.ctx.keys.current(clock()).kid, leaked);
      await assert.rejects(jwtVerify(id_token as string, createLocalJWKSet(published as never), { currentDate: new Date(clock() * 1000) }));
    }
    assert.equal(server.borealis.ctx.keys.current(clock()).kid, second.borealis.ctx.keys.current(clock()).kid, 'both agree on the new signer');
    const fresh = await tokensFor(server, client, cookie);
    await jwtVerify(fresh.id_token as string, createLocalJWKSet((await jwks(second)) as never), { currentDate: new Date(clock() * 1000) });
  });
});
