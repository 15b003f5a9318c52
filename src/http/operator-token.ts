/**
 * The Bearer check shared by the operator's endpoints (/admin/v1 and /metrics): each has its own
 * token from the environment, sent as `Authorization: Bearer …` (RFC 6750 §2.1). A wrong or
 * missing token gets the API's 401 with a challenge naming the endpoint's realm (§3).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '../oauth/errors.js';

/** Digests of equal length: the comparison takes the same time whatever was presented. */
const digest = (value: string) => createHash('sha256').update(value).digest();

/** The 401 to answer unless the request carries `token`; undefined when it does. */
export function operatorToken(token: string, realm: string): (request: FastifyRequest) => ApiError | undefined {
  const expected = digest(token);
  const challenge = { 'www-authenticate': `Bearer realm="${realm}"` };
  return (request) => {
    const presented = /^Bearer ([!-~]+)$/i.exec(request.headers.authorization ?? '')?.[1] ?? '';
    return timingSafeEqual(digest(presented), expected) ? undefined : new ApiError(401, { detail: 'Unauthorized' }, challenge);
  };
}
