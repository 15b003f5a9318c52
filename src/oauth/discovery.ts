/**
 * Authorization server metadata: OpenID Connect Discovery 1.0 and RFC 8414 (same document,
 * D10). Polar's fields in Polar's order (polar-oauth2.md §3.1), arrays in a stable order,
 * URLs on the configured issuer (D15), plus RFC 9207's `authorization_response_iss_parameter_supported`
 * and `request_uri_parameter_supported: false` (its default is true, OIDC Discovery §3; request
 * objects are refused at authorize, request.ts).
 */
import { PUBLIC_SCOPES } from './scopes.js';

export interface DiscoveryOptions {
  issuer: string;
  /** The page users are sent to; the built-in one unless an external frontend is configured. */
  authorizationEndpoint: string;
  /**
   * False with BOREALIS_REGISTRATION=closed: the endpoint is then left out (RFC 8414 §2, OIDC
   * Discovery §3), so an MCP client uses a pre-registered client instead of trying and failing.
   */
  registration: boolean;
}

export function discoveryDocument({ issuer, authorizationEndpoint, registration }: DiscoveryOptions) {
  const secretMethods = ['client_secret_basic', 'client_secret_post'];
  return {
    issuer,
    authorization_endpoint: authorizationEndpoint,
    token_endpoint: `${issuer}/v1/oauth2/token`,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    ...(registration ? { registration_endpoint: `${issuer}/v1/oauth2/register` } : {}),
    scopes_supported: PUBLIC_SCOPES,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'web'],
    token_endpoint_auth_methods_supported: [...secretMethods, 'none'],
    service_documentation: 'https://polar.sh/docs',
    revocation_endpoint: `${issuer}/v1/oauth2/revoke`,
    revocation_endpoint_auth_methods_supported: [...secretMethods, 'none'],
    introspection_endpoint: `${issuer}/v1/oauth2/introspect`,
    introspection_endpoint_auth_methods_supported: secretMethods,
    code_challenge_methods_supported: ['S256', 'plain'],
    userinfo_endpoint: `${issuer}/v1/oauth2/userinfo`,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
    claims_supported: ['sub', 'name', 'email', 'email_verified'],
    authorization_response_iss_parameter_supported: true,
    request_uri_parameter_supported: false,
  };
}
