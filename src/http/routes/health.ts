import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.js';
import { sendCompact } from '../respond.js';

/** Longer than any healthy round trip, shorter than an orchestrator's probe timeout (1 s+). */
export const READY_TIMEOUT_MS = 800;

const NO_STORE = { 'cache-control': 'no-store' };

/**
 * Health checks for load balancers and orchestrators; not part of Polar's API (compatibility.md).
 * Named as Ory Hydra's and Keycloak's are. Liveness answers while the process serves HTTP, so a
 * restart cannot fix what fails readiness. Readiness also needs one database round trip within
 * READY_TIMEOUT_MS: an instance cut off from its database leaves the rotation instead of failing
 * every request. A stopping server closes its port first (cli/serve.ts): probes fail to connect.
 * Probes arrive every few seconds, so their requests are logged at `warn` and above only.
 */
/**
 * The level for requests that come every few seconds (probes, scrapes): `warn`, or the server's
 * own if quieter, since a route's level replaces the server's and must never be more verbose.
 */
export const probeLogLevel = (app: FastifyInstance) => (['silent', 'fatal', 'error'] as const).find((level) => level === app.log.level) ?? 'warn';

export function healthRoutes(app: FastifyInstance, store: Store) {
  const logLevel = probeLogLevel(app);
  app.get('/health/live', { logLevel }, async (_request, reply) => sendCompact(reply, 200, { status: 'ok' }, NO_STORE));

  app.get('/health/ready', { logLevel }, async (request, reply) => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from the database within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    });
    try {
      await Promise.race([store.ping(), deadline]);
      return sendCompact(reply, 200, { status: 'ok' }, NO_STORE);
    } catch (err) {
      request.log.warn({ err }, 'not ready: the database did not answer');
      return sendCompact(reply, 503, { status: 'unavailable' }, NO_STORE);
    } finally {
      clearTimeout(timer);
    }
  });
}
