/**
 * Issuing an authorization code (RFC 6749 §4.1.2; polar-oauth2.md §3.5 step 5). The code lives
 * 300 s; only its HMAC is stored. `auth_time` is when the user signed in (D9).
 */
import type { OAuthContext } from '../context.js';
import { OAuthError, invalidRequest } from '../errors.js';
import { LIFETIME } from '../issue.js';
import { redirectWith } from './redirect.js';
import type { SignedIn } from './index.js';
import type { AuthorizationRequest } from './request.js';
import { timeOrderedId } from '../ids.js';

/**
 * Returns the redirect that carries the code. With `whileConsented`, undefined when the user's
 * remembered consent was revoked meanwhile: no code is created (store.ts, `codes.create`).
 */
export async function issueCode(request: AuthorizationRequest, signedIn: SignedIn, organizationIds: string[], ctx: OAuthContext): Promise<string>;
export async function issueCode(
  request: AuthorizationRequest,
  signedIn: SignedIn,
  organizationIds: string[],
  ctx: OAuthContext,
  whileConsented: true,
): Promise<string | undefined>;
export async function issueCode(
  request: AuthorizationRequest,
  signedIn: SignedIn,
  organizationIds: string[],
  ctx: OAuthContext,
  whileConsented = false,
): Promise<string | undefined> {
  const { session, user } = signedIn;
  const code = ctx.credentials.mint('authorizationCode');
  const now = ctx.now();
  const created = await ctx.store.codes.create({
    id: timeOrderedId(),
    codeHash: ctx.credentials.hash(code),
    clientId: request.client.clientId,
    userId: session.userId,
    redirectUri: request.sentRedirectUri,
    scope: request.scope,
    // The nonce only matters for an id_token (OIDC Core §3.1.2.1), and only then is it checked for replay (§3.4 step 9).
    nonce: request.openid ? request.nonce : null,
    authTime: session.createdAt,
    codeChallenge: request.codeChallenge,
    codeChallengeMethod: request.codeChallengeMethod,
    issuedAt: now,
    expiresAt: now + LIFETIME.code,
    consumedAt: null,
    organizationIds,
  }, { whileConsented, passwordHash: user.passwordHash ?? undefined });
  if (created === 'not-consented') return undefined;
  if (created === 'nonce-in-use' || created === 'refused') {
    // The user blocked, the client deleted or the password changed (which ends every session)
    // while this request ran (store.ts): the server denies it (RFC 6749 §4.1.2.1).
    const error =
      created === 'nonce-in-use'
        ? invalidRequest('Replay attack', true)
        : new OAuthError('access_denied', 'The resource owner or authorization server denied the request', { allowRedirect: true });
    error.withState(request.state).redirectTo = request.redirectUri;
    throw error;
  }
  return redirectWith(request.redirectUri, [
    ['code', code],
    ['state', request.state],
    ['iss', ctx.issuer],
  ]);
}
