/**
 * Which organizations a web session may act for (polar-oauth2.md §3.4, §4.3): the user's
 * memberships, intersected with the session's down-scope when it has one.
 */
import type { Organization, Session, Store } from '../store/store.js';

export async function accessibleOrganizations(store: Store, session: Session): Promise<Organization[]> {
  const memberships = await store.organizations.listForUser(session.userId);
  if (session.organizationIds.length === 0) return memberships;
  const allowed = new Set(session.organizationIds);
  return memberships.filter((o) => allowed.has(o.id));
}

/**
 * A UUID in its canonical spelling (lower case, hyphenated), or undefined. Polar parses these
 * values with Python's `uuid.UUID`, which takes the same 32 hex digits with any hyphens, in
 * braces, or after `urn:uuid:`; so does this. Not mirrored: what Python's `int(…, 16)` also
 * reads in those 32 characters (a sign, `0x`, spaces, `_`, non-ASCII digits); such a value is
 * refused as not a UUID.
 */
export function parseUuid(value: string): string | undefined {
  const hex = value.replaceAll('urn:', '').replaceAll('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) return undefined;
  const h = hex.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
