/**
 * Security events, for an operator's monitoring (OWASP Logging Cheat Sheet: authentication
 * successes and failures, session and credential changes, signs of attack). Each is one `info`
 * line of the server's log, `{"audit":"<event>", …}`, alongside the request lines. Ids only: never
 * a credential, a password, an email address or a name.
 *
 * The protocol core and the accounts record them through `Audit`; the HTTP app attaches the log
 * (http/app.ts). Without a log attached (the CLI, whose operator already sees what they did) an
 * event goes nowhere.
 */

export type AuditEvent =
  /** A rotated refresh token presented after its grace window: the whole family is revoked (D4). */
  | { audit: 'refresh_token.reuse_detected'; client_id: string; user_id: string; family_id: string }
  /** A code exchanged a second time: the tokens issued for it are revoked (D5). */
  | { audit: 'authorization_code.reuse_detected'; client_id: string; user_id: string; family_id: string }
  | { audit: 'sign_in.succeeded'; user_id: string; ip: string }
  /** `locked`: refused unchecked, past the email's or the address's limit (accounts/sign-in.ts). */
  | { audit: 'sign_in.failed'; reason: 'wrong_credentials' | 'locked'; ip: string }
  | { audit: 'password.changed'; user_id: string; by: 'user' | 'operator' | 'reset_link'; tokens_revoked: boolean }
  | { audit: 'password.reset_requested' | 'email.verification_sent' | 'email.verified'; user_id: string }
  | { audit: 'user.blocked' | 'user.unblocked'; user_id: string }
  /** `user_id`: the owner, for a client made on the console or by a signed-in registration. */
  | { audit: 'client.created'; client_id: string; user_id: string | null }
  | { audit: 'client.secret_rotated' | 'client.deleted'; client_id: string }
  /** A user took back an app's access (the console): its codes and tokens for them are revoked. */
  | { audit: 'consent.revoked'; client_id: string; user_id: string }
  | { audit: 'organization.member_added'; organization_id: string; user_id: string; via: 'operator' | 'invitation' }
  | { audit: 'organization.member_removed'; organization_id: string; user_id: string; via: 'operator' | 'left' }
  | { audit: 'invitation.created' | 'invitation.withdrawn'; organization_id: string; invitation_id: string; user_id: string };

export type AuditSink = (event: AuditEvent) => void;

export class Audit {
  private readonly sinks: AuditSink[] = [];

  /** Adds where events go (the server's log; a test's list). Returns the way to remove it. */
  attach(sink: AuditSink): () => void {
    this.sinks.push(sink);
    return () => void this.sinks.splice(this.sinks.indexOf(sink), 1);
  }

  record(event: AuditEvent): void {
    for (const sink of this.sinks) sink(event);
  }
}
