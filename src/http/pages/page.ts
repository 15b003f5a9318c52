/**
 * Sending HTML pages with their security headers: a CSP without inline script, no framing
 * (clickjacking), no caching of personal pages. Chromium applies `form-action` to every redirect
 * that follows a form's POST (pitfalls.md), so it is left out on pages whose form can end at a
 * client's redirect URI: consent (302 to the client), sign-in and sign-up (303 back to an
 * authorization request, which answers at once with a code when consent is remembered), and the
 * organization form when it returns to an authorization request.
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

export function sendPage(reply: FastifyReply, status: number, page: string, options: { leadsToClient?: boolean } = {}) {
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp(!options.leadsToClient),
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
