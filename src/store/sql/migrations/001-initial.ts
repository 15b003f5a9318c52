/**
 * The initial schema, in the SQL both engines accept. Times are epoch seconds (BIGINT);
 * booleans are 0/1 integers; ids are UUID text. Every table holding something that expires
 * has an index on its expiry, for cleanup.
 */
export const version = 1;
export const name = 'initial';
export const sql = `
CREATE TABLE users (
  id TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  email_verified INTEGER NOT NULL DEFAULT 0,
  password_hash TEXT,
  name TEXT,
  avatar_url TEXT,
  created_at BIGINT NOT NULL,
  blocked_at BIGINT
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));

CREATE TABLE organizations (
  id TEXT PRIMARY KEY,
  slug TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  avatar_url TEXT,
  created_at BIGINT NOT NULL
);

CREATE TABLE memberships (
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  PRIMARY KEY (user_id, organization_id)
);

CREATE TABLE user_sessions (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX user_sessions_expires_at ON user_sessions (expires_at);

CREATE TABLE user_session_organizations (
  session_id TEXT NOT NULL REFERENCES user_sessions (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  PRIMARY KEY (session_id, organization_id)
);

CREATE TABLE oauth2_clients (
  id TEXT PRIMARY KEY,
  client_id TEXT NOT NULL UNIQUE,
  client_secret_hash TEXT NOT NULL,
  client_secret_sealed TEXT NOT NULL,
  registration_access_token_hash TEXT NOT NULL UNIQUE,
  registration_access_token_sealed TEXT NOT NULL,
  client_id_issued_at BIGINT NOT NULL,
  client_secret_expires_at BIGINT NOT NULL DEFAULT 0,
  metadata TEXT NOT NULL,
  first_party INTEGER NOT NULL DEFAULT 0,
  user_id TEXT REFERENCES users (id) ON DELETE SET NULL,
  created_at BIGINT NOT NULL,
  modified_at BIGINT NOT NULL,
  deleted_at BIGINT
);
CREATE INDEX oauth2_clients_user_id ON oauth2_clients (user_id, created_at);

CREATE TABLE oauth2_authorization_codes (
  id TEXT PRIMARY KEY,
  code_hash TEXT NOT NULL UNIQUE,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  redirect_uri TEXT,
  scope TEXT NOT NULL,
  nonce TEXT,
  auth_time BIGINT NOT NULL,
  code_challenge TEXT,
  code_challenge_method TEXT,
  issued_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  consumed_at BIGINT
);
CREATE INDEX oauth2_authorization_codes_expires_at ON oauth2_authorization_codes (expires_at);
CREATE INDEX oauth2_authorization_codes_nonce ON oauth2_authorization_codes (client_id, nonce) WHERE nonce IS NOT NULL;

CREATE TABLE oauth2_authorization_code_organizations (
  code_id TEXT NOT NULL REFERENCES oauth2_authorization_codes (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL,
  PRIMARY KEY (code_id, organization_id)
);

CREATE TABLE oauth2_tokens (
  id TEXT PRIMARY KEY,
  family_id TEXT NOT NULL,
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  sub_type TEXT NOT NULL,
  access_token_hash TEXT NOT NULL UNIQUE,
  refresh_token_hash TEXT UNIQUE,
  scope TEXT NOT NULL,
  issued_at BIGINT NOT NULL,
  expires_in BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  access_token_revoked_at BIGINT NOT NULL DEFAULT 0,
  refresh_token_revoked_at BIGINT NOT NULL DEFAULT 0,
  rotated_at BIGINT,
  rotated_response TEXT
);
CREATE INDEX oauth2_tokens_family_id ON oauth2_tokens (family_id);
CREATE INDEX oauth2_tokens_expires_at ON oauth2_tokens (expires_at);
CREATE INDEX oauth2_tokens_client_user ON oauth2_tokens (client_id, user_id);

CREATE TABLE oauth2_token_organizations (
  token_id TEXT NOT NULL REFERENCES oauth2_tokens (id) ON DELETE CASCADE,
  organization_id TEXT NOT NULL,
  PRIMARY KEY (token_id, organization_id)
);

CREATE TABLE oauth2_grants (
  client_id TEXT NOT NULL,
  user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  modified_at BIGINT NOT NULL,
  PRIMARY KEY (client_id, user_id)
);

CREATE TABLE signing_keys (
  kid TEXT PRIMARY KEY,
  alg TEXT NOT NULL,
  public_jwk TEXT NOT NULL,
  private_jwk_sealed TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  retired_at BIGINT,
  expires_at BIGINT
);
CREATE INDEX signing_keys_expires_at ON signing_keys (expires_at);
`;
