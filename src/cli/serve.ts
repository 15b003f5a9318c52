import cluster from 'node:cluster';
import { composeApp, compose } from '../compose.js';
import { loadConfig } from '../config.js';
import { KEY_REFRESH_SECONDS } from '../keys/key-ring.js';
import { parse } from './args.js';
import { superviseWorkers } from './workers.js';

const CLEANUP_INTERVAL_MS = 60 * 60 * 1000;
/** How long a stopping server lets requests in flight finish (within workers.ts's stop timeout). */
const DRAIN_MS = 10_000;

export async function serveCommand(args: string[]) {
  const values = parse(args, { port: { type: 'string' }, database: { type: 'string' }, workers: { type: 'string' } });
  const config = loadConfig(process.env, { port: values.port, databaseUrl: values.database, workers: values.workers });
  if (config.workers > 1 && cluster.isPrimary) return superviseWorkers(config);
  const borealis = await compose(config);
  const app = await composeApp(borealis, config);
  // Before listening: a start that migrated and then could not bind has still changed the schema.
  // Under --workers each worker migrates under the migrations' lock: the one that applied them says so.
  if (borealis.migrationsApplied.length > 0) app.log.info({ migrations: borealis.migrationsApplied }, 'applied database migrations');
  await app.listen({ port: config.port, host: config.host });
  const role = cluster.isWorker ? `worker ${cluster.worker?.id} (pid ${process.pid})` : `pid ${process.pid}`;
  app.log.info(`Borealis listening on http://${config.host}:${config.port} (issuer ${config.publicUrl}, ${borealis.ctx.store.engine}, ${role})`);

  // §5.5: expired rows are removed periodically, by every instance (the deletes are idempotent),
  // and once at start: an instance restarted more often than hourly would otherwise never clean.
  let cleaning: Promise<unknown> = Promise.resolve();
  const removeExpired = () => {
    cleaning = borealis.ctx.store.deleteExpired(borealis.ctx.now()).catch((err: unknown) => app.log.error({ err }, 'cleanup failed'));
  };
  removeExpired();
  const cleanup = setInterval(removeExpired, CLEANUP_INTERVAL_MS);
  cleanup.unref();
  // Keys rotated by any instance (or `borealis keys rotate`) are picked up without a restart.
  const keyRefresh = setInterval(() => {
    borealis.ctx.keys.load(borealis.ctx.now()).catch((err: unknown) => app.log.error({ err }, 'key refresh failed'));
  }, KEY_REFRESH_SECONDS * 1000);
  keyRefresh.unref();

  const stop = async () => {
    clearInterval(cleanup);
    clearInterval(keyRefresh);
    // Fastify closes the keep-alive connections idle at this moment; one busy answering a request
    // becomes idle a moment later and would hold the server open until its keep-alive timeout
    // (72 s), past any orchestrator's grace period. So connections are closed as they fall idle,
    // and all of them after DRAIN_MS, before the store is closed (its WAL checkpointed).
    const idle = setInterval(() => app.server.closeIdleConnections(), 50);
    const deadline = setTimeout(() => app.server.closeAllConnections(), DRAIN_MS);
    try {
      await app.close();
    } finally {
      clearInterval(idle);
      clearTimeout(deadline);
    }
    await cleaning; // not cut off by the store closing under it
    await borealis.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
