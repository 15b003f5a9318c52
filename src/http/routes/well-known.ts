import type { FastifyInstance } from 'fastify';
import type { KeyRing } from '../../keys/key-ring.js';
import { sendCompact } from '../respond.js';

/** GET /.well-known/jwks.json (polar-oauth2.md §3.2): public members only, each with its `kid`. */
export function wellKnownRoutes(app: FastifyInstance, keys: KeyRing) {
  app.get('/.well-known/jwks.json', async (_request, reply) =>
    sendCompact(reply, 200, keys.jwks(), { 'cache-control': 'public, max-age=300' }),
  );
}
