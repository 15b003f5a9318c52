/**
 * Invitation links to join an organization (accounts/invitations.ts). Only the token's HMAC is
 * stored; a row is deleted when it is accepted, withdrawn, or by the cleanup once expired.
 */
export const version = 12;
export const name = 'organization-invitations';
export const sql = `
CREATE TABLE organization_invitations (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  invited_by TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX organization_invitations_organization_id ON organization_invitations (organization_id);
CREATE INDEX organization_invitations_invited_by ON organization_invitations (invited_by);
`;
