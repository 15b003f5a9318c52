/**
 * Sending HTML pages with their security headers: a CSP without inline script, no framing
 * (clickjacking), no caching of personal pages. Forms may post only to this origin, and to the
 * client a page's form can end at (`redirectsTo`, see form-target.ts).
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { formActionSource } from './form-target.js';

/** `formAction`: the extra source forms may lead to; null leaves the directive out. */
const csp = (formAction: string | undefined | null) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "img-src 'self' https: data:",
    "connect-src 'self'",
    ...(formAction === null ? [] : [formAction ? `form-action 'self' ${formAction}` : "form-action 'self'"]),
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');

/** A redirect URI with no CSP source to name it would be blocked: leave the directive out then. */
const formActionOf = (redirectsTo: string | undefined) =>
  redirectsTo === undefined ? undefined : (formActionSource(redirectsTo) ?? null);

export interface PageOptions {
  /** The client redirect URI (already verified) that this page's form can lead to. */
  redirectsTo?: string | undefined;
  /** A page whose address holds a credential (an invitation link) sends no Referer at all. */
  noReferrer?: boolean;
}

export function sendPage(reply: FastifyReply, status: number, page: string, options: PageOptions = {}) {
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': csp(formActionOf(options.redirectsTo)),
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
      'referrer-policy': options.noReferrer ? 'no-referrer' : 'strict-origin-when-cross-origin',
    })
    .send(page);
}

/** Static assets shipped beside the code (copied to dist/ by the build). */
export function assetRoutes(app: FastifyInstance) {
  const assets: Record<string, [string, string]> = {
    'style.css': ['text/css; charset=utf-8', readFileSync(new URL('../assets/style.css', import.meta.url), 'utf8')],
    'console.js': ['text/javascript; charset=utf-8', readFileSync(new URL('../assets/console.js', import.meta.url), 'utf8')],
    'forms.js': ['text/javascript; charset=utf-8', readFileSync(new URL('../assets/forms.js', import.meta.url), 'utf8')],
  };
  app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => {
    const asset = Object.hasOwn(assets, request.params.name) ? assets[request.params.name] : undefined;
    if (!asset) return reply.callNotFound();
    return reply.headers({ 'content-type': asset[0], 'cache-control': 'public, max-age=3600', 'x-content-type-options': 'nosniff' }).send(asset[1]);
  });
}
