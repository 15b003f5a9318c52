/** 405 answers (RFC 9110 §15.5.6): which methods get one, and what `Allow` says. */
import type { FastifyInstance } from 'fastify';
import { sendCompact } from './respond.js';

/**
 * The methods a 405 is answered for: every method Fastify routes; OPTIONS only when it is no CORS
 * preflight (cors.ts answers those). HEAD is answered wherever GET is (Fastify's HEAD routes).
 */
export const OTHER_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'TRACE', 'QUERY'] as const;

/** RFC 9110 §10.2.1: `Allow` names every method the resource supports, HEAD with GET. */
export const allowHeader = (methods: string[]) => methods.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])).join(', ');

/** For each path of `table` (its methods), a 405 naming them for every other method, as FastAPI answers. */
export function methodNotAllowedRoutes(app: FastifyInstance, table: Record<string, string[]>): void {
  for (const [url, methods] of Object.entries(table)) {
    app.route({
      method: OTHER_METHODS.filter((m) => !methods.includes(m)),
      url,
      handler: async (_request, reply) => sendCompact(reply, 405, { detail: 'Method Not Allowed' }, { allow: allowHeader(methods) }),
    });
  }
}
