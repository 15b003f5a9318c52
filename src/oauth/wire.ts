/** snake_case wire types, with fields in the order they are serialised. */

/** polar-oauth2.md §3.7, with D1 (`scope` always present). */
export interface TokenResponse {
  token_type: 'Bearer';
  access_token: string;
  expires_in: number;
  refresh_token?: string;
  scope: string;
  id_token?: string;
}

/** Headers on every token-endpoint answer, success or error (RFC 6749 §5.1). */
export const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * Timestamps in FastAPI bodies, as Pydantic writes an aware UTC datetime: ISO 8601 ending in `Z`,
 * no fraction for whole seconds (every stored time), otherwise six digits.
 */
export const isoTime = (epochSeconds: number): string => {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : `${iso.slice(0, -1)}000Z`;
};
