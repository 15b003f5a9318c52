/**
 * The developer console (/settings/oauth) over HTTP; test/browser/console.test.ts drives it in
 * a browser. Its rules are registration's (polar-oauth2.md §3.11–3.12).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openDb } from '../../src/store/sql/db.js';
import { consoleCreate, consolePost, consoleRotate } from '../support/console.js';
import { aClient, aUser, obtainCode, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('developer console', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('an organization created on /settings/organizations is owned by the account signed in, found by its session, not again by email', async () => {
    const user = await aUser(server);
    const other = await aUser(server);
    const cookie = await signIn(server, user);
    // As migration 009 can leave it: the account's email, looked up again, leads to another account.
    const db = await openDb(server.database.url);
    await db.run('UPDATE users SET email = ? WHERE id = ?', [other.email, user.id]).finally(() => db.close());
    const slug = `owned-${user.id.slice(0, 8)}`;
    assert.equal((await consolePost(server, cookie, '/settings/organizations', { slug, name: 'Owned' })).status, 303);
    const { store } = server.borealis.ctx;
    const org = await store.organizations.findBySlug(slug);
    assert.ok(org);
    assert.deepEqual((await store.organizations.listMembers(org.id)).map((u) => u.id), [user.id]);
  });

  test('an organization name is bounded as a client name is: over 255 characters the form comes back with the reason', async () => {
    const cookie = await signIn(server, await aUser(server));
    const page = await (await fetch(`${server.url}/settings/organizations`, { headers: { cookie } })).text();
    // No maxlength: a browser counts it in UTF-16 units (127 emoji), and a paste cut there can split a pair.
    assert.match(page, /<input id="org-name" name="name" type="text" value="" required>/);
    const slug = `long-${Date.now().toString(36)}`;
    const refused = await consolePost(server, cookie, '/settings/organizations', { slug, name: 'n'.repeat(256) });
    assert.equal(refused.status, 400);
    assert.match(refused.text, /The organization name must be at most 255 characters\./);
    assert.match(refused.text, /<input id="org-name" name="name" type="text" value="n+" aria-invalid="true" aria-describedby="form-error" required>/);
    assert.doesNotMatch(refused.text, /id="org-slug"[^>]*aria-invalid/);
    assert.equal(await server.borealis.ctx.store.organizations.findBySlug(slug), undefined);
    assert.equal((await consolePost(server, cookie, '/settings/organizations', { slug, name: 'n'.repeat(255) })).status, 303);
    // Characters, not UTF-16 units: 255 emoji fit.
    assert.equal((await consolePost(server, cookie, '/settings/organizations', { slug: `${slug}-e`, name: '😀'.repeat(255) })).status, 303);
  });

  // Signed out while the page was open (from a consent page's "Create an organization"): the
  // sign-in used to lead back to the organizations page alone, and the authorization was lost.
  test('an organization form sent after signing out leads to sign-in, then back to the page and on to where it led', async () => {
    const back = '/oauth2/authorize?client_id=polar_ci_x&state=s';
    const body = new URLSearchParams({ slug: 'signed-out', name: 'Signed Out', return_to: back, csrf_token: 'stale' });
    const response = await fetch(`${server.url}/settings/organizations`, { method: 'POST', body, redirect: 'manual' });
    assert.equal(response.status, 303);
    const page = `/settings/organizations?return_to=${encodeURIComponent(back)}`;
    assert.equal(response.headers.get('location'), `/login?return_to=${encodeURIComponent(page)}`);
    assert.equal(await server.borealis.ctx.store.organizations.findBySlug('signed-out'), undefined);
  });

  // §3.11: a public client's secret is stored but never shown by registration; shown here, it
  // would fail at the token endpoint and only mislead (the owner's JSON list keeps Polar's wire).
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
    const asked = await fetch(`${server.url}/settings/oauth/apps/${client.clientId}/rotate-secret`, { headers: { cookie } });
    assert.equal(asked.status, 400);
    assert.ok((await asked.text()).includes('A public client has no secret to rotate.'));
    const rotated = await consolePost(server, cookie, `/settings/oauth/apps/${client.clientId}/rotate-secret`, {});
    assert.equal(rotated.status, 400);
    assert.ok(rotated.text.includes('A public client has no secret to rotate.'));
    assert.equal(rotated.text.includes('polar_cs_'), false);
    assert.equal((await server.borealis.ctx.store.clients.findByClientId(client.clientId))?.clientSecretHash, before);
  });

  // pages/page-errors.ts: the console answers in pages, never the API's JSON.
  test("someone else's app, or one that does not exist: a 404 page, for every action", async () => {
    const owner = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, owner);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1];
    const intruder = await signIn(server, await aUser(server));
    for (const id of [clientId, 'polar_ci_unknown']) {
      const base = `/settings/oauth/apps/${id}`;
      const answers = [
        await fetch(`${server.url}${base}`, { headers: { cookie: intruder } }),
        await fetch(`${server.url}${base}/delete`, { headers: { cookie: intruder } }),
        await fetch(`${server.url}${base}/rotate-secret`, { headers: { cookie: intruder } }),
      ].map(async (r) => ({ status: r.status, type: r.headers.get('content-type'), text: await r.text() }));
      const posted = [
        await consolePost(server, intruder, base, { client_name: 'Mine now', redirect_uris: 'https://evil.example/cb', scope: 'openid', token_endpoint_auth_method: 'client_secret_post' }),
        await consolePost(server, intruder, `${base}/rotate-secret`, {}),
        await consolePost(server, intruder, `${base}/delete`, {}),
      ];
      for (const answer of [...(await Promise.all(answers)), ...posted]) {
        assert.equal(answer.status, 404);
        assert.ok(answer.text.includes('This app does not exist, or it is not one of yours.'), answer.text);
      }
    }
    // The owner's app is untouched.
    const still = await server.borealis.ctx.store.clients.findByClientId(clientId ?? '');
    assert.equal(still?.metadata.client_name, 'Console');
  });

  test('an app no flow could use is refused with the reason, and what was typed is kept', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const cases: [Record<string, string>, string][] = [
      [{ client_name: '   ' }, 'The app needs a name.'],
      [{ redirect_uris: ' \n  \n' }, 'Add at least one redirect URI.'],
      [{ scope: '  ' }, 'Choose at least one scope.'],
    ];
    for (const [fields, reason] of cases) {
      const answer = await consoleCreate(server, cookie, { client_name: 'Kept name', ...fields });
      assert.equal(answer.status, 400);
      assert.ok(answer.text.includes(reason), answer.text);
      if (!('client_name' in fields)) assert.ok(answer.text.includes('value="Kept name"'), 'the form keeps what was typed');
    }
    assert.equal((await server.borealis.ctx.store.clients.listByOwner(user.id, 0, 10)).total, 0);
    // Editing cannot empty them either.
    const created = await consoleCreate(server, cookie, { client_name: '  Trimmed  ' });
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    assert.equal((await server.borealis.ctx.store.clients.findByClientId(clientId))?.metadata.client_name, 'Trimmed');
    const edit = { client_name: 'Trimmed', redirect_uris: 'https://app.example/cb', scope: '', token_endpoint_auth_method: 'client_secret_post' };
    const edited = await consolePost(server, cookie, `/settings/oauth/apps/${clientId}`, edit);
    assert.equal(edited.status, 400);
    assert.ok(edited.text.includes('Choose at least one scope.'));
    assert.equal((await server.borealis.ctx.store.clients.findByClientId(clientId))?.metadata.scope, 'openid');
  });

  test('a refused form says which field and what is wrong in plain words, not the API\'s terms', async () => {
    const cookie = await signIn(server, await aUser(server));
    // The last column: the field marked invalid and described by the error (WCAG 3.3.1), and only it.
    const cases: [Record<string, string>, string, string][] = [
      [{ redirect_uris: 'https://app.example/cb\napp.example/cb' }, 'Redirect URI 2 is not a full address (for example https://app.example/callback).', 'redirect_uris'],
      [{ redirect_uris: 'http://app.example/cb' }, 'Redirect URI 1 must use https:// (http:// only for localhost or a private address).', 'redirect_uris'],
      [{ logo_uri: 'ftp://app.example/logo.png' }, 'Logo URL must start with https:// (or http://).', 'logo_uri'],
      [{ scope: 'openid bogus:read organization_access_tokens:read' }, 'Not a scope an app may ask for: bogus:read, organization_access_tokens:read.', 'scope'],
      [{ client_uri: 'https://app.example/#about' }, 'Homepage: this address cannot be used (it needs a host, and no #fragment).', 'client_uri'],
      [{ client_name: ' ' }, 'The app needs a name.', 'client_name'],
    ];
    for (const [fields, text, field] of cases) {
      const answer = await consoleCreate(server, cookie, fields);
      assert.equal(answer.status, 400, JSON.stringify(fields));
      assert.ok(answer.text.includes(`<p class="error" role="alert" id="form-error">${text.replaceAll("'", '&#39;')}</p>`), answer.text);
      const marked = [...answer.text.matchAll(/<(?:input|textarea|select) id="(\w+)"[^>]* aria-invalid="true" aria-describedby="form-error"/g)].map((m) => m[1]);
      assert.deepEqual(marked, [field], text);
    }
  });

  // The form shows every field, so what it leaves empty is cleared; RFC 7592's PUT keeps an
  // omitted URL, as Polar merges (registration-management.test.ts).
  test('a URL emptied in the edit form is cleared', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie, { client_uri: 'https://app.example/', policy_uri: 'https://app.example/policy' });
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    const edit = { client_name: 'Console', redirect_uris: 'https://app.example/cb', scope: 'openid', token_endpoint_auth_method: 'client_secret_post', client_uri: '', policy_uri: 'https://app.example/policy' };
    assert.equal((await consolePost(server, cookie, `/settings/oauth/apps/${clientId}`, edit)).status, 303);
    const { metadata } = (await server.borealis.ctx.store.clients.findByClientId(clientId))!;
    assert.deepEqual([metadata.client_uri, metadata.policy_uri], [undefined, 'https://app.example/policy']);
  });

  test('a confidential client: the secret is shown once at creation, and rotation shows the new one', async () => {
    const cookie = await signIn(server, await aUser(server));
    const created = await consoleCreate(server, cookie);
    assert.equal(created.status, 201);
    const secret = /id="client-secret" data-page="[^"]+">(polar_cs_\w{43})</.exec(created.text)?.[1];
    assert.ok(secret, 'the secret is shown');
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1];
    const rotated = await consoleRotate(server, cookie, clientId ?? '');
    assert.equal(rotated.status, 200);
    const next = /id="client-secret" data-page="[^"]+">(polar_cs_\w{43})</.exec(rotated.text)?.[1];
    assert.ok(next && next !== secret, 'a new secret is shown');
  });

  // views/confirm.ts: what cannot be taken back with a click is a link to a question; only its button posts.
  test('rotating a secret, deleting an app and revoking an app are asked first, naming the app and what follows; asking changes nothing', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    const created = await consoleCreate(server, cookie, { client_name: 'Asked App' });
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec(created.text)?.[1] ?? '';
    const base = `/settings/oauth/apps/${clientId}`;
    const { store } = server.borealis.ctx;
    const before = await store.clients.findByClientId(clientId);
    const appPage = await (await fetch(`${server.url}${base}`, { headers: { cookie } })).text();
    assert.ok(appPage.includes(`<a class="button secondary" href="${base}/rotate-secret">Rotate secret…</a>`), appPage);
    assert.ok(appPage.includes(`<a class="button secondary" href="${base}/delete">Delete…</a>`), appPage);

    const confirmation = async (path: string) => {
      const response = await fetch(`${server.url}${path}`, { headers: { cookie } });
      assert.deepEqual([response.status, response.headers.get('content-type'), response.headers.get('cache-control')], [200, 'text/html; charset=utf-8', 'no-store']);
      return response.text();
    };
    const form = (action: string, button: string, back: string, hidden = '') =>
      new RegExp(`<form method="post" action="${action}"><input type="hidden" name="csrf_token" value="[^"]+">${hidden}\\n<div class="actions"><button class="danger" type="submit">${button}</button><a class="button secondary" href="${back}">Cancel</a></div>`);
    const rotate = await confirmation(`${base}/rotate-secret`);
    assert.ok(rotate.includes('<title>Rotate the secret of Asked App · Borealis</title>'), rotate);
    assert.ok(rotate.includes('<h1>Rotate the secret of Asked App?</h1>\n<p>The new secret is shown once. The current one stops working at once: the app cannot get tokens until it is given the new secret.</p>'), rotate);
    assert.match(rotate, form(`${base}/rotate-secret`, 'Rotate secret', base, '\\n<input type="hidden" name="secret_version" value="[\\w-]{43}">'));
    const remove = await confirmation(`${base}/delete`);
    assert.ok(remove.includes('<h1>Delete Asked App?</h1>\n<p>Every token issued to this app stops working at once. This cannot be undone.</p>'), remove);
    assert.match(remove, form(`${base}/delete`, 'Delete app', base));
    assert.deepEqual(await store.clients.findByClientId(clientId), before);

    // Revoking an app the user authorized: the list links to the question.
    const client = await aClient(server);
    await obtainCode(server, client, cookie, { scope: 'openid' });
    const revokePath = `/settings/oauth/authorized/${client.clientId}/revoke`;
    const list = await (await fetch(`${server.url}/settings/oauth`, { headers: { cookie } })).text();
    const name = client.metadata.client_name;
    assert.ok(list.includes(`<a class="button secondary" href="${revokePath}" aria-label="Revoke access for ${name}">Revoke…</a>`), list);
    const revoke = await confirmation(revokePath);
    assert.ok(revoke.includes(`<h1>Revoke access for ${name}?</h1>\n<p>Every token ${name} holds for your account stops working at once. If you use it again, it will ask for your consent again.</p>`), revoke);
    assert.match(revoke, form(revokePath, 'Revoke access', '/settings/oauth'));
    assert.ok(await store.consents.find(client.clientId, user.id));

    // The notice names the app only with the proof the revocation itself made (http/notice.ts):
    // a crafted link (an app still authorized, one never authorized, another session's proof) cannot.
    const notice = async (query: string, as = cookie) =>
      /<p class="notice" role="status">([^<]*)<\/p>/.exec(await (await fetch(`${server.url}/settings/oauth?${query}`, { headers: { cookie: as } })).text())?.[1];
    const never = await aClient(server);
    assert.equal(await notice(`notice=revoked&client_id=${client.clientId}`), 'Access revoked.');
    assert.equal(await notice(`notice=revoked&client_id=${never.clientId}&proof=x`), 'Access revoked.');
    const revoked = await consolePost(server, cookie, revokePath, {});
    assert.equal(revoked.status, 303);
    assert.match(revoked.location ?? '', new RegExp(`^/settings/oauth\\?notice=revoked&client_id=${client.clientId}&proof=[\\w-]{43}$`));
    const query = (revoked.location ?? '').split('?')[1] ?? '';
    assert.equal(await notice(query), `${name} no longer has access to your account.`);
    assert.equal(await notice(query, await signIn(server, user)), 'Access revoked.', 'bound to the session that revoked');
    assert.equal(await notice(query.replace(client.clientId, never.clientId)), 'Access revoked.');
    // The question again, from a stale tab: nothing to revoke, so the list.
    const stale = await fetch(`${server.url}${revokePath}`, { headers: { cookie }, redirect: 'manual' });
    assert.deepEqual([stale.status, stale.headers.get('location')], [303, '/settings/oauth']);
  });
});
