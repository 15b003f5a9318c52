/**
 * Validation of an authorization request (RFC 6749 §4.1.1, §3.1.2; polar-oauth2.md §3.4 steps
 * 1–10, with D6, D7 and D16). Errors before the redirect URI is verified are JSON and never
 * redirect (RFC 6749 §4.1.2.1); later ones redirect to it. `state` is copied into every error.
 */
import { parseUuid } from '../../accounts/organization-access.js';
import type { Client } from '../../store/store.js';
import type { OAuthContext } from '../context.js';
import { OAuthError, clientNotFound, invalidRequest, invalidScope, unauthorizedClient } from '../errors.js';
import type { Params } from '../params.js';
import { hintedSubject } from './id-token-hint.js';
import { isRegisteredRedirect } from '../registration/redirect-uri.js';
import { type Challenge, checkChallenge } from '../pkce.js';
import { hasScope, isKnownScope, narrowScope, splitScope } from '../scopes.js';

/** Single-valued authorize parameters (D16: each may appear once). */
/** The longest `nonce` stored with a code (see where it is checked). */
export const MAX_NONCE_LENGTH = 512;

export const AUTHORIZE_PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'prompt',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'sub_type',
  'max_age',
  'id_token_hint',
] as const;

export interface AuthorizationRequest extends Challenge {
  client: Client;
  /** Where the response goes: the sent URI, or the client's first registered one. */
  redirectUri: string;
  /** As sent; null when omitted (then the token request need not repeat it, §4.1 step 5). */
  sentRedirectUri: string | null;
  /** The scope after D6 narrowing: exactly what consent shows and the code carries. */
  scope: string;
  /**
   * Whether the scope asked for (the client's when none was sent, §3.4 step 6) contains `openid`:
   * the code then leads to an id_token, so its nonce is kept and checked for replay (step 9, which
   * in Polar looks at the `scope` sent only; docs/compatibility.md).
   */
  openid: boolean;
  state: string | undefined;
  nonce: string | null;
  prompt: Set<string>;
  /** OIDC Core §3.1.2.1: the most seconds since the user signed in that the client accepts. */
  maxAge: number | undefined;
  /** The user an `id_token_hint` names (id-token-hint.ts): no one else may answer the request. */
  hintedSubject: string | undefined;
  requiresSingleOrganization: boolean;
  /** Organizations preselected in the query (§9 caveat). */
  organizations: string[];
}

/**
 * `subTypeLater`: the consent POST judges `sub_type` only after the user's decision (§3.5 step 1),
 * so a deny with a bad `sub_type` still answers access_denied; the caller checks it with
 * `assertSubType` once it allows.
 */
export async function validateAuthorizationRequest(
  params: Params,
  ctx: OAuthContext,
  options: { subTypeLater?: boolean } = {},
): Promise<AuthorizationRequest> {
  let state: string | undefined;
  try {
    state = params.get('state');
    params.assertSingle(AUTHORIZE_PARAMS);
  } catch (error) {
    if (error instanceof OAuthError) error.withState(state);
    throw error;
  }

  let redirectTo: string | undefined;
  try {
    const clientId = params.get('client_id');
    const client = clientId === undefined ? undefined : await ctx.store.clients.findByClientId(clientId);
    const sent = params.get('redirect_uri');
    const registered = client?.metadata.redirect_uris ?? [];
    const verified = sent === undefined || isRegisteredRedirect(sent, registered);
    const redirectUri = sent ?? registered[0];
    // An error may redirect only to a registered URI of an existing client (RFC 6749 §4.1.2.1).
    if (client && verified) redirectTo = redirectUri;

    // §3.4 step 1: the response type is judged before the client and the redirect URI, so a
    // wrong one is `unsupported_response_type` even for an unknown client (as a 400 then).
    const responseType = params.get('response_type');
    if (responseType === undefined) throw invalidRequest("Missing 'response_type' in request.", true);
    if (responseType !== 'code') {
      throw new OAuthError('unsupported_response_type', `The response type '${responseType}' is not supported by the server.`, {
        allowRedirect: true,
      });
    }

    if (clientId === undefined) throw new OAuthError('invalid_client', "Missing 'client_id' parameter.");
    if (!client) throw clientNotFound(false);
    if (!verified) throw invalidRequest(`Redirect URI ${sent} is not supported by client.`);
    if (redirectUri === undefined) throw invalidRequest("Missing 'redirect_uri' in request.");
    if (!client.metadata.response_types.includes('code')) {
      throw unauthorizedClient("The client is not authorized to use 'response_type=code'", true);
    }

    // OIDC Core §6.1, §6.2: an OP that does not support request objects MUST say so, rather than
    // act on the plain parameters while the client believes its signed ones were applied.
    if (params.get('request') !== undefined) throw new OAuthError('request_not_supported', undefined, { allowRedirect: true });
    if (params.get('request_uri') !== undefined) throw new OAuthError('request_uri_not_supported', undefined, { allowRedirect: true });

    const requested = params.get('scope') ?? client.metadata.scope;
    if (!splitScope(requested).every(isKnownScope)) throw invalidScope(true);
    // D6: drop what the client may not have before consent, so the screen shows what is granted.
    const scope = narrowScope(requested, client.metadata.scope);
    if (scope === '') throw invalidScope(true);
    const openid = hasScope(requested, 'openid');

    const publicClient = client.metadata.token_endpoint_auth_method === 'none';
    const challenge = checkChallenge(params.get('code_challenge'), params.get('code_challenge_method'), publicClient);

    const nonce = params.get('nonce') ?? null;
    // Stored with the code under a unique index, whose entries PostgreSQL bounds (2,704 bytes):
    // 512 UTF-16 units are at most 1,536 UTF-8 bytes. OIDC sets no length; real nonces are short.
    if (openid && nonce !== null && nonce.length > MAX_NONCE_LENGTH) {
      throw invalidRequest(`Invalid 'nonce' parameter: ${MAX_NONCE_LENGTH} characters at most.`, true);
    }
    if (openid && nonce !== null && (await ctx.store.codes.nonceInUse(client.clientId, nonce))) {
      throw invalidRequest('Replay attack', true);
    }

    // Polar ignores `max_age` (§4.4), harmless there because its `auth_time` is the code's issue
    // time; D9 makes it the sign-in time, so a client's max_age check would fail (compatibility.md).
    const maxAge = params.get('max_age');
    if (maxAge !== undefined && !/^\d+$/.test(maxAge)) throw invalidRequest("Invalid 'max_age' parameter.", true);

    const hint = params.get('id_token_hint');
    const hinted = hint === undefined ? undefined : await hintedSubject(hint, client.clientId, ctx);

    const subType = params.get('sub_type');
    if (!options.subTypeLater) assertSubType(subType);

    return {
      client,
      redirectUri,
      sentRedirectUri: sent ?? null,
      scope,
      openid,
      state,
      nonce,
      ...challenge,
      prompt: new Set(splitScope(params.get('prompt') ?? '')),
      maxAge: maxAge === undefined ? undefined : Number(maxAge),
      hintedSubject: hinted,
      requiresSingleOrganization: (subType ?? client.metadata.default_sub_type) === 'organization',
      // In their canonical spelling; a malformed one is kept as sent, for consent to refuse (§3.5).
      organizations: params.all('organizations').map((value) => parseUuid(value) ?? value),
    };
  } catch (error) {
    if (error instanceof OAuthError) {
      error.withState(state);
      if (error.allowRedirect) error.redirectTo = redirectTo;
    }
    throw error;
  }
}

/** §3.4 step 10: `sub_type`, when present, is `user` or `organization`; otherwise a 400 JSON error. */
export function assertSubType(subType: string | undefined, state?: string): void {
  if (subType !== undefined && subType !== 'user' && subType !== 'organization') throw invalidRequest('Invalid sub_type').withState(state);
}
