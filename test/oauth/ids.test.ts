import assert from 'node:assert/strict';
import { test } from 'node:test';
import { timeOrderedId } from '../../src/oauth/ids.js';

test('token and code ids are UUIDv7: version 7, variant 10, ordered by time', () => {
  const earlier = timeOrderedId(1_700_000_000_000);
  const later = timeOrderedId(1_700_000_000_001);
  for (const id of [earlier, later]) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(earlier < later);
  assert.equal(earlier.slice(0, 13).replace('-', ''), (1_700_000_000_000).toString(16).padStart(12, '0'));
  assert.notEqual(timeOrderedId(5), timeOrderedId(5));
});

test('ids of one millisecond keep the order they were made in, 2,048 of them at least (RFC 9562 §6.2, method 1)', () => {
  for (let round = 0; round < 20; round++) {
    const ms = 1_700_000_000_000 + round;
    const made = Array.from({ length: 2048 }, () => timeOrderedId(ms));
    assert.deepEqual([...made].sort(), made);
    assert.equal(new Set(made).size, made.length);
  }
});
