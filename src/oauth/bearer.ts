/**
 * Resolving an OAuth access token presented as a Bearer credential (RFC 6750; polar-oauth2.md
 * §5.2): the row exists, neither of its tokens is revoked, it has not expired, its user can
 * still sign in, and its organization down-scope still holds (down-scope.ts). Revocation is
 * row-wide, as in Polar.
 */
import type { Token, User } from '../store/store.js';
import type { OAuthContext } from './context.js';
import { actsOnNothing } from './down-scope.js';
import { invalidToken } from './errors.js';

export interface AccessGrant {
  token: Token;
  user: User;
}

export const isLive = (token: Token, now: number): boolean =>
  token.accessTokenRevokedAt === 0 &&
  token.refreshTokenRevokedAt === 0 &&
  token.issuedAt + token.expiresIn >= now &&
  !actsOnNothing(token);

export async function resolveAccessToken(value: string, ctx: OAuthContext): Promise<AccessGrant> {
  if (!ctx.credentials.isWellFormed(value, 'userAccessToken')) throw invalidToken();
  const grant = await ctx.store.tokens.findAccessGrant(ctx.credentials.tokenKey(value));
  if (!grant || !isLive(grant.token, ctx.now()) || grant.user.blockedAt !== null) throw invalidToken();
  return grant;
}

/**
 * The Bearer value of an `Authorization` header (scheme case-insensitive), if that is its scheme:
 * after the spaces that follow the scheme, up to any trailing whitespace. String operations, not
 * one regular expression: a lazy group before `\s*$` backtracks quadratically over a long run
 * of inner spaces (16 kB of them cost 0.3 s of CPU per request).
 * A value that is not ASCII is no Bearer credential: Polar's middleware dispatches only on ASCII
 * ones (polar-oauth2.md §2.4), and the request goes on as if it had none.
 */
export function bearerValue(authorization: string | undefined): string | undefined {
  const value = bearerText(authorization);
  return value !== undefined && /^[\x00-\x7f]*$/.test(value) ? value : undefined;
}

/** The Bearer value as sent, ASCII or not: what an endpoint that reads the header itself sees (RFC 7592's, §3.12). */
export function bearerText(authorization: string | undefined): string | undefined {
  if (authorization === undefined || !/^bearer /i.test(authorization)) return undefined;
  const rest = authorization.slice('bearer '.length);
  let start = 0;
  while (rest.charCodeAt(start) === 0x20) start++;
  return rest.slice(start).trimEnd();
}
