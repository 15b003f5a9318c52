/**
 * Sending HTML pages with their security headers: a CSP without inline script, no framing
 * (clickjacking), no caching of personal pages. `form-action` is left out on the consent page:
 * Chromium applies it to the redirect that follows the POST, which goes to the client
 * (pitfalls.md).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';

const csp = (formAction: boolean) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    ...(formAction ? ["form-action 'self'"] : []),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

export function sendPage(reply: FastifyReply, status: number, page: string, options: { consent?: boolean } = {}) {
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp(!options.consent),
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
    })
    .send(page);
}

/** Static assets shipped beside the code (copied to dist/ by the build). */
export function assetRoutes(app: FastifyInstance) {
  const assets: Record<string, [string, string]> = {
    'style.css': ['text/css; charset=utf-8', readFileSync(new URL('../assets/style.css', import.meta.url), 'utf8')],
    'console.js': ['text/javascript; charset=utf-8', readFileSync(new URL('../assets/console.js', import.meta.url), 'utf8')],
  };
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
    if (!asset) return reply.code(404).type('text/plain').send('Not Found');
    return reply.headers({ 'content-type': asset[0], 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(asset[1]);
  });
}
