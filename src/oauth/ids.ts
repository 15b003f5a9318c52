/**
 * Row ids for tokens, codes and web sessions: UUIDv7 (RFC 9562 §5.7), 48-bit Unix milliseconds then random
 * bits from the CSPRNG. Time-ordered ids keep the primary-key index append-only, so inserting
 * into a table of millions of rows touches its rightmost pages instead of a random leaf.
 * Ids are not secrets (bearer values are separate and random); the timestamp is the issue time,
 * which also orders a user's sessions for the cap on how many they keep (store/limits.ts).
 */
import { fillRandom } from '../keys/random.js';

const bytes = Buffer.alloc(16);
/** RFC 9562 §6.2, method 1: a counter in the 12 bits after the version, for ids of one millisecond. */
let lastMs = -1;
let counter = 0;

/**
 * Ids made by this process in one millisecond keep the order they were made in (two security
 * events of one request list in order): each takes the counter up by one from a random start
 * below 2^11, so 2,048 ids a millisecond at least keep their order. Past the counter's end, and
 * across processes, order within the millisecond is random.
 */
export function timeOrderedId(now = Date.now()): string {
  fillRandom(bytes, 6, 10);
  counter = now === lastMs && counter < 0xfff ? counter + 1 : ((bytes[6] as number) & 0x07) * 256 + (bytes[7] as number);
  lastMs = now;
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (counter >> 8); // version 7
  bytes[7] = counter & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f); // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
