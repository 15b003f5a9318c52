/**
 * A person's view of their account's security: /settings/sessions lists where they are signed in
 * and ends a session they do not recognise, or all but this one (accounts/sessions.ts);
 * /settings/security-log lists their stored security events (audit.ts), when events are kept.
 */
import type { FastifyInstance } from 'fastify';
import type { AccountsDeps } from '../../accounts/accounts.js';
import { endOtherSessions, endSession } from '../../accounts/sessions.js';
import { Params } from '../../oauth/params.js';
import type { SecurityEvent } from '../../store/store.js';
import { assertCsrfToken, assertSameOrigin, pageUserOf } from '../csrf.js';
import { noticeQuery, provenNotice } from '../notice.js';
import { sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { currentSession } from '../session.js';
import { type EventNames, securityLogPage } from '../views/security-log.js';
import { sessionsPage } from '../views/sessions.js';

const SESSIONS = '/settings/sessions';
const LOG = '/settings/security-log';
const LOG_PAGE = 50;

export function securityPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: { publicOrigin: string; secret: string; securityEventDays: number }) {
  const signIn = (path: string) => `/login?return_to=${encodeURIComponent(path)}`;

  app.get(SESSIONS, async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, signIn(SESSIONS), 303);
    const count = singleQueryValue(request, 'count');
    const proven = singleQueryValue(request, 'notice') === 'signed_out' && provenNotice(options.secret, signedIn.session.id, 'signed_out', count, singleQueryValue(request, 'proof'));
    const notice = proven ? `Signed out of ${count === '1' ? 'one other session' : `${count} other sessions`}.` : undefined;
    const sessions = await deps.store.sessions.listForUser(signedIn.user.id, deps.now());
    return sendPage(reply, 200, sessionsPage(pageUserOf(options.secret, signedIn), sessions, signedIn.session.id, notice));
  });

  /** Checks the form as every settings form is (D14), then ends sessions; `end` says how many. */
  const ending = (path: string, end: (signedIn: NonNullable<Awaited<ReturnType<typeof currentSession>>>, sessionId: string) => Promise<number>) =>
    app.post<{ Params: { session_id?: string } }>(path, async (request, reply) => {
      assertSameOrigin(request, options.publicOrigin);
      const form = new Params(new Map(), await formParams(request));
      const signedIn = await currentSession(request, deps);
      if (!signedIn) return sendRedirect(reply, signIn(SESSIONS), 303);
      assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
      const ended = await end(signedIn, request.params.session_id ?? '');
      // Ending the one in use is signing out: the list would only ask to sign in again.
      if (ended === 0) return sendRedirect(reply, SESSIONS, 303);
      return sendRedirect(reply, `${SESSIONS}?${noticeQuery(options.secret, signedIn.session.id, 'signed_out', 'count', String(ended))}`, 303);
    });
  ending(`${SESSIONS}/:session_id/end`, async ({ user, session }, id) => (id !== session.id && (await endSession(deps, user, id)) ? 1 : 0));
  ending(`${SESSIONS}/end-others`, ({ user, session }) => endOtherSessions(deps, user, session));

  if (options.securityEventDays > 0) {
    app.get(LOG, async (request, reply) => {
      const signedIn = await currentSession(request, deps);
      if (!signedIn) return sendRedirect(reply, signIn(LOG), 303);
      const asked = singleQueryValue(request, 'page') ?? '';
      const page = /^[1-9][0-9]{0,6}$/.test(asked) ? Number(asked) : 1;
      const { items, total } = await deps.store.securityEvents.list({ userId: signedIn.user.id }, (page - 1) * LOG_PAGE, LOG_PAGE);
      const log = { events: items, names: await namesOf(deps, items), page, maxPage: Math.ceil(total / LOG_PAGE), days: options.securityEventDays };
      return sendPage(reply, 200, securityLogPage(pageUserOf(options.secret, signedIn), log));
    });
  }
}

/** The current names of the apps and organizations `events` name, each looked up once. */
async function namesOf(deps: AccountsDeps, events: SecurityEvent[]): Promise<EventNames> {
  const names: EventNames = { apps: new Map(), organizations: new Map() };
  for (const e of events) {
    if (e.clientId !== null && !names.apps.has(e.clientId)) names.apps.set(e.clientId, (await deps.store.clients.findByClientId(e.clientId))?.metadata.client_name);
    if (e.organizationId !== null && !names.organizations.has(e.organizationId)) {
      names.organizations.set(e.organizationId, (await deps.store.organizations.findById(e.organizationId))?.name);
    }
  }
  return names;
}
