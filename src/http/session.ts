/**
 * The web session cookie `polar_session` (polar-oauth2.md §2.4): HttpOnly, SameSite=Lax,
 * Secure when served over https, 31 days. Only its HMAC is stored.
 */
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SESSION_LIFETIME } from '../accounts/sessions.js';
import type { SignedIn } from '../oauth/authorize/index.js';
import type { OAuthContext } from '../oauth/context.js';
import type { SessionOrigin } from '../store/store.js';
import { clientAddress } from './client-address.js';

export const SESSION_COOKIE = 'polar_session';

/**
 * The cookie's value. Outside the routes that register the cookie plugin (the 404 of a page that
 * does not exist, errors raised before routing) the header is read here.
 */
function sessionCookie(request: FastifyRequest): string | undefined {
  if (request.cookies) return request.cookies[SESSION_COOKIE];
  const header = request.headers.cookie;
  return header ? fastifyCookie.parse(header)[SESSION_COOKIE] : undefined;
}

export async function currentSession(
  request: FastifyRequest,
  deps: Pick<OAuthContext, 'store' | 'credentials' | 'now'>,
): Promise<SignedIn | undefined> {
  const value = sessionCookie(request);
  if (!value || !deps.credentials.isWellFormed(value, 'userSession')) return undefined;
  const found = await deps.store.sessions.findActive(deps.credentials.hash(value), deps.now());
  if (!found || found.user.blockedAt !== null) return undefined;
  return found;
}


/**
 * Ends the session the request's cookie names, whoever it signs in now (a blocked user's too, so
 * unblocking revives none). Signing in again replaces the session, as OWASP's session management
 * asks on every re-authentication: a copied cookie then stops working once its owner signs in.
 */
export async function endPresentedSession(request: FastifyRequest, deps: Pick<OAuthContext, 'store' | 'credentials'>): Promise<void> {
  const value = request.cookies[SESSION_COOKIE];
  if (value) await deps.store.sessions.delete(deps.credentials.hash(value));
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean) {
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, maxAge: SESSION_LIFETIME });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean) {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

/** Where a session starts from, as its person will see it listed (/settings/sessions). */
export const originOf = (request: FastifyRequest): SessionOrigin => ({ ip: clientAddress(request), userAgent: request.headers['user-agent'] ?? null });
