/**
 * Request counts per key and fixed window (registration rate limit), in the database so that
 * every instance and every `serve --workers` process counts against the same limit.
 */
export const version = 7;
export const name = 'rate-limits';
export const sql = `
CREATE TABLE rate_limit_hits (
  key TEXT PRIMARY KEY,
  hits INTEGER NOT NULL,
  window_start_ms BIGINT NOT NULL
);
CREATE INDEX rate_limit_hits_window_start_ms ON rate_limit_hits (window_start_ms);
`;
