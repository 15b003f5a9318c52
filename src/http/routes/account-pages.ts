/**
 * /settings/account: changing one's password. The current password is checked as a sign-in is,
 * counted by the same throttle (sign-in.ts), so a stolen session cannot guess it; the change
 * ends every session of the user (accounts.ts, setPassword) and this browser gets a new one.
 * /settings/account/delete: deleting the account (accounts.ts, deleteAccount), password checked alike.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, MIN_PASSWORD, deleteAccount, setPassword } from '../../accounts/accounts.js';
import { startSession } from '../../accounts/sessions.js';
import { passwordLength } from '../../accounts/passwords.js';
import { notifyPasswordChanged, sendVerificationMail } from '../../accounts/email-links.js';
import { signInWithPassword } from '../../accounts/sign-in.js';
import { MailError } from '../../mail/mail.js';
import type { SignedIn } from '../../oauth/authorize/index.js';
import type { User } from '../../store/store.js';
import { Params } from '../../oauth/params.js';
import { clientAddress } from '../client-address.js';
import { assertCsrfToken, assertSameOrigin, pageUserOf } from '../csrf.js';
import { sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { noticeQuery, provenNotice } from '../notice.js';
import { clearSessionCookie, currentSession, originOf, setSessionCookie } from '../session.js';
import { type AccountPageOptions, accountDeletedPage, accountPage, deleteAccountPage } from '../views/account.js';
import { type FormError, formError } from '../views/form-error.js';
import { tooManyAttempts } from './login.js';

export function accountPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: { publicOrigin: string; secret: string; secureCookies: boolean; securityEventDays: number }) {
  const pageUser = (signedIn: SignedIn) => ({ ...pageUserOf(options.secret, signedIn), name: signedIn.user.name, emailVerified: signedIn.user.emailVerified });
  const page = '/settings/account';
  const canMail = deps.mail !== undefined;
  const securityLog = options.securityEventDays > 0;
  const view = (signedIn: SignedIn, shown: AccountPageOptions) => accountPage(pageUser(signedIn), { ...shown, canMail, securityLog });

  /**
   * The signed-in person's password checked again, as a sign-in is (its throttle counts it): the
   * user as stored, or the error to show (`wrong`, or 429 while the address is locked).
   */
  async function reauthenticate(request: FastifyRequest, signedIn: SignedIn, password: string | undefined, wrong: FormError): Promise<{ user: User } | { status: number; refused: FormError }> {
    const checked = await signInWithPassword(deps, signedIn.user.email, password ?? '', clientAddress(request), 'reauthentication');
    if (checked.ok && checked.user.id === signedIn.user.id) return { user: checked.user };
    const lockedUntil = checked.ok ? 0 : checked.lockedUntil;
    return lockedUntil > 0 ? { status: 429, refused: tooManyAttempts(lockedUntil - deps.now()) } : { status: 400, refused: wrong };
  }

  app.get(page, async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    const kind = singleQueryValue(request, 'notice');
    const proven = (kind === 'password' || kind === 'mailed') && provenNotice(options.secret, signedIn.session.id, kind, signedIn.user.id, singleQueryValue(request, 'proof'));
    const notice = !proven ? undefined : kind === 'password' ? 'Your password was changed, and every other session was signed out.' : `A confirmation link is on its way to ${signedIn.user.email}. It works for 24 hours.`;
    return sendPage(reply, 200, view(signedIn, { notice }));
  });

  app.get(`${page}/delete`, async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(`${page}/delete`)}`, 303);
    return sendPage(reply, 200, deleteAccountPage(pageUserOf(options.secret, signedIn)));
  });

  app.post(`${page}/delete`, async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(`${page}/delete`)}`, 303);
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    const checked = await reauthenticate(request, signedIn, form.get('password'), formError('The password is wrong.', 'password'));
    if ('refused' in checked) return sendPage(reply, checked.status, deleteAccountPage(pageUserOf(options.secret, signedIn), checked.refused));
    await deleteAccount(deps, checked.user, 'user');
    clearSessionCookie(reply, options.secureCookies);
    return sendPage(reply, 200, accountDeletedPage());
  });

  // Mails a link that confirms the address (email-links.ts), awaited: the person is told if the relay refused.
  if (canMail) app.post(`${page}/verify-email`, async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    const refuse = (status: number, mailError: string) => sendPage(reply, status, view(signedIn, { mailError }));
    let outcome;
    try {
      outcome = await sendVerificationMail(deps, signedIn.user);
    } catch (err) {
      if (!(err instanceof MailError)) throw err;
      request.log.error({ err }, 'verification mail not sent');
      return refuse(503, 'The mail could not be sent. Please try again in a minute.');
    }
    if (outcome === 'too_soon') return refuse(429, 'A link was mailed less than a minute ago: please check your mail, or ask again in a minute.');
    if (outcome === 'too_many') return refuse(429, 'Several links were asked for in the last hour: please check your mail (the newest link works), or ask again later.');
    if (outcome === 'unmailable') return refuse(400, 'This address cannot receive mail from this server: ask its operator to confirm it.');
    if (outcome === 'no_user') return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    if (outcome === 'verified') return sendRedirect(reply, page, 303);
    return sendRedirect(reply, `${page}?${noticeQuery(options.secret, signedIn.session.id, 'mailed', 'user', signedIn.user.id)}`, 303);
  });

  app.post(`${page}/password`, async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    const refuse = (status: number, error: FormError) => sendPage(reply, status, view(signedIn, { error }));
    const next = form.get('new_password') ?? '';
    // Said before the current password is checked, which counts as a sign-in attempt.
    if (passwordLength(next) < MIN_PASSWORD) return refuse(400, formError(`The new password must be at least ${MIN_PASSWORD} characters.`, 'new_password'));
    const checked = await reauthenticate(request, signedIn, form.get('current_password'), formError('The current password is wrong.', 'current_password'));
    if ('refused' in checked) return refuse(checked.status, checked.refused);
    try {
      await setPassword(deps, checked.user, next, { ifHash: checked.user.passwordHash ?? '' });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return refuse(400, formError(error.message, 'current_password'));
    }
    setImmediate(() => {
      notifyPasswordChanged(deps, checked.user, 'user').catch((err: unknown) => request.log.error({ err }, 'password change notice not sent'));
    });
    // Checking the password was a re-authentication: a new session replaces this one (OWASP), so a
    // copy of this cookie ends with every other session.
    const changed = await deps.store.users.findById(signedIn.user.id);
    const started = changed && (await startSession(deps, changed, originOf(request)));
    if (!started) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    setSessionCookie(reply, started.token, options.secureCookies);
    return sendRedirect(reply, `${page}?${noticeQuery(options.secret, started.session.id, 'password', 'user', changed.id)}`, 303);
  });
}
