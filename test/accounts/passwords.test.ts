/** The cost of a password check (src/accounts/passwords.ts): what a failed check of an earlier cost still owes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DUMMY_HASH, SCRYPT_COST, hashPassword, needsRehash, owedWork, verifyPassword } from '../../src/accounts/passwords.js';

describe('password checks cost the same for every account', () => {
  test('a hash of the earlier cost (p=1) owes today\'s N and r with the four missing passes; today\'s owes nothing', () => {
    assert.deepEqual(SCRYPT_COST, { N: 16384, r: 8, p: 5 });
    assert.deepEqual(owedWork({ N: 16384, r: 8, p: 1 }), { N: 16384, r: 8, p: 4 });
    assert.equal(owedWork(SCRYPT_COST), undefined);
    // Parameters of no release: nothing to pad them to exactly.
    assert.equal(owedWork({ N: 1024, r: 8, p: 1 }), undefined);
  });

  test('the unknown email\'s hash is at today\'s cost; an earlier hash checks true and false as before, and asks to be made again', async () => {
    assert.equal(needsRehash(DUMMY_HASH), false);
    const earlier = await hashPassword('the right one', { N: 16384, r: 8, p: 1 });
    assert.equal(needsRehash(earlier), true);
    assert.deepEqual([await verifyPassword('the right one', earlier), await verifyPassword('a wrong one', earlier)], [true, false]);
    assert.equal(await verifyPassword('anything', DUMMY_HASH), false);
  });
});
