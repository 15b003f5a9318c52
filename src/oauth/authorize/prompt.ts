/**
 * What an authorization request needs from the user (OIDC Core §3.1.2.1 `prompt`;
 * polar-oauth2.md §9 with D8). One fixed order of rules, so the outcome never depends on
 * hook order:
 *   1. `none` with another value                → invalid_request (redirect)
 *   2. not signed in: `none` → login_required (redirect); otherwise → sign in
 *   2a. signed in as someone other than the `id_token_hint` names → login_required (redirect)
 *   3. signed in longer ago than `max_age` (0: always): `none` → login_required; otherwise → sign in again
 *   4. `login`                                  → sign in again (the page retries with `consent`)
 *   5. first-party client                       → approve; remember the client's whole scope
 *   6. `none`: remembered consent covers it     → approve; else consent_required (redirect)
 *   7. `consent` or `select_account`            → ask
 *   8. remembered consent covers the request    → approve; else ask
 */
import { OAuthError, invalidRequest } from '../errors.js';
import type { AuthorizationRequest } from './request.js';

export type Decision = 'login' | 'consent' | 'approve';

/**
 * Rule 3: the sign-in is older than `max_age` allows (OIDC Core §3.1.2.1: "max_age=0 is
 * equivalent to prompt=login"). Asked again when the consent answer arrives (consent.ts): a
 * consent page left open past `max_age` must not yield an id_token whose `auth_time` the client
 * rejects. Ages are whole seconds, each end rounded down, so a sign-in `max_age` seconds old
 * by the clock may be up to a second older in truth: it counts as too old (a client checking
 * `auth_time + max_age >= now` to the millisecond would refuse its id_token). `max_age=0` asks
 * whatever the age reads: a clock stepped back, or instances a second apart, can make it negative.
 */
export const signInTooOld = (request: AuthorizationRequest, authAge: number) =>
  request.maxAge !== undefined && (request.maxAge === 0 || authAge >= request.maxAge);

const redirectError = (request: AuthorizationRequest, error: OAuthError) => {
  error.withState(request.state).redirectTo = request.redirectUri;
  return error;
};
const loginRequired = (request: AuthorizationRequest) => redirectError(request, new OAuthError('login_required', undefined, { allowRedirect: true }));

/**
 * Rule 2a (OIDC Core §3.1.2.1): "if the End-User identified by the ID Token is [not] logged in
 * … [the server] SHOULD return an error, such as login_required". Signing in again on this
 * request would only ask the same of whoever signs in; the client may retry without the hint.
 * Asked again when the consent answer arrives (consent.ts), for a page left open across a switch.
 */
export function assertHintedUser(request: AuthorizationRequest, userId: string): void {
  if (request.hintedSubject !== undefined && request.hintedSubject !== userId) throw loginRequired(request);
}

/**
 * `signedIn`: the user and seconds since they signed in, undefined when not signed in.
 * `covered`: a remembered consent covers the request, its scope and organizations (remembered.ts).
 */
export function decide(request: AuthorizationRequest, signedIn: { userId: string; authAge: number } | undefined, covered: boolean): Decision {
  const { prompt } = request;
  if (prompt.has('none') && prompt.size > 1) throw redirectError(request, invalidRequest("Invalid 'prompt' parameter.", true));
  if (signedIn === undefined) {
    if (prompt.has('none')) throw loginRequired(request);
    return 'login';
  }
  assertHintedUser(request, signedIn.userId);
  const { authAge } = signedIn;
  if (signInTooOld(request, authAge)) {
    if (prompt.has('none')) throw loginRequired(request);
    return 'login';
  }
  if (prompt.has('login')) return 'login';
  if (request.client.firstParty) return 'approve';
  if (prompt.has('none')) {
    if (covered) return 'approve';
    throw redirectError(request, new OAuthError('consent_required', undefined, { allowRedirect: true }));
  }
  if (prompt.has('consent') || prompt.has('select_account')) return 'consent';
  return covered ? 'approve' : 'consent';
}
