/**
 * The token presented to introspection (RFC 7662) or revocation (RFC 7009), and the client
 * presenting it. Both endpoints need both on every request, so they are read in one statement;
 * authentication then runs exactly as anywhere else, on the client that statement returned.
 */
import type { Client, PresentedToken, Token } from '../store/store.js';
import { type AuthMethod, authenticateReadingAhead } from './client-auth.js';
import type { OAuthContext } from './context.js';
import type { Credentials } from './credentials.js';
import { invalidRequest } from './errors.js';
import type { Params } from './params.js';

/**
 * Introspection (polar-oauth2.md §2.6): Basic or post, whatever the client registered; public
 * clients cannot introspect (RFC 7662 §2.1 wants the caller authenticated).
 */
export const INTROSPECTION_AUTH_METHODS: readonly AuthMethod[] = ['client_secret_basic', 'client_secret_post'];
/**
 * Revocation: the same, and a public client by its `client_id` alone, for its own tokens
 * (RFC 7009 §2.1 asks credentials of confidential clients only; Polar refuses public clients,
 * which leaves a native app or a single-page app no way to end its refresh tokens at sign-out).
 */
export const REVOCATION_AUTH_METHODS: readonly AuthMethod[] = [...INTROSPECTION_AUTH_METHODS, 'none'];

export interface FoundToken {
  token: Token;
  kind: 'access_token' | 'refresh_token';
}

/**
 * Where a presented token is looked up, whatever the hint says: RFC 7009 §2.1 and RFC 7662 §2.1
 * say a server that cannot find the token under the hint MUST search the other types too
 * (Polar searches only the hinted column; see docs/compatibility.md). The prefix tells the
 * kinds apart, so a token is looked up in one column at most and the hint is not needed.
 */
function presentedToken(value: string, credentials: Credentials): PresentedToken | undefined {
  if (credentials.isWellFormed(value, 'userAccessToken')) return { kind: 'access_token', ...credentials.tokenKey(value) };
  if (credentials.isWellFormed(value, 'userRefreshToken')) return { kind: 'refresh_token', ...credentials.tokenKey(value) };
  return undefined;
}

/**
 * Authenticates the calling client (invalid_client first, as before any other check), then
 * requires `token` (invalid_request). `found` is the token's row whoever it was issued to;
 * each endpoint decides what a foreign token means.
 */
export async function authenticateAndFindToken(
  params: Params,
  authorization: string | undefined,
  allowed: readonly AuthMethod[],
  ctx: OAuthContext,
): Promise<{ client: Client; found: FoundToken | undefined }> {
  params.assertSingle(['token', 'token_type_hint', 'client_id', 'client_secret']);
  const value = params.fromBody('token');
  const presented = value === undefined ? undefined : presentedToken(value, ctx.credentials);
  const { client, read } = await authenticateReadingAhead(
    { params, authorization },
    allowed,
    { clients: ctx.store.clients, credentials: ctx.credentials },
    false,
    (clientId) => ctx.store.tokens.findWithClient(clientId, presented),
  );
  if (value === undefined) throw invalidRequest();
  const token = read?.token;
  return { client, found: token && presented ? { token, kind: presented.kind } : undefined };
}
