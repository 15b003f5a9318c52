/**
 * Entities are read by position (`Shape`, src/store/sql/db.ts): the SELECT list a shape writes
 * and the positions it reads must agree, on both engines, including in a joined row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { shape } from '../../src/store/sql/db.js';
import { ENGINE } from '../support/server.js';
import { type Harness, harness } from './fixtures.js';

const PAIR = shape(['id', 'name', '(SELECT count(*) FROM users WHERE id = $.id)'], (v, at) => ({
  id: v[at] as string,
  name: v[at + 1] as string,
  users: Number(v[at + 2]),
}));

describe(`store: entities read by position (${ENGINE})`, () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(() => h.close());

  test('select writes each column under the alias and expressions with the alias for $', () => {
    assert.equal(PAIR.width, 3);
    assert.equal(PAIR.select('o'), 'o.id, o.name, (SELECT count(*) FROM users WHERE id = o.id)');
  });

  test('getValues and allValues return rows in SELECT-list order; read takes each side at its offset', async () => {
    await h.raw.run("INSERT INTO organizations (id, slug, name, created_at) VALUES ('org-a', 'a', 'Alpha', 1), ('org-b', 'b', 'Beta', 2)");
    const joined = await h.raw.getValues(
      `SELECT ${PAIR.select('x')}, ${PAIR.select('y')} FROM organizations x JOIN organizations y ON y.id = 'org-b' WHERE x.id = ?`,
      ['org-a'],
    );
    assert.ok(joined);
    assert.deepEqual(PAIR.read(joined), { id: 'org-a', name: 'Alpha', users: 0 });
    assert.deepEqual(PAIR.read(joined, PAIR.width), { id: 'org-b', name: 'Beta', users: 0 });
    assert.equal(await h.raw.getValues(`SELECT ${PAIR.select('o')} FROM organizations o WHERE o.id = ?`, ['none']), undefined);
    const rows = await h.raw.allValues(`SELECT ${PAIR.select('o')} FROM organizations o ORDER BY o.created_at`);
    assert.deepEqual(rows.map((row) => PAIR.read(row)), [
      { id: 'org-a', name: 'Alpha', users: 0 },
      { id: 'org-b', name: 'Beta', users: 0 },
    ]);
  });

  test('the same statement read as values and as an object gives the same data', async () => {
    const sql = 'SELECT o.id, o.name FROM organizations o WHERE o.id = ?';
    assert.deepEqual(await h.raw.getValues(sql, ['org-a']), ['org-a', 'Alpha']);
    assert.deepEqual(await h.raw.get(sql, ['org-a']), { id: 'org-a', name: 'Alpha' });
    assert.deepEqual(await h.raw.getValues(sql, ['org-a']), ['org-a', 'Alpha']);
  });
});
