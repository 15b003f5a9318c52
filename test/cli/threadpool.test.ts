/**
 * libuv's thread pool size (bin/borealis.js, cli/workers.ts): one core is left to the JavaScript
 * thread unless the operator chose a size. libuv reads UV_THREADPOOL_SIZE once, when its pool
 * starts, so setting the variable is not enough: what is counted is the threads the process has
 * once eight pool jobs run at the same time after `borealis` has started.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import { describe, test } from 'node:test';
import { workerThreadpool } from '../../src/cli/workers.js';

const run = promisify(execFile);

/**
 * Loaded before bin/borealis.js. Once the command is done and the process idle (`beforeExit`: the
 * module loader's threads, tsx's among them, are settled), it runs eight pool jobs at once and
 * counts the threads while they run.
 */
const COUNT_THREADS =
  'data:text/javascript,import{pbkdf2}from"node:crypto";import{readdirSync}from"node:fs";let counted=false;' +
  'process.on("beforeExit",()=>{if(counted)return;counted=true;let n=0;const seen=[];for(let i=0;i<8;i++)pbkdf2("a","b",200000,32,"sha256",()=>{' +
  'seen.push(readdirSync("/proc/self/task").length);if(++n===8)process.stderr.write("threads="+Math.max(...seen))})})';

/** The threads of `borealis help` with this UV_THREADPOOL_SIZE (undefined: not set). */
async function threadsOfBorealis(poolSize: string | undefined): Promise<number> {
  const env = { ...process.env };
  delete env.UV_THREADPOOL_SIZE;
  delete env.BOREALIS_THREADPOOL_DEFAULT;
  if (poolSize !== undefined) env.UV_THREADPOOL_SIZE = poolSize;
  const { stderr } = await run(process.execPath, ['--import', COUNT_THREADS, 'bin/borealis.js', 'help'], { env });
  const count = /threads=(\d+)$/.exec(stderr)?.[1];
  assert.ok(count, `no thread count in ${JSON.stringify(stderr)}`);
  return Number(count);
}

describe('libuv thread pool size', { skip: process.platform !== 'linux' && 'counts threads in /proc/self/task, which only Linux has' }, () => {
  test("unset, a process gets one pool thread fewer than the cores (at least one), not libuv's 4", async () => {
    const withFour = await threadsOfBorealis('4');
    assert.equal((await threadsOfBorealis(undefined)) - withFour, Math.max(1, availableParallelism() - 1) - 4);
  });

  test("an operator's UV_THREADPOOL_SIZE is kept", async () => {
    const withFour = await threadsOfBorealis('4');
    assert.equal((await threadsOfBorealis('6')) - withFour, 2);
  });

  test('workers share the cores out, one of each share left to the JavaScript thread', () => {
    const cases: [cores: number, workers: number, pool: number][] = [
      [1, 1, 1],
      [2, 1, 1],
      [2, 2, 1],
      [2, 4, 1],
      [8, 1, 7],
      [8, 2, 3],
      [8, 4, 1],
      [8, 8, 1],
      [16, 3, 4],
    ];
    for (const [cores, workers, pool] of cases) assert.equal(workerThreadpool(cores, workers), pool, `${cores} cores, ${workers} workers`);
  });
});
