/**
 * Links sent by mail (accounts/email-links.ts): confirming an address, setting a new password.
 * Only the token's HMAC is stored, with the address it was sent to, since it proves that address
 * only. A row is deleted when it is used, superseded by a newer link of its kind, or by the
 * cleanup once expired.
 */
export const version = 13;
export const name = 'email-links';
export const sql = `
CREATE TABLE email_links (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX email_links_user_id ON email_links (user_id, purpose);
CREATE INDEX email_links_expires_at ON email_links (expires_at);
`;
