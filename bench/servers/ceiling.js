/**
 * The ceiling: bare Fastify answering a form POST with a small JSON body, as fast as this machine
 * serves one. The body is taken raw and decoded as Borealis does (no plugins), so the gap to this
 * server is the cost of the OAuth work itself. Env: PORT.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.get('/', async () => ({ ok: true }));
app.post('/v1/oauth2/introspect', async (request, reply) => {
  const params = new URLSearchParams(request.body.toString('utf8'));
  return reply.header('cache-control', 'no-store').send({ active: params.has('token'), client_id: params.get('client_id') });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
process.on('SIGTERM', () => process.exit(0));
