/**
 * The token endpoint (RFC 6749 §3.2; polar-oauth2.md §3.7):
 * grant_type → client authentication → the client may use the grant → the grant's own checks.
 */
import { authenticateClient, authenticateReadingAhead } from './client-auth.js';
import type { OAuthContext } from './context.js';
import { unauthorizedClient, unsupportedGrantType } from './errors.js';
import type { Presented } from './grants/grant.js';
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

  // The credential the grant presents (a refresh token, a code) is read in one statement with the client.
  const input = { params, authorization: request.authorization };
  const deps = { clients: ctx.store.clients, credentials: ctx.credentials };
  const presents = grant.presents?.(params, ctx.credentials);
  const { client, read } = presents
    ? await authenticateReadingAhead(input, grant.authMethods, deps, true, (clientId) => readPresented(ctx, clientId, presents))
    : { client: await authenticateClient(input, grant.authMethods, deps, true), read: undefined };
  if (!client.metadata.grant_types.includes(grant.type)) {
    throw unauthorizedClient(`The client is not authorized to use 'grant_type=${grant.type}'`);
  }
  const publicClient = client.metadata.token_endpoint_auth_method === 'none';
  return grant.handle({ client, params, publicClient, ...(read ? { presented: read } : {}) }, ctx);
}

function readPresented(ctx: OAuthContext, clientId: string, presents: Presented) {
  return presents.kind === 'authorization_code'
    ? ctx.store.codes.findWithClient(clientId, presents.hash)
    : ctx.store.tokens.findWithClient(clientId, presents);
}

function pick(map: ReadonlyMap<string, readonly string[]>, names: readonly string[]): Map<string, readonly string[]> {
  const out = new Map<string, readonly string[]>();
  for (const name of names) {
    const values = map.get(name);
    if (values) out.set(name, values);
  }
  return out;
}
