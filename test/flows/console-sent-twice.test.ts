/**
 * Console forms sent twice: without JavaScript (assets/console.js and forms.js guard them in a
 * browser), a reload of the page a form's POST answered sends it again, as do a second click and
 * Back-and-send. A new app's form creates one app however often it is sent; a rotation's
 * confirmation rotates the secret it was shown for, once, so the secret shown stays the one in use.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { consoleCreate, consolePost, consoleRotate, newAppFields, rotationFields } from '../support/console.js';
import type { User } from '../../src/store/store.js';
import { REDIRECT_URI, aUser, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const SENT = 'This form was already sent, and created this app. Its secret is shown only once: if it did not reach you, rotate it below.';
const GONE = 'This form was already sent, and the app it created has since been deleted. Send the form again to create another app.';
const EXPIRED = 'This form has expired: check it and send it again.';

describe('console forms sent twice', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  const APP = { client_name: 'Twice', redirect_uris: REDIRECT_URI, scope: 'openid', token_endpoint_auth_method: 'client_secret_post' };
  const appsOf = async (user: User) => (await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10)).total;
  /** A new user, signed in: the user and the session's cookie. */
  const signedIn = async () => {
    const user = await aUser(server);
    return { user, cookie: await signIn(server, user) };
  };
  const hidden = (html: string, name: string) => new RegExp(`<input type="hidden" name="${name}" value="([^"]+)">`).exec(html)?.[1];

  test('a new app\'s form sent again creates nothing: 409, the app it created and the way to a new secret, no secret', async () => {
    const { user, cookie } = await signedIn();
    const fields = { ...(await newAppFields(server, cookie)), ...APP };
    const first = await consolePost(server, cookie, '/settings/oauth/new', fields);
    assert.equal(first.status, 201);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(first.text)?.[1] ?? '';
    // Its answer may never have arrived: the page sent again is that app's, saying what to do.
    const again = await consolePost(server, cookie, '/settings/oauth/new', fields);
    assert.equal(again.status, 409);
    assert.ok(again.text.includes(`id="client-id">${clientId}<`), again.text);
    assert.ok(again.text.includes(`<p class="notice" role="status">${SENT}</p>`), again.text);
    assert.ok(again.text.includes(`href="/settings/oauth/apps/${clientId}/rotate-secret">Rotate secret…</a>`));
    assert.equal(again.text.includes('polar_cs_'), false);
    assert.equal(await appsOf(user), 1);
  });

  test('sent again after its app was deleted: 409, the form as typed with an id of its own, which creates another', async () => {
    const { user, cookie } = await signedIn();
    const fields = { ...(await newAppFields(server, cookie)), ...APP };
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec((await consolePost(server, cookie, '/settings/oauth/new', fields)).text)?.[1] ?? '';
    await server.borealis.ctx.store.clients.delete(clientId, server.borealis.ctx.now());
    const again = await consolePost(server, cookie, '/settings/oauth/new', fields);
    assert.equal(again.status, 409);
    assert.ok(again.text.includes(`<p class="error" role="alert" id="form-error">${GONE}</p>`), again.text);
    assert.ok(again.text.includes('value="Twice"'), 'what was typed is kept');
    const next = { ...APP, app_id: hidden(again.text, 'app_id') ?? '', app_proof: hidden(again.text, 'app_proof') ?? '' };
    assert.notEqual(next.app_id, fields.app_id);
    assert.equal((await consolePost(server, cookie, '/settings/oauth/new', next)).status, 201);
    assert.equal(await appsOf(user), 1, 'the deleted one is not listed');
  });

  test('one new app\'s form sent five times at once: one app, one secret shown', async () => {
    const { user, cookie } = await signedIn();
    const fields = { ...(await newAppFields(server, cookie)), ...APP };
    const answers = await Promise.all(Array.from({ length: 5 }, () => consolePost(server, cookie, '/settings/oauth/new', fields)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [201, 409, 409, 409, 409]);
    assert.equal(answers.filter((a) => a.text.includes('polar_cs_')).length, 1);
    assert.equal(await appsOf(user), 1);
  });

  test('a form without its id, with a forged proof or with another session\'s: 400, nothing created', async () => {
    const { user, cookie } = await signedIn();
    const other = await newAppFields(server, await signIn(server, await aUser(server)));
    const own = await newAppFields(server, cookie);
    for (const fields of [{}, { app_id: own.app_id }, { app_id: own.app_id, app_proof: 'forged' }, other] as Record<string, string>[]) {
      const answer = await consolePost(server, cookie, '/settings/oauth/new', { ...fields, ...APP });
      assert.equal(answer.status, 400, JSON.stringify(fields));
      assert.ok(answer.text.includes(EXPIRED), answer.text);
      assert.ok(hidden(answer.text, 'app_id'), 'a form that can be sent');
    }
    assert.equal(await appsOf(user), 0);
  });

  test('a form refused for what was typed keeps its id: corrected, it creates the app', async () => {
    const { user, cookie } = await signedIn();
    const fields = await newAppFields(server, cookie);
    const refused = await consolePost(server, cookie, '/settings/oauth/new', { ...fields, ...APP, client_name: '' });
    assert.equal(refused.status, 400);
    assert.equal(hidden(refused.text, 'app_id'), fields.app_id);
    assert.equal((await consolePost(server, cookie, '/settings/oauth/new', { ...fields, ...APP })).status, 201);
    assert.equal((await consoleCreate(server, cookie)).status, 201);
    assert.equal(await appsOf(user), 2);
  });

  // Without JavaScript (assets/console.js replaces the history entry), reloading the page that
  // shows the new secret posts the rotation again: it must not make the secret just shown useless.
  test('a rotation sent again rotates nothing: 409, and the secret shown first is the one that authenticates', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    const path = `/settings/oauth/apps/${clientId}/rotate-secret`;
    const fields = await rotationFields(server, cookie, clientId);
    const first = await consolePost(server, cookie, path, fields);
    assert.equal(first.status, 200);
    const shown = /id="client-secret" data-page="[^"]+">(polar_cs_\w{43})</.exec(first.text)?.[1] ?? '';
    const again = await consolePost(server, cookie, path, fields);
    assert.equal(again.status, 409);
    assert.ok(again.text.includes('This secret was already rotated since this form was shown. The new secret is shown only once: if it did not reach you, rotate again.'), again.text);
    assert.equal(again.text.includes('polar_cs_'), false);
    const { ctx } = server.borealis;
    assert.equal((await ctx.store.clients.findByClientId(clientId))?.clientSecretHash, ctx.credentials.hash(shown));
    // A form without its version, or with another session's, is as stale.
    for (const version of [{}, { secret_version: 'forged' }] as Record<string, string>[]) assert.equal((await consolePost(server, cookie, path, version)).status, 409);
    // Asked again, it rotates.
    assert.equal((await consoleRotate(server, cookie, clientId)).status, 200);
  });

  test('one confirmation posted five times at once: one new secret, shown once, and it is the one in use', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    const fields = await rotationFields(server, cookie, clientId);
    const answers = await Promise.all(Array.from({ length: 5 }, () => consolePost(server, cookie, `/settings/oauth/apps/${clientId}/rotate-secret`, fields)));
    assert.deepEqual(answers.map((a) => a.status).sort(), [200, 409, 409, 409, 409]);
    const shown = answers.flatMap((a) => /id="client-secret" data-page="[^"]+">(polar_cs_\w{43})</.exec(a.text)?.[1] ?? []);
    assert.equal(shown.length, 1);
    const { ctx } = server.borealis;
    assert.equal((await ctx.store.clients.findByClientId(clientId))?.clientSecretHash, ctx.credentials.hash(shown[0] ?? ''));
  });


  test('an app deleted while its rotation was on its way: 404, not "already rotated"', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    const fields = await rotationFields(server, cookie, clientId);
    // The deletion lands between the route's read of the app and the rotation (the real store, a delete first).
    const { clients } = server.borealis.ctx.store;
    const rotateSecret = clients.rotateSecret;
    clients.rotateSecret = async (...args) => {
      await clients.delete(clientId, server.borealis.ctx.now());
      return rotateSecret.apply(clients, args);
    };
    try {
      const answer = await consolePost(server, cookie, `/settings/oauth/apps/${clientId}/rotate-secret`, fields);
      assert.equal(answer.status, 404);
      assert.ok(answer.text.includes('This app does not exist, or it is not one of yours.'), answer.text);
    } finally {
      clients.rotateSecret = rotateSecret;
    }
  });
});
