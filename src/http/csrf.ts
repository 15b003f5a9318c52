/**
 * CSRF defence for state-changing forms (D14):
 *  1. Fetch metadata: a browser that says the POST is cross-site (`Sec-Fetch-Site`), or whose
 *     `Origin` is another origin, is refused. Non-browser clients send neither and pass.
 *  2. For session-bound forms, a token derived from the session (HMAC under the server secret),
 *     so it needs no storage and dies with the session.
 * `Origin: null` alone is not trusted, but a same-origin `Sec-Fetch-Site` is (pitfalls.md:
 * Chromium sends `Origin: null` under `Referrer-Policy: no-referrer`).
 */
import { createHmac } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { safeEqual } from '../oauth/credentials.js';
import { notPermitted } from '../oauth/errors.js';

export function assertSameOrigin(request: FastifyRequest, publicOrigin: string): void {
  const site = request.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return;
  if (site !== undefined) throw notPermitted('Cross-site request refused.');
  const origin = request.headers.origin;
  if (origin === undefined) return;
  const own = `${request.protocol}://${request.host}`;
  if (origin !== publicOrigin && origin !== own) throw notPermitted('Cross-site request refused.');
}

export const csrfToken = (secret: string, sessionId: string): string =>
  createHmac('sha256', secret).update(`csrf:${sessionId}`).digest('base64url');

export function assertCsrfToken(secret: string, sessionId: string, presented: string | undefined): void {
  if (!presented || !safeEqual(presented, csrfToken(secret, sessionId))) throw notPermitted('Invalid or missing CSRF token.');
}
