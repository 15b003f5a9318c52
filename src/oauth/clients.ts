/**
 * Creating OAuth2 clients. The secret and the registration access token are returned once;
 * the store keeps their HMACs for comparison and sealed copies for the RFC 7592 read (D3).
 */
import { randomUUID } from 'node:crypto';
import type { Client, ClientCredentials, ClientMetadata } from '../store/store.js';
import type { OAuthContext } from './context.js';
import { PUBLIC_SCOPES } from './scopes.js';
import { unauthorized } from './errors.js';

export interface NewClient {
  client: Client;
  clientSecret: string;
  registrationAccessToken: string;
}

/**
 * A public client (`none`) authenticates with nothing: its secret is generated and stored, as
 * Polar does (§3.11), but never shown, by registration, the console or the CLI.
 */
export const isPublic = (client: Pick<Client, 'metadata'>) => client.metadata.token_endpoint_auth_method === 'none';

export const sealContext = (column: 'client_secret' | 'registration_access_token', clientRowId: string) =>
  `oauth2_clients.${column}:${clientRowId}`;

/** Polar's registration defaults (§3.11): note `client_secret_post`, not RFC 7591's basic. */
export function withDefaults(input: Partial<ClientMetadata> & Pick<ClientMetadata, 'client_name' | 'redirect_uris'>): ClientMetadata {
  return {
    redirect_uris: input.redirect_uris,
    token_endpoint_auth_method: input.token_endpoint_auth_method ?? 'client_secret_post',
    grant_types: input.grant_types ?? ['authorization_code', 'refresh_token'],
    response_types: input.response_types ?? ['code'],
    client_name: input.client_name,
    ...(input.client_uri ? { client_uri: input.client_uri } : {}),
    ...(input.logo_uri ? { logo_uri: input.logo_uri } : {}),
    ...(input.tos_uri ? { tos_uri: input.tos_uri } : {}),
    ...(input.policy_uri ? { policy_uri: input.policy_uri } : {}),
    scope: input.scope ?? PUBLIC_SCOPES.join(' '),
    default_sub_type: input.default_sub_type ?? 'user',
  };
}

type ClientsContext = Pick<OAuthContext, 'store' | 'credentials' | 'clientSecrets' | 'now' | 'audit'>;
type Ownership = { firstParty?: boolean; userId?: string | null };

export async function createClient(ctx: ClientsContext, metadata: ClientMetadata, options: Ownership = {}): Promise<NewClient> {
  const created = newClient(ctx, randomUUID(), metadata, options);
  // Its row id is new, so nothing stored means its owner's account was deleted meanwhile: as signed out.
  if (!(await ctx.store.clients.create(created.client))) throw unauthorized();
  ctx.audit.record({ audit: 'client.created', client_id: created.client.clientId, user_id: created.client.userId });
  return created;
}

/**
 * A client whose row id the console's new-app form was given when it was shown: undefined when
 * that form already created its client, so a form sent twice (a reload of the page that showed the
 * secret, without JavaScript) makes one app.
 */
export async function createClientOnce(ctx: ClientsContext, id: string, metadata: ClientMetadata, options: Ownership): Promise<NewClient | undefined> {
  const created = newClient(ctx, id, metadata, options);
  if (!(await ctx.store.clients.create(created.client))) return undefined;
  ctx.audit.record({ audit: 'client.created', client_id: created.client.clientId, user_id: created.client.userId });
  return created;
}

/** A new secret and registration access token for the client row `id`: the values, shown once, and what is stored (D3). */
function mintCredentials(ctx: ClientsContext, id: string): { clientSecret: string; registrationAccessToken: string; stored: ClientCredentials } {
  const clientSecret = ctx.credentials.mint('clientSecret');
  const registrationAccessToken = ctx.credentials.mint('registrationToken');
  const stored = {
    clientSecretHash: ctx.credentials.hash(clientSecret),
    clientSecretSealed: ctx.clientSecrets.seal(clientSecret, sealContext('client_secret', id)),
    registrationTokenHash: ctx.credentials.hash(registrationAccessToken),
    registrationTokenSealed: ctx.clientSecrets.seal(registrationAccessToken, sealContext('registration_access_token', id)),
  };
  return { clientSecret, registrationAccessToken, stored };
}

function newClient(ctx: ClientsContext, id: string, metadata: ClientMetadata, options: Ownership): NewClient {
  const { clientSecret, registrationAccessToken, stored } = mintCredentials(ctx, id);
  const now = ctx.now();
  const client: Client = {
    id,
    clientId: ctx.credentials.mint('clientId'),
    ...stored,
    clientIdIssuedAt: now,
    clientSecretExpiresAt: 0,
    metadata,
    firstParty: options.firstParty ?? false,
    userId: options.userId ?? null,
    createdAt: now,
    modifiedAt: now,
  };
  return { client, clientSecret, registrationAccessToken };
}

/**
 * Issues a new client secret in place of the one `client` was read with; the old one stops
 * authenticating at once. The registration access token is replaced with it: the RFC 7591
 * response that carried a leaked secret carried the token too, and that token reads the new
 * secret (RFC 7592 §2.1). Returned once; undefined when another rotation came first or the client
 * was deleted since, so that no secret is shown that does not work.
 */
export async function rotateClientSecret(ctx: ClientsContext, client: Client): Promise<{ clientSecret: string; registrationAccessToken: string } | undefined> {
  const { clientSecret, registrationAccessToken, stored } = mintCredentials(ctx, client.id);
  if (!(await ctx.store.clients.rotateSecret(client.clientId, stored, ctx.now(), client.clientSecretHash))) return undefined;
  ctx.audit.record({ audit: 'client.secret_rotated', client_id: client.clientId });
  return { clientSecret, registrationAccessToken };
}
