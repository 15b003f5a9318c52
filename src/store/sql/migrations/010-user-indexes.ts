/**
 * `users block` ends a user's sessions and revokes their unused codes inside the transaction
 * that blocks them (accounts.ts): without these, each is a scan of the whole table while that
 * transaction holds SQLite's writer. Deleting a user cascades to their sessions through the
 * first one too. Neither is on a token path: sessions are created at sign-in, codes at consent.
 */
export const version = 10;
export const name = 'user-indexes';
export const sql = `
CREATE INDEX user_sessions_user_id ON user_sessions (user_id);
CREATE INDEX oauth2_authorization_codes_user_id ON oauth2_authorization_codes (user_id);
`;
