/**
 * What a remembered consent lets the authorization endpoint approve without asking
 * (polar-oauth2.md §9 "has granted"; OIDC Core §3.1.2.4). Polar compares scopes only, and its
 * consent memory keeps no organizations, so a user who chose one organization would be
 * re-authorized silently for all of them, or for whichever the client names. Borealis keeps the
 * organizations chosen with the consent and stays within them (docs/compatibility.md).
 */
import type { Consent, Organization } from '../../store/store.js';
import { scopeCovers } from '../scopes.js';
import type { AuthorizationRequest } from './request.js';

/**
 * The organization selection the consent approves for `request`, or undefined when the user must
 * be asked. A consent for all organizations approves whatever the request names (resolved and
 * checked as any selection is), but cannot pick the one organization a `sub_type=organization`
 * request needs when it names none: the user picks it. One for chosen organizations approves a
 * subset of them, or, when the request names none, those of them the session can still reach
 * (for an organization-mode request, only if that is one).
 */
export function rememberedSelection(
  remembered: Consent | undefined,
  request: Pick<AuthorizationRequest, 'scope' | 'organizations' | 'requiresSingleOrganization'>,
  accessible: Organization[],
): string[] | undefined {
  if (!remembered || !scopeCovers(remembered.scope, request.scope)) return undefined;
  const chosen = remembered.organizationIds;
  if (chosen.length === 0) return request.requiresSingleOrganization && request.organizations.length === 0 ? undefined : request.organizations;
  if (request.organizations.length > 0) {
    return request.organizations.every((id) => chosen.includes(id.toLowerCase())) ? request.organizations : undefined;
  }
  const reachable = chosen.filter((id) => accessible.some((o) => o.id === id));
  // An organization-mode request needs one: of several, the user picks.
  if (request.requiresSingleOrganization && reachable.length > 1) return undefined;
  return reachable.length > 0 ? reachable : undefined;
}
