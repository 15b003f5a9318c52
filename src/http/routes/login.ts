import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, createUser } from '../../accounts/accounts.js';
import { startSession } from '../../accounts/sessions.js';
import { sendVerificationMail } from '../../accounts/email-links.js';
import { signInWithPassword } from '../../accounts/sign-in.js';
import { Params } from '../../oauth/params.js';
import { clientAddress } from '../client-address.js';
import { assertSameOrigin, fromBrowser, isCsrfToken, isPreSessionToken, pageUserOf, preSessionToken } from '../csrf.js';
import { type PageOptions, sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { clearSessionCookie, currentSession, endPresentedSession, originOf, setSessionCookie } from '../session.js';
import { type AuthFormOptions, loginPage, signOutAgainPage, signupPage } from '../views/login.js';
import { formError, formErrorOf } from '../views/form-error.js';

export interface LoginOptions {
  publicOrigin: string;
  secureCookies: boolean;
  signupOpen: boolean;
  /** Sign-ups per minute per address (BOREALIS_REGISTRATION_RATE_LIMIT): each costs a password hash and a stored user. */
  signupsPerMinute: number;
  secret: string;
  /** The page options (CSP) for a form that returns to `returnTo` (pages/form-target.ts). */
  formLeadsTo: (returnTo: string | undefined) => Promise<PageOptions>;
}

/** A sign-in lock (sign-in.ts) with `seconds` left, in words: at least a minute. */
export const tooManyAttempts = (seconds: number) => {
  const n = Math.max(1, Math.ceil(seconds / 60));
  return formError(`Too many failed attempts. Try again in ${n === 1 ? '1 minute' : `${n} minutes`}.`);
};

/** Sign-in, sign-up and sign-out with the `polar_session` cookie. */
export function loginRoutes(app: FastifyInstance, deps: AccountsDeps, options: LoginOptions) {
  const returnToOf = (request: FastifyRequest) => safeReturnTo(singleQueryValue(request, 'return_to'));

  /** A sign-in or sign-up page, with its pre-session CSRF token (D14). */
  async function authPage(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    view: (options: AuthFormOptions) => string,
    fields: Omit<AuthFormOptions, 'csrfToken' | 'signupOpen' | 'passwordReset'>,
  ) {
    const csrfToken = preSessionToken(options.secret, request, reply, options.secureCookies);
    const passwordReset = deps.mail !== undefined;
    return sendPage(reply, status, view({ ...fields, csrfToken, signupOpen: options.signupOpen, passwordReset }), await options.formLeadsTo(fields.returnTo));
  }

  /**
   * A browser's POST must carry the token of the page it came from (login CSRF: a forged sign-in
   * into the attacker's account). A refused one gets the form again, nothing done.
   */
  const tokenRefused = (request: FastifyRequest, form: Params) =>
    fromBrowser(request) && !isPreSessionToken(options.secret, request, form.get('csrf_token'), options.secureCookies);
  const EXPIRED = formError('The form expired. Please try again.');

  app.get('/login', async (request, reply) => authPage(request, reply, 200, loginPage, { returnTo: returnToOf(request) }));

  app.post('/login', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = safeReturnTo(form.get('return_to'));
    const email = form.get('email') ?? '';
    if (tokenRefused(request, form)) return authPage(request, reply, 403, loginPage, { returnTo, error: EXPIRED, email });
    const result = await signInWithPassword(deps, email, form.get('password') ?? '', clientAddress(request));
    // A user blocked between the password check and the session (startSession) is refused alike.
    const started = result.ok ? await startSession(deps, result.user, originOf(request)) : undefined;
    if (!result.ok || !started) {
      const lockedUntil = result.ok ? 0 : result.lockedUntil;
      // The same words for an unknown email and a wrong password: do not reveal which.
      const error = lockedUntil > 0 ? tooManyAttempts(lockedUntil - deps.now()) : formError('Wrong email or password.', 'email', 'password');
      // 400, not 401: a 401 must carry a WWW-Authenticate challenge (RFC 9110 §15.5.2), and a
      // form sign-in has no scheme to name.
      return authPage(request, reply, lockedUntil > 0 ? 429 : 400, loginPage, { returnTo, error, email });
    }
    await endPresentedSession(request, deps);
    setSessionCookie(reply, started.token, options.secureCookies);
    return sendRedirect(reply, returnTo, 303);
  });

  app.get('/signup', async (request, reply) => {
    const returnTo = returnToOf(request);
    if (!options.signupOpen) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    return authPage(request, reply, 200, signupPage, { returnTo });
  });

  app.post('/signup', { config: { rateLimit: { max: options.signupsPerMinute, timeWindow: 60_000 } } }, async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = safeReturnTo(form.get('return_to'));
    if (!options.signupOpen) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    const email = form.get('email') ?? '';
    if (tokenRefused(request, form)) return authPage(request, reply, 403, signupPage, { returnTo, error: EXPIRED, email });
    try {
      const user = await createUser(deps, { email, password: form.get('password') ?? '', name: form.get('name') });
      // Mailed after the answer: the sign-up does not wait on the relay, nor fail with it.
      if (deps.mail) setImmediate(() => void sendVerificationMail(deps, user).catch((err: unknown) => request.log.error({ err }, 'verification mail not sent')));
      const started = await startSession(deps, user, originOf(request));
      // Blocked the moment it was created: the sign-in page says no more than it would then.
      if (!started) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(returnTo)}`, 303);
      await endPresentedSession(request, deps);
      setSessionCookie(reply, started.token, options.secureCookies);
      return sendRedirect(reply, returnTo, 303);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return authPage(request, reply, 400, signupPage, { returnTo, error: formErrorOf(error), email, name: form.get('name') });
    }
  });

  app.post('/logout', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const signedIn = await currentSession(request, deps);
    const form = new Params(new Map(), await formParams(request));
    // Signing out on the consent page to switch accounts: the next sign-in carries on with the
    // request. Read before anything is deleted: a malformed form signs no one out.
    const back = safeReturnTo(form.get('return_to'));
    // A browser form carries the session's CSRF token; scripts (no Sec-Fetch-Site, no Origin) may
    // omit it. One from this site with an older session's token is asked again, not refused.
    if (signedIn && fromBrowser(request) && !isCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'))) {
      const user = pageUserOf(options.secret, signedIn);
      return sendPage(reply, 403, signOutAgainPage(user, back));
    }
    await endPresentedSession(request, deps);
    clearSessionCookie(reply, options.secureCookies);
    return sendRedirect(reply, back === '/' ? '/login' : `/login?return_to=${encodeURIComponent(back)}`, 303);
  });
}
