/**
 * GET /metrics: Prometheus's text exposition format, for a scraper holding BOREALIS_METRICS_TOKEN
 * as its Bearer token (Prometheus's `authorization` setting; RFC 6750 §2.1). Not part of Polar's
 * API (compatibility.md). A token of its own, not the admin API's: a dashboard's credential
 * should not also create accounts. Scrapes come every few seconds, so, as health probes, they
 * are logged at `warn` and above only.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ApiError } from '../../oauth/errors.js';
import type { Metrics } from '../metrics.js';
import { sendCompact } from '../respond.js';

/** Digests of equal length: the comparison takes the same time whatever was presented. */
const digest = (value: string) => createHash('sha256').update(value).digest();
const unauthorized = () => new ApiError(401, { detail: 'Unauthorized' }, { 'www-authenticate': 'Bearer realm="borealis-metrics"' });

export function metricsRoutes(app: FastifyInstance, metrics: Metrics, token: string) {
  const expected = digest(token);
  const quieter = (['silent', 'fatal', 'error'] as const).find((level) => level === app.log.level);
  app.get('/metrics', { logLevel: quieter ?? 'warn' }, async (request, reply) => {
    const presented = /^Bearer ([!-~]+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    if (!timingSafeEqual(digest(presented), expected)) throw unauthorized();
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
