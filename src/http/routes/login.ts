import type { FastifyInstance } from 'fastify';
import { type AccountsDeps, authenticate, startSession } from '../../accounts/accounts.js';
import { Params } from '../../oauth/params.js';
import { assertSameOrigin } from '../csrf.js';
import { formParams } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { SESSION_COOKIE, clearSessionCookie, setSessionCookie } from '../session.js';
import { loginPage } from '../views/login.js';

const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'strict-origin-when-cross-origin',
};

/** Sign-in and sign-out with the web session cookie (issue: accounts and sessions). */
export function loginRoutes(app: FastifyInstance, deps: AccountsDeps, options: { publicOrigin: string; secureCookies: boolean }) {
  app.get('/login', async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, string | undefined>).return_to);
    return reply.headers(PAGE_HEADERS).send(loginPage(returnTo));
  });

  app.post('/login', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = safeReturnTo(form.get('return_to'));
    const user = await authenticate(deps, form.get('email') ?? '', form.get('password') ?? '');
    if (!user) {
      // The same words for an unknown email and a wrong password: do not reveal which.
      return reply.code(401).headers(PAGE_HEADERS).send(loginPage(returnTo, 'Wrong email or password.'));
    }
    const { token } = await startSession(deps, user);
    setSessionCookie(reply, token, options.secureCookies);
    return sendRedirect(reply, returnTo, 303);
  });

  app.post('/logout', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const value = request.cookies[SESSION_COOKIE];
    if (value) await deps.store.sessions.delete(deps.credentials.hash(value));
    clearSessionCookie(reply, options.secureCookies);
    return sendRedirect(reply, '/login', 303);
  });
}
