/**
 * Minting and storing an access token (and its refresh token) for any grant. Bearer values
 * exist only in the response; the store receives their HMACs (architecture principle 7).
 */
import type { Client, NewToken, Store } from '../store/store.js';
import type { OAuthContext } from './context.js';
import type { TokenResponse } from './wire.js';
import { clientNotFound, invalidGrant } from './errors.js';
import { tokenSelector } from './credentials.js';
import { timeOrderedId } from './ids.js';

/** §5.1 lifetimes. */
export const LIFETIME = { authorizationCode: 864000, refreshToken: 3600, web: 3600, code: 300 } as const;

export interface Issuance {
  client: Client;
  userId: string;
  scope: string;
  organizationIds: string[];
  familyId: string;
  expiresIn: number;
  withRefreshToken: boolean;
}

export interface Minted {
  response: TokenResponse;
  row: NewToken;
}

export function mintTokens(ctx: OAuthContext, issuance: Issuance, now: number): Minted {
  // Both tokens of a row carry its selector (credentials.ts).
  const selector = tokenSelector();
  const accessToken = ctx.credentials.mint('userAccessToken', selector);
  const refreshToken = issuance.withRefreshToken ? ctx.credentials.mint('userRefreshToken', selector) : undefined;
  const row: NewToken = {
    id: timeOrderedId(),
    familyId: issuance.familyId,
    clientId: issuance.client.clientId,
    userId: issuance.userId,
    subType: 'user',
    accessTokenHash: ctx.credentials.tokenKey(accessToken).hash,
    refreshTokenHash: refreshToken ? ctx.credentials.tokenKey(refreshToken).hash : null,
    scope: issuance.scope,
    issuedAt: now,
    expiresIn: issuance.expiresIn,
    organizationIds: issuance.organizationIds,
  };
  // Field order is part of the wire contract (§3.7); `scope` is always present (D1).
  const response: TokenResponse = {
    token_type: 'Bearer',
    access_token: accessToken,
    expires_in: issuance.expiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
    scope: issuance.scope,
  };
  return { response, row };
}

/**
 * Stores a token issued without a claim. A client deleted since it authenticated gets none (D12),
 * and the answer it would have got had it been deleted before: the token endpoint required the
 * registered method, so that tells whether it authenticated with Basic. A user blocked, or whose
 * password changed (which ends every session) since the grant read their session with
 * `passwordHash`, gets none either: `invalid_grant`, as for a session that ended before.
 */
export async function storeTokens(store: Store, minted: Minted, client: Client, passwordHash?: string): Promise<TokenResponse> {
  if (await store.tokens.create(minted.row, passwordHash === undefined ? undefined : { passwordHash })) return minted.response;
  if (await store.clients.findByClientId(client.clientId)) throw invalidGrant();
  throw clientNotFound(client.metadata.token_endpoint_auth_method === 'client_secret_basic');
}
