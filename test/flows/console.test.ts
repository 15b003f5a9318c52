/**
 * The developer console (/settings/oauth) over HTTP; test/browser/console.test.ts drives it in
 * a browser. Its rules are registration's (polar-oauth2.md §3.11–3.12).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleCreate, consolePost } from '../support/console.js';
import { aUser, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('developer console', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  // §3.11: a public client's secret is stored but never shown; shown, it could not be used at
  // the token endpoint, and it would authenticate the client at revocation and introspection.
  test('a public client: no secret shown at creation, no rotation, none ever revealed', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const created = await consoleCreate(server, cookie, { token_endpoint_auth_method: 'none' });
    assert.equal(created.status, 201);
    assert.equal(created.text.includes('Copy the client secret now'), false);
    assert.equal(created.text.includes('polar_cs_'), false);
    assert.ok(created.text.includes('A public client (authentication: none) has no secret; it proves itself with PKCE.'));
    assert.equal(created.text.includes('/rotate-secret'), false);

    const { items } = await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10);
    const client = items[0];
    assert.ok(client);
    const before = client.clientSecretHash;
    const rotated = await consolePost(server, cookie, `/settings/oauth/apps/${client.clientId}/rotate-secret`, {});
    assert.equal(rotated.status, 400);
    assert.ok(rotated.text.includes('A public client has no secret to rotate.'));
    assert.equal(rotated.text.includes('polar_cs_'), false);
    assert.equal((await server.borealis.ctx.store.clients.findByClientId(client.clientId))?.clientSecretHash, before);
  });

  test('a confidential client: the secret is shown once at creation, and rotation shows the new one', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie);
    assert.equal(created.status, 201);
    const secret = /id="client-secret">(polar_cs_\w{43})</.exec(created.text)?.[1];
    assert.ok(secret, 'the secret is shown');
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1];
    const rotated = await consolePost(server, cookie, `/settings/oauth/apps/${clientId}/rotate-secret`, {});
    assert.equal(rotated.status, 200);
    const next = /id="client-secret">(polar_cs_\w{43})</.exec(rotated.text)?.[1];
    assert.ok(next && next !== secret, 'a new secret is shown');
  });
});
