/**
 * Where a page's form can end up once its POST has been answered with redirects. Chromium applies
 * CSP `form-action` to every redirect that follows a form submission (pitfalls.md), so a page
 * whose form can lead to a client's redirect URI lists that URI's origin beside 'self':
 * - the consent form answers with a redirect to the client;
 * - sign-in, sign-up and the organization form return to `return_to`, and when that is an
 *   authorization request it may answer at once with a redirect to the client (remembered
 *   consent, an error that redirects).
 */
import type { OAuthContext } from '../../oauth/context.js';
import { OAuthError } from '../../oauth/errors.js';
import { Params, decodeForm } from '../../oauth/params.js';
import { validateAuthorizationRequest } from '../../oauth/authorize/request.js';

/** Both authorization endpoints redirect to the client: the built-in page and the JSON API. */
const AUTHORIZATION_PATHS = new Set(['/oauth2/authorize', '/v1/oauth2/authorize']);

/**
 * A CSP host-source (CSP3 §2.3.1): host characters are letters, digits, `-` and `.`, then a port.
 * The URL parser lets `;`, `,` and quotes into a host; named in the header, they would end the
 * directive or the policy (`https://x;sandbox` injected `sandbox`). The grammar has no IPv6
 * literal: Chromium ignores `http://[::1]:8080` as an invalid source and then blocks the form, so
 * such a redirect URI is one no source can name.
 */
const HOST_SOURCE = /^https?:\/\/[a-z0-9.-]+(?::\d+)?$/i;

/**
 * A CSP source for a redirect URI: its origin, or `scheme:` for a native app's private scheme;
 * undefined when no source can name it.
 */
export function formActionSource(redirectUri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(redirectUri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return HOST_SOURCE.test(url.origin) ? url.origin : undefined;
  return /^[a-z][a-z0-9+.-]*:$/i.test(url.protocol) ? url.protocol : undefined;
}

/** The redirect URI an authorization request in `returnTo` (a same-origin path) would end at. */
export async function authorizationTarget(returnTo: string | undefined, ctx: OAuthContext): Promise<string | undefined> {
  if (!returnTo) return undefined;
  const url = new URL(returnTo, 'http://borealis.invalid');
  if (!AUTHORIZATION_PATHS.has(url.pathname)) return undefined;
  try {
    const params = new Params(decodeForm(url.search.slice(1)), new Map());
    return (await validateAuthorizationRequest(params, ctx)).redirectUri;
  } catch (error) {
    // An invalid request still redirects to a verified redirect URI; otherwise it never leaves.
    if (error instanceof OAuthError && error.allowRedirect) return error.redirectTo;
    return undefined;
  }
}
