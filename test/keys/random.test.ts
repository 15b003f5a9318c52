/** The pooled CSPRNG (src/keys/random.ts): every byte asked for is filled, across pool refills, and never handed out twice. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fillRandom, randomByte } from '../../src/keys/random.js';

test('fillRandom fills exactly the range asked for, also across pool refills', () => {
  for (const length of [1, 10, 12, 4095, 4096, 4097, 10_000]) {
    const target = Buffer.alloc(length + 8, 0xaa);
    fillRandom(target, 4, length);
    assert.deepEqual([...target.subarray(0, 4)], [0xaa, 0xaa, 0xaa, 0xaa], 'bytes before the range untouched');
    assert.deepEqual([...target.subarray(4 + length)], [0xaa, 0xaa, 0xaa, 0xaa], 'bytes after the range untouched');
  }
  // 64 KiB drawn through several refills: no 16-byte block repeats, and every byte value occurs.
  const big = fillRandom(Buffer.alloc(65_536));
  const blocks = new Set<string>();
  for (let i = 0; i < big.length; i += 16) blocks.add(big.subarray(i, i + 16).toString('hex'));
  assert.equal(blocks.size, big.length / 16);
  assert.equal(new Set(big).size, 256);
});

test('randomByte and fillRandom share one pool without reusing a byte', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 2000; i++) {
    const block = Buffer.from([randomByte(), ...fillRandom(Buffer.alloc(15))]).toString('hex');
    assert.ok(!seen.has(block));
    seen.add(block);
  }
});
