/**
 * Errors that reach the wire. Each class mirrors one wire shape of polar-oauth2.md §2.3:
 *  - OAuthError: shape A (RFC 6749 §5.2 JSON) or shape B (redirect, RFC 6749 §4.1.2.1);
 *  - ApiError: shapes C, D and E (FastAPI-style bodies: validation, Unauthorized, NotPermitted).
 * Anything else thrown is a bug and becomes `server_error` without internals.
 */

export interface WireError {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body; `style` is the serializer Polar's stack uses for this shape. */
  body(): unknown;
  readonly style: 'authlib' | 'compact';
}

export interface OAuthErrorOptions {
  status?: number;
  /** False where the error must never be sent to an unverified redirect URI. */
  allowRedirect?: boolean;
  headers?: Record<string, string>;
  state?: string | undefined;
}

export class OAuthError extends Error implements WireError {
  readonly status: number;
  readonly allowRedirect: boolean;
  readonly headers: Record<string, string>;
  state: string | undefined;
  /** Set by the authorization endpoint once the client's redirect URI is verified (RFC 6749 §4.1.2.1). */
  redirectTo: string | undefined;
  readonly style = 'authlib' as const;

  constructor(
    readonly error: string,
    readonly description?: string,
    options: OAuthErrorOptions = {},
  ) {
    super(description ? `${error}: ${description}` : error);
    this.status = options.status ?? 400;
    this.allowRedirect = options.allowRedirect ?? false;
    this.headers = options.headers ?? {};
    this.state = options.state;
  }

  withState(state: string | undefined): this {
    this.state = state;
    return this;
  }

  /** Shape A: `error`, then `error_description` when non-empty, then `state` when carried. */
  body(): Record<string, string> {
    const out: Record<string, string> = { error: this.error };
    if (this.description) out.error_description = this.description;
    if (this.state !== undefined) out.state = this.state;
    return out;
  }
}

export const invalidRequest = (description?: string, redirect = false) =>
  new OAuthError('invalid_request', description, { allowRedirect: redirect });

export const invalidGrant = (description?: string) => new OAuthError('invalid_grant', description);

export const invalidScope = (redirect = false) =>
  new OAuthError('invalid_scope', 'The requested scope is invalid, unknown, or malformed.', {
    allowRedirect: redirect,
  });

export const unsupportedGrantType = () => new OAuthError('unsupported_grant_type');

export const unauthorizedClient = (description: string, redirect = false) =>
  new OAuthError('unauthorized_client', description, { allowRedirect: redirect });

export const clientNotFound = (viaBasic: boolean) =>
  invalidClient('The client does not exist on this server.', viaBasic);

/**
 * RFC 6749 §5.2: a client that tried HTTP Basic gets 401 and a `WWW-Authenticate` header.
 * authlib replaces `"` with `|` in the header's description (polar-oauth2.md §2.3-A).
 */
export function invalidClient(description: string, challenge: boolean): OAuthError {
  if (!challenge) return new OAuthError('invalid_client', description);
  const quoted = description.replaceAll('"', '|');
  return new OAuthError('invalid_client', description, {
    status: 401,
    headers: { 'www-authenticate': `Basic error="invalid_client", error_description="${quoted}"` },
  });
}

/** Shapes C, D and E: FastAPI's `{"detail": …}` bodies, optionally with an `error` name. */
export class ApiError extends Error implements WireError {
  readonly style = 'compact' as const;
  constructor(
    readonly status: number,
    private readonly payload: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(payload.detail ?? payload.error));
  }
  body(): Record<string, unknown> {
    return this.payload;
  }
}

/** Shape D `Unauthorized`. */
export const unauthorized = () =>
  new ApiError(401, { error: 'Unauthorized', detail: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="polar"' });

/** Shape D `NotPermitted`. */
export const notPermitted = (detail = 'Not permitted') => new ApiError(403, { error: 'NotPermitted', detail });

/** Shape E: GET /v1/oauth2/authorize when the user must sign in (polar-oauth2.md §3.4 step 12). */
export const loginRequiredJson = () => new ApiError(401, { detail: 'Unauthorized' });

/** Shape C: one FastAPI validation problem. */
export function validationError(
  loc: (string | number)[],
  msg: string,
  type: string,
  input: unknown,
  ctx?: Record<string, unknown>,
): ApiError {
  const detail: Record<string, unknown> = { type, loc, msg, input: input ?? null, ...(ctx ? { ctx } : {}) };
  return new ApiError(422, { error: 'RequestValidationError', detail: [detail] });
}

/**
 * RFC 6750 §3: errors of a protected resource carry a Bearer challenge. Polar's realm is "polar"
 * and its challenge lists `scope` (insufficient_scope only), `error`, `error_description` (§2.4).
 */
function bearerError(error: string, status: number, description: string, scope?: string): OAuthError {
  const parts = ['realm="polar"'];
  if (scope !== undefined) parts.push(`scope="${scope}"`);
  parts.push(`error="${error}"`, `error_description="${description}"`);
  return new OAuthError(error, description, { status, headers: { 'www-authenticate': `Bearer ${parts.join(', ')}` } });
}

export const invalidToken = () =>
  bearerError('invalid_token', 401, 'The access token provided is expired, revoked, malformed, or invalid for other reasons.');

export const insufficientScope = (required: string) =>
  bearerError('insufficient_scope', 403, 'The request requires higher privileges than provided by the access token.', required);
