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
  const ip = withoutPort(request.ip);
  return isIP(ip) ? ip : `sha256:${createHash('sha256').update(request.ip).digest('hex')}`;
}

/**
 * Some proxies forward the client's port too (`203.0.113.7:51234`, `[2001:db8::7]:443`; Azure's
 * gateways do). Each connection has its own port, so counted with it a client would start a
 * fresh count on every connection: the address alone counts.
 */
function withoutPort(forwarded: string): string {
  const ipv4 = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(forwarded);
  const ipv6 = /^\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?$/.exec(forwarded);
  return ipv4?.[1] ?? ipv6?.[1] ?? forwarded;
}
