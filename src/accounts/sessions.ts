/**
 * Web sessions (§5.1): started by a sign-in, listed to their person with where each started, and
 * ended by them one at a time or all but the one in use (/settings/sessions), as a person who
 * sees a session they do not recognise needs, without changing their password.
 */
import { timeOrderedId } from '../oauth/ids.js';
import type { Session, SessionOrigin, User } from '../store/store.js';
import type { AccountsDeps } from './accounts.js';

/** §5.1: a web session lasts 31 days. */
export const SESSION_LIFETIME = 31 * 24 * 3600;

/** Longer User-Agent strings are cut: it is shown to tell sessions apart, not parsed. */
const USER_AGENT_STORED = 256;

/**
 * Starts a web session; the returned `polar_us_` value goes in the cookie, only its HMAC is stored.
 * Undefined when the user was blocked, or their password changed, since they were authenticated:
 * nothing is stored.
 */
export async function startSession(deps: AccountsDeps, user: User, origin?: SessionOrigin): Promise<{ token: string; session: Session } | undefined> {
  const token = deps.credentials.mint('userSession');
  const now = deps.now();
  // Time-ordered (UUIDv7): sessions started in the same second still end oldest first (sessions.create's cap).
  const session: Session = { id: timeOrderedId(), userId: user.id, createdAt: now, expiresAt: now + SESSION_LIFETIME, organizationIds: [] };
  const stored = origin && { ip: origin.ip, userAgent: origin.userAgent?.slice(0, USER_AGENT_STORED) ?? null };
  if (!(await deps.store.sessions.create(session, deps.credentials.hash(token), user.passwordHash ?? undefined, stored))) return undefined;
  return { token, session };
}

/** Ends one of the user's sessions; false when they have none with that id. */
export async function endSession(deps: AccountsDeps, user: User, sessionId: string): Promise<boolean> {
  const ended = await deps.store.sessions.end(user.id, sessionId, deps.now());
  if (ended) deps.audit.record({ audit: 'sessions.ended', user_id: user.id, count: 1 });
  return ended;
}

/** Ends every session of the user but the one in use; how many ended. */
export async function endOtherSessions(deps: AccountsDeps, user: User, current: Session): Promise<number> {
  const count = await deps.store.sessions.endAllBut(user.id, current.id, deps.now());
  if (count > 0) deps.audit.record({ audit: 'sessions.ended', user_id: user.id, count });
  return count;
}
