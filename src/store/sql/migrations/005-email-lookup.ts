/**
 * Emails are unique and looked up case-insensitively. SQLite's lower() folds ASCII only, so the
 * folded form is computed once in JavaScript (full Unicode) and stored beside the address.
 */
export const version = 5;
export const name = 'email-lookup';
export const sql = `
ALTER TABLE users ADD COLUMN email_lookup TEXT;
UPDATE users SET email_lookup = lower(email);
DROP INDEX users_email_lower;
CREATE UNIQUE INDEX users_email_lookup ON users (email_lookup);
`;
