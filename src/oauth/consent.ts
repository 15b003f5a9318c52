/**
 * The user's answer on the consent screen (polar-oauth2.md §3.5). The caller validates the
 * authorization request again from the original parameters (`validateForConsent`); `deny`
 * redirects with access_denied; `allow` resolves the organization down-scope, issues the code
 * and remembers the consent.
 */
import { accessibleOrganizations } from '../accounts/organization-access.js';
import type { SignedIn } from './authorize/index.js';
import { issueCode } from './authorize/issue-code.js';
import { assertHintedUser, signInTooOld } from './authorize/prompt.js';
import { resolveOrganizations } from './authorize/organizations.js';
import { errorRedirect } from './authorize/redirect.js';
import { type AuthorizationRequest, assertSubType, validateAuthorizationRequest } from './authorize/request.js';
import type { OAuthContext } from './context.js';
import { OAuthError } from './errors.js';
import type { Params } from './params.js';

export interface ConsentAnswer {
  action: 'allow' | 'deny';
  organizations: string[];
}

/** §3.5 step 1: `sub_type` is judged only after the user's decision (`consent`). */
export const validateForConsent = (params: Params, ctx: OAuthContext) => validateAuthorizationRequest(params, ctx, { subTypeLater: true });

/** The redirect back to the client, or `login`: the user must sign in again first (`max_age`). */
export type ConsentOutcome = { kind: 'redirect'; location: string } | { kind: 'login' };

export async function consent(
  request: AuthorizationRequest,
  params: Params,
  answer: ConsentAnswer,
  signedIn: SignedIn,
  ctx: OAuthContext,
): Promise<ConsentOutcome> {
  if (answer.action === 'deny') {
    const denied = new OAuthError('access_denied', 'The resource owner or authorization server denied the request', {
      allowRedirect: true,
      state: request.state,
    });
    return { kind: 'redirect', location: errorRedirect(denied, request.redirectUri, ctx.issuer) };
  }
  assertHintedUser(request, signedIn.user.id);
  if (signInTooOld(request, ctx.now() - signedIn.session.createdAt)) return { kind: 'login' };
  // §3.5 step 1: judged after the decision. With `state`, as every authorization error here
  // (compatibility.md: Polar's consent wrapper drops it).
  assertSubType(params.get('sub_type'), request.state);
  const accessible = await accessibleOrganizations(ctx.store, signedIn.session);
  // §2.5: `organizations` is collected from the query (the re-posted authorize query) and the body.
  const selection = [...request.organizations, ...answer.organizations];
  const organizationIds = resolveOrganizations(selection, accessible, signedIn.session, request.requiresSingleOrganization);
  // One transaction: a "revoke access" racing this answer comes wholly before it (both stay) or
  // wholly after (both go). As two writes, a revocation between them consumed the code and the
  // consent was remembered after it, so later requests were approved without asking. A replayed
  // nonce throws inside, and the consent is not remembered either.
  const location = await ctx.store.transaction(async (store) => {
    await store.consents.remember(
      { clientId: request.client.clientId, userId: signedIn.user.id, scope: request.scope, organizationIds },
      ctx.now(),
    );
    return issueCode(request, signedIn, organizationIds, { ...ctx, store });
  });
  return { kind: 'redirect', location };
}
