/**
 * The text of the mails Borealis sends. Plain text: every client shows it, and the one link in
 * it is the whole message. Each says what happens if the reader did nothing (OWASP Forgot
 * Password Cheat Sheet: the mail must not alarm, nor invite action from someone who did not ask).
 */
import type { Mail } from './mail.js';

const host = (publicUrl: string) => new URL(publicUrl).host;

export function verifyEmailMail(to: string, link: string, publicUrl: string): Mail {
  return {
    to,
    subject: 'Confirm your email address',
    text: `Hello,

An account at ${host(publicUrl)} uses this email address. To confirm that it is yours, open this link within 24 hours and sign in to that account if you are asked:

${link}

If you did not create that account, ignore this mail: the address stays unconfirmed.
`,
  };
}

export function resetPasswordMail(to: string, link: string, publicUrl: string): Mail {
  return {
    to,
    subject: 'Set a new password',
    text: `Hello,

Someone, hopefully you, asked to set a new password for the account ${to} at ${host(publicUrl)}. To choose one, open this link within an hour:

${link}

If it was not you, ignore this mail: your password stays as it is.
`,
  };
}

/** What ended with the change: the person keeps the session they changed it in; a reset or an administrator ends them all. */
const CHANGED: Record<'user' | 'reset_link' | 'operator', string> = {
  user: 'was changed just now, and its other sessions were signed out',
  reset_link: 'was changed just now through a link sent by mail, and every session was signed out',
  operator: 'was set by an administrator just now, and every session was signed out',
};

export function passwordChangedMail(to: string, publicUrl: string, by: keyof typeof CHANGED): Mail {
  return {
    to,
    subject: 'Your password was changed',
    text: `Hello,

The password of the account ${to} at ${host(publicUrl)} ${CHANGED[by]}.

If you expected this, there is nothing to do. If not, set a new password at once:

${publicUrl}/forgot-password
`,
  };
}
