/**
 * Security events kept for the operator and the person they concern (audit-trail.ts): the admin
 * API lists them, and each person sees their own on their account page. No foreign keys: an
 * event outlives what it names (`client.deleted` names a client no longer there). Each index
 * serves one filter with the listing's newest-first order; the cleanup deletes by `occurred_at`.
 */
export const version = 14;
export const name = 'security-events';
export const sql = `
CREATE TABLE security_events (
  id TEXT PRIMARY KEY,
  type TEXT NOT NULL,
  occurred_at BIGINT NOT NULL,
  user_id TEXT,
  client_id TEXT,
  organization_id TEXT,
  ip TEXT,
  details TEXT NOT NULL
);
CREATE INDEX security_events_user_id ON security_events (user_id, id);
CREATE INDEX security_events_client_id ON security_events (client_id, id);
CREATE INDEX security_events_organization_id ON security_events (organization_id, id);
CREATE INDEX security_events_occurred_at ON security_events (occurred_at);
`;
