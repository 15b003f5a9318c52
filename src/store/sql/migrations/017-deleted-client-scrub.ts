/**
 * A deleted app's registration (its name, URIs, logo and contacts, its secrets' sealed copies)
 * is kept while security events may name it, for whoever investigates them (an app deleted by
 * its owner after a phishing run), then reduced to its id and hashes by the cleanup (index.ts).
 * The index holds only the rows still to be scrubbed, so the cleanup never scans the table.
 */
export const version = 17;
export const name = 'deleted-client-scrub';
export const sql = `
CREATE INDEX oauth2_clients_to_scrub ON oauth2_clients (deleted_at) WHERE deleted_at IS NOT NULL AND metadata <> '{}';
`;
