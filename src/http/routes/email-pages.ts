/**
 * The pages of links sent by mail (accounts/email-links.ts), served only when a mail relay is
 * configured: "Forgot your password?", the reset link's form, and the confirmation link's form.
 * Opening a link (GET) spends nothing; its form's POST does. Pages whose address holds a link's
 * token send no Referer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps } from '../../accounts/accounts.js';
import {
  RESET_PASSWORD_PATH,
  VERIFY_EMAIL_PATH,
  findEmailLink,
  notifyPasswordChanged,
  requestPasswordReset,
  resetPassword,
  verifyEmail,
} from '../../accounts/email-links.js';
import type { SignedIn } from '../../oauth/authorize/index.js';
import { Params } from '../../oauth/params.js';
import type { EmailLinkPurpose, User } from '../../store/store.js';
import { assertCsrfToken, assertSameOrigin, fromBrowser, isPreSessionToken, pageUserOf, preSessionToken } from '../csrf.js';
import { sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { currentSession } from '../session.js';
import {
  emailVerifiedPage,
  forgotPasswordPage,
  linkInvalidPage,
  passwordResetPage,
  resetLinkSentPage,
  resetPasswordPage,
  signInToConfirmPage,
  verifyEmailPage,
} from '../views/email-links.js';
import { type FormError, formError } from '../views/form-error.js';

export interface EmailPageOptions {
  publicOrigin: string;
  secret: string;
  secureCookies: boolean;
}

/** Reset requests per minute per address: each may send a mail (and one per minute per account, email-links.ts). */
const RESET_REQUESTS_PER_MINUTE = 10;
const EXPIRED = formError('The form expired. Please try again.');

export function emailPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: EmailPageOptions) {
  const csrf = (request: FastifyRequest, reply: FastifyReply) => preSessionToken(options.secret, request, reply, options.secureCookies);
  /** A browser's POST carries the token of the page it came from; scripts (no Sec-Fetch-Site, no Origin) need not. */
  const refused = (request: FastifyRequest, form: Params) => fromBrowser(request) && !isPreSessionToken(options.secret, request, form.get('csrf_token'), options.secureCookies);
  const linkPage = (reply: FastifyReply, status: number, page: string) => sendPage(reply, status, page, { noReferrer: true });

  app.get('/forgot-password', async (request, reply) => sendPage(reply, 200, forgotPasswordPage({ csrfToken: csrf(request, reply) })));

  app.post('/forgot-password', { config: { rateLimit: { max: RESET_REQUESTS_PER_MINUTE, timeWindow: 60_000 } } }, async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const email = (form.get('email') ?? '').trim();
    if (refused(request, form)) return sendPage(reply, 403, forgotPasswordPage({ csrfToken: csrf(request, reply), email, error: EXPIRED }));
    if (email === '') return sendPage(reply, 400, forgotPasswordPage({ csrfToken: csrf(request, reply), error: formError('Enter the email address of your account.', 'email') }));
    // After the answer is sent: its timing must not tell whether an account has the address.
    setImmediate(() => {
      requestPasswordReset(deps, email).catch((err: unknown) => request.log.error({ err }, 'password reset mail not sent'));
    });
    return sendPage(reply, 200, resetLinkSentPage(email));
  });

  /** The link a page's address names (opening it spends nothing), and the user it is good for. */
  async function opened(request: FastifyRequest, purpose: EmailLinkPurpose) {
    const token = singleQueryValue(request, 'token') ?? '';
    return { token, user: await findEmailLink(deps, token, purpose) };
  }
  /** The link a form from this site names, its fields, and the user it is good for. */
  async function posted(request: FastifyRequest, purpose: EmailLinkPurpose) {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const token = form.get('token') ?? '';
    return { form, token, user: await findEmailLink(deps, token, purpose) };
  }

  app.get(RESET_PASSWORD_PATH, async (request, reply) => {
    const { token, user } = await opened(request, 'reset_password');
    if (!user) return linkPage(reply, 404, linkInvalidPage('reset_password'));
    return linkPage(reply, 200, resetPasswordPage({ csrfToken: csrf(request, reply), token, user }));
  });

  app.post(RESET_PASSWORD_PATH, async (request, reply) => {
    const { form, token, user } = await posted(request, 'reset_password');
    if (!user) return linkPage(reply, 404, linkInvalidPage('reset_password'));
    const again = (status: number, error: FormError) =>
      linkPage(reply, status, resetPasswordPage({ csrfToken: csrf(request, reply), token, user, error }));
    if (refused(request, form)) return again(403, EXPIRED);
    try {
      const reset = await resetPassword(deps, token, form.get('new_password') ?? '', { endAppAccess: form.get('end_app_access') === 'on' });
      if (!reset) return linkPage(reply, 404, linkInvalidPage('reset_password'));
      setImmediate(() => {
        notifyPasswordChanged(deps, reset.user, 'reset_link').catch((err: unknown) => request.log.error({ err }, 'password change notice not sent'));
      });
      return linkPage(reply, 200, passwordResetPage(reset.tokensRevoked));
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      return again(400, formError(error.message, 'new_password'));
    }
  });

  /**
   * Confirming takes the account's own session; anyone else is asked to sign in to it. A link that
   * anyone could spend would let a person who made an account in someone else's name have it
   * confirmed by that someone's click on the mail, and keep it (a pre-hijacked account).
   */
  const signInToConfirm = (reply: FastifyReply, status: number, token: string, user: User, signedIn: SignedIn | undefined) =>
    linkPage(reply, status, signInToConfirmPage(user.email, `${VERIFY_EMAIL_PATH}?token=${encodeURIComponent(token)}`, signedIn && pageUserOf(options.secret, signedIn)));

  app.get(VERIFY_EMAIL_PATH, async (request, reply) => {
    const { token, user } = await opened(request, 'verify_email');
    if (!user) return linkPage(reply, 404, linkInvalidPage('verify_email'));
    const signedIn = await currentSession(request, deps);
    if (!signedIn || signedIn.user.id !== user.id) return signInToConfirm(reply, 200, token, user, signedIn);
    return linkPage(reply, 200, verifyEmailPage({ user: pageUserOf(options.secret, signedIn), token }));
  });

  app.post(VERIFY_EMAIL_PATH, async (request, reply) => {
    const { form, token, user } = await posted(request, 'verify_email');
    if (!user) return linkPage(reply, 404, linkInvalidPage('verify_email'));
    const signedIn = await currentSession(request, deps);
    if (!signedIn || signedIn.user.id !== user.id) return signInToConfirm(reply, 403, token, user, signedIn);
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    if (!(await verifyEmail(deps, token))) return linkPage(reply, 404, linkInvalidPage('verify_email'));
    return linkPage(reply, 200, emailVerifiedPage(pageUserOf(options.secret, signedIn)));
  });
}
