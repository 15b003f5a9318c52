/**
 * A family's tokens are found through `(client_id, user_id)` (tokens.ts, FAMILY_ROWS). The
 * `family_id` index cost every refresh rotation a write to a random leaf: the family's.
 */
export const version = 8;
export const name = 'no-family-index';
export const sql = `
DROP INDEX oauth2_tokens_family_id;
`;
