/**
 * What sending mail means to the rest of Borealis: a message, a sender of messages, and the one
 * error it raises. Apart from the SMTP implementation (mailer.ts), which loads nodemailer: code
 * that only names these does not load it (compose.ts imports it when a relay is configured).
 */
export interface Mail {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  /** Resolves once the relay accepted the message; rejects with a MailError otherwise. */
  send(mail: Mail): Promise<void>;
  close(): void;
}

/**
 * A relay that refused or could not be reached. Only what is safe to log is kept: the relay's
 * reply may quote the recipient's address, and the message holds a credential.
 */
export class MailError extends Error {
  constructor(
    readonly code: string | undefined,
    readonly responseCode: number | undefined,
  ) {
    super(`mail not sent (${code ?? 'unknown'}${responseCode ? ` ${responseCode}` : ''})`);
  }
}
