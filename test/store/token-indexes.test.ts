/**
 * The token table's indexes are a write cost: a refresh rotation inserts a row into every one of
 * them, and an index whose key is random puts that row on a page of its own (bench/README.md,
 * change 20). A family is found through `(client_id, user_id)` instead of an index of its own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ENGINE } from '../support/server.js';
import { FAMILY_ROWS } from '../../src/store/sql/tokens.js';
import { type Harness, harness } from './fixtures.js';

describe(`store: the token table's indexes (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  /** The columns of each index of oauth2_tokens, as lists. */
  async function indexedColumns(): Promise<string[][]> {
    if (h.raw.engine === 'sqlite') {
      const indexes = await h.raw.all<{ name: string }>("SELECT name FROM pragma_index_list('oauth2_tokens')");
      const columns = await Promise.all(
        indexes.map(async ({ name }) =>
          (await h.raw.all<{ name: string }>('SELECT name FROM pragma_index_info(?) ORDER BY seqno', [name])).map((c) => c.name),
        ),
      );
      return columns.sort();
    }
    const rows = await h.raw.all<{ columns: string }>(
      `SELECT string_agg(a.attname, ' ' ORDER BY k.ordinality) AS columns
         FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ordinality)
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
        WHERE i.indrelid = 'oauth2_tokens'::regclass GROUP BY i.indexrelid`,
    );
    return rows.map((r) => r.columns.split(' ')).sort();
  }

  test('the hashes, the id, the expiry and (client_id, user_id): no family_id index', async () => {
    assert.deepEqual(await indexedColumns(), [['access_token_hash'], ['client_id', 'user_id'], ['expires_at'], ['id'], ['refresh_token_hash']]);
  });

  test("a family's rows are looked up through (client_id, user_id)", async () => {
    const select = `SELECT id FROM oauth2_tokens WHERE ${FAMILY_ROWS}`;
    const params = ['ci_client', 'user', 'family'];
    let plan: string;
    if (h.raw.engine === 'sqlite') {
      plan = (await h.raw.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${select}`, params)).map((r) => r.detail).join('\n');
    } else {
      // On an empty table a sequential scan is cheapest; the question is whether the index serves.
      plan = await h.raw.transaction(async (tx) => {
        await tx.exec('SET LOCAL enable_seqscan = off');
        return (await tx.all<{ 'QUERY PLAN': string }>(`EXPLAIN ${select}`, params)).map((r) => r['QUERY PLAN']).join('\n');
      });
    }
    assert.match(plan, /oauth2_tokens_client_user/);
  });
});
