/**
 * Prometheus metrics (prom-client), for an operator's dashboards and alerts, as Ory Hydra and
 * Keycloak expose theirs: requests by route and status, their latency, security events (a rise
 * in `refresh_token.reuse_detected` or `sign_in.failed` is a sign of attack), and the process's
 * own (CPU, memory, event-loop delay, GC). Made only when BOREALIS_METRICS_TOKEN is set, so the
 * hot paths pay nothing otherwise (bench/README.md measures what they pay when it is).
 *
 * Labels are bounded: a route is the route table's pattern (`/v1/oauth2/register/:client_id`),
 * never the path a client sent, and every path no route serves is `unmatched`. No label holds
 * an id, an address or a credential.
 *
 * Under `serve --workers N` (node:cluster) a scrape reaches one worker; that worker asks the
 * primary, which gathers every worker's figures and sums them (prom-client's AggregatorRegistry,
 * cli/workers.ts), so one scrape sees the whole instance.
 */
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Audit } from '../audit.js';

/** From a fast introspection (≈ 1 ms here) to a request that waited out a database outage. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The messages between a worker that was scraped and the primary (cli/workers.ts). */
export const METRICS_REQUEST = 'borealis:metrics-request';
export const METRICS_ANSWER = 'borealis:metrics-answer';
/** A worker that does not answer the primary in time fails the scrape (503) rather than hang it. */
const CLUSTER_TIMEOUT_MS = 5_000;

export interface Metrics {
  readonly contentType: string;
  /** The exposition text: this process's, or every worker's summed under `--workers`. */
  text(): Promise<string>;
}

export function instrument(app: FastifyInstance, audit: Audit): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: 'borealis_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'borealis_http_request_duration_seconds',
    help: 'Time from a request arriving to its answer being sent, by method and route pattern.',
    labelNames: ['method', 'route'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const events = new Counter({
    name: 'borealis_security_events_total',
    help: 'Security events recorded (README, "Production"), by event name.',
    labelNames: ['event'] as const,
    registers: [registry],
  });

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status_code: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  const detach = audit.attach((event) => events.inc({ event: event.audit }));
  app.addHook('onClose', async () => detach());

  if (cluster.isWorker) {
    // Constructed for its side effect: in a worker it answers the primary's requests for figures.
    new AggregatorRegistry();
    AggregatorRegistry.setRegistries([registry]);
  }
  return {
    contentType: registry.contentType,
    text: () => (cluster.isWorker ? fromPrimary() : registry.metrics()),
  };
}

let asked = 0;

/** Every worker's figures, summed by the primary (cli/workers.ts answers METRICS_REQUEST). */
function fromPrimary(): Promise<string> {
  const id = ++asked;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('the primary process did not answer with the metrics in time')), CLUSTER_TIMEOUT_MS);
    const listen = (message: { type?: string; id?: number; text?: string; error?: string }) => {
      if (message?.type !== METRICS_ANSWER || message.id !== id) return;
      finish(message.error === undefined ? undefined : new Error(message.error), message.text);
    };
    const finish = (error?: Error, text?: string) => {
      clearTimeout(timer);
      process.off('message', listen);
      if (error) reject(error);
      else resolve(text ?? '');
    };
    process.on('message', listen);
    process.send?.({ type: METRICS_REQUEST, id });
  });
}
