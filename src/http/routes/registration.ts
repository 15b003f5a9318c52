import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { notPermitted, unauthorized } from '../../oauth/errors.js';
import { type Caller, deleteClient, listClients, readConfiguration, register, updateConfiguration } from '../../oauth/registration/index.js';
import { bearerText } from '../../oauth/bearer.js';
import { webCaller } from '../caller.js';
import { currentSession } from '../session.js';
import { assertSameOrigin } from '../csrf.js';
import { jsonBody } from '../json-body.js';
import { pageAndLimit } from '../pagination.js';
import { sendAuthlib, sendCompact } from '../respond.js';
import { NO_STORE } from '../../oauth/wire.js';

export interface RegistrationOptions {
  policy: 'open' | 'authenticated' | 'closed';
  perMinute: number;
}

/** The route config that puts a route under registration's per-IP limit (the browser context's plugin counts it). */
export const registrationRateLimit = (options: RegistrationOptions) => ({ rateLimit: { max: options.perMinute, timeWindow: 60_000 } });

/**
 * A signed-in caller is known by the session cookie alone, which a same-site page (a sibling
 * subdomain) also gets sent with a request that needs no preflight (a body without a content
 * type is read as JSON, as FastAPI does). So a write made with the cookie must come from our own
 * origin (D14); scripts send neither `Sec-Fetch-Site` nor `Origin` and pass.
 */
async function caller(request: FastifyRequest, ctx: OAuthContext, publicOrigin: string, management = false): Promise<Caller> {
  const found = await webCaller(request, ctx);
  // RFC 7592's endpoints read the session and the header themselves (polar-oauth2.md §3.12): the
  // session wins over a registration token, and a value the middleware passed over as not ASCII
  // (§2.4) is still a token presented, which matches no client. Elsewhere a Bearer header leaves
  // the session unread (§2.4).
  const registrationToken = found.registrationToken ?? (management ? bearerText(request.headers.authorization) : undefined);
  const signedIn = found.signedIn ?? (management && registrationToken !== undefined ? await currentSession(request, ctx) : undefined);
  if (signedIn && request.method !== 'GET') assertSameOrigin(request, publicOrigin);
  if (signedIn) return { kind: 'user', userId: signedIn.user.id };
  if (registrationToken) return { kind: 'registration-token', token: registrationToken };
  return { kind: 'anonymous' };
}

/** RFC 7591 registration, RFC 7592 management and the owner's list (polar-oauth2.md §3.11–3.13). */
export function registrationRoutes(app: FastifyInstance, ctx: OAuthContext, options: RegistrationOptions, publicOrigin: string) {
  app.post(
    '/v1/oauth2/register',
    { config: registrationRateLimit(options) },
    async (request, reply) => {
      const who = await caller(request, ctx, publicOrigin);
      if (options.policy === 'closed') throw notPermitted('Client registration is closed on this server.');
      if (options.policy === 'authenticated' && who.kind !== 'user') throw unauthorized();
      const body = jsonBody(request);
      return sendAuthlib(reply, 201, await register(body, who.kind === 'user' ? who : { kind: 'anonymous' }, ctx));
    },
  );

  const path = '/v1/oauth2/register/:client_id';
  type WithId = { Params: { client_id: string } };
  app.get<WithId>(path, async (request, reply) =>
    sendAuthlib(reply, 200, await readConfiguration(request.params.client_id, await caller(request, ctx, publicOrigin, true), ctx)),
  );
  app.put<WithId>(path, async (request, reply) => {
    const who = await caller(request, ctx, publicOrigin, true);
    return sendAuthlib(reply, 200, await updateConfiguration(request.params.client_id, jsonBody(request), who, ctx));
  });
  app.delete<WithId>(path, async (request, reply) => {
    await deleteClient(request.params.client_id, await caller(request, ctx, publicOrigin, true), ctx);
    return reply.code(204).headers(NO_STORE).send();
  });

  app.get('/v1/oauth2/', async (request, reply) => {
    const { signedIn } = await webCaller(request, ctx);
    if (!signedIn) throw unauthorized();
    const [page, limit] = pageAndLimit(request);
    // It lists every client's secret (RFC 6749 §5.1: no-store), authenticated by a cookie, which
    // no cache treats as it does an Authorization header.
    return sendCompact(reply, 200, await listClients(signedIn.user.id, page, limit, ctx), { 'cache-control': 'no-store' });
  });
}
