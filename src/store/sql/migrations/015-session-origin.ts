/**
 * Where each web session was started from (the client's address and its User-Agent, as sent), so
 * that its person can tell their sessions apart on /settings/sessions and end one they do not
 * recognise. Sessions started before this have neither.
 */
export const version = 15;
export const name = 'session-origin';
export const sql = `
ALTER TABLE user_sessions ADD COLUMN ip TEXT;
ALTER TABLE user_sessions ADD COLUMN user_agent TEXT;
`;
