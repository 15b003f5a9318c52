/**
 * A nonce may be carried by one live (unconsumed) code per client at a time. The replay check
 * before issuing a code (polar-oauth2.md §3.4 step 9) cannot alone stop two parallel consents
 * with the same nonce; this index makes the second insert fail, atomically, on both engines.
 *
 * The first build stored a nonce on every code and let such a race through, so a database it
 * wrote can hold live codes the index refuses. Before it is built, a nonce is cleared where no
 * `openid` scope asks for it (issue-code.ts no longer stores one there), and of live codes still
 * sharing one, all but the first are marked used: an exchange of those fails as a replay would.
 */
export const version = 2;
export const name = 'unique-live-nonce';
export const sql = `
UPDATE oauth2_authorization_codes SET nonce = NULL
  WHERE nonce IS NOT NULL AND consumed_at IS NULL AND ' ' || scope || ' ' NOT LIKE '% openid %';
UPDATE oauth2_authorization_codes SET consumed_at = issued_at
  WHERE nonce IS NOT NULL AND consumed_at IS NULL AND id NOT IN (
    SELECT MIN(id) FROM oauth2_authorization_codes WHERE nonce IS NOT NULL AND consumed_at IS NULL GROUP BY client_id, nonce
  );
DROP INDEX oauth2_authorization_codes_nonce;
CREATE UNIQUE INDEX oauth2_authorization_codes_live_nonce
  ON oauth2_authorization_codes (client_id, nonce) WHERE nonce IS NOT NULL AND consumed_at IS NULL;
`;
