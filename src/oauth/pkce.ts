/**
 * PKCE, RFC 7636, with D7: public clients must use S256 at the authorization endpoint;
 * `plain` remains available to confidential clients (RFC 7636 §4.2 default when no method).
 */
import { createHash } from 'node:crypto';
import { safeEqual } from './credentials.js';
import { invalidGrant, invalidRequest } from './errors.js';

/** RFC 7636 §4.1/§4.2: 43–128 unreserved characters. */
const VERIFIER_SYNTAX = /^[A-Za-z0-9\-._~]{43,128}$/;

export interface Challenge {
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
}

/** At authorize: every failure is a redirect error `invalid_request` (polar-oauth2.md §4.1). */
export function checkChallenge(challenge: string | undefined, method: string | undefined, publicClient: boolean): Challenge {
  if (challenge === undefined && method === undefined) {
    if (publicClient) throw invalidRequest("Public clients must send a 'code_challenge' with 'code_challenge_method=S256'.", true);
    return { codeChallenge: null, codeChallengeMethod: null };
  }
  if (challenge === undefined) throw invalidRequest("Missing 'code_challenge'", true);
  if (!VERIFIER_SYNTAX.test(challenge)) throw invalidRequest("Invalid 'code_challenge'", true);
  if (method !== undefined && method !== 'plain' && method !== 'S256') {
    throw invalidRequest("Unsupported 'code_challenge_method'", true);
  }
  if (publicClient && method !== 'S256') {
    throw invalidRequest("Public clients must use 'code_challenge_method=S256'.", true);
  }
  return { codeChallenge: challenge, codeChallengeMethod: method ?? null };
}

/** At the token endpoint (polar-oauth2.md §4.1, PKCE at the token endpoint). */
export function verifyCodeVerifier(stored: Challenge, verifier: string | undefined, publicClient: boolean): void {
  if (publicClient && verifier === undefined) throw invalidRequest("Missing 'code_verifier'");
  if (stored.codeChallenge === null) {
    if (verifier === undefined) return;
    throw invalidRequest("The authorization request had no 'code_challenge', but a 'code_verifier' was provided.");
  }
  if (verifier === undefined) throw invalidRequest("Missing 'code_verifier'");
  if (!VERIFIER_SYNTAX.test(verifier)) throw invalidRequest("Invalid 'code_verifier'");
  const method = stored.codeChallengeMethod ?? 'plain';
  const computed = method === 'S256' ? createHash('sha256').update(verifier, 'ascii').digest('base64url') : verifier;
  // With `plain` the stored challenge is the secret itself: compared in constant time (as with S256).
  if (!safeEqual(computed, stored.codeChallenge)) throw invalidGrant('Code challenge failed.');
}
