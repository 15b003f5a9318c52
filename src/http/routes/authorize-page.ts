/**
 * The built-in authorization page at /oauth2/authorize — the `authorization_endpoint` that
 * discovery advertises (polar-oauth2.md §3.6). It calls the same core as the JSON API:
 * sign-in when needed (`prompt=login` forces a fresh one and is rewritten to `consent` in
 * `return_to` so it does not loop), auto-approval, or the consent form, which posts back here.
 * Errors that must not redirect are rendered as a page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accessibleOrganizations } from '../../accounts/organization-access.js';
import { type AuthorizeResponse, type SignedIn, authorize, authorizeResponse } from '../../oauth/authorize/index.js';
import { type AuthorizationRequest, validateAuthorizationRequest } from '../../oauth/authorize/request.js';
import { errorRedirect } from '../../oauth/authorize/redirect.js';
import { consent, validateForConsent } from '../../oauth/consent.js';
import type { OAuthContext } from '../../oauth/context.js';
import { ApiError, OAuthError } from '../../oauth/errors.js';
import { Params } from '../../oauth/params.js';
import { scopeCovers, splitScope } from '../../oauth/scopes.js';
import type { Organization } from '../../store/store.js';
import { webCaller } from '../caller.js';
import { assertSameOrigin, csrfToken, isCsrfToken, pageUserOf } from '../csrf.js';
import { sendPage } from '../pages/page.js';
import { formParams, oauthParams, queryParams } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { consentPage } from '../views/consent.js';
import { errorPage } from '../views/error.js';
import { type FormError, formError } from '../views/form-error.js';

const PAGE = '/oauth2/authorize';
/** The longest authorization URL a posted request becomes, leaving room for the other headers. */
const MAX_REQUEST_URL = 12_288;
const REQUEST_TOO_LONG = `The authorization request is too long: ${MAX_REQUEST_URL.toLocaleString('en-US')} characters at most, once URL-encoded.`;

const sameScopes = (shown: string | undefined, scope: string) => scopeCovers(shown ?? '', scope) && scopeCovers(scope, shown ?? '');

function rawQuery(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at === -1 ? '' : request.url.slice(at + 1);
}

const silent = (request: FastifyRequest) => splitScope(new URLSearchParams(rawQuery(request)).get('prompt') ?? '').includes('none');

/**
 * Where to come back after signing in: the same request, with `prompt=login` turned into
 * `consent` and `max_age` dropped, both met by the sign-in that just happened, so it does not loop.
 */
function returnTo(request: FastifyRequest): string {
  const query = new URLSearchParams(rawQuery(request));
  const prompt = query.get('prompt');
  if (prompt) query.set('prompt', prompt.split(' ').map((p) => (p === 'login' ? 'consent' : p)).join(' '));
  query.delete('max_age');
  return `${PAGE}?${query}`;
}

const signInFirst = (reply: FastifyReply, back: string) => sendRedirect(reply, `/login?return_to=${encodeURIComponent(back)}`, 303);

export function authorizePageRoutes(app: FastifyInstance, ctx: OAuthContext, publicOrigin: string) {
  /** Redirect errors go to the client; the others are shown here (RFC 6749 §4.1.2.1). */
  function fail(reply: FastifyReply, error: unknown, signedIn: SignedIn | undefined) {
    // A signed-in person keeps their navigation and their way to sign out, as on every page.
    const user = signedIn && pageUserOf(ctx.secret, signedIn);
    if (error instanceof OAuthError) {
      if (error.allowRedirect && error.redirectTo) return sendRedirect(reply, errorRedirect(error, error.redirectTo, ctx.issuer));
      // With its challenge: a 401 (a bad Bearer credential) must carry WWW-Authenticate (RFC 9110 §15.5.2).
      return sendPage(reply.headers(error.headers), error.status, errorPage(error.error, error.description, user));
    }
    if (error instanceof ApiError) {
      const body = error.body() as { detail?: unknown };
      return sendPage(reply.headers(error.headers), error.status, errorPage('access_denied', typeof body.detail === 'string' ? body.detail : undefined, user));
    }
    throw error;
  }

  /** `chosen`: what a form shown again had selected, kept as the person left it. */
  function showConsent(
    reply: FastifyReply,
    request: FastifyRequest,
    signedIn: SignedIn,
    pending: AuthorizationRequest,
    data: AuthorizeResponse,
    organizations: Organization[],
    error?: FormError,
    chosen?: { mode: 'all' | 'specific' | undefined; organizations: string[] },
  ) {
    const token = csrfToken(ctx.secret, signedIn.session.id);
    const here = `${PAGE}?${rawQuery(request)}`;
    const organizationNames = new Map(organizations.map((o) => [o.id, o.name]));
    return sendPage(
      reply,
      error ? 400 : 200,
      consentPage({
        data,
        organizationNames,
        preselected: chosen?.organizations ?? pending.organizations,
        mode: chosen?.mode,
        formAction: here,
        csrfToken: token,
        createOrgUrl: `/settings/organizations?return_to=${encodeURIComponent(here)}`,
        redirectUri: pending.redirectUri,
        user: { email: signedIn.user.email, csrfToken: token },
        signOutReturnTo: returnTo(request),
        error,
      }),
      { redirectsTo: pending.redirectUri },
    );
  }

  app.get(PAGE, async (request, reply) => {
    let signedIn: SignedIn | undefined;
    try {
      ({ signedIn } = await webCaller(request, ctx));
      const outcome = await authorize(await oauthParams(request), signedIn, ctx);
      if (outcome.kind === 'redirect') return sendRedirect(reply, outcome.location);
      if (outcome.kind === 'login' || !signedIn) return signInFirst(reply, returnTo(request));
      return showConsent(reply, request, signedIn, outcome.request, outcome.response, outcome.organizations);
    } catch (error) {
      // RFC 9700 §4.11.2: the user signs in before anything redirects to the client, but for silent
      // authentication (prompt=none). Else anyone who registers a client could use its error
      // redirects to send a signed-out visitor from this page to any site (compatibility.md).
      // It comes back to the request as it was, to meet the same error.
      const redirects = error instanceof OAuthError && error.allowRedirect && error.redirectTo !== undefined;
      if (redirects && !signedIn && !silent(request)) return signInFirst(reply, `${PAGE}?${rawQuery(request)}`);
      return fail(reply, error, signedIn);
    }
  });

  app.post(PAGE, async (request, reply) => {
    /** Who is signed in, for an error page's navigation. */
    let caller: SignedIn | undefined;
    try {
      const fields = await formParams(request);
      // OIDC Core §3.1.2.1: the authorization endpoint MUST take a request sent as a form POST
      // too (a relying party's auto-submitted form, cross-site by nature). It names `client_id`
      // and has no query, where the consent form below is the opposite; it goes on as the GET
      // it stands for, so that request's every rule applies, and nothing is granted here.
      if (fields.has('client_id') && rawQuery(request) === '') {
        const query = new URLSearchParams([...fields].flatMap(([name, values]) => values.map((value): [string, string] => [name, value])));
        const location = `${PAGE}?${query}`;
        // Node reads a request line and its headers within 16 KiB (431 past it): a longer URL
        // would be refused, cookies and all, once the browser follows it. Said here instead.
        if (location.length > MAX_REQUEST_URL) return sendPage(reply, 400, errorPage('invalid_request', REQUEST_TOO_LONG));
        return sendRedirect(reply, location, 303);
      }
      assertSameOrigin(request, publicOrigin);
      const { signedIn } = await webCaller(request, ctx);
      caller = signedIn;
      if (!signedIn) return signInFirst(reply, returnTo(request));
      const form = new Params(new Map(), fields);
      const modeSent = form.get('organization_mode');
      const mode = modeSent === 'all' || modeSent === 'specific' ? modeSent : undefined;
      const ticked = form.all('organizations');
      /** The page again, for the session signed in now, with why and the choices as sent; nothing is granted. */
      const showAgain = async (why: FormError) => {
        const shown = await validateAuthorizationRequest(new Params(queryParams(request), new Map()), ctx);
        const organizations = await accessibleOrganizations(ctx.store, signedIn.session);
        return showConsent(reply, request, signedIn, shown, authorizeResponse(shown, signedIn.user, organizations), organizations, why, { mode, organizations: ticked.map((id) => id.toLowerCase()) });
      };
      // A form from this site (assertSameOrigin) without this session's token: most often the
      // person signed out and in again in another tab. Asked again, never granted: a forged
      // post can only make the page show itself.
      if (!isCsrfToken(ctx.secret, signedIn.session.id, form.get('csrf_token'))) {
        return showAgain(formError('This page expired, or you signed in again since it was shown. Please review it again.'));
      }
      const action = form.get('action') === 'allow' ? 'allow' : 'deny';
      // "All organizations" means no down-scope rows. Boxes ticked with it are a contradiction
      // a form without script cannot prevent: asked, rather than guessed either way.
      const organizations = mode === 'all' ? [] : ticked;
      if (action === 'allow' && mode === 'all' && ticked.length > 0) {
        return showAgain(formError('You chose All organizations and also ticked some: untick them, or choose Only the organizations selected below.', 'organizations'));
      }
      if (action === 'allow' && mode === 'specific' && organizations.length === 0) {
        // An empty selection would mean "unrestricted": the opposite of what the user chose.
        return showAgain(formError('Select at least one organization, or choose All organizations.', 'organizations'));
      }
      // The page showed the request's `organizations` as ticked boxes, so the form alone says
      // what the user chose; merged with the query as well (§2.5, the JSON API's rule), a box the
      // user unticked would still be granted.
      const query = queryParams(request);
      query.delete('organizations');
      const params = new Params(query, new Map());
      const pending = await validateForConsent(params, ctx);
      // D6: what is granted is what the page showed. The scope is narrowed to the client's
      // registration as it is now, which its owner may have widened since the page was shown.
      // Likewise when the app now acts for one organization and the page offered several
      // (`organization_mode` belongs to the several-organization picker only).
      const changed = !sameScopes(form.get('shown_scope'), pending.scope) || (pending.requiresSingleOrganization && mode !== undefined);
      if (action === 'allow' && changed) return showAgain(formError('What this app asks for has changed. Please review it again.'));
      const outcome = await consent(pending, params, { action, organizations }, signedIn, ctx);
      // Signed in longer ago than `max_age` allows (the page was left open): sign in again, then
      // the request comes back without `max_age`, met by that sign-in.
      if (outcome.kind === 'login') return signInFirst(reply, returnTo(request));
      return sendRedirect(reply, outcome.location, 303);
    } catch (error) {
      return fail(reply, error, caller);
    }
  });
}
