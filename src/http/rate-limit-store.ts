/**
 * A store for @fastify/rate-limit that counts in the database (Store.rateLimits) instead of
 * process memory: behind a load balancer, or with `serve --workers N`, a limit of 30 per
 * minute stays 30 per minute, not 30 per process.
 */
import type { FastifyRateLimitStore } from '@fastify/rate-limit';
import type { RateLimits } from '../store/limits.js';

type Reply = (error: Error | null, result?: { current: number; ttl: number }) => void;

export function databaseRateLimitStore(limits: RateLimits) {
  class DatabaseRateLimitStore implements FastifyRateLimitStore {
    private readonly prefix: string;
    /** The plugin constructs the global store with its options; `child` passes a route's key prefix. */
    constructor(_options?: unknown, prefix = '') {
      this.prefix = prefix;
    }

    incr(key: string, reply: Reply, timeWindow: number) {
      const now = Date.now();
      limits.hit(this.prefix + key, now, timeWindow).then(
        ({ hits, windowStartMs }) => reply(null, { current: hits, ttl: Math.max(0, windowStartMs + timeWindow - now) }),
        (error: Error) => reply(error),
      );
    }

    /**
     * One store per limited route, so each route counts on its own. The plugin passes the route's
     * merged limit options, which carry the route as `routeInfo` (its own Redis store reads it too).
     */
    child(options: object) {
      const route = (options as { routeInfo?: { method: string; url: string } }).routeInfo;
      return new DatabaseRateLimitStore(undefined, route ? `${route.method} ${route.url} ` : this.prefix);
    }
  }
  return DatabaseRateLimitStore;
}
