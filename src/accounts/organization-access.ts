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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: string): boolean => UUID.test(value);
