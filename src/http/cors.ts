/**
 * CORS for the API, as Polar configures it for every origin other than its own frontend: any
 * origin may call the API from a browser, but never with cookies (no
 * `Access-Control-Allow-Credentials`), so a page elsewhere can use a token it holds and nothing
 * the visitor's session could do. Single-page apps need it for discovery, the JWKS, the token
 * endpoint with PKCE and userinfo (RFC 8252 §8.6's browser cousin; OAuth 2.1 §7.2.2).
 *
 * The wire is Starlette's CORSMiddleware with allow_origins ["*"], every method and the
 * Authorization header: a preflight gets 200 `OK` (or 400 naming what is refused), an actual
 * request `Access-Control-Allow-Origin: *`, or its own origin when it carries cookies (which
 * a browser still will not expose without credentials being allowed).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];
/** The CORS-safelisted request headers, and Authorization for Bearer tokens and Basic client credentials. */
const HEADERS = ['Accept', 'Accept-Language', 'Authorization', 'Content-Language', 'Content-Type'];
const ALLOWED_HEADERS = new Set(HEADERS.map((h) => h.toLowerCase()));

const PREFLIGHT = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': METHODS.join(', '),
  'access-control-max-age': '600',
  'access-control-allow-headers': HEADERS.join(', '),
};

const isApi = (url: string) => url.startsWith('/v1/') || url.startsWith('/.well-known/');

/**
 * Not Starlette's (it exposes nothing): a browser app may read the challenge of a 401 or 403
 * (RFC 6750 §3: `invalid_token` means "refresh", `insufficient_scope` does not) and when to
 * retry a 503 or 429. Names of headers every answer may carry; no secret is among them.
 */
const EXPOSED = 'WWW-Authenticate, Retry-After';

/** The headers of an actual (not preflight) request's answer; also for errors raised before routing. */
export function allowOrigin(request: FastifyRequest, reply: FastifyReply): void {
  const origin = request.headers.origin;
  if (origin === undefined || !isApi(request.url)) return;
  if (request.headers.cookie === undefined) reply.headers({ 'access-control-allow-origin': '*', 'access-control-expose-headers': EXPOSED });
  else reply.headers({ 'access-control-allow-origin': origin, 'access-control-expose-headers': EXPOSED, vary: 'Origin' });
}

export async function cors(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const origin = request.headers.origin;
  if (origin === undefined || !isApi(request.url)) return;
  const method = request.headers['access-control-request-method'];
  if (request.method === 'OPTIONS' && typeof method === 'string') {
    const failures = [];
    if (!METHODS.includes(method)) failures.push('method');
    const asked = request.headers['access-control-request-headers'];
    if (typeof asked === 'string' && asked.split(',').some((h) => !ALLOWED_HEADERS.has(h.trim().toLowerCase()))) failures.push('headers');
    const [status, text] = failures.length ? [400, `Disallowed CORS ${failures.join(', ')}`] : [200, 'OK'];
    await reply.code(status).headers({ ...PREFLIGHT, 'content-type': 'text/plain; charset=utf-8' }).send(text);
    return;
  }
  allowOrigin(request, reply);
}
