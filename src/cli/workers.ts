/**
 * `borealis serve --workers N`: one primary process supervising N identical workers
 * (node:cluster), all accepting on the same port. Workers share nothing in memory: every
 * piece of state (tokens, sessions, lockouts, signing keys) is in the database, so N workers
 * behave exactly like N separate instances behind a load balancer, only on one host.
 *
 * The primary serves no requests. It prepares the database once (migrations, the first
 * signing key) so N workers do not all race for it at boot, keeps N workers running, and
 * stops them all on SIGTERM/SIGINT.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import pino from 'pino';
import { compose } from '../compose.js';
import type { Config } from '../config.js';
import { answerScrapes } from '../http/metrics-cluster.js';

/** More than this many workers dying within this window is a crash loop, not bad luck. */
const MAX_CRASHES_IN_WINDOW = 5;
const CRASH_WINDOW_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

/**
 * Each worker's libuv pool when the operator set none (bin/borealis.js): the cores shared out
 * among the workers, one of each share left to the worker's JavaScript thread.
 */
export const workerThreadpool = (cores: number, workers: number) => Math.max(1, Math.floor(cores / workers) - 1);

export async function superviseWorkers(config: Config): Promise<void> {
  const count = config.workers;
  const log = pino({ level: config.logLevel }).child({ role: 'primary' });
  const prepared = await compose(config);
  await prepared.close();

  let stopping = false;
  const crashes: number[] = [];
  const everListened = new WeakSet<Worker>();

  const fork = () => {
    const pool = process.env.BOREALIS_THREADPOOL_DEFAULT ? { UV_THREADPOOL_SIZE: String(workerThreadpool(availableParallelism(), count)) } : {};
    const worker = cluster.fork(pool);
    worker.once('listening', () => everListened.add(worker));
    worker.once('exit', (code, signal) => {
      if (stopping) return;
      // A worker that never got to listen will not do better the next time (port taken,
      // database unreachable, bad configuration): stop instead of looping.
      if (!everListened.has(worker)) {
        log.fatal({ worker: worker.process.pid, code, signal }, 'worker failed to start; stopping');
        void stopAll(1);
        return;
      }
      const now = Date.now();
      crashes.push(now);
      while (crashes.length && crashes[0]! < now - CRASH_WINDOW_MS) crashes.shift();
      if (crashes.length > MAX_CRASHES_IN_WINDOW) {
        log.fatal({ crashes: crashes.length, windowMs: CRASH_WINDOW_MS }, 'workers keep dying; stopping');
        void stopAll(1);
        return;
      }
      log.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting a replacement');
      fork();
    });
  };

  const stopAll = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    const exited = workers.map((w) => new Promise<void>((resolve) => (w.isDead() ? resolve() : w.once('exit', () => resolve()))));
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGTERM');
    const timeout = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, STOP_TIMEOUT_MS);
    await Promise.all(exited);
    clearTimeout(timeout);
    log.info('all workers stopped');
    process.exit(exitCode);
  };
  if (config.metricsToken) answerScrapes(log);
  process.once('SIGTERM', () => void stopAll(0));
  process.once('SIGINT', () => void stopAll(0));

  for (let i = 0; i < count; i++) fork();
  log.info(`Borealis primary supervising ${count} workers on http://${config.host}:${config.port}`);
}
