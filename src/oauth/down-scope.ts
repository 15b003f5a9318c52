/**
 * A token's or code's organization down-scope at request time (polar-oauth2.md §6): it holds only
 * while the user is still a member of the organizations it names. The store marks those the user
 * has left when it reads the row. One whose organizations have all been left acts on nothing, and
 * is refused everywhere: listed as an empty `organizations`, it would read as unrestricted
 * (docs/compatibility.md).
 */
export interface DownScope {
  organizationIds: string[];
  lostOrganizationIds: string[];
}

export const actsOnNothing = (row: DownScope): boolean =>
  row.organizationIds.length > 0 && row.lostOrganizationIds.length === row.organizationIds.length;

/** The organizations the row may still act on; empty means unrestricted unless `actsOnNothing`. */
export const heldOrganizations = (row: DownScope): string[] =>
  row.lostOrganizationIds.length === 0 ? row.organizationIds : row.organizationIds.filter((id) => !row.lostOrganizationIds.includes(id));
