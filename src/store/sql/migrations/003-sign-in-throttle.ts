/**
 * Failed sign-ins, counted per key (`ip:<address>` or `email:<lowercased>`) in the database so
 * that every instance behind a load balancer enforces the same lockout.
 */
export const version = 3;
export const name = 'sign-in-throttle';
export const sql = `
CREATE TABLE sign_in_failures (
  key TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  window_start BIGINT NOT NULL,
  locked_until BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX sign_in_failures_window_start ON sign_in_failures (window_start);
`;
