/**
 * A nonce may be carried by one live (unconsumed) code per client at a time. The replay check
 * before issuing a code (polar-oauth2.md §3.4 step 9) cannot alone stop two parallel consents
 * with the same nonce; this index makes the second insert fail, atomically, on both engines.
 */
export const version = 2;
export const name = 'unique-live-nonce';
export const sql = `
DROP INDEX oauth2_authorization_codes_nonce;
CREATE UNIQUE INDEX oauth2_authorization_codes_live_nonce
  ON oauth2_authorization_codes (client_id, nonce) WHERE nonce IS NOT NULL AND consumed_at IS NULL;
`;
