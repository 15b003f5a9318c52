/**
 * Security events, for an operator's monitoring (OWASP Logging Cheat Sheet: authentication
 * successes and failures, session and credential changes, signs of attack). Each is one `info`
 * line of the server's log, `{"audit":"<event>", …}`, alongside the request lines. Ids only: never
 * a credential, a password, an email address or a name.
 *
 * The protocol core and the accounts record them through `Audit`; the HTTP app attaches the log
 * (http/app.ts). Without a log attached (the CLI, whose operator already sees what they did) an
 * event is only stored. Stored events (`keepIn`, compose.ts) are kept for BOREALIS_SECURITY_EVENT_DAYS.
 */
import { timeOrderedId } from './oauth/ids.js';
import type { SecurityEvent, SecurityEventsStore } from './store/security-events.js';

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
  /** The account was deleted (accounts.ts, deleteAccount), with the apps it owned. */
  | { audit: 'user.deleted'; user_id: string; by: 'user' | 'operator'; apps_deleted: number }
  /** The user ended `count` of their sessions from /settings/sessions (accounts/sessions.ts). */
  | { audit: 'sessions.ended'; user_id: string; count: number }
  /** `user_id`: the owner, for a client made on the console or by a signed-in registration. */
  | { audit: 'client.created'; client_id: string; user_id: string | null }
  | { audit: 'client.secret_rotated' | 'client.deleted'; client_id: string }
  /** A user took back an app's access (the console): its codes and tokens for them are revoked. */
  | { audit: 'consent.revoked'; client_id: string; user_id: string }
  | { audit: 'organization.member_added'; organization_id: string; user_id: string; via: 'operator' | 'invitation' }
  | { audit: 'organization.member_removed'; organization_id: string; user_id: string; via: 'operator' | 'left' }
  | { audit: 'invitation.created' | 'invitation.withdrawn'; organization_id: string; invitation_id: string; user_id: string };

export type AuditSink = (event: AuditEvent) => void;
/** Told when an event could not be stored (the trail's database write failed). */
export type AuditFailure = (error: unknown, event: AuditEvent) => void;

/**
 * Failed sign-ins are not stored: they name no account, only an address, and an attacker makes
 * them as fast as requests go (the lock refuses unchecked). The log keeps them.
 */
const STORED = (event: AuditEvent) => event.audit !== 'sign_in.failed';

export class Audit {
  private readonly sinks: AuditSink[] = [];
  private readonly failures: AuditFailure[] = [];
  private trail?: { store: SecurityEventsStore; now: () => number };
  private readonly pending = new Set<Promise<void>>();

  /** Adds where events go (the server's log; a test's list). Returns the way to remove it. */
  attach(sink: AuditSink): () => void {
    this.sinks.push(sink);
    return () => void this.sinks.splice(this.sinks.indexOf(sink), 1);
  }

  /**
   * Stores events too (the admin API and the account page list them). Each is written after the
   * change it records, without holding up the answer: a failed write is reported (`onFailure`)
   * and the log line remains.
   */
  keepIn(store: SecurityEventsStore, now: () => number): void {
    this.trail = { store, now };
  }

  /** Adds where a failed write is reported; without one, standard error. */
  onFailure(report: AuditFailure): () => void {
    this.failures.push(report);
    return () => void this.failures.splice(this.failures.indexOf(report), 1);
  }

  record(event: AuditEvent): void {
    for (const sink of this.sinks) sink(event);
    if (this.trail && STORED(event)) this.store(this.trail, event);
  }

  /** Resolves once every event recorded so far is stored or reported: before the store closes. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  private store(trail: NonNullable<Audit['trail']>, event: AuditEvent) {
    const { audit, user_id, client_id, organization_id, ip, ...details } = event as AuditEvent & Partial<Record<'user_id' | 'client_id' | 'organization_id' | 'ip', string | null>>;
    const write = trail.store.append({
      id: timeOrderedId(),
      type: audit,
      occurredAt: trail.now(),
      userId: user_id ?? null,
      clientId: client_id ?? null,
      organizationId: organization_id ?? null,
      ip: ip ?? null,
      details: details as SecurityEvent['details'],
    });
    const kept: Promise<void> = write.catch((error: unknown) => this.failed(error, event)).finally(() => this.pending.delete(kept));
    this.pending.add(kept);
  }

  private failed(error: unknown, event: AuditEvent) {
    if (this.failures.length === 0) process.stderr.write(`security event ${event.audit} not stored: ${error instanceof Error ? error.message : String(error)}\n`);
    for (const report of this.failures) report(error, event);
  }
}
