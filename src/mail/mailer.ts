/**
 * Mail over SMTP (nodemailer), for the links that prove an address (accounts/email-links.ts).
 * Configured by BOREALIS_SMTP_URL; without it Borealis sends nothing, and the pages that would
 * are not offered. One connection per message: these mails are rare, and a pool would hold a
 * connection open that the relay may close under it.
 */
import nodemailer from 'nodemailer';
import { MailError, type Mailer } from './mail.js';

/**
 * Bounds on each stage, so a relay that hangs does not keep a message (and its link) in memory
 * for nodemailer's defaults of minutes.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** A relay on this machine: nothing on the way to strip STARTTLS from. */
const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * `smtp://` upgrades with STARTTLS, and refuses to send without it (the links are credentials, and
 * one on the path could strip the offer), but to a relay on loopback. Settings the URL's query
 * names (`?requireTLS=false`) take precedence over these.
 */
export const transportOptions = (url: string) => ({ url, requireTLS: !isLoopback(new URL(url).hostname), ...TIMEOUTS });

export function smtpMailer(url: string, from: string): Mailer {
  const transport = nodemailer.createTransport(transportOptions(url), { from });
  return {
    async send(mail) {
      try {
        await transport.sendMail({ to: mail.to, subject: mail.subject, text: mail.text });
      } catch (error) {
        const { code, responseCode } = error as { code?: string; responseCode?: number };
        throw new MailError(code, responseCode);
      }
    },
    close: () => transport.close(),
  };
}
