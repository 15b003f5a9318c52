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
 * primary, which gathers every worker's series, each labelled with its worker (metrics-cluster.ts),
 * so one scrape sees the whole instance.
 */
import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Audit, AuditEvent } from '../audit.js';
import { workerMetrics } from './metrics-cluster.js';

/** From a fast introspection (≈ 1 ms here) to a request that waited out a database outage. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Every security event's name: each series starts at 0, so that the first event after a start
 * is an increase Prometheus sees (a series that first appears at 1 has none). The Record type
 * makes the list complete: a name added to AuditEvent and not here does not compile.
 */
const EVENT_NAMES: Record<AuditEvent['audit'], true> = {
  'refresh_token.reuse_detected': true,
  'authorization_code.reuse_detected': true,
  'sign_in.succeeded': true,
  'sign_in.failed': true,
  'password.changed': true,
  'password.reset_requested': true,
  'email.verification_sent': true,
  'email.verified': true,
  'user.blocked': true,
  'user.unblocked': true,
  'user.deleted': true,
  'sessions.ended': true,
  'client.created': true,
  'client.secret_rotated': true,
  'client.deleted': true,
  'consent.revoked': true,
  'organization.member_added': true,
  'organization.member_removed': true,
  'invitation.created': true,
  'invitation.withdrawn': true,
};

export interface Metrics {
  readonly contentType: string;
  /** The exposition text: this process's, or every worker's under `--workers` (metrics-cluster.ts). */
  text(): Promise<string>;
  /** Counts an answer to a request that never reached routing (app.ts, answerClientError). */
  malformedAnswered(status: number): void;
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
  for (const event of Object.keys(EVENT_NAMES)) events.inc({ event }, 0);
  // Node answers these itself, before any hook runs: a rise is a client or an attack sending
  // oversized headers (431), slow requests (408) or bytes that are not HTTP (400).
  const malformed = new Counter({
    name: 'borealis_http_malformed_requests_total',
    help: 'Requests refused before routing, by status code: 400 not HTTP, 408 too slow, 431 headers too large.',
    labelNames: ['status_code'] as const,
    registers: [registry],
  });
  for (const status_code of [400, 408, 431]) malformed.inc({ status_code }, 0);

  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status_code: reply.statusCode });
    latency.observe({ method: request.method, route }, reply.elapsedTime / 1000);
    done();
  });
  const detach = audit.attach((event) => events.inc({ event: event.audit }));
  app.addHook('onClose', async () => detach());

  return {
    contentType: registry.contentType,
    text: cluster.isWorker ? workerMetrics(registry) : () => registry.metrics(),
    malformedAnswered: (status) => malformed.inc({ status_code: status }),
  };
}
