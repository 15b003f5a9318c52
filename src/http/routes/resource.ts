import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerValue, resolveAccessToken } from '../../oauth/bearer.js';
import type { OAuthContext } from '../../oauth/context.js';
import { unauthorized } from '../../oauth/errors.js';
import { introspect } from '../../oauth/introspect.js';
import { revoke } from '../../oauth/revoke.js';
import { userinfo } from '../../oauth/userinfo.js';
import { oauthParams } from '../parse.js';
import { sendAuthlib, sendCompact } from '../respond.js';

/** Userinfo (§3.10), introspection (§3.9) and revocation (§3.8). */
export function resourceRoutes(app: FastifyInstance, ctx: OAuthContext) {
  const userinfoHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const value = bearerValue(request.headers.authorization);
    // No Bearer credential, or a registration token, which Polar's middleware treats as anonymous (§2.4).
    if (value === undefined || value.startsWith(ctx.credentials.prefix('registrationToken'))) throw unauthorized();
    // The user's claims: no cache may keep them (RFC 9111 §3.5 covers only shared caches).
    return sendCompact(reply, 200, userinfo(await resolveAccessToken(value, ctx)), { 'cache-control': 'no-store' });
  };
  app.get('/v1/oauth2/userinfo', userinfoHandler);
  app.post('/v1/oauth2/userinfo', userinfoHandler);

  app.post('/v1/oauth2/introspect', async (request, reply) =>
    sendAuthlib(reply, 200, await introspect(await oauthParams(request), request.headers.authorization, ctx)),
  );
  app.post('/v1/oauth2/revoke', async (request, reply) =>
    sendAuthlib(reply, 200, await revoke(await oauthParams(request), request.headers.authorization, ctx)),
  );
}
