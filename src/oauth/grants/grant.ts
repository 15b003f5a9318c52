import type { AuthorizationCode, Client, PresentedToken, Token, User } from '../../store/store.js';
import type { AuthMethod } from '../client-auth.js';
import type { OAuthContext } from '../context.js';
import type { Credentials } from '../credentials.js';
import type { Params } from '../params.js';
import type { TokenResponse } from '../wire.js';

/** One grant type (RFC 6749 §4): what it accepts and how it answers. */
export interface Grant {
  readonly type: string;
  /** Client authentication methods this grant allows (polar-oauth2.md §2.6 table). */
  readonly authMethods: readonly AuthMethod[];
  /** The parameters the grant reads; the token endpoint hands it no others. */
  readonly params: readonly string[];
  /**
   * The credential the request presents (a refresh token, a code), if the grant has one: the
   * token endpoint reads it in the same statement as the client and hands it over as `presented`.
   */
  presents?(params: Params, credentials: Credentials): Presented | undefined;
  handle(request: GrantRequest, ctx: OAuthContext): Promise<TokenResponse>;
}

export interface GrantRequest {
  client: Client;
  params: Params;
  /** How the client authenticated: `none` marks a public client (RFC 7636 §4.4). */
  publicClient: boolean;
  /** Set when the grant declares `presents` and it found a value: what was read for it (a member is missing when nothing was found). */
  presented?: { token?: Token; code?: AuthorizationCode; user?: User };
}

export type Presented = PresentedToken | { kind: 'authorization_code'; hash: string };
