/** The SMTP mailer (src/mail/mailer.ts) against a real relay: what it sends, and what it refuses. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MailError } from '../../src/mail/mail.js';
import { smtpMailer, transportOptions } from '../../src/mail/mailer.js';
import { type Mailbox, startMailbox } from '../support/mailbox.js';

describe('the SMTP mailer', () => {
  let mailbox: Mailbox;
  before(async () => {
    mailbox = await startMailbox();
  });
  after(() => mailbox.close());

  test('sends the text to the one recipient, from the configured sender', async () => {
    const mailer = smtpMailer(mailbox.url, 'Acme <accounts@acme.test>');
    await mailer.send({ to: 'ada@example.com', subject: 'Hello', text: 'One line.\n' });
    mailer.close();
    const mail = await mailbox.next('ada@example.com');
    assert.deepEqual([mail.to, mail.from, mail.subject, mail.text.replace(/\r\n/g, '\n')], [['ada@example.com'], 'Acme <accounts@acme.test>', 'Hello', 'One line.\n']);
  });

  test('STARTTLS is required but for a relay on loopback, and the URL may say otherwise', async () => {
    assert.equal(transportOptions('smtp://mail.example.com:587').requireTLS, true);
    assert.equal(transportOptions('smtp://10.0.0.5').requireTLS, true);
    for (const local of ['smtp://127.0.0.1:1025', 'smtp://localhost:1025', 'smtp://[::1]:1025']) assert.equal(transportOptions(local).requireTLS, false, local);
    // The option is in force: this relay offers no STARTTLS, so a URL that asks for it sends nothing.
    const strict = smtpMailer(`${mailbox.url}?requireTLS=true`, 'a@acme.test');
    await assert.rejects(strict.send({ to: 'bob@example.com', subject: 'x', text: 'x' }), MailError);
    strict.close();
    assert.deepEqual(mailbox.take('bob@example.com'), []);
  });

  test('a refusal is a MailError with the reply code only: never the address or the message', async () => {
    mailbox.refuse(true);
    const mailer = smtpMailer(mailbox.url, 'a@acme.test');
    try {
      const error = await mailer.send({ to: 'carol@example.com', subject: 'x', text: 'secret link' }).catch((e: unknown) => e);
      assert.ok(error instanceof MailError);
      assert.equal(error.responseCode, 550);
      assert.equal(`${error.message} ${JSON.stringify(error)}`.includes('carol'), false);
    } finally {
      mailbox.refuse(false);
      mailer.close();
    }
  });
});
