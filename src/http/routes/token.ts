import type { FastifyInstance } from 'fastify';
import type { OAuthContext } from '../../oauth/context.js';
import { token } from '../../oauth/token.js';
import { oauthParams } from '../parse.js';
import { sendAuthlib } from '../respond.js';

/** POST /v1/oauth2/token (polar-oauth2.md §3.7). */
export function tokenRoutes(app: FastifyInstance, ctx: OAuthContext) {
  app.post('/v1/oauth2/token', async (request, reply) => {
    const params = await oauthParams(request);
    const response = await token({ params, authorization: request.headers.authorization }, ctx);
    return sendAuthlib(reply, 200, response);
  });
}
