/**
 * The token endpoint (RFC 6749 §3.2; polar-oauth2.md §3.7):
 * grant_type → client authentication → the client may use the grant → the grant's own checks.
 */
import { authenticateClient } from './client-auth.js';
import type { OAuthContext } from './context.js';
import { unauthorizedClient, unsupportedGrantType } from './errors.js';
import { GRANTS } from './grants/index.js';
import { Params } from './params.js';
import type { TokenResponse } from './wire.js';

export interface TokenRequest {
  params: Params;
  authorization: string | undefined;
}

const CLIENT_PARAMS = ['client_id', 'client_secret'] as const;

export async function token(request: TokenRequest, ctx: OAuthContext): Promise<TokenResponse> {
  const grant = GRANTS.get(request.params.get('grant_type') ?? '');
  if (!grant) throw unsupportedGrantType();

  // Architecture principle 2: the grant sees only the parameters it declares.
  const names = [...CLIENT_PARAMS, ...grant.params];
  const params = new Params(pick(request.params.query, names), pick(request.params.body, names));
  params.assertSingle(names);

  const client = await authenticateClient(
    { params, authorization: request.authorization },
    grant.authMethods,
    { clients: ctx.store.clients, credentials: ctx.credentials },
    true,
  );
  if (!client.metadata.grant_types.includes(grant.type)) {
    throw unauthorizedClient(`The client is not authorized to use 'grant_type=${grant.type}'`);
  }
  const publicClient = client.metadata.token_endpoint_auth_method === 'none';
  return grant.handle({ client, params, publicClient }, ctx);
}

function pick(map: ReadonlyMap<string, readonly string[]>, names: readonly string[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const name of names) {
    const values = map.get(name);
    if (values) out.set(name, values);
  }
  return out;
}
