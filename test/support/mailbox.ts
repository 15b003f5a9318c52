/**
 * A real SMTP relay for tests (smtp-server, from nodemailer's authors), on 127.0.0.1: it accepts
 * every message and keeps it, so a test reads the link Borealis mailed as a person would.
 */
import { SMTPServer } from 'smtp-server';
import { freePort } from './server.js';

export interface ReceivedMail {
  to: string[];
  from: string;
  subject: string;
  /** The text part, decoded (quoted-printable or plain). */
  text: string;
  raw: string;
}

export interface Mailbox {
  /** BOREALIS_SMTP_URL for this relay. */
  url: string;
  received: ReceivedMail[];
  /** The next message to `to` not taken yet (5 s at most), with that subject if one is given. */
  next(to: string, subject?: string): Promise<ReceivedMail>;
  /** The messages to `to` not taken yet (with that subject if given), taking them. */
  take(to: string, subject?: string): ReceivedMail[];
  /** Refuse (true) or accept (false) every message from now on. */
  refuse(on: boolean): void;
  close(): Promise<void>;
}

const header = (head: string, name: string) => new RegExp(`^${name}: ?(.*(?:\\r\\n[ \\t].*)*)`, 'im').exec(head)?.[1]?.replace(/\r\n[ \t]/g, ' ') ?? '';

function decode(head: string, body: string): string {
  if (!/^Content-Transfer-Encoding: ?quoted-printable/im.test(head)) return body;
  const bytes = Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))), 'latin1');
  return bytes.toString('utf8');
}

export function parseMail(raw: string, to: string[]): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split);
  return { to, from: header(head, 'From'), subject: header(head, 'Subject'), text: decode(head, raw.slice(split + 4)), raw };
}

export async function startMailbox(): Promise<Mailbox> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  let refusing = false;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusing) return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
        received.push(parseMail(Buffer.concat(chunks).toString('latin1'), session.envelope.rcptTo.map((r) => r.address)));
        callback();
      });
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const unread = (to: string, subject?: string) => received.filter((m) => !taken.has(m) && m.to.includes(to) && (subject === undefined || m.subject === subject));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    async next(to, subject) {
      for (let waited = 0; waited < 5000; waited += 20) {
        const [mail] = unread(to, subject);
        if (mail) {
          taken.add(mail);
          return mail;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      throw new Error(`no mail to ${to} within 5 s`);
    },
    take(to, subject) {
      const mails = unread(to, subject);
      for (const mail of mails) taken.add(mail);
      return mails;
    },
    refuse(on) {
      refusing = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The one link of a mail that leads to `path` on `origin`. */
export function linkIn(mail: ReceivedMail, origin: string, path: string): string {
  const links = mail.text.match(new RegExp(`${origin.replace(/[.]/g, '\\.')}${path}\\?token=[\\w]+`, 'g')) ?? [];
  if (links.length !== 1) throw new Error(`expected one ${path} link in: ${mail.text}`);
  return links[0] as string;
}
