/**
 * Authorization responses are redirects to the verified redirect URI, with parameters appended
 * to its query in form encoding (polar-oauth2.md §2.3-B) and `iss` last (RFC 9207, D10).
 */
import type { OAuthError } from '../errors.js';

export function redirectWith(redirectUri: string, params: [string, string | undefined][]): string {
  const query = new URLSearchParams();
  for (const [name, value] of params) if (value !== undefined) query.append(name, value);
  return redirectUri + (redirectUri.includes('?') ? '&' : '?') + query.toString();
}

export const errorRedirect = (error: OAuthError, redirectUri: string, issuer: string): string =>
  redirectWith(redirectUri, [
    ['error', error.error],
    ['error_description', error.description],
    ['state', error.state],
    ['iss', issuer],
  ]);
