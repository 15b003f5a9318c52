/**
 * `id_token_hint` (OIDC Core §3.1.2.1): an id_token this server issued to the client, naming the
 * user the client expects. Polar ignores it; acted on, a silent re-authentication for a known user
 * cannot come back with a code for whoever else is signed in (docs/compatibility.md). It may have
 * expired, so only its signature (by a key still published), issuer and audience are checked.
 */
import { compactVerify, createLocalJWKSet, decodeJwt } from 'jose';
import type { OAuthContext } from '../context.js';
import { invalidRequest } from '../errors.js';

const INVALID = "Invalid 'id_token_hint' parameter.";

/** The hint's subject; an `invalid_request` to redirect when it is not an id_token of ours for `clientId`. */
export async function hintedSubject(hint: string, clientId: string, ctx: Pick<OAuthContext, 'keys' | 'issuer'>): Promise<string> {
  try {
    await compactVerify(hint, createLocalJWKSet(ctx.keys.jwks()), { algorithms: ['RS256'] });
  } catch {
    throw invalidRequest(INVALID, true);
  }
  // Signed by us, so a JWT whose claims jose reads as they are (not checked for time: it may have expired).
  const { iss, aud, sub } = decodeJwt(hint);
  const forClient = aud === clientId || (Array.isArray(aud) && aud.includes(clientId));
  if (iss !== ctx.issuer || !forClient || typeof sub !== 'string') throw invalidRequest(INVALID, true);
  return sub;
}
