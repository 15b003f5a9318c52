/**
 * The operator's HTTP API at /admin/v1: what `borealis users` and `borealis orgs` do, for a
 * platform's backend that provisions its people (as Keycloak's admin REST and Hydra's admin API
 * serve theirs). Off unless BOREALIS_ADMIN_TOKEN is set; then every request carries it as a
 * Bearer token (RFC 6750 §2.1). Not under /v1/, so no browser may call it from another origin
 * (http/cors.ts). Bodies and errors are FastAPI's, as the rest of the API's.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAIL_INTERVAL, MAIL_REQUESTS_PER_HOUR, notifyPasswordChanged, sendPasswordResetMail } from '../../accounts/email-links.js';
import {
  AccountError,
  type AccountsDeps,
  addMemberTo,
  blockUser,
  createOrganization,
  createUser,
  deleteAccount,
  newOrganizationProblems,
  newUserProblems,
  removeMemberFrom,
  setPassword,
} from '../../accounts/accounts.js';
import { MailError } from '../../mail/mail.js';
import { ApiError } from '../../oauth/errors.js';
import { Collector, type Problem, unprocessable } from '../../oauth/registration/validate.js';
import { isoTime } from '../../oauth/wire.js';
import type { Organization, SecurityEvent, SecurityEventFilter, User } from '../../store/store.js';
import { jsonBody } from '../json-body.js';
import { methodNotAllowedRoutes } from '../methods.js';
import { pageAndLimit } from '../pagination.js';
import { operatorToken } from '../operator-token.js';
import { nulInPathIsNotFound, singleQueryValue } from '../parse.js';
import { sendCompact } from '../respond.js';

export const ADMIN_PREFIX = '/admin/v1';

const notFound = () => new ApiError(404, { detail: 'Not Found' });

const userJson = (u: User) => ({
  id: u.id,
  email: u.email,
  email_verified: u.emailVerified,
  name: u.name,
  avatar_url: u.avatarUrl,
  created_at: isoTime(u.createdAt),
  blocked_at: u.blockedAt === null ? null : isoTime(u.blockedAt),
});
const eventJson = (e: SecurityEvent) => ({
  id: e.id,
  type: e.type,
  created_at: isoTime(e.occurredAt),
  user_id: e.userId,
  client_id: e.clientId,
  organization_id: e.organizationId,
  ip: e.ip,
  details: e.details,
});
const organizationJson = (o: Organization) => ({ id: o.id, slug: o.slug, name: o.name, avatar_url: o.avatarUrl, created_at: isoTime(o.createdAt) });

/** The JSON object a write sends, with FastAPI's 422 for anything else. */
function objectBody(request: FastifyRequest): Record<string, unknown> {
  const body = jsonBody(request);
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body as Record<string, unknown>;
  throw unprocessable([{ type: 'model_attributes_type', loc: ['body'], msg: 'Input should be a valid dictionary or object to extract fields from', input: body }]);
}

/** An account rule broken, as Pydantic words a validator's refusal. */
const valueError = (error: AccountError, body: Record<string, unknown>): Problem => {
  const field = error.field ?? 'body';
  return { type: 'value_error', loc: ['body', field], msg: `Value error, ${error.message}`, input: body[field] ?? body };
};

/**
 * Reads fields with `read`, then asks `rules` what the values break (once every field is there):
 * one 422 names every problem, as FastAPI's would.
 */
async function fields<T>(body: Record<string, unknown>, read: (c: Collector) => unknown, rules: (value: T) => Promise<Problem[]> | Problem[]): Promise<T> {
  const c = new Collector();
  // Without a problem, every required field was read as a string: the shape `T` names.
  const value = read(c) as T;
  if (c.problems.length === 0) for (const problem of await rules(value)) c.add(problem);
  if (c.problems.length > 0) throw unprocessable(c.problems);
  return value;
}

/** An account rule broken after the checks (a race): 409 when the email or slug is taken, else a 422. */
function refusal(error: unknown, body: Record<string, unknown>): never {
  if (!(error instanceof AccountError)) throw error;
  if (error.taken) throw new ApiError(409, { detail: error.message });
  throw unprocessable([valueError(error, body)]);
}

/** Each path's methods; any other is a 405 naming them (RFC 9110 §15.5.6), as the rest of the API answers. */
export const ADMIN_METHODS: Record<string, string[]> = {
  '/users': ['GET', 'POST'],
  '/users/:user_id': ['GET', 'DELETE'],
  '/users/:user_id/block': ['POST'],
  '/users/:user_id/unblock': ['POST'],
  '/users/:user_id/password': ['PUT'],
  '/users/:user_id/password-reset-mail': ['POST'],
  '/organizations': ['POST'],
  '/organizations/:slug': ['GET'],
  '/organizations/:slug/members': ['GET'],
  '/organizations/:slug/members/:user_id': ['PUT', 'DELETE'],
  '/events': ['GET'],
};

/**
 * For a request under the prefix that Fastify refuses before routing (an undecodable path such
 * as `/admin/v1/%`, where no hook runs): the token first, as on every admin path, then the 404
 * FastAPI gives a path no route serves. Undefined for any other path.
 */
export function adminFrameworkError(token: string) {
  const tokenRefusal = operatorToken(token, 'borealis-admin');
  return (request: FastifyRequest, reply: FastifyReply): ApiError | undefined => {
    const path = request.url.split('?')[0] ?? '';
    if (path !== ADMIN_PREFIX && !path.startsWith(`${ADMIN_PREFIX}/`)) return undefined;
    reply.header('cache-control', 'no-store');
    return tokenRefusal(request) ?? notFound();
  };
}

export function adminRoutes(app: FastifyInstance, deps: AccountsDeps, token: string) {
  const tokenRefusal = operatorToken(token, 'borealis-admin');
  app.register(
    async (admin) => {
      admin.addHook('onRequest', async (request) => {
        const refused = tokenRefusal(request);
        if (refused) throw refused;
      });
      admin.addHook('onRequest', nulInPathIsNotFound);
      // People's data: no cache keeps a copy of an answer, an error's included.
      admin.addHook('onSend', async (_request, reply, payload) => {
        reply.header('cache-control', 'no-store');
        return payload;
      });
      // Inside the prefix, an unknown path is answered after the token is checked, as every route:
      // without it, what exists and what does not look the same (401).
      admin.setNotFoundHandler((_request, reply) => sendCompact(reply, 404, { detail: 'Not Found' }));
      methodNotAllowedRoutes(admin, ADMIN_METHODS);

      const user = async (id: string) => (await deps.store.users.findById(id)) ?? Promise.reject(notFound());
      const organization = async (slug: string) => (await deps.store.organizations.findBySlug(slug)) ?? Promise.reject(notFound());
      type WithId = { Params: { user_id: string } };
      type WithSlug = { Params: { slug: string } };
      type WithMember = { Params: { slug: string; user_id: string } };

      admin.post('/users', async (request, reply) => {
        const body = objectBody(request);
        const read = (c: Collector) => ({
          email: c.string(body, 'email', true),
          password: c.string(body, 'password', true),
          name: c.string(body, 'name', false, true),
          emailVerified: c.boolean(body, 'email_verified'),
        });
        type NewUser = { email: string; password: string; name?: string; emailVerified?: boolean };
        const input = await fields<NewUser>(body, read, (v) => newUserProblems(v).map((e) => valueError(e, body)));
        const created = await createUser(deps, input).catch((e: unknown) => refusal(e, body));
        return sendCompact(reply, 201, userJson(created));
      });

      admin.get('/users', async (request, reply) => {
        const email = singleQueryValue(request, 'email');
        if (email === undefined) throw unprocessable([{ type: 'missing', loc: ['query', 'email'], msg: 'Field required', input: null }]);
        // No address holds a NUL, and PostgreSQL would refuse to compare one.
        const found = email.includes('\u0000') ? undefined : await deps.store.users.findByEmail(email.trim());
        if (!found) throw notFound();
        return sendCompact(reply, 200, userJson(found));
      });

      admin.get<WithId>('/users/:user_id', async (request, reply) => sendCompact(reply, 200, userJson(await user(request.params.user_id))));

      // The account is deleted (accounts.ts, deleteAccount): its apps too, whoever uses them.
      admin.delete<WithId>('/users/:user_id', async (request, reply) => {
        if (!(await deleteAccount(deps, await user(request.params.user_id), 'operator'))) throw notFound(); // deleted meanwhile
        return reply.code(204).send();
      });

      // Blocking ends everything the user holds at once (store: users.block); unblocking revives none of it.
      for (const action of ['block', 'unblock'] as const) {
        admin.post<WithId>(`/users/:user_id/${action}`, async (request, reply) => {
          const target = await user(request.params.user_id);
          await blockUser(deps, target, action === 'block');
          return sendCompact(reply, 200, userJson(await user(target.id)));
        });
      }

      // As `users set-password`: every session ends; with `revoke_tokens`, every token and code too;
      // with a mail relay, the owner is mailed.
      admin.put<WithId>('/users/:user_id/password', async (request, reply) => {
        // The body first, as FastAPI validates it before the handler looks anything up.
        const body = objectBody(request);
        const read = (c: Collector) => ({ password: c.string(body, 'password', true), revokeTokens: c.boolean(body, 'revoke_tokens') });
        const input = await fields<{ password: string; revokeTokens?: boolean }>(body, read, () => []);
        const target = await user(request.params.user_id);
        await setPassword(deps, target, input.password, { revokeTokens: input.revokeTokens === true }).catch((e: unknown) => refusal(e, body));
        // The owner is told, after the answer: a password set behind their back is a takeover's first step.
        setImmediate(() => void notifyPasswordChanged(deps, target, 'operator').catch((err: unknown) => request.log.error({ err }, 'password change notice not sent')));
        return reply.code(204).send();
      });

      // "Forgot your password?" on the user's behalf (a platform's support desk; a person the
      // platform provisioned, who should choose their own password): the same link, mailed alike.
      admin.post<WithId>('/users/:user_id/password-reset-mail', async (request, reply) => {
        const target = await user(request.params.user_id);
        if (!deps.mail) throw new ApiError(409, { detail: 'No mail relay is configured (BOREALIS_SMTP_URL).' });
        let outcome;
        try {
          outcome = await sendPasswordResetMail(deps, target);
        } catch (error) {
          if (!(error instanceof MailError)) throw error;
          request.log.error({ err: error }, 'password reset mail not sent');
          throw new ApiError(503, { detail: 'The mail relay refused the message or could not be reached.' }, { 'retry-after': String(MAIL_INTERVAL) });
        }
        if (outcome === 'too_soon') throw new ApiError(429, { detail: 'A link was mailed to this user less than a minute ago.' }, { 'retry-after': String(MAIL_INTERVAL) });
        // The hour's window may end sooner: Retry-After is the most it takes.
        if (outcome === 'too_many') throw new ApiError(429, { detail: `Links were asked for this user ${MAIL_REQUESTS_PER_HOUR} times in the last hour.` }, { 'retry-after': '3600' });
        if (outcome === 'no_user') throw new ApiError(409, { detail: 'The user is blocked.' });
        if (outcome === 'unmailable') throw new ApiError(409, { detail: 'Mail cannot go to this address as it is.' });
        return reply.code(204).send();
      });

      admin.post('/organizations', async (request, reply) => {
        const body = objectBody(request);
        const read = (c: Collector) => ({ slug: c.string(body, 'slug', true), name: c.string(body, 'name', true), ownerId: c.string(body, 'owner_id', true) });
        let owner: User | undefined;
        const input = await fields<{ slug: string; name: string; ownerId: string }>(body, read, async ({ slug, name, ownerId }) => {
          owner = await deps.store.users.findById(ownerId);
          const ownerProblem: Problem = { type: 'value_error', loc: ['body', 'owner_id'], msg: 'Value error, No such user.', input: ownerId };
          return [...newOrganizationProblems({ slug, name }).map((e) => valueError(e, body)), ...(owner ? [] : [ownerProblem])];
        });
        const created = await createOrganization(deps, { slug: input.slug, name: input.name, owner: owner as User }).catch((e: unknown) => refusal(e, body));
        return sendCompact(reply, 201, organizationJson(created));
      });

      admin.get<WithSlug>('/organizations/:slug', async (request, reply) => sendCompact(reply, 200, organizationJson(await organization(request.params.slug))));

      admin.get<WithSlug>('/organizations/:slug/members', async (request, reply) => {
        const found = await organization(request.params.slug);
        return sendCompact(reply, 200, { items: (await deps.store.organizations.listMembers(found.id)).map(userJson) });
      });

      // Adding first ends what acted on nothing; removing ends what acted for this organization alone (store).
      admin.put<WithMember>('/organizations/:slug/members/:user_id', async (request, reply) => {
        const [found, member] = [await organization(request.params.slug), await user(request.params.user_id)];
        await addMemberTo(deps, found, member);
        return reply.code(204).send();
      });

      admin.delete<WithMember>('/organizations/:slug/members/:user_id', async (request, reply) => {
        const found = await organization(request.params.slug);
        if (!(await removeMemberFrom(deps, found, request.params.user_id))) throw notFound();
        return reply.code(204).send();
      });

      // Stored security events (audit.ts), newest first, filtered by any of the ids and the type.
      admin.get('/events', async (request, reply) => {
        const [page, limit] = pageAndLimit(request);
        const filter: SecurityEventFilter = {};
        const keys = { user_id: 'userId', client_id: 'clientId', organization_id: 'organizationId', type: 'type' } as const;
        for (const [name, key] of Object.entries(keys)) {
          const value = singleQueryValue(request, name);
          if (value !== undefined) filter[key] = value;
        }
        // No stored value holds a NUL, and PostgreSQL would refuse to compare one.
        const none = Object.values(filter).some((value) => value.includes('\u0000'));
        const { items, total } = none ? { items: [], total: 0 } : await deps.store.securityEvents.list(filter, (page - 1) * limit, limit);
        return sendCompact(reply, 200, { items: items.map(eventJson), pagination: { total_count: total, max_page: Math.ceil(total / limit) } });
      });
    },
    { prefix: ADMIN_PREFIX },
  );
}
