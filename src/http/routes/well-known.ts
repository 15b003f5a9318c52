import type { FastifyInstance, FastifyReply } from 'fastify';
import { JWKS_MAX_AGE, type KeyRing } from '../../keys/key-ring.js';
import { type DiscoveryOptions, discoveryDocument } from '../../oauth/discovery.js';
import { compactJson } from '../json.js';

/** Key rotation waits out this cache lifetime before a new key signs (keys/key-ring.ts). */
const HEADERS = { 'content-type': 'application/json', 'cache-control': `public, max-age=${JWKS_MAX_AGE}` };

/**
 * Discovery (OIDC Discovery, RFC 8414) and the JWK Set (polar-oauth2.md §3.1, §3.2, D10).
 * Both bodies are serialised once (the JWKS again only when the key ring changes): they are
 * the most requested documents and never differ between requests.
 */
export function wellKnownRoutes(app: FastifyInstance, keys: KeyRing, discovery: DiscoveryOptions) {
  const document = Buffer.from(compactJson(discoveryDocument(discovery)));
  const sendDocument = async (_request: unknown, reply: FastifyReply) => reply.code(200).headers(HEADERS).send(document);
  app.get('/.well-known/openid-configuration', sendDocument);
  app.get('/.well-known/oauth-authorization-server', sendDocument);

  let published: { keys: unknown } | undefined;
  let jwks = Buffer.alloc(0);
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    const current = keys.jwks();
    if (current !== published) {
      published = current;
      jwks = Buffer.from(compactJson(current));
    }
    return reply.code(200).headers(HEADERS).send(jwks);
  });
}
