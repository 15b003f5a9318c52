/** scrypt on threads of its own (src/accounts/scrypt-threads.ts), never queued on libuv's pool. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { endScryptThreads, scryptOnThread } from '../../src/accounts/scrypt-threads.js';

const source = (file: string) => JSON.stringify(pathToFileURL(new URL(`../../src/accounts/${file}`, import.meta.url).pathname).href);

/** A script run by its own Node with libuv's pool at one thread, as bin/borealis.js sets it on two cores. */
function runAlone(script: string): { status: number | null; stdout: string; stderr: string } {
  const env = { ...process.env, UV_THREADPOOL_SIZE: '1' };
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, encoding: 'utf8', timeout: 30_000 });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('scrypt on threads of its own', () => {
  test('the key of RFC 7914 §12\'s third vector (N=1024, r=8, p=16)', async () => {
    const key = await scryptOnThread({ password: 'password', salt: Buffer.from('NaCl'), keyLength: 64, N: 1024, r: 8, p: 16 });
    assert.equal(key.toString('hex'), 'fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b3731622eaf30d92e22a3886ff109279d9830dac727afb94a83ee6d8360cbdfa2cc0640');
  });

  test('parameters scrypt refuses fail that hash alone', async () => {
    await assert.rejects(scryptOnThread({ password: 'x', salt: Buffer.from('s'), keyLength: 32, N: 3, r: 8, p: 1 }), /N|Invalid/);
    assert.equal((await scryptOnThread({ password: 'x', salt: Buffer.from('s'), keyLength: 32, N: 1024, r: 8, p: 1 })).length, 32);
  });

  test('a thread that dies fails the hash it held; the next hash starts another', async () => {
    const held = scryptOnThread({ password: 'x', salt: Buffer.from('s'), keyLength: 32, N: 16384, r: 8, p: 20 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await endScryptThreads();
    await assert.rejects(held, /exited/);
    assert.equal((await scryptOnThread({ password: 'x', salt: Buffer.from('s'), keyLength: 32, N: 1024, r: 8, p: 1 })).length, 32);
  });

  test('an RS256 signature is not queued behind sign-ins\' hashes on a one-thread pool', () => {
    const run = runAlone(`
      import { hashPassword } from ${source('passwords.ts')};
      const { subtle } = globalThis.crypto;
      const { privateKey } = await subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign', 'verify']);
      const order = [];
      const hashes = [1, 2, 3].map((i) => hashPassword('pw ' + i).then(() => order.push('hash')));
      const signed = subtle.sign('RSASSA-PKCS1-v1_5', privateKey, new Uint8Array(32)).then(() => order.push('signature'));
      await Promise.all([...hashes, signed]);
      console.log(order.join(' '));
    `);
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), 'signature hash hash hash');
  });

  test('a process owed a hash waits for it, and exits by itself once idle', () => {
    const run = runAlone(`
      import { hashPassword } from ${source('passwords.ts')};
      console.log(await hashPassword('exits by itself'));
    `);
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout.trim(), /^scrypt\$16384\$8\$5\$[\w-]{22}\$[\w-]{43}$/);
  });
});
