/**
 * A notice after a redirect that names what was done ("My App no longer has access to your
 * account.", "You left Acme.", "Signed out of 3 other sessions."). The redirect carries what it names and a proof: the HMAC of this
 * session, the notice and that name, made by the action itself (csrf.ts's binding under the
 * server secret). Without a valid proof the page says only what happened in general words, so a
 * crafted link cannot make it claim an app lost access, or name an organization one never joined.
 */
import { csrfToken, isCsrfToken } from './csrf.js';

export type NoticeKind = 'revoked' | 'left' | 'joined' | 'password' | 'mailed' | 'signed_out';

const binding = (sessionId: string, kind: NoticeKind, subject: string) => `${sessionId} notice ${kind} ${subject}`;

/** The query of the redirect after `kind`, naming `subject` (a client_id, an organization slug). */
export function noticeQuery(secret: string, sessionId: string, kind: NoticeKind, name: string, subject: string): string {
  const proof = csrfToken(secret, binding(sessionId, kind, subject));
  return `notice=${kind}&${name}=${encodeURIComponent(subject)}&proof=${proof}`;
}

/** Whether `proof` shows this session's own `kind` action named `subject`. */
export const provenNotice = (secret: string, sessionId: string, kind: NoticeKind, subject: string | undefined, proof: string | undefined): boolean =>
  subject !== undefined && subject !== '' && isCsrfToken(secret, binding(sessionId, kind, subject), proof);
