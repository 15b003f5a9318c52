/**
 * The organization down-scope of a code (polar-oauth2.md §3.5 step 4, §6). These errors are
 * JSON 400s, never redirects: they concern the user's own choice on our page.
 */
import { parseUuid } from '../../accounts/organization-access.js';
import type { Organization, Session } from '../../store/store.js';
import { invalidRequest } from '../errors.js';

export function resolveOrganizations(
  selection: string[],
  accessible: Organization[],
  session: Session,
  requiresSingleOrganization: boolean,
): string[] {
  const allowed = new Set(accessible.map((o) => o.id));
  // Every value is parsed before any is looked up, as Polar does: a malformed one is reported
  // as such wherever it stands.
  const parsed = selection.map(parseUuid);
  if (parsed.includes(undefined)) throw invalidRequest("Invalid 'organizations' UUID");
  const chosen: string[] = [];
  for (const id of parsed as string[]) {
    if (!allowed.has(id)) throw invalidRequest(`Organization ${id} is not accessible`);
    if (!chosen.includes(id)) chosen.push(id);
  }
  let result = chosen;
  if (result.length === 0 && session.organizationIds.length > 0) {
    // A down-scoped session passes its restriction on (§3.5 step 4).
    result = [...allowed];
    if (result.length === 0) throw invalidRequest('The session has no accessible organizations');
  }
  if (requiresSingleOrganization) {
    if (result.length === 0) throw invalidRequest('sub_type=organization requires selecting an organization');
    // Polar keeps the lexicographically smallest id when several were sent.
    if (result.length > 1) result = [[...result].sort()[0] as string];
  }
  return result;
}
