/**
 * CSRF defence for state-changing forms (D14):
 *  1. Fetch metadata: a browser that says the POST is cross-site (`Sec-Fetch-Site`), or whose
 *     `Origin` is another origin, is refused. Non-browser clients send neither and pass.
 *  2. A token in the form, from a browser: for session-bound forms, derived from the session
 *     (HMAC under the server secret), so it needs no storage and dies with the session; for the
 *     forms shown before there is a session (sign-in, sign-up: login CSRF), derived the same
 *     way from a random value in a cookie of its own that the page sets.
 * `Origin: null` alone is not trusted, but a same-origin `Sec-Fetch-Site` is (pitfalls.md:
 * Chromium sends `Origin: null` under `Referrer-Policy: no-referrer`).
 */
import '@fastify/cookie';
import { createHmac, randomBytes } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../oauth/authorize/index.js';
import { safeEqual } from '../oauth/credentials.js';
import { notPermitted } from '../oauth/errors.js';
import { splitScope } from '../oauth/scopes.js';

/**
 * `pageOrigin`: the origin of an authorization page served elsewhere
 * (BOREALIS_AUTHORIZATION_ENDPOINT), whose consent form posts here from its own origin.
 */
export function assertSameOrigin(request: FastifyRequest, publicOrigin: string, pageOrigin?: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return;
  const origin = request.headers.origin;
  if (pageOrigin !== undefined && origin === pageOrigin) return;
  if (site !== undefined) throw notPermitted('Cross-site request refused.');
  if (origin === undefined) return;
  const own = `${request.protocol}://${request.host}`;
  if (origin !== publicOrigin && origin !== own) throw notPermitted('Cross-site request refused.');
}

/** The token bound to `binding`: a session's id, or a pre-session cookie's value (below). */
export const csrfToken = (secret: string, binding: string): string =>
  createHmac('sha256', secret).update(`csrf:${binding}`).digest('base64url');

/**
 * The signed-in person as every page shows them: their email, and their session's token for the
 * page's forms and the navigation's sign-out button (views/layout.ts).
 */
export const pageUserOf = (secret: string, signedIn: SignedIn): { email: string; csrfToken: string } => ({
  email: signedIn.user.email,
  csrfToken: csrfToken(secret, signedIn.session.id),
});

/** Whether `presented` is the token of `binding` (a session id: the built-in consent page asks, to show itself again). */
export const isCsrfToken = (secret: string, binding: string, presented: string | undefined): boolean =>
  presented !== undefined && presented !== '' && safeEqual(presented, csrfToken(secret, binding));

export function assertCsrfToken(secret: string, sessionId: string, presented: string | undefined): void {
  if (!isCsrfToken(secret, sessionId, presented)) throw notPermitted('Invalid or missing CSRF token.');
}

/** Scope order and repeats do not change what is granted, so they do not change the token. */
const consentBinding = (sessionId: string, clientId: string, scope: string) =>
  `${sessionId} consent ${clientId} ${[...new Set(splitScope(scope))].sort().join(' ')}`;

/**
 * The JSON consent API's token (GET /v1/oauth2/authorize hands it out, the consent POST echoes
 * it). Besides the session it binds the client and the scope the consent data showed (D6: what
 * is granted is what was shown): the scope is narrowed to the client's registration again when
 * Allow is posted, so an owner who widened the registration in between would otherwise be
 * granted scopes no one saw. The built-in page binds its form to what it showed instead
 * (`shown_scope`), so it can show the page again.
 */
export const consentCsrfToken = (secret: string, sessionId: string, clientId: string, scope: string): string =>
  csrfToken(secret, consentBinding(sessionId, clientId, scope));

export function assertConsentCsrfToken(secret: string, sessionId: string, clientId: string, scope: string, presented: string | undefined): void {
  if (!isCsrfToken(secret, consentBinding(sessionId, clientId, scope), presented)) {
    throw notPermitted('Invalid or missing CSRF token, or the request changed since its consent data was read.');
  }
}

/**
 * A browser's form POST: browsers send `Sec-Fetch-Site` or `Origin` with it. Scripts that sign in
 * over HTTP send neither, and cannot be a CSRF victim; they need no token.
 */
export const fromBrowser = (request: FastifyRequest): boolean =>
  request.headers['sec-fetch-site'] !== undefined || request.headers.origin !== undefined;

/**
 * The pre-session cookie. Over https it has the `__Host-` prefix (RFC 6265bis §4.1.3.2): a browser
 * keeps it only as this host set it (Secure, path `/`, no Domain), so another subdomain cannot
 * plant one of that name that shadows it and makes every sign-in form here fail. The session
 * cookie keeps Polar's name (`polar_session`), which first-party services read.
 */
const preSessionCookie = (secure: boolean) => (secure ? '__Host-borealis_csrf' : 'borealis_csrf');
const PRE_SESSION_VALUE = /^[A-Za-z0-9_-]{43}$/;

/** The form token of a page shown before sign-in; sets its cookie when the browser has none. */
export function preSessionToken(secret: string, request: FastifyRequest, reply: FastifyReply, secure: boolean): string {
  let value = request.cookies[preSessionCookie(secure)];
  if (!value || !PRE_SESSION_VALUE.test(value)) {
    value = randomBytes(32).toString('base64url');
    reply.setCookie(preSessionCookie(secure), value, { path: '/', httpOnly: true, sameSite: 'lax', secure });
  }
  return csrfToken(secret, `pre-session:${value}`);
}

/** Whether `presented` is the token of the pre-session cookie this browser holds. */
export function isPreSessionToken(secret: string, request: FastifyRequest, presented: string | undefined, secure: boolean): boolean {
  const value = request.cookies[preSessionCookie(secure)];
  return value !== undefined && PRE_SESSION_VALUE.test(value) && isCsrfToken(secret, `pre-session:${value}`, presented);
}
