/**
 * Clients are listed newest first (polar-oauth2.md §3.13); epoch seconds tie for clients made
 * in the same second, so a millisecond creation stamp orders them.
 */
export const version = 4;
export const name = 'client-creation-order';
export const sql = `
ALTER TABLE oauth2_clients ADD COLUMN created_ms BIGINT NOT NULL DEFAULT 0;
DROP INDEX oauth2_clients_user_id;
CREATE INDEX oauth2_clients_user_id ON oauth2_clients (user_id, created_ms);
`;
