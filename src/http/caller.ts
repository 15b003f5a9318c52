/**
 * Who is calling a browser-facing endpoint (polar-oauth2.md §2.4): the web session, or nobody.
 * A Bearer header is resolved first, as Polar's middleware does: a registration access token
 * (`…crt_`) counts as anonymous (the registration endpoints check it themselves); a valid OAuth
 * access token is a user API token, refused with 403 NotPermitted on these endpoints; anything
 * else is 401 invalid_token. The session cookie is read only when there is no Bearer header, so
 * a request that carries a registration token acts as that token, never as the browser's session.
 */
import type { FastifyRequest } from 'fastify';
import type { SignedIn } from '../oauth/authorize/index.js';
import { bearerValue, resolveAccessToken } from '../oauth/bearer.js';
import type { OAuthContext } from '../oauth/context.js';
import { invalidToken, notPermitted } from '../oauth/errors.js';
import { currentSession } from './session.js';

export interface WebCaller {
  signedIn: SignedIn | undefined;
  /** A registration access token presented as Bearer (RFC 7592). */
  registrationToken: string | undefined;
}

export async function webCaller(request: FastifyRequest, ctx: OAuthContext): Promise<WebCaller> {
  const bearer = bearerValue(request.headers.authorization);
  let registrationToken: string | undefined;
  if (bearer !== undefined) {
    if (bearer.startsWith(ctx.credentials.prefix('registrationToken'))) registrationToken = bearer;
    else if (bearer.startsWith(ctx.credentials.prefix('userAccessToken'))) {
      await resolveAccessToken(bearer, ctx);
      throw notPermitted();
    } else throw invalidToken();
  }
  return { signedIn: bearer === undefined ? await currentSession(request, ctx) : undefined, registrationToken };
}
