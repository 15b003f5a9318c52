/**
 * Token introspection (RFC 7662; polar-oauth2.md §3.9 with D2 and D11). Only the client a
 * token was issued to may learn about it; everything else is `{"active": false}`. An unknown
 * `token_type_hint` is ignored (RFC 7662 §2.1). A refresh token is active while its row's
 * access token is, as in Polar.
 */
import { isLive } from './bearer.js';
import type { OAuthContext } from './context.js';
import { heldOrganizations } from './down-scope.js';
import type { Params } from './params.js';
import { INTROSPECTION_AUTH_METHODS, authenticateAndFindToken } from './presented-token.js';

export type IntrospectionResponse =
  | { active: false }
  | {
      active: true;
      client_id: string;
      token_type: 'access_token' | 'refresh_token';
      scope: string;
      sub_type: 'user' | 'organization';
      sub: string;
      organizations: string[];
      aud: string;
      iss: string;
      exp: number;
      iat: number;
    };

export async function introspect(params: Params, authorization: string | undefined, ctx: OAuthContext): Promise<IntrospectionResponse> {
  const { client, found } = await authenticateAndFindToken(params, authorization, INTROSPECTION_AUTH_METHODS, ctx);
  if (!found || found.token.clientId !== client.clientId || !isLive(found.token, ctx.now())) return { active: false };
  const { token, kind } = found;
  return {
    active: true,
    client_id: token.clientId,
    token_type: kind,
    scope: token.scope,
    sub_type: token.subType,
    sub: token.userId,
    organizations: heldOrganizations(token),
    aud: token.clientId,
    iss: ctx.issuer,
    exp: token.issuedAt + token.expiresIn,
    iat: token.issuedAt,
  };
}
