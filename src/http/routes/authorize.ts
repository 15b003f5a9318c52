import type { FastifyInstance } from 'fastify';
import { authorize } from '../../oauth/authorize/index.js';
import { errorRedirect } from '../../oauth/authorize/redirect.js';
import { type ConsentAnswer, consent, validateForConsent } from '../../oauth/consent.js';
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError, loginRequiredJson, unauthorized, validationError } from '../../oauth/errors.js';
import { assertConsentCsrfToken, assertSameOrigin, consentCsrfToken } from '../csrf.js';
import { formParams, oauthParams, queryParams } from '../parse.js';
import { sendCompact, sendRedirect } from '../respond.js';
import { webCaller } from '../caller.js';
import { Params } from '../../oauth/params.js';

/**
 * GET /v1/oauth2/authorize (§3.4) and POST /v1/oauth2/consent (§3.5): the JSON API the
 * authorization page is built on.
 */
export function authorizeRoutes(app: FastifyInstance, ctx: OAuthContext, publicOrigin: string, pageOrigin: string) {
  /** Redirect errors go to the verified redirect URI; the others stay JSON (RFC 6749 §4.1.2.1). */
  const redirectable = (error: unknown): string | undefined =>
    error instanceof OAuthError && error.allowRedirect && error.redirectTo ? errorRedirect(error, error.redirectTo, ctx.issuer) : undefined;

  app.get('/v1/oauth2/authorize', async (request, reply) => {
    const { signedIn } = await webCaller(request, ctx);
    try {
      const outcome = await authorize(await oauthParams(request), signedIn, ctx);
      if (outcome.kind === 'redirect') return sendRedirect(reply, outcome.location);
      if (outcome.kind === 'login' || !signedIn) throw loginRequiredJson();
      // D14: the consent form must echo this token; it is bound to the session and to what
      // this answer shows (D6). It carries the user's email and that token: no cache may keep it.
      const csrf = consentCsrfToken(ctx.secret, signedIn.session.id, outcome.request.client.clientId, outcome.request.scope);
      return sendCompact(reply, 200, { ...outcome.response, csrf_token: csrf }, { 'cache-control': 'no-store' });
    } catch (error) {
      const location = redirectable(error);
      if (location) return sendRedirect(reply, location);
      throw error;
    }
  });

  app.post('/v1/oauth2/consent', async (request, reply) => {
    // An authorization page of our own served at another origin posts its consent form here.
    assertSameOrigin(request, publicOrigin, pageOrigin);
    const { signedIn } = await webCaller(request, ctx);
    if (!signedIn) throw unauthorized();
    const form = await formParams(request);
    const body = new Params(new Map(), form);
    const action = body.get('action');
    if (action !== 'allow' && action !== 'deny') {
      throw action === undefined
        ? validationError(['body', 'action'], 'Field required', 'missing', null)
        : validationError(['body', 'action'], "Input should be 'allow' or 'deny'", 'literal_error', action, {
            expected: "'allow' or 'deny'",
          });
    }
    const answer: ConsentAnswer = { action, organizations: body.all('organizations') };
    // The authorization request travels in the query string, as the page received it (§3.5), but
    // Polar reads it from query and body merged (§2.5): a `sub_type` sent in the body must still
    // ask for one organization. `organizations` is the answer's (consent.ts adds the query's).
    const fields = new Map(form);
    fields.delete('organizations');
    const params = new Params(queryParams(request), fields);
    try {
      const pending = await validateForConsent(params, ctx);
      // Checked on the request as validated now: a token for a narrower scope fails (D6).
      assertConsentCsrfToken(ctx.secret, signedIn.session.id, pending.client.clientId, pending.scope, body.get('csrf_token'));
      const outcome = await consent(pending, params, answer, signedIn, ctx);
      // Signed in longer ago than `max_age` allows: what GET /v1/oauth2/authorize answers then,
      // on which a frontend sends the user to sign in (shape E).
      if (outcome.kind === 'login') throw loginRequiredJson();
      return sendRedirect(reply, outcome.location);
    } catch (error) {
      const location = redirectable(error);
      if (location) return sendRedirect(reply, location);
      throw error;
    }
  });
}
