/**
 * Deleting an account (accounts.ts, deleteAccount) erases what identified its person and keeps
 * the row's id, marked here: revoked tokens awaiting the cleanup and security events still name
 * it, and a delete that cascaded through the token table would scan it, since no index of that
 * table starts with the user.
 */
export const version = 16;
export const name = 'user-erasure';
export const sql = `
ALTER TABLE users ADD COLUMN erased_at BIGINT;
`;
