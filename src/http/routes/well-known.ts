import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../../keys/key-ring.js';
import { type DiscoveryOptions, discoveryDocument } from '../../oauth/discovery.js';
import { sendCompact } from '../respond.js';

/** Discovery (OIDC Discovery, RFC 8414) and the JWK Set (polar-oauth2.md §3.1, §3.2, D10). */
export function wellKnownRoutes(app: FastifyInstance, keys: KeyRing, discovery: DiscoveryOptions) {
  const document = discoveryDocument(discovery);
  const sendDocument = async (_request: unknown, reply: Parameters<typeof sendCompact>[0]) =>
    sendCompact(reply, 200, document, { 'cache-control': 'public, max-age=300' });
  app.get('/.well-known/openid-configuration', sendDocument);
  app.get('/.well-known/oauth-authorization-server', sendDocument);
  // Short-lived cache: after a rotation, relying parties must see the new key within minutes.
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    sendCompact(reply, 200, keys.jwks(), { 'cache-control': 'public, max-age=300' }),
  );
}
