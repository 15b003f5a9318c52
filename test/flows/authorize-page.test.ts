/**
 * The built-in authorization page (/oauth2/authorize) redirects to the client only once the user
 * has signed in, but for silent authentication (RFC 9700 §4.11.2). Otherwise anyone who registers
 * a client with a redirect URI of their choice could send signed-out visitors from this page to it
 * through an error redirect. The JSON API keeps Polar's behaviour (docs/compatibility.md).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { REDIRECT_URI, type TestClient, aClient, aUser, authorizeQuery, form, issParam, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('the authorization page: error redirects only after sign-in (RFC 9700 §4.11.2)', () => {
  let server: TestServer;
  let client: TestClient;
  before(async () => {
    server = await startServer();
    client = await aClient(server);
  });
  after(() => server.close());

  const BAD = [
    ['an unsupported response_type', { response_type: 'token' }, 'error=unsupported_response_type&error_description=The+response+type+%27token%27+is+not+supported+by+the+server.'],
    ['an unknown scope', { scope: 'nope' }, 'error=invalid_scope&error_description=The+requested+scope+is+invalid%2C+unknown%2C+or+malformed.'],
    // The page returns from a sign-in without `max_age` (met by it), but not from one made to deliver this error.
    ['an invalid max_age', { max_age: 'abc' }, 'error=invalid_request&error_description=Invalid+%27max_age%27+parameter.'],
  ] as const;

  const page = (query: Record<string, string | undefined>, cookie?: string) =>
    fetch(`${server.url}/oauth2/authorize?${form(authorizeQuery(client, query))}`, { headers: cookie ? { cookie } : {}, redirect: 'manual' });

  for (const [name, query, error] of BAD) {
    test(`${name}, signed out: sign in first; then the error goes to the client`, async () => {
      const response = await page(query);
      assert.equal(response.status, 303);
      const location = new URL(response.headers.get('location') ?? '', server.url);
      assert.equal(location.pathname, '/login');
      const returnTo = location.searchParams.get('return_to') ?? '';
      assert.ok(returnTo.startsWith('/oauth2/authorize?'), returnTo);

      const cookie = await signIn(server, await aUser(server));
      const after = await fetch(`${server.url}${returnTo}`, { headers: { cookie }, redirect: 'manual' });
      assert.equal(after.status, 302);
      assert.equal(after.headers.get('location'), `${REDIRECT_URI}?${error}&state=st&${issParam(server)}`);
    });

    test(`${name}, signed out with prompt=none: the error goes to the client at once (silent authentication)`, async () => {
      const response = await page({ ...query, prompt: 'none' });
      assert.equal(response.status, 302);
      assert.equal(response.headers.get('location'), `${REDIRECT_URI}?${error}&state=st&${issParam(server)}`);
    });
  }

  test('an error that never redirects (unknown client) is still shown at once, signed out', async () => {
    const response = await fetch(`${server.url}/oauth2/authorize?${form({ ...authorizeQuery(client), client_id: 'polar_ci_nope' })}`, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
  });

  // The global Bearer resolution (§2.4) runs here too; its 401 page carries the challenge a 401 needs.
  test('an invalid Bearer credential: a 401 page with its WWW-Authenticate challenge', async () => {
    const response = await fetch(`${server.url}/oauth2/authorize?${form(authorizeQuery(client))}`, {
      headers: { authorization: 'Bearer polar_at_u_not-a-token' },
      redirect: 'manual',
    });
    assert.equal(response.status, 401);
    assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer realm="polar", error="invalid_token"/);
  });
});
