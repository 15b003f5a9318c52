/**
 * The route table: the only file that knows URLs. Bodies are taken raw (64 KiB at most) and
 * decoded by parse.ts, so encoding errors and repeated parameters are ours to answer.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import { type IncomingMessage, STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import type { AccountsDeps } from '../accounts/accounts.js';
import { addressBlock } from '../accounts/address-block.js';
import type { OAuthContext } from '../oauth/context.js';
import { clientAddress } from './client-address.js';
import { allowOrigin, cors } from './cors.js';
import { instrument } from './metrics.js';
import { databaseRateLimitStore } from './rate-limit-store.js';
import { handleError, sendCompact } from './respond.js';
import { assetRoutes } from './pages/page.js';
import { authorizationTarget } from './pages/form-target.js';
import { isPagePath, pageErrors } from './pages/page-errors.js';
import { nulInPathIsNotFound } from './parse.js';
import { methodNotAllowedRoutes } from './methods.js';
import { adminFrameworkError, adminRoutes } from './routes/admin.js';
import { authorizePageRoutes } from './routes/authorize-page.js';
import { authorizeRoutes } from './routes/authorize.js';
import { accountPageRoutes } from './routes/account-pages.js';
import { consolePageRoutes } from './routes/console-pages.js';
import { emailPageRoutes } from './routes/email-pages.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { organizationPageRoutes } from './routes/organization-pages.js';
import { loginRoutes } from './routes/login.js';
import { registrationRoutes } from './routes/registration.js';
import { resourceRoutes } from './routes/resource.js';
import { securityPageRoutes } from './routes/security-pages.js';
import { tokenRoutes } from './routes/token.js';
import { wellKnownRoutes } from './routes/well-known.js';

export interface AppOptions {
  ctx: OAuthContext;
  accounts: AccountsDeps;
  publicUrl: string;
  logLevel: string;
  /** Fastify's trustProxy: which proxy hops may tell the client address (BOREALIS_TRUST_PROXY). */
  trustProxy: boolean | number | string;
  signupOpen: boolean;
  registration: { policy: 'open' | 'authenticated' | 'closed'; perMinute: number };
  /** Where discovery sends users to authorize (the built-in page unless configured). */
  authorizationEndpoint: string;
  /** BOREALIS_ADMIN_TOKEN: the admin API is served only when it is set. */
  adminToken?: string | undefined;
  /** BOREALIS_METRICS_TOKEN: metrics are kept and served at /metrics only when it is set. */
  metricsToken?: string | undefined;
  /** BOREALIS_SECURITY_EVENT_DAYS: with events kept, each person's security log is a page (security-pages.ts). */
  securityEventDays?: number;
}

export const BODY_LIMIT = 64 * 1024;
/**
 * A whole request (headers and body) must arrive within this, checked every few seconds: a client
 * that announces a body and sends it byte by byte (or never) would otherwise hold its connection,
 * and a file descriptor, for good (Fastify's default is no limit). Answered 408 by Node. Node
 * enforces it only while the headers' own limit is shorter (measured on Node 20.20).
 */
export const REQUEST_TIMEOUT_MS = 30_000;
const HEADERS_TIMEOUT_MS = 20_000;
const TIMEOUT_CHECK_MS = 5_000;

/** Trust the nearest `hops` proxies (Fastify's numeric trustProxy, as a function for its types). */
const hopsWithin = (hops: number) => (_address: string, hop: number) => hop < hops;

/** Paths and the methods they answer; any other method gets 405 as FastAPI does. */
export const ALLOWED_METHODS: Record<string, string[]> = {
  '/v1/oauth2/token': ['POST'],
  '/v1/oauth2/authorize': ['GET'],
  '/v1/oauth2/consent': ['POST'],
  '/v1/oauth2/introspect': ['POST'],
  '/v1/oauth2/revoke': ['POST'],
  '/v1/oauth2/userinfo': ['GET', 'POST'],
  '/v1/oauth2/register': ['POST'],
  '/v1/oauth2/register/:client_id': ['GET', 'PUT', 'DELETE'],
  '/v1/oauth2/': ['GET'],
  '/.well-known/openid-configuration': ['GET'],
  '/.well-known/oauth-authorization-server': ['GET'],
  '/.well-known/jwks.json': ['GET'],
};

/**
 * RFC 9112 §3.2.2: a request target in absolute form (`GET http://host/path`) is the same request
 * as its origin form, and every route and hook reads the origin form. Not parsed as a URL, which
 * would also rewrite the path (dot segments, percent-encoding).
 */
function originForm(request: IncomingMessage): string {
  const url = request.url ?? '/';
  if (url.charCodeAt(0) === 47 /* / */) return url;
  const absolute = /^https?:\/\/([^/?#]*)/i.exec(url);
  if (!absolute) return url;
  // A host is required, and userinfo refused (RFC 9110 §4.2.1, §4.2.4): such a target names no
  // resource here (404). Left as sent, the router would strip its authority and serve it.
  const authority = absolute[1] ?? '';
  if (authority === '' || authority.includes('@')) return '/.invalid-request-target';
  const rest = url.slice(absolute[0].length);
  return rest.startsWith('/') ? rest : `/${rest}`;
}

/**
 * A request as logged: method, path and address. Never its headers (`Authorization`, cookies) nor
 * its query string, where a client may put a credential by mistake (a `web` grant's
 * `session_token`, a `client_secret`) that the endpoint then refuses or reads.
 */
function requestForLog(request: FastifyRequest) {
  const end = request.url.indexOf('?');
  return { method: request.method, url: end === -1 ? request.url : request.url.slice(0, end), remoteAddress: request.ip };
}

/** How long a connection may take, after its malformed request, to take the answers it is owed. */
const CLOSING_MS = 10_000;
/** Connections given CLOSING_MS, and those among them waiting for an answer (answerClientError). */
const closing = new WeakSet<Duplex>();
const draining = new WeakSet<Duplex>();

/**
 * As Fastify's default (RFC 9110 status, connection closed), but logging no bytes of the request,
 * and only once the answers to the requests pipelined before the malformed one are out: they
 * have run (a code spent, a token revoked), and their answers must not be lost (RFC 9112 §9.3.2:
 * answers go out in the order the requests came). Node writes them one at a time: the answer on
 * the socket (`_httpMessage`) gives its place to the next on `finish`, and to none after the
 * last. Meanwhile nothing more is read from a stream that is already broken (Node would report
 * every further chunk, each error holding its bytes). The socket ends once its writes are
 * flushed (`destroySoon`), not at once, which would drop what the kernel has not taken yet; a
 * client that does not read them is cut off after CLOSING_MS. `answered` hears each status sent.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, answered?: (status: number) => void) {
  if (error.code === 'ECONNRESET' || socket.destroyed || draining.has(socket)) return;
  if (!closing.has(socket)) {
    closing.add(socket);
    socket.pause();
    setTimeout(() => socket.destroy(), CLOSING_MS).unref();
  }
  const answering = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
  // An answer to a request not wholly received is the faulty request's own (a body that timed
  // out or broke its framing): it cannot finish, and nothing was queued behind it.
  if (answering?.req.complete) {
    draining.add(socket);
    answering.once('finish', () => {
      draining.delete(socket);
      answerClientError(error, socket, answered);
    });
    return;
  }
  const [status, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Client Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Exceeded maximum allowed HTTP header size'] : [400, 'Client Error'];
  const body = JSON.stringify({ error: STATUS_CODES[status], message, statusCode: status });
  if (socket.writable) {
    answered?.(status);
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${body.length}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`);
  }
  (socket as Duplex & { destroySoon(): void }).destroySoon();
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const errorPages = pageErrors(options.ctx);
  const adminRefusal = options.adminToken ? adminFrameworkError(options.adminToken) : undefined;
  let malformedAnswered: ((status: number) => void) | undefined;
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    requestTimeout: REQUEST_TIMEOUT_MS,
    http: { headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    // Requests are logged without headers or query string (requestForLog), so nothing to redact.
    logger: { level: options.logLevel, serializers: { req: requestForLog } },
    // Fastify's own logs a malformed request's raw bytes at trace: headers, cookies and body.
    clientErrorHandler: (error, socket) => answerClientError(error, socket, malformedAnswered),
    rewriteUrl: originForm,
    trustProxy: typeof options.trustProxy === 'number' ? hopsWithin(options.trustProxy) : options.trustProxy,
    // Errors Fastify raises before routing (an undecodable path) get our JSON shape too, and,
    // as no hook ran, the CORS header a browser needs to read them.
    frameworkErrors: (error, request, reply) => {
      if (isPagePath(request.url)) return errorPages.handler(error, request, reply);
      allowOrigin(request, reply);
      return handleError(adminRefusal?.(request, reply) ?? error, request, reply);
    },
    // Longer than any path a request line can hold (Node's 16 KiB of headers): an id of any
    // length is looked up and not found, rather than refused as malformed.
    routerOptions: { maxParamLength: 16 * 1024 },
  });
  // Security events (audit.ts) are lines of this log, as long as the app runs.
  const detach = options.ctx.audit.attach((event) => app.log.info(event, event.audit));
  const detachFailures = options.ctx.audit.onFailure((err, event) => app.log.error({ err, audit: event.audit }, 'security event not stored'));
  app.addHook('onClose', async () => (detach(), detachFailures()));
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => (isPagePath(request.url) ? errorPages.notFound(request, reply) : sendCompact(reply, 404, { detail: 'Not Found' })));

  // Requests without an Origin header (every server-side client, the bench) pass straight through.
  app.addHook('onRequest', cors);
  // Before any route, so that its hook counts every route's answers, and the 404s.
  const metrics = options.metricsToken ? instrument(app, options.ctx.audit) : undefined;
  malformedAnswered = metrics?.malformedAnswered;

  const publicOrigin = new URL(options.publicUrl).origin;
  const secureCookies = options.publicUrl.startsWith('https:');
  // Machine-to-machine endpoints never read the session cookie; they run without the cookie
  // plugin's two hooks per request (these are the hot paths, see bench/README.md).
  tokenRoutes(app, options.ctx);
  resourceRoutes(app, options.ctx);
  wellKnownRoutes(app, options.ctx.keys, {
    issuer: options.ctx.issuer,
    authorizationEndpoint: options.authorizationEndpoint,
    registration: options.registration.policy !== 'closed',
  });
  assetRoutes(app);
  healthRoutes(app, options.ctx.store);
  if (options.adminToken) adminRoutes(app, options.accounts, options.adminToken);
  if (metrics && options.metricsToken) metricsRoutes(app, metrics, options.metricsToken);
  // Routes that may act for the signed-in browser user: an encapsulated context with cookies.
  await app.register(async (browser) => {
    await browser.register(cookie);
    // Registration's per-IP limit, counted in the database; only routes that ask are limited.
    // Counted by the client's block of addresses (an IPv6 client's /64), as sign-in lockout is.
    const keyGenerator = (request: FastifyRequest) => addressBlock(clientAddress(request));
    await browser.register(rateLimit, { global: false, store: databaseRateLimitStore(options.ctx.store.rateLimits), keyGenerator });
    browser.addHook('onRequest', nulInPathIsNotFound);
    authorizeRoutes(browser, options.ctx, publicOrigin, new URL(options.authorizationEndpoint).origin);
    // Sign-in, sign-up and the organization form return to `return_to`, which may lead on to a client.
    const formLeadsTo = async (returnTo: string | undefined) => ({ redirectsTo: await authorizationTarget(returnTo, options.ctx) });
    // Pages a person fills in: their errors are pages too (pages/page-errors.ts).
    await browser.register(async (pages) => {
      pages.setErrorHandler(errorPages.handler);
      authorizePageRoutes(pages, options.ctx, publicOrigin);
      const { secret } = options.ctx;
      const perMinute = options.registration.perMinute;
      loginRoutes(pages, options.accounts, { publicOrigin, secureCookies, signupOpen: options.signupOpen, signupsPerMinute: perMinute, secret, formLeadsTo });
      consolePageRoutes(pages, options.ctx, publicOrigin, options.registration);
      organizationPageRoutes(pages, options.accounts, { publicOrigin, secret, formLeadsTo });
      accountPageRoutes(pages, options.accounts, { publicOrigin, secret, secureCookies, securityEventDays: options.securityEventDays ?? 0 });
      securityPageRoutes(pages, options.accounts, { publicOrigin, secret, securityEventDays: options.securityEventDays ?? 0 });
      if (options.accounts.mail) emailPageRoutes(pages, options.accounts, { publicOrigin, secret, secureCookies });
    });
    registrationRoutes(browser, options.ctx, options.registration, publicOrigin);
  });
  app.get('/', async (_request, reply) => reply.code(303).header('location', '/settings/oauth').send());

  methodNotAllowedRoutes(app, ALLOWED_METHODS);
  return app;
}
