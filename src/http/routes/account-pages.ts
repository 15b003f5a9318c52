/**
 * /settings/account: changing one's password. The current password is checked as a sign-in is,
 * counted by the same throttle (sign-in.ts), so a stolen session cannot guess it; the change
 * ends every other session of the user (accounts.ts, setPassword).
 */
import type { FastifyInstance } from 'fastify';
import { AccountError, type AccountsDeps, MIN_PASSWORD, setPassword } from '../../accounts/accounts.js';
import { signInWithPassword } from '../../accounts/sign-in.js';
import { Params } from '../../oauth/params.js';
import { clientAddress } from '../client-address.js';
import { assertCsrfToken, assertSameOrigin, csrfToken } from '../csrf.js';
import { sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { currentSession } from '../session.js';
import { accountPage } from '../views/account.js';
import { formError } from '../views/form-error.js';
import { minutes } from './login.js';

export function accountPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: { publicOrigin: string; secret: string }) {
  const pageUser = (signedIn: { user: { email: string; name: string | null }; session: { id: string } }) => ({
    email: signedIn.user.email,
    name: signedIn.user.name,
    csrfToken: csrfToken(options.secret, signedIn.session.id),
  });

  app.get('/settings/account', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent('/settings/account')}`, 303);
    const notice = singleQueryValue(request, 'notice') === 'password' ? 'Your password was changed, and your other sessions were signed out.' : undefined;
    return sendPage(reply, 200, accountPage(pageUser(signedIn), { notice }));
  });

  app.post('/settings/account/password', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent('/settings/account')}`, 303);
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    const next = form.get('new_password') ?? '';
    // Said before the current password is checked, which counts as a sign-in attempt.
    if (next.length < MIN_PASSWORD) {
      const error = formError(`The new password must be at least ${MIN_PASSWORD} characters.`, 'new_password');
      return sendPage(reply, 400, accountPage(pageUser(signedIn), { error }));
    }
    const checked = await signInWithPassword(deps, signedIn.user.email, form.get('current_password') ?? '', clientAddress(request));
    if (!checked.ok || checked.user.id !== signedIn.user.id) {
      const lockedUntil = checked.ok ? 0 : checked.lockedUntil;
      const error = lockedUntil > 0 ? formError(`Too many failed attempts. Try again in ${minutes(lockedUntil - deps.now())}.`) : formError('The current password is wrong.', 'current_password');
      return sendPage(reply, lockedUntil > 0 ? 429 : 400, accountPage(pageUser(signedIn), { error }));
    }
    try {
      await setPassword(deps, signedIn.user, next, signedIn.session.id);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return sendPage(reply, 400, accountPage(pageUser(signedIn), { error: formError(error.message, 'new_password') }));
    }
    return sendRedirect(reply, '/settings/account?notice=password', 303);
  });
}
