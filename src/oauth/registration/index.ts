/**
 * Dynamic client registration (RFC 7591) and management (RFC 7592), polar-oauth2.md §3.11–3.13
 * with D3, D12 and D13. The protocol core: callers pass who is asking (a session user, a
 * registration access token, or nobody) and get wire objects back.
 */
import type { Client, ClientMetadata } from '../../store/store.js';
import { createClient, isPublic, sealContext } from '../clients.js';
import type { OAuthContext } from '../context.js';
import { safeEqual } from '../credentials.js';
import { OAuthError, clientNotFound, invalidRequest } from '../errors.js';
import { isoTime } from '../wire.js';
import { parseMetadata, validateMetadata } from './validate.js';

export type Caller = { kind: 'user'; userId: string } | { kind: 'registration-token'; token: string } | { kind: 'anonymous' };

/** RFC 7591 §2 registered claims, in the order Polar serialises them; then D13's default_sub_type. */
const METADATA_ORDER = [
  'redirect_uris',
  'token_endpoint_auth_method',
  'grant_types',
  'response_types',
  'client_name',
  'client_uri',
  'logo_uri',
  'scope',
  'tos_uri',
  'policy_uri',
  'default_sub_type',
] as const;

function orderedMetadata(metadata: ClientMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of METADATA_ORDER) if (metadata[key] !== undefined) out[key] = metadata[key];
  return out;
}

interface Secrets {
  clientSecret: string;
  registrationAccessToken: string;
}

function openSecrets(client: Client, ctx: OAuthContext): Secrets {
  const clientSecret = ctx.clientSecrets.open(client.clientSecretSealed, sealContext('client_secret', client.id));
  const registrationAccessToken = ctx.clientSecrets.open(client.registrationTokenSealed, sealContext('registration_access_token', client.id));
  if (clientSecret === undefined || registrationAccessToken === undefined) throw new Error(`sealed secrets of ${client.clientId} do not open`);
  return { clientSecret, registrationAccessToken };
}

const registrationUri = (ctx: OAuthContext, clientId: string) => `${ctx.issuer}/v1/oauth2/register/${clientId}`;

/** The 201 body of registration: metadata, then the credentials (§3.11 Response). */
export function registrationResponse(client: Client, secrets: Secrets, ctx: OAuthContext): Record<string, unknown> {
  return {
    ...orderedMetadata(client.metadata),
    client_id: client.clientId,
    ...(isPublic(client) ? {} : { client_secret: secrets.clientSecret }),
    client_id_issued_at: client.clientIdIssuedAt,
    ...(isPublic(client) ? {} : { client_secret_expires_at: client.clientSecretExpiresAt }),
    registration_client_uri: registrationUri(ctx, client.clientId),
    registration_access_token: secrets.registrationAccessToken,
  };
}

/** The RFC 7592 read body: credentials first, then metadata (§3.12 GET). */
export function configurationResponse(client: Client, ctx: OAuthContext): Record<string, unknown> {
  const secrets = openSecrets(client, ctx);
  return {
    client_id: client.clientId,
    ...(isPublic(client) ? {} : { client_secret: secrets.clientSecret }),
    client_id_issued_at: client.clientIdIssuedAt,
    ...(isPublic(client) ? {} : { client_secret_expires_at: client.clientSecretExpiresAt }),
    ...orderedMetadata(client.metadata),
    registration_client_uri: registrationUri(ctx, client.clientId),
    registration_access_token: secrets.registrationAccessToken,
  };
}

export async function register(body: unknown, caller: Caller, ctx: OAuthContext): Promise<Record<string, unknown>> {
  const metadata = validateMetadata(body);
  const created = await createClient(ctx, metadata, { userId: caller.kind === 'user' ? caller.userId : null });
  return registrationResponse(created.client, created, ctx);
}

/** Unknown, deleted or not the caller's: one answer for all three. */
const notFound = () => {
  const error = clientNotFound(false);
  return new OAuthError(error.error, error.description, { status: 401 });
};

/**
 * RFC 7592 §2: the caller must be the owner (session, which takes precedence) or hold the
 * registration access token. No credentials → 400 access_denied; anything else → 401
 * invalid_client without a challenge (§3.12). The token of an app whose owner is blocked opens
 * nothing until they are unblocked: an operator who blocks an account that was taken over stops
 * what the intruder made with it from being read (its secret) or redirected elsewhere.
 */
export async function authorizeManagement(clientId: string, caller: Caller, ctx: OAuthContext): Promise<Client> {
  if (caller.kind === 'anonymous') {
    throw new OAuthError('access_denied', 'The resource owner or authorization server denied the request');
  }
  const client = await ctx.store.clients.findByClientId(clientId);
  if (!client) throw notFound();
  if (caller.kind === 'user') {
    if (client.userId !== caller.userId) throw notFound();
  } else if (!safeEqual(ctx.credentials.hash(caller.token), client.registrationTokenHash)) {
    throw notFound();
  } else if (client.userId !== null && (await ctx.store.users.findById(client.userId))?.blockedAt !== null) {
    throw notFound();
  }
  return client;
}

export async function readConfiguration(clientId: string, caller: Caller, ctx: OAuthContext) {
  return configurationResponse(await authorizeManagement(clientId, caller, ctx), ctx);
}

/**
 * RFC 7592 §2.2 as Polar (§3.12 PUT): the body, its defaults filled in and its nulls removed, is
 * merged over the stored metadata. Fields with a default (`scope`, `grant_types`, …) are reset
 * when omitted; the URLs, whose default is null, keep their stored value. `replace` (the
 * console, whose form shows every field) stores the body alone, so an emptied field is cleared,
 * but for the `keep` fields, which stay as stored (the form does not show them). The merge is
 * made on the row as it is when written (store.ts, updateMetadata), so two updates at once both land.
 */
export async function updateConfiguration(
  clientId: string,
  body: unknown,
  caller: Caller,
  ctx: OAuthContext,
  options: { replace?: boolean; keep?: (keyof ClientMetadata)[] } = {},
) {
  // FastAPI validates the body before the endpoint runs: 422s come before authorization, and
  // authlib's claim checks (400 invalid_client_metadata) after it and the client_id check.
  const parsed = parseMetadata(body, true);
  const client = await authorizeManagement(clientId, caller, ctx);
  const { client_id: bodyClientId, ...sent } = parsed.metadata;
  if (bodyClientId !== client.clientId) throw invalidRequest();
  parsed.checkClaims();
  const kept = (stored: ClientMetadata) => Object.fromEntries((options.keep ?? []).map((key) => [key, stored[key]]));
  const now = ctx.now();
  const metadata = await ctx.store.clients.updateMetadata(client.clientId, (stored) => (options.replace ? { ...sent, ...kept(stored) } : { ...stored, ...sent }), now);
  if (!metadata) throw notFound(); // deleted since it was authorized: as if it had been gone already
  return configurationResponse({ ...client, metadata, modifiedAt: now }, ctx);
}

export async function deleteClient(clientId: string, caller: Caller, ctx: OAuthContext): Promise<void> {
  const client = await authorizeManagement(clientId, caller, ctx);
  await ctx.store.clients.delete(client.clientId, ctx.now());
  ctx.audit.record({ audit: 'client.deleted', client_id: client.clientId });
}


/**
 * One item of GET /v1/oauth2/ (§3.13): the owner sees the secret, public clients included. In
 * Pydantic's field order for Polar's `OAuth2Client(TimestampedSchema, OAuth2ClientConfiguration)`:
 * the configuration's fields, then the timestamps, then its own.
 */
function listItem(client: Client, ctx: OAuthContext): Record<string, unknown> {
  const m = client.metadata;
  return {
    redirect_uris: m.redirect_uris,
    token_endpoint_auth_method: m.token_endpoint_auth_method,
    grant_types: m.grant_types,
    response_types: m.response_types,
    scope: m.scope,
    client_name: m.client_name,
    client_uri: m.client_uri ?? null,
    logo_uri: m.logo_uri ?? null,
    tos_uri: m.tos_uri ?? null,
    policy_uri: m.policy_uri ?? null,
    default_sub_type: m.default_sub_type,
    created_at: isoTime(client.createdAt),
    modified_at: isoTime(client.modifiedAt),
    client_id: client.clientId,
    client_secret: openSecrets(client, ctx).clientSecret,
    client_id_issued_at: client.clientIdIssuedAt,
    client_secret_expires_at: client.clientSecretExpiresAt,
  };
}

export async function listClients(userId: string, page: number, limit: number, ctx: OAuthContext) {
  const { items, total } = await ctx.store.clients.listByOwner(userId, (page - 1) * limit, limit);
  return {
    items: items.map((c) => listItem(c, ctx)),
    pagination: { total_count: total, max_page: Math.ceil(total / limit) },
  };
}
