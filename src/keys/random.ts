/**
 * CSPRNG bytes (node:crypto) for the hot path, drawn from a pool refilled 4 KiB at a time: one
 * call into OpenSSL per ~50 credentials instead of one per value. Credentials, row ids and
 * AES-GCM nonces all come from here; a used byte is zeroed so it never lingers in memory.
 */
import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

function refillIfEmpty() {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
}

/** Fills `target[start, start + length)` with random bytes. */
export function fillRandom(target: Buffer, start = 0, length = target.length - start): Buffer {
  let written = 0;
  while (written < length) {
    refillIfEmpty();
    const n = Math.min(length - written, pool.length - offset);
    pool.copy(target, start + written, offset, offset + n);
    pool.fill(0, offset, offset + n);
    offset += n;
    written += n;
  }
  return target;
}

/** One random byte. */
export function randomByte(): number {
  refillIfEmpty();
  const byte = pool[offset] as number;
  pool[offset++] = 0;
  return byte;
}
