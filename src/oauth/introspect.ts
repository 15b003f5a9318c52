/**
 * Token introspection (RFC 7662; polar-oauth2.md §3.9 with D2 and D11). Only the client a
 * token was issued to may learn about it; everything else is `{"active": false}`. An unknown
 * `token_type_hint` is ignored (RFC 7662 §2.1). A refresh token is active while its row's
 * access token is, as in Polar.
 */
import { isLive } from './bearer.js';
import { authenticateEndpointClient } from './client-auth.js';
import type { OAuthContext } from './context.js';
import { invalidRequest } from './errors.js';
import type { Params } from './params.js';
import { findToken } from './revoke.js';

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
  const client = await authenticateEndpointClient({ params, authorization }, { clients: ctx.store.clients, credentials: ctx.credentials });
  const value = params.fromBody('token');
  if (value === undefined) throw invalidRequest();
  const found = await findToken(value, ctx);
  if (!found || found.token.clientId !== client.clientId || !isLive(found.token, ctx.now())) return { active: false };
  const { token, kind } = found;
  return {
    active: true,
    client_id: token.clientId,
    token_type: kind,
    scope: token.scope,
    sub_type: token.subType,
    sub: token.userId,
    organizations: token.organizationIds,
    aud: token.clientId,
    iss: ctx.issuer,
    exp: token.issuedAt + token.expiresIn,
    iat: token.issuedAt,
  };
}
