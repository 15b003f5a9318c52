/** per-turn.ts: what is asked for in one turn is answered together, per key, and how a failed batch is settled. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type PerTurn, perTurn } from '../../src/store/sql/per-turn.js';

/** A batcher that doubles numbers, recording what ran together and what ran alone. */
function doubling(overrides: Partial<PerTurn<number, number>> = {}) {
  const together: [string, number[]][] = [];
  const alone: [string, number][] = [];
  const ask = perTurn<number, number>({
    async together(key, items) {
      together.push([key, items]);
      return items.map((n) => n * 2);
    },
    async alone(key, item) {
      alone.push([key, item]);
      if (item < 0) throw new Error(`negative ${item}`);
      return item * 2;
    },
    retryAlone: () => true,
    ...overrides,
  });
  return { ask, together, alone };
}

describe('per-turn batching', () => {
  test('items of one turn are answered together per key, each with its own answer; a lone item runs alone', async () => {
    const { ask, together, alone } = doubling();
    const answers = await Promise.all([ask('a', 1), ask('b', 5), ask('a', 2), ask('a', 3)]);
    assert.deepEqual(answers, [2, 10, 4, 6]);
    assert.deepEqual(together, [['a', [1, 2, 3]]]);
    assert.deepEqual(alone, [['b', 5]]);
  });

  test('an item asked for while a batch is answered waits for the next turn', async () => {
    const { ask, together } = doubling();
    const later = Promise.all([ask('a', 1), ask('a', 2)]).then(() => Promise.all([ask('a', 3), ask('a', 4)]));
    assert.deepEqual(await later, [6, 8]);
    assert.deepEqual(together, [
      ['a', [1, 2]],
      ['a', [3, 4]],
    ]);
  });

  test('a failed batch that changed nothing runs each item alone: only the faulty one fails', async () => {
    const { ask, alone } = doubling({
      together: async () => {
        throw Object.assign(new Error('batch failed'), { code: '23503' });
      },
    });
    const outcomes = await Promise.allSettled([ask('a', 1), ask('a', -1), ask('a', 3)]);
    assert.deepEqual(outcomes, [
      { status: 'fulfilled', value: 2 },
      { status: 'rejected', reason: new Error('negative -1') },
      { status: 'fulfilled', value: 6 },
    ]);
    assert.deepEqual(alone, [
      ['a', 1],
      ['a', -1],
      ['a', 3],
    ]);
  });

  test('a failed batch that may have changed something is not run again: every item gets its error', async () => {
    const lost = new Error('Connection terminated unexpectedly');
    const { ask, alone } = doubling({
      together: async () => {
        throw lost;
      },
      retryAlone: (error) => error !== lost,
    });
    const outcomes = await Promise.allSettled([ask('a', 1), ask('a', 2)]);
    assert.deepEqual(outcomes, [
      { status: 'rejected', reason: lost },
      { status: 'rejected', reason: lost },
    ]);
    assert.deepEqual(alone, []);
  });
});
