/**
 * Nonce replay under concurrency (polar-oauth2.md §3.4 step 9 and §3.5 step 1; Appendix B.3):
 * 10 parallel consent approvals (POST /v1/oauth2/consent, valid CSRF token, D14) of the same
 * `openid` request with the same nonce. The nonce is claimed atomically when the code is stored
 * (src/oauth/authorize/issue-code.ts), so exactly one gets a code; the others get the
 * `invalid_request` `Replay attack` redirect with state and iss (D10), and none a 5xx.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import { REDIRECT_URI, aClient, aUser, authorizeQuery, form, getAuthorize, issParam, postToken, signIn } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('consent: one nonce, 10 parallel approvals', () => {
  let server: TestServer;
  before(async () => {
    server = await startServer();
  });
  after(() => server.close());

  test('exactly one code; nine Replay attack redirects; no 5xx', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const cookie = await signIn(server, user);
    const q = authorizeQuery(client, { scope: 'openid', nonce: 'n' });
    const screen = await getAuthorize(server, cookie, q);
    assert.equal(screen.status, 200);
    const { csrf_token } = (await screen.json()) as { csrf_token: string };

    const responses = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(`${server.url}/v1/oauth2/consent?${form(q)}`, {
          method: 'POST',
          headers: { cookie },
          body: form({ action: 'allow', csrf_token }),
          redirect: 'manual',
        }),
      ),
    );
    const answers = await Promise.all(
      responses.map(async (r) => ({ status: r.status, location: r.headers.get('location') ?? '', cacheControl: r.headers.get('cache-control'), text: await r.text() })),
    );
    for (const answer of answers) {
      assert.ok(answer.status < 500, `${answer.status}: ${answer.text}`);
      assert.equal(answer.status, 302, answer.text);
      assert.equal(answer.text, '');
      assert.equal(answer.cacheControl, 'no-store');
    }
    const iss = issParam(server);
    const codeRedirect = new RegExp(`^${REDIRECT_URI}\\?code=(polar_ac_[0-9A-Za-z]{43})&state=st&${iss}$`);
    const winners = answers.filter((a) => codeRedirect.test(a.location));
    assert.equal(winners.length, 1, answers.map((a) => a.location).join('\n'));
    const replay = `${REDIRECT_URI}?error=invalid_request&error_description=Replay+attack&state=st&${iss}`;
    assert.deepEqual(
      answers.filter((a) => a !== winners[0]).map((a) => a.location),
      Array(9).fill(replay),
    );

    // The one code is good and carries the nonce; after its exchange the nonce is free again (§3.4 step 9).
    const code = codeRedirect.exec(winners[0]?.location ?? '')?.[1] as string;
    const result = await postToken(server, { grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI });
    assert.equal(result.status, 200, result.text);
    const { id_token } = JSON.parse(result.text) as { id_token: string };
    assert.equal(decodeJwt(id_token).nonce, 'n');
    assert.equal(await server.borealis.ctx.store.codes.nonceInUse(client.clientId, 'n'), false);
  });
});
