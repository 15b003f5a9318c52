/** Writing answers: JSON in the right dialect, errors in the right shape, redirects. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, OAuthError, type WireError } from '../oauth/errors.js';
import { NO_STORE } from '../oauth/wire.js';
import { StoreUnavailable } from '../store/store.js';
import { authlibJson, compactJson } from './json.js';

const JSON_TYPE = 'application/json';
/** How long a client should wait before trying again when the database is unavailable. */
const RETRY_AFTER_SECONDS = 5;

const AUTHLIB_HEADERS = { ...NO_STORE, 'content-type': JSON_TYPE };

/** authlib answers (token endpoint, RFC 6749 errors) always carry no-store (§2.3-A, §3.7). */
export function sendAuthlib(reply: FastifyReply, status: number, body: unknown, headers?: Record<string, string>) {
  return reply
    .code(status)
    .headers(headers ? { ...NO_STORE, ...headers, 'content-type': JSON_TYPE } : AUTHLIB_HEADERS)
    .send(Buffer.from(authlibJson(body)));
}

export function sendCompact(reply: FastifyReply, status: number, body: unknown, headers: Record<string, string> = {}) {
  return reply.code(status).headers({ ...headers, 'content-type': JSON_TYPE }).send(Buffer.from(compactJson(body)));
}

export function sendWireError(reply: FastifyReply, error: WireError) {
  return error.style === 'authlib'
    ? sendAuthlib(reply, error.status, error.body(), error.headers)
    : sendCompact(reply, error.status, error.body(), error.headers);
}

/** RFC 6749 §4.1.2: authorization responses carry codes; keep them out of Referer headers. */
export function sendRedirect(reply: FastifyReply, location: string, status = 302) {
  return reply
    .code(status)
    .headers({ location, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' })
    .send();
}

/**
 * The last line of defence: known wire errors keep their shape; framework errors (oversized
 * or unparsable bodies) become RFC 6749 `invalid_request`; anything else is a bug, logged, and
 * answered as `server_error` without internals.
 */
export function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof OAuthError || error instanceof ApiError) return sendWireError(reply, error);
  const framework = error as { code?: string; statusCode?: number };
  if (framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return sendAuthlib(reply, 413, { error: 'invalid_request', error_description: 'The request body is too large (64 KiB at most).' });
  }
  if (framework.statusCode === 429) {
    // @fastify/rate-limit has already set Retry-After and the x-ratelimit-* headers.
    return sendCompact(reply, 429, { error: 'TooManyRequests', detail: 'Too many requests; try again later.' });
  }
  if (typeof framework.statusCode === 'number' && framework.statusCode >= 400 && framework.statusCode < 500) {
    return sendAuthlib(reply, framework.statusCode === 415 ? 415 : 400, {
      error: 'invalid_request',
      error_description: 'The request is malformed.',
    });
  }
  if (error instanceof StoreUnavailable) {
    // Nothing was done; a client (or the load balancer, via /health/ready) may try again.
    request.log.warn({ err: error.cause }, 'the database is unavailable');
    return sendAuthlib(
      reply,
      503,
      { error: 'temporarily_unavailable', error_description: 'The authorization server is temporarily unavailable; try again later.' },
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }
  request.log.error({ err: error }, 'unhandled error');
  return sendAuthlib(reply, 500, {
    error: 'server_error',
    error_description: 'The authorization server encountered an unexpected condition.',
  });
}
