/**
 * @polar-sh/sdk 0.49.0 `oauth2.clients.*` against Borealis's RFC 7591/7592 endpoints. The SDK
 * authenticates with `accessToken` as Bearer: the registration access token for get/update/delete.
 * SDK limitation (docs/compatibility.md): `clients.create()` accepts only 200, while RFC 7591 and
 * Polar answer 201 — it throws, with the created client in the error's body.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Polar } from '@polar-sh/sdk';
import { SDKError } from '@polar-sh/sdk/models/errors/sdkerror.js';
import { type TestServer, startServer } from '../support/server.js';

describe('@polar-sh/sdk 0.49.0 oauth2.clients', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('create (201: the SDK throws, body intact), get, update, delete, then gone', async () => {
    const anonymous = new Polar({ serverURL: server.url });
    let created: Record<string, unknown> = {};
    await assert.rejects(
      anonymous.oauth2.clients.create({ clientName: 'SDK App', redirectUris: ['https://sdk.example/cb'], scope: 'openid email' }),
      (error: unknown) => {
        assert.ok(error instanceof SDKError);
        assert.equal(error.statusCode, 201);
        created = JSON.parse(error.body) as Record<string, unknown>;
        return true;
      },
    );
    const clientId = String(created.client_id);
    assert.match(clientId, /^polar_ci_/);
    assert.equal(created.token_endpoint_auth_method, 'client_secret_post');

    const owner = new Polar({ serverURL: server.url, accessToken: String(created.registration_access_token) });
    const read = (await owner.oauth2.clients.get({ clientId })) as Record<string, unknown>;
    assert.equal(read.client_id, clientId);
    assert.equal(read.client_secret, created.client_secret);
    assert.deepEqual(read.redirect_uris, ['https://sdk.example/cb']);

    const updated = (await owner.oauth2.clients.update({
      clientId,
      oAuth2ClientConfigurationUpdate: { clientId, clientName: 'SDK App 2', redirectUris: ['https://sdk.example/cb2'], scope: 'openid' },
    })) as Record<string, unknown>;
    assert.equal(updated.client_name, 'SDK App 2');
    assert.deepEqual(updated.redirect_uris, ['https://sdk.example/cb2']);
    assert.equal(updated.scope, 'openid');

    await owner.oauth2.clients.delete({ clientId });
    await assert.rejects(owner.oauth2.clients.get({ clientId }), (error: unknown) => {
      assert.ok(error instanceof SDKError);
      assert.equal(error.statusCode, 401);
      assert.equal(error.body, '{"error": "invalid_client", "error_description": "The client does not exist on this server."}');
      return true;
    });
  });

  test('a wrong registration token is refused', async () => {
    const response = await fetch(`${server.url}/v1/oauth2/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_name: 'X', redirect_uris: ['https://x.example/cb'] }),
    });
    const { client_id } = (await response.json()) as { client_id: string };
    const stranger = new Polar({ serverURL: server.url, accessToken: `polar_crt_${'A'.repeat(43)}` });
    await assert.rejects(stranger.oauth2.clients.get({ clientId: client_id }), (error: unknown) => {
      assert.ok(error instanceof SDKError);
      assert.equal(error.statusCode, 401);
      return true;
    });
  });
});
