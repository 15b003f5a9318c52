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
  if (request.organizations.length > 0) {
    return chosen.length === 0 || request.organizations.every((id) => chosen.includes(id)) ? request.organizations : undefined;
  }
  // Nothing named: all organizations, or those chosen that the session still reaches. An
  // organization-mode request needs exactly one; the user picks otherwise.
  const selection = chosen.filter((id) => accessible.some((o) => o.id === id));
  if (request.requiresSingleOrganization) return selection.length === 1 ? selection : undefined;
  if (chosen.length === 0) return [];
  return selection.length > 0 ? selection : undefined;
}
