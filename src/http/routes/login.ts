import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, createUser, startSession } from '../../accounts/accounts.js';
import { signInWithPassword } from '../../accounts/sign-in.js';
import { Params } from '../../oauth/params.js';
import { assertCsrfToken, assertSameOrigin } from '../csrf.js';
import { type PageOptions, sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { SESSION_COOKIE, clearSessionCookie, currentSession, setSessionCookie } from '../session.js';
import { loginPage, signupPage } from '../views/login.js';

export interface LoginOptions {
  publicOrigin: string;
  secureCookies: boolean;
  signupOpen: boolean;
  secret: string;
  /** The page options (CSP) for a form that returns to `returnTo` (pages/form-target.ts). */
  formLeadsTo: (returnTo: string | undefined) => Promise<PageOptions>;
}

const minutes = (seconds: number) => Math.max(1, Math.ceil(seconds / 60));

/** Sign-in, sign-up and sign-out with the `polar_session` cookie. */
export function loginRoutes(app: FastifyInstance, deps: AccountsDeps, options: LoginOptions) {
  const returnToOf = (request: FastifyRequest) => safeReturnTo(singleQueryValue(request, 'return_to'));

  app.get('/login', async (request, reply) => {
    const returnTo = returnToOf(request);
    return sendPage(reply, 200, loginPage({ returnTo, signupOpen: options.signupOpen }), await options.formLeadsTo(returnTo));
  });

  app.post('/login', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = safeReturnTo(form.get('return_to'));
    const email = form.get('email') ?? '';
    const result = await signInWithPassword(deps, email, form.get('password') ?? '', request.ip);
    if (!result.ok) {
      // The same words for an unknown email and a wrong password: do not reveal which.
      const error =
        result.lockedUntil > 0
          ? `Too many failed attempts. Try again in ${minutes(result.lockedUntil - deps.now())} minutes.`
          : 'Wrong email or password.';
      return sendPage(reply, result.lockedUntil > 0 ? 429 : 401, loginPage({ returnTo, error, email, signupOpen: options.signupOpen }), await options.formLeadsTo(returnTo));
    }
    const { token } = await startSession(deps, result.user);
    setSessionCookie(reply, token, options.secureCookies);
    return sendRedirect(reply, returnTo, 303);
  });

  app.get('/signup', async (request, reply) => {
    const returnTo = returnToOf(request);
    if (!options.signupOpen) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    return sendPage(reply, 200, signupPage({ returnTo, signupOpen: true }), await options.formLeadsTo(returnTo));
  });

  app.post('/signup', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = safeReturnTo(form.get('return_to'));
    if (!options.signupOpen) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(returnTo)}`, 303);
    const email = form.get('email') ?? '';
    try {
      const user = await createUser(deps, { email, password: form.get('password') ?? '', name: form.get('name') });
      const { token } = await startSession(deps, user);
      setSessionCookie(reply, token, options.secureCookies);
      return sendRedirect(reply, returnTo, 303);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return sendPage(reply, 400, signupPage({ returnTo, error: error.message, email, signupOpen: true }), await options.formLeadsTo(returnTo));
    }
  });

  app.post('/logout', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const signedIn = await currentSession(request, deps);
    if (signedIn) {
      // A browser form carries the session's CSRF token; API clients (no Sec-Fetch-Site) may omit it.
      const form = new Params(new Map(), await formParams(request));
      if (request.headers['sec-fetch-site'] !== undefined) assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
      await deps.store.sessions.delete(deps.credentials.hash(request.cookies[SESSION_COOKIE] ?? ''));
    }
    clearSessionCookie(reply, options.secureCookies);
    return sendRedirect(reply, '/login', 303);
  });
}
