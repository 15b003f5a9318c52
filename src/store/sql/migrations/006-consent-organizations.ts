/** Remembered consent also keeps the organizations chosen with it, so the user can see them. */
export const version = 6;
export const name = 'consent-organizations';
export const sql = `
ALTER TABLE oauth2_grants ADD COLUMN organization_ids TEXT NOT NULL DEFAULT '';
`;
