/**
 * The id_token of the authorization_code grant (OIDC Core §2, §3.1.3.6; polar-oauth2.md §5.4
 * with D9): RS256 with `kid` in the header, `iss` the configured issuer, `nonce` only when the
 * request carried one, `auth_time` when the user authenticated.
 */
import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Signer } from '../keys/key-ring.js';

export const ID_TOKEN_LIFETIME = 3600;

/** OIDC Core §3.1.3.6: base64url of the left half of SHA-256 of the access token's ASCII. */
export const atHash = (accessToken: string): string =>
  createHash('sha256').update(accessToken, 'ascii').digest().subarray(0, 16).toString('base64url');

export interface IdTokenInput {
  issuer: string;
  clientId: string;
  subject: string;
  authTime: number;
  nonce: string | null;
  accessToken: string;
  email?: { email: string; email_verified: boolean } | undefined;
  now: number;
}

export function signIdToken(input: IdTokenInput, signer: Signer): Promise<string> {
  const claims: Record<string, unknown> = {
    iss: input.issuer,
    exp: input.now + ID_TOKEN_LIFETIME,
    iat: input.now,
    auth_time: input.authTime,
    aud: [input.clientId],
  };
  if (input.nonce !== null) claims.nonce = input.nonce;
  claims.at_hash = atHash(input.accessToken);
  claims.sub = input.subject;
  if (input.email) Object.assign(claims, input.email);
  return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg: signer.alg, kid: signer.kid }).sign(signer.key);
}
