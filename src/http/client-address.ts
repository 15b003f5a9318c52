import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The client's address as sign-in lockout and rate limits count it. Behind a trusted proxy
 * (BOREALIS_TRUST_PROXY) `request.ip` is whatever the proxy forwarded; trusted with `true`, that
 * is the client's own X-Forwarded-For, of any length. Such a value still counts, by its SHA-256:
 * the counters' keys are indexed, and PostgreSQL bounds an index entry (2,704 bytes).
 */
export function clientAddress(request: FastifyRequest): string {
  const ip = request.ip;
  return isIP(ip) ? ip : `sha256:${createHash('sha256').update(ip).digest('hex')}`;
}
