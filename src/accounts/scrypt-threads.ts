/**
 * scrypt on threads of its own rather than on libuv's pool. The pool also signs id_tokens (jose's
 * WebCrypto RS256) and is one thread on two cores (bin/borealis.js): a sign-in's 120 ms of scrypt
 * there queued every code exchange with `openid` behind it. On threads of their own, hashes share
 * the cores with signing through the OS's scheduler instead of a queue.
 *
 * Threads start at the first hash and stay, idle and unref'd, so they never hold a process open;
 * while a hash is owed its thread is ref'd, so a CLI command cannot exit before its answer.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface ScryptJob {
  password: string;
  salt: Buffer;
  keyLength: number;
  N: number;
  r: number;
  p: number;
}

// CommonJS evaluated in the thread: the same text under tsx and in the build; none of the
// process's flags (a loader, --input-type) apply to it.
const THREAD_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { scryptSync } = require('node:crypto');
parentPort.on('message', ({ password, salt, keyLength, N, r, p }) => {
  try {
    parentPort.postMessage({ key: scryptSync(password, salt, keyLength, { N, r, p, maxmem: 256 * N * r }) });
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
`;

interface Pending {
  job: ScryptJob;
  resolve: (key: Buffer) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  current?: Pending;
}

/** As many as libuv's pool would have by default here: every core but the JavaScript thread's. */
const MAX_THREADS = Math.max(1, availableParallelism() - 1);
const threads: Thread[] = [];
const queue: Pending[] = [];

export function scryptOnThread(job: ScryptJob): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    queue.push({ job, resolve, reject });
    dispatch();
  });
}

function dispatch(): void {
  while (queue.length > 0) {
    const thread = threads.find((t) => !t.current) ?? (threads.length < MAX_THREADS ? start() : undefined);
    if (!thread) return;
    const next = queue.shift() as Pending;
    thread.current = next;
    thread.worker.ref();
    thread.worker.postMessage(next.job);
  }
}

function start(): Thread {
  const thread: Thread = { worker: new Worker(THREAD_SOURCE, { eval: true, execArgv: [] }) };
  const settle = (outcome: { key?: Uint8Array; error?: string }) => {
    const done = thread.current;
    thread.current = undefined;
    thread.worker.unref();
    if (outcome.key) done?.resolve(Buffer.from(outcome.key.buffer, outcome.key.byteOffset, outcome.key.byteLength));
    else done?.reject(new Error(outcome.error ?? 'scrypt failed'));
    dispatch();
  };
  thread.worker.on('message', settle);
  // A thread that dies fails only the hash it held; the next hash starts another.
  const gone = (error?: Error) => {
    const index = threads.indexOf(thread);
    if (index < 0) return;
    threads.splice(index, 1);
    const held = thread.current;
    thread.current = undefined;
    held?.reject(error ?? new Error('the scrypt thread exited'));
    dispatch();
  };
  thread.worker.on('error', gone);
  thread.worker.on('exit', () => gone());
  thread.worker.unref();
  threads.push(thread);
  return thread;
}

/** Ends the threads (tests of a thread's death); hashes owed are failed, later ones start new threads. */
export async function endScryptThreads(): Promise<void> {
  await Promise.all(threads.map((t) => t.worker.terminate()));
}
