/**
 * Token revocation (RFC 7009; polar-oauth2.md §3.8 with D11). Unknown tokens answer 200 `{}`
 * (RFC 7009 §2.2). Revoking an access token ends its row, refresh token included (Polar's
 * row-wide revocation); revoking a refresh token ends every token of its family, since they all
 * descend from the same grant (RFC 7009 §2.1).
 */
import type { Token } from '../store/store.js';
import { authenticateEndpointClient } from './client-auth.js';
import type { OAuthContext } from './context.js';
import { OAuthError, invalidGrant, invalidRequest } from './errors.js';
import type { Params } from './params.js';

export interface FoundToken {
  token: Token;
  kind: 'access_token' | 'refresh_token';
}

/**
 * Looks a presented token up whatever the hint says: RFC 7009 §2.1 and RFC 7662 §2.1
 * say a server that cannot find the token under the hint MUST search the other types too
 * (Polar searches only the hinted column; see docs/compatibility.md). The prefix tells the
 * kinds apart, so a token is looked up in one column at most and the hint is not needed.
 */
export async function findToken(value: string, ctx: OAuthContext): Promise<FoundToken | undefined> {
  const { credentials, store } = ctx;
  if (credentials.isWellFormed(value, 'userAccessToken')) {
    const token = await store.tokens.findByAccessHash(credentials.hash(value));
    return token && { token, kind: 'access_token' };
  }
  if (credentials.isWellFormed(value, 'userRefreshToken')) {
    const token = await store.tokens.findByRefreshHash(credentials.hash(value));
    return token && { token, kind: 'refresh_token' };
  }
  return undefined;
}

export async function revoke(params: Params, authorization: string | undefined, ctx: OAuthContext): Promise<Record<string, never>> {
  const client = await authenticateEndpointClient({ params, authorization }, { clients: ctx.store.clients, credentials: ctx.credentials });
  const value = params.fromBody('token');
  if (value === undefined) throw invalidRequest();
  const hint = params.fromBody('token_type_hint');
  // D11: RFC 7009 §2.2.1 answers an unsupported hint with 400 (Polar: 401).
  if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('unsupported_token_type');
  const found = await findToken(value, ctx);
  if (!found) return {};
  if (found.token.clientId !== client.clientId) throw invalidGrant();
  const now = ctx.now();
  if (found.kind === 'refresh_token') await ctx.store.tokens.revokeFamily(found.token.familyId, now);
  else await ctx.store.tokens.revokeAccess(found.token.id, now);
  return {};
}
