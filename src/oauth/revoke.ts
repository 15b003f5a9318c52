/**
 * Token revocation (RFC 7009; polar-oauth2.md §3.8 with D11). Unknown tokens answer 200 `{}`
 * (RFC 7009 §2.2). Revoking an access token ends its row, refresh token included (Polar's
 * row-wide revocation); revoking a refresh token ends every token of its family, since they all
 * descend from the same grant (RFC 7009 §2.1).
 */
import type { OAuthContext } from './context.js';
import { OAuthError, invalidGrant } from './errors.js';
import type { Params } from './params.js';
import { REVOCATION_AUTH_METHODS, authenticateAndFindToken } from './presented-token.js';

export async function revoke(params: Params, authorization: string | undefined, ctx: OAuthContext): Promise<Record<string, never>> {
  const { client, found } = await authenticateAndFindToken(params, authorization, REVOCATION_AUTH_METHODS, ctx);
  const hint = params.fromBody('token_type_hint');
  // D11: RFC 7009 §2.2.1 answers an unsupported hint with 400 (Polar: 401).
  if (hint !== undefined && hint !== 'access_token' && hint !== 'refresh_token') throw new OAuthError('unsupported_token_type');
  if (!found) return {};
  if (found.token.clientId !== client.clientId) throw invalidGrant();
  const now = ctx.now();
  if (found.kind === 'refresh_token') await ctx.store.tokens.revokeFamily(found.token, now);
  else await ctx.store.tokens.revokeAccess(found.token.id, now);
  return {};
}
