/**
 * GET /metrics: Prometheus's text exposition format, for a scraper holding BOREALIS_METRICS_TOKEN
 * as its Bearer token (Prometheus's `authorization` setting; RFC 6750 §2.1). Not part of Polar's
 * API (compatibility.md). A token of its own, not the admin API's: a dashboard's credential
 * should not also create accounts. Scrapes come every few seconds, so, as health probes, they
 * are logged at `warn` and above only.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics.js';
import { operatorToken } from '../operator-token.js';
import { sendCompact } from '../respond.js';
import { probeLogLevel } from './health.js';

export function metricsRoutes(app: FastifyInstance, metrics: Metrics, token: string) {
  const refusal = operatorToken(token, 'borealis-metrics');
  app.get('/metrics', { logLevel: probeLogLevel(app) }, async (request, reply) => {
    const refused = refusal(request);
    if (refused) throw refused;
    let text: string;
    try {
      text = await metrics.text();
    } catch (err) {
      request.log.warn({ err }, 'metrics not gathered');
      return sendCompact(reply, 503, { detail: 'Metrics are not available right now' }, { 'cache-control': 'no-store', 'retry-after': '5' });
    }
    return reply.code(200).headers({ 'content-type': metrics.contentType, 'cache-control': 'no-store' }).send(text);
  });
}
