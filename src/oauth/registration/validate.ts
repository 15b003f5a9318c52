/**
 * Validation of RFC 7591 client metadata as Polar's two layers do it (polar-oauth2.md §3.11):
 * first a schema check that collects every problem into one FastAPI 422 (shape C), then the
 * semantic checks that answer 400 `invalid_client_metadata`. Unknown fields are dropped.
 */
import type { ClientMetadata } from '../../store/store.js';
import { ApiError, OAuthError } from '../errors.js';
import { PUBLIC_SCOPES, splitScope } from '../scopes.js';
import { checkRedirectUri, checkWebUrl, urlParsingError } from './redirect-uri.js';

/** One entry of a FastAPI 422 `detail` (Pydantic's error). */
export interface Problem {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'] as const;
const GRANT_TYPES = ['authorization_code', 'refresh_token'] as const;
const SUB_TYPES = ['user', 'organization'] as const;
const PUBLIC = new Set(PUBLIC_SCOPES);

const literalMessage = (values: readonly string[]) =>
  values.length === 1 ? `'${values[0]}'` : `${values.slice(0, -1).map((v) => `'${v}'`).join(', ')} or '${values.at(-1)}'`;

export type RegistrationInput = Omit<ClientMetadata, 'redirect_uris'> & { redirect_uris: string[] };

/** Collects a body's schema problems into one FastAPI 422 (registration's and the admin API's). */
export class Collector {
  readonly problems: Problem[] = [];
  add(problem: Problem) {
    this.problems.push(problem);
  }
  /** `nullable`: `null` means omitted (Pydantic's `Optional`); otherwise it is not a string. */
  string(body: Record<string, unknown>, field: string, required: boolean, nullable = false): string | undefined {
    const value = body[field];
    if (value === undefined || (value === null && nullable)) {
      if (required) this.add({ type: 'missing', loc: ['body', field], msg: 'Field required', input: body });
      return undefined;
    }
    if (typeof value !== 'string') {
      this.add({ type: 'string_type', loc: ['body', field], msg: 'Input should be a valid string', input: value });
      return undefined;
    }
    if (value.includes('\u0000')) {
      this.add({ type: 'value_error', loc: ['body', field], msg: 'Value error, NUL characters are not allowed', input: value });
      return undefined;
    }
    return value;
  }
  /** `enum` for a field Polar types as an Enum (Pydantic's error type differs, not its words). */
  literal<T extends string>(value: unknown, loc: (string | number)[], allowed: readonly T[], type: 'literal_error' | 'enum' = 'literal_error'): T | undefined {
    if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
    const expected = literalMessage(allowed);
    this.add({ type, loc, msg: `Input should be ${expected}`, input: value, ctx: { expected } });
    return undefined;
  }
  /** Strict: JSON `true` or `false` only (Pydantic would also take "yes", 1 and the like). */
  boolean(body: Record<string, unknown>, field: string): boolean | undefined {
    const value = body[field];
    if (value === undefined || typeof value === 'boolean') return value;
    this.add({ type: 'bool_type', loc: ['body', field], msg: 'Input should be a valid boolean', input: value });
    return undefined;
  }
  list(body: Record<string, unknown>, field: string, required: boolean): unknown[] | undefined {
    const value = body[field];
    if (value === undefined) {
      if (required) this.add({ type: 'missing', loc: ['body', field], msg: 'Field required', input: body });
      return undefined;
    }
    if (!Array.isArray(value)) {
      this.add({ type: 'list_type', loc: ['body', field], msg: 'Input should be a valid list', input: value });
      return undefined;
    }
    return value;
  }
}

/** Pydantic's `HttpUrl` (Polar's type for these fields) refuses longer input before parsing it. */
const URL_MAX_LENGTH = 2083;
const urlTooLong = (loc: (string | number)[], input: string): Problem => ({
  type: 'url_too_long',
  loc,
  msg: `URL should have at most ${URL_MAX_LENGTH} characters`,
  input,
  ctx: { max_length: URL_MAX_LENGTH },
});
/**
 * Not Polar's (compatibility.md): a name is shown on consent pages, and stored for every client.
 * Counted in characters (code points), as Pydantic's `max_length` counts: an emoji is one.
 */
const NAME_MAX_LENGTH = 255;

export const unprocessable = (problems: Problem[]) => new ApiError(422, { error: 'RequestValidationError', detail: problems });
const urlParsing = (loc: (string | number)[], input: string): Problem => {
  const error = input === '' ? 'input is empty' : urlParsingError(input);
  return { type: 'url_parsing', loc, msg: `Input should be a valid URL, ${error}`, input, ctx: { error } };
};
/** authlib's second validation raises joserfc's InvalidClaimError; this is its description. */
const invalidMetadata = (claim: string) => new OAuthError('invalid_client_metadata', `Invalid claim: '${claim}'`);

type Validated = RegistrationInput & { client_id?: string };

/** The first layer (422) and the second (400), in that order. */
export function validateMetadata(body: unknown): Validated {
  const parsed = parseMetadata(body, false);
  parsed.checkClaims();
  return parsed.metadata;
}

/**
 * The first layer (422, Pydantic's, which FastAPI runs before the endpoint) now; the second (400,
 * authlib's claims) when `checkClaims` is called: RFC 7592 PUT authorizes the caller between them
 * (polar-oauth2.md §3.12). `requireClientId` for that PUT.
 */
export function parseMetadata(body: unknown, requireClientId: boolean): { metadata: Validated; checkClaims: () => void } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw unprocessable([
      { type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body },
    ]);
  }
  const input = body as Record<string, unknown>;
  const c = new Collector();

  const redirectUris: string[] = [];
  let badRedirect = false;
  c.list(input, 'redirect_uris', true)?.forEach((item, i) => {
    const loc = ['body', 'redirect_uris', i];
    if (typeof item !== 'string') return c.add({ type: 'url_type', loc, msg: 'URL input should be a string or URL', input: item });
    if (item.length > URL_MAX_LENGTH) return c.add(urlTooLong(loc, item));
    if (item.includes('\u0000')) return c.add({ type: 'value_error', loc, msg: 'Value error, NUL characters are not allowed', input: item });
    const checked = checkRedirectUri(item);
    if (checked.problem === 'url_parsing') return c.add(urlParsing(loc, item));
    // Polar's own validator's words (its `_is_https_or_localhost`), after Pydantic's prefix.
    if (checked.problem === 'http_not_local') return c.add({ type: 'value_error', loc, msg: 'Value error, An HTTPS URL is required.', input: item });
    if (checked.problem) badRedirect = true;
    redirectUris.push(checked.normalised ?? item);
  });

  const authMethod =
    input.token_endpoint_auth_method === undefined
      ? 'client_secret_post'
      : c.literal(input.token_endpoint_auth_method, ['body', 'token_endpoint_auth_method'], AUTH_METHODS);
  const grantTypes = c.list(input, 'grant_types', false)?.map((g, i) => c.literal(g, ['body', 'grant_types', i], GRANT_TYPES));
  const responseTypes = c.list(input, 'response_types', false)?.map((r, i) => c.literal(r, ['body', 'response_types', i], ['code'] as const));
  const scope = c.string(input, 'scope', false);
  const clientName = c.string(input, 'client_name', true);
  if (clientName !== undefined && [...clientName].length > NAME_MAX_LENGTH) {
    const ctx = { max_length: NAME_MAX_LENGTH };
    c.add({ type: 'string_too_long', loc: ['body', 'client_name'], msg: `String should have at most ${NAME_MAX_LENGTH} characters`, input: clientName, ctx });
  }
  const clientUri = c.string(input, 'client_uri', false, true);
  const urls: Partial<Record<'logo_uri' | 'tos_uri' | 'policy_uri', string>> = {};
  for (const field of ['logo_uri', 'tos_uri', 'policy_uri'] as const) {
    // Pydantic's `HttpUrl | None`: anything but a string or null is a `url_type`.
    const raw = input[field];
    if (raw !== undefined && raw !== null && typeof raw !== 'string') {
      c.add({ type: 'url_type', loc: ['body', field], msg: 'URL input should be a string or URL', input: raw });
      continue;
    }
    const value = c.string(input, field, false, true);
    if (value === undefined) continue;
    if (value.length > URL_MAX_LENGTH) {
      c.add(urlTooLong(['body', field], value));
      continue;
    }
    // Pydantic's HttpUrl: unparsable, or another scheme (a fragment or no host is authlib's 400).
    const checked = checkWebUrl(value);
    if (checked.problem === 'url_parsing') c.add(urlParsing(['body', field], value));
    else if (checked.problem === 'url_scheme') {
      const ctx = { expected_schemes: "'http' or 'https'" };
      c.add({ type: 'url_scheme', loc: ['body', field], msg: "URL scheme should be 'http' or 'https'", input: value, ctx });
    } else urls[field] = checked.normalised ?? value;
  }
  const subType = input.default_sub_type === undefined ? 'user' : c.literal(input.default_sub_type, ['body', 'default_sub_type'], SUB_TYPES, 'enum');
  const clientId = requireClientId ? c.string(input, 'client_id', true) : undefined;
  if (c.problems.length > 0) throw unprocessable(c.problems);

  // Second layer (authlib's metadata claims): 400 invalid_client_metadata.
  const checkClaims = () => {
    if (scope !== undefined && !splitScope(scope).every((s) => PUBLIC.has(s))) throw invalidMetadata('scope');
    if (badRedirect) throw invalidMetadata('redirect_uris');
    if (clientUri !== undefined && checkWebUrl(clientUri).problem) throw invalidMetadata('client_uri');
    for (const field of ['logo_uri', 'tos_uri', 'policy_uri'] as const) {
      if (urls[field] !== undefined && checkWebUrl(urls[field] as string).problem) throw invalidMetadata(field);
    }
  };

  const metadata: Validated = {
    redirect_uris: redirectUris,
    token_endpoint_auth_method: authMethod as ClientMetadata['token_endpoint_auth_method'],
    grant_types: (grantTypes as string[] | undefined) ?? ['authorization_code', 'refresh_token'],
    response_types: (responseTypes as string[] | undefined) ?? ['code'],
    client_name: clientName as string,
    ...(clientUri !== undefined ? { client_uri: checkWebUrl(clientUri).normalised ?? clientUri } : {}),
    ...urls,
    scope: scope ?? PUBLIC_SCOPES.join(' '),
    default_sub_type: subType as ClientMetadata['default_sub_type'],
    ...(clientId !== undefined ? { client_id: clientId } : {}),
  };
  return { metadata, checkClaims };
}
