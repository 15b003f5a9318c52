/**
 * What an authorization request needs from the user (OIDC Core §3.1.2.1 `prompt`;
 * polar-oauth2.md §9 with D8). One fixed order of rules, so the outcome never depends on
 * hook order:
 *   1. `none` with another value                → invalid_request (redirect)
 *   2. not signed in: `none` → login_required (redirect); otherwise → sign in
 *   3. `login`                                  → sign in again (the page retries with `consent`)
 *   4. first-party client                       → approve; remember the client's whole scope
 *   5. `none`: remembered consent covers it     → approve; else consent_required (redirect)
 *   6. `consent` or `select_account`            → ask
 *   7. remembered consent covers the request    → approve; else ask
 */
import { OAuthError, invalidRequest } from '../errors.js';
import type { AuthorizationRequest } from './request.js';

export type Decision = 'login' | 'consent' | 'approve';

/** `covered`: a remembered consent covers the request, its scope and organizations (remembered.ts). */
export function decide(request: AuthorizationRequest, signedIn: boolean, covered: boolean): Decision {
  const { prompt } = request;
  const redirectError = (error: OAuthError) => {
    error.withState(request.state).redirectTo = request.redirectUri;
    return error;
  };
  if (prompt.has('none') && prompt.size > 1) throw redirectError(invalidRequest("Invalid 'prompt' parameter.", true));
  if (!signedIn) {
    if (prompt.has('none')) throw redirectError(new OAuthError('login_required', undefined, { allowRedirect: true }));
    return 'login';
  }
  if (prompt.has('login')) return 'login';
  if (request.client.firstParty) return 'approve';
  if (prompt.has('none')) {
    if (covered) return 'approve';
    throw redirectError(new OAuthError('consent_required', undefined, { allowRedirect: true }));
  }
  if (prompt.has('consent') || prompt.has('select_account')) return 'consent';
  return covered ? 'approve' : 'consent';
}
