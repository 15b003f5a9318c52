/**
 * The admin API mails a password reset link on a user's behalf (src/http/routes/admin.ts): the
 * same link "Forgot your password?" mails (accounts/email-links.ts), through a real SMTP relay; a
 * password the operator sets is told to its owner by mail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Mailbox, linkIn, startMailbox } from '../support/mailbox.js';
import { PASSWORD, aUser } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

const TOKEN = 'admin-token-0123456789abcdef0123456789abcdef';

describe('the admin API mails a reset link', () => {
  let server: TestServer;
  let mailbox: Mailbox;
  before(async () => {
    mailbox = await startMailbox();
    server = await startServer({ env: { BOREALIS_ADMIN_TOKEN: TOKEN, BOREALIS_SMTP_URL: mailbox.url } });
  });
  after(async () => {
    await server.close();
    await mailbox.close();
  });

  const mailFor = async (userId: string, base = server.url) => {
    const response = await fetch(`${base}/admin/v1/users/${userId}/password-reset-mail`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await response.text();
    return { status: response.status, retryAfter: response.headers.get('retry-after'), cache: response.headers.get('cache-control'), json: text ? JSON.parse(text) : undefined };
  };
  const signInStatus = async (email: string, password: string) =>
    (await fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' })).status;

  test('204, and the user sets a password through the link; once a minute (429); unknown user 404', async () => {
    const user = await aUser(server);
    const sent = await mailFor(user.id);
    assert.deepEqual([sent.status, sent.json, sent.cache], [204, undefined, 'no-store']);
    const mail = await mailbox.next(user.email);
    assert.equal(mail.subject, 'Set a new password');
    const token = new URL(linkIn(mail, server.url, '/reset-password')).searchParams.get('token') ?? '';
    const reset = await fetch(`${server.url}/reset-password`, { method: 'POST', body: new URLSearchParams({ token, new_password: 'chosen by the person' }), redirect: 'manual' });
    assert.equal(reset.status, 200);
    assert.deepEqual([await signInStatus(user.email, PASSWORD), await signInStatus(user.email, 'chosen by the person')], [400, 303]);

    const other = await aUser(server);
    assert.equal((await mailFor(other.id)).status, 204);
    assert.deepEqual(await mailFor(other.id), { status: 429, retryAfter: '60', cache: 'no-store', json: { detail: 'A link was mailed to this user less than a minute ago.' } });
    assert.deepEqual((await mailFor('00000000-0000-0000-0000-000000000000')).json, { detail: 'Not Found' });
  });

  test('past five requests an hour for one user: 429 with Retry-After, and no mail', async () => {
    const user = await aUser(server);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await mailFor(user.id)).status);
    assert.deepEqual(statuses, [204, 429, 429, 429, 429], 'one mail a minute; each request counts toward the hour');
    await mailbox.next(user.email);
    assert.deepEqual(await mailFor(user.id), { status: 429, retryAfter: '3600', cache: 'no-store', json: { detail: 'Links were asked for this user 5 times in the last hour.' } });
  });

  test('a password the operator sets (PUT …/password) is told to its owner by mail, after the answer', async () => {
    const user = await aUser(server);
    const put = await fetch(`${server.url}/admin/v1/users/${user.id}/password`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'set by the operator' }),
    });
    assert.equal(put.status, 204);
    const notice = await mailbox.next(user.email, 'Your password was changed');
    assert.equal(
      notice.text.replace(/\r\n/g, '\n'),
      `Hello,\n\nThe password of the account ${user.email} at ${new URL(server.url).host} was set by an administrator just now, and every session was signed out.\n\nIf you expected this, there is nothing to do. If not, set a new password at once:\n\n${server.url}/forgot-password\n`,
    );
  });

  test('a blocked user: 409, no mail; a relay that refuses: 503 with Retry-After', async () => {
    const blocked = await aUser(server);
    await server.borealis.accounts.store.users.block(blocked.id, server.borealis.ctx.now());
    assert.deepEqual((await mailFor(blocked.id)).json, { detail: 'The user is blocked.' });
    const user = await aUser(server);
    mailbox.refuse(true);
    try {
      const refused = await mailFor(user.id);
      assert.deepEqual([refused.status, refused.retryAfter, refused.json], [503, '60', { detail: 'The mail relay refused the message or could not be reached.' }]);
    } finally {
      mailbox.refuse(false);
    }
    assert.deepEqual(mailbox.take(blocked.email), []);
  });

  test('without a mail relay: 409, saying so', async () => {
    const plain = await startServer({ env: { BOREALIS_ADMIN_TOKEN: TOKEN } });
    try {
      const user = await aUser(plain);
      assert.deepEqual((await mailFor(user.id, plain.url)).json, { detail: 'No mail relay is configured (BOREALIS_SMTP_URL).' });
      assert.equal((await mailFor(user.id, plain.url)).status, 409);
    } finally {
      await plain.close();
    }
  });
});
