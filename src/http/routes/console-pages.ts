/**
 * The developer console at /settings/oauth: my apps (create, edit, rotate secret, delete) and
 * the apps I authorized (revoke). Every rule comes from the registration core, so the console
 * and RFC 7591/7592 cannot disagree.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SignedIn } from '../../oauth/authorize/index.js';
import { createClientOnce, isPublic, rotateClientSecret } from '../../oauth/clients.js';
import type { OAuthContext } from '../../oauth/context.js';
import { Params } from '../../oauth/params.js';
import { authorizeManagement, deleteClient, updateConfiguration } from '../../oauth/registration/index.js';
import { validateMetadata } from '../../oauth/registration/validate.js';
import type { Client, ClientMetadata } from '../../store/store.js';
import { assertCsrfToken, assertSameOrigin, csrfToken, isCsrfToken, pageUserOf } from '../csrf.js';
import { noticeQuery, provenNotice } from '../notice.js';
import { sendPage } from '../pages/page.js';
import { problemText } from '../pages/problem-text.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { currentSession } from '../session.js';
import { confirmPage } from '../views/confirm.js';
import { type FormError, formError } from '../views/form-error.js';
import { type AppFormValues, type PageUser, appPage, consolePage, newAppPage, registrationClosedPage } from '../views/console.js';
import { type RegistrationOptions, registrationRateLimit } from './registration.js';

const EMPTY_FORM: AppFormValues = {
  client_name: '',
  redirect_uris: '',
  scope: 'openid profile email',
  token_endpoint_auth_method: 'client_secret_post',
  client_uri: '',
  logo_uri: '',
  tos_uri: '',
  policy_uri: '',
};

const NEW_APP_EXPIRED = 'This form has expired: check it and send it again.';
const NEW_APP_SENT = 'This form was already sent, and created this app. Its secret is shown only once: if it did not reach you, rotate it below.';
const NEW_APP_GONE = 'This form was already sent, and the app it created has since been deleted. Send the form again to create another app.';
const ALREADY_ROTATED = 'This secret was already rotated since this form was shown. The new secret is shown only once: if it did not reach you, rotate again.';

const valuesOf = (client: Client): AppFormValues => ({
  client_name: client.metadata.client_name,
  redirect_uris: client.metadata.redirect_uris.join('\n'),
  scope: client.metadata.scope,
  token_endpoint_auth_method: client.metadata.token_endpoint_auth_method,
  client_uri: client.metadata.client_uri ?? '',
  logo_uri: client.metadata.logo_uri ?? '',
  tos_uri: client.metadata.tos_uri ?? '',
  policy_uri: client.metadata.policy_uri ?? '',
});

/** The form as RFC 7591 metadata; empty optional fields are omitted. */
function metadataOf(form: Params): { values: AppFormValues; body: Record<string, unknown> } {
  const values = Object.fromEntries(Object.keys(EMPTY_FORM).map((k) => [k, form.get(k) ?? ''])) as unknown as AppFormValues;
  const body: Record<string, unknown> = {
    client_name: values.client_name.trim(),
    redirect_uris: values.redirect_uris.split(/\r?\n/).map((l) => l.trim()).filter(Boolean),
    scope: values.scope.trim(),
    token_endpoint_auth_method: values.token_endpoint_auth_method,
  };
  for (const key of ['client_uri', 'logo_uri', 'tos_uri', 'policy_uri'] as const) if (values[key].trim()) body[key] = values[key].trim();
  return { values, body };
}

/**
 * What registration allows but no app made here could use: the console creates apps for the
 * authorization code flow, which need a name to show, somewhere to return to and a scope.
 */
function unusable(body: Record<string, unknown>): FormError | undefined {
  if (body.client_name === '') return formError('The app needs a name.', 'client_name');
  if ((body.redirect_uris as string[]).length === 0) return formError('Add at least one redirect URI.', 'redirect_uris');
  if (body.scope === '') return formError('Choose at least one scope.', 'scope');
  return undefined;
}

/**
 * Creating an app here is registration by another door: BOREALIS_REGISTRATION's `closed` and
 * its per-IP limit apply as on RFC 7591's endpoint (`authenticated` is met by the session).
 */
export function consolePageRoutes(app: FastifyInstance, ctx: OAuthContext, publicOrigin: string, registration: RegistrationOptions) {
  const canCreate = registration.policy !== 'closed';
  const pageUser = (signedIn: SignedIn): PageUser => pageUserOf(ctx.secret, signedIn);

  /** Signed in, or sent to sign in and back. For POSTs also the CSRF checks (D14). */
  async function guard(request: FastifyRequest, reply: FastifyReply): Promise<{ signedIn: SignedIn; form: Params } | undefined> {
    if (request.method === 'POST') assertSameOrigin(request, publicOrigin);
    const signedIn = await currentSession(request, ctx);
    if (!signedIn) {
      const back = request.method === 'GET' ? request.url : '/settings/oauth';
      await sendRedirect(reply, `/login?return_to=${encodeURIComponent(back)}`, 303);
      return undefined;
    }
    const form = new Params(new Map(), request.method === 'POST' ? await formParams(request) : new Map());
    if (request.method === 'POST') assertCsrfToken(ctx.secret, signedIn.session.id, form.get('csrf_token'));
    return { signedIn, form };
  }

  const owned = (clientId: string, signedIn: SignedIn) => authorizeManagement(clientId, { kind: 'user', userId: signedIn.user.id }, ctx);

  /**
   * The secret a rotation's confirmation was shown for, as a proof bound to the session (no hash
   * of it leaves the server). A rotation posted again (a reload of the page that showed the new
   * secret, a second click without JavaScript, Back and send) no longer matches, and rotates
   * nothing: the secret shown the first time stays the one in use.
   */
  const secretVersionBinding = (signedIn: SignedIn, client: Client) => `${signedIn.session.id} rotate ${client.clientId} ${client.clientSecretHash}`;
  const secretVersion = (signedIn: SignedIn, client: Client) => csrfToken(ctx.secret, secretVersionBinding(signedIn, client));

  /**
   * The new-app form carries the row id of the app it will create, with a proof bound to the
   * session (no one picks an id of their own): sent twice, it creates one app.
   */
  const newAppBinding = (signedIn: SignedIn, appId: string) => `${signedIn.session.id} new-app ${appId}`;
  const newAppFieldsFor = (signedIn: SignedIn, appId: string) => ({ app_id: appId, app_proof: csrfToken(ctx.secret, newAppBinding(signedIn, appId)) });
  const newAppFields = (signedIn: SignedIn) => newAppFieldsFor(signedIn, randomUUID());

  /** The notice after a redirect (`?notice=`); a revocation names the app only with its proof (notice.ts). */
  async function noticeOf(request: FastifyRequest, signedIn: SignedIn): Promise<string | undefined> {
    const notice = singleQueryValue(request, 'notice');
    if (notice === 'deleted') return 'The app was deleted.';
    if (notice !== 'revoked') return undefined;
    const clientId = singleQueryValue(request, 'client_id');
    const proven = provenNotice(ctx.secret, signedIn.session.id, 'revoked', clientId, singleQueryValue(request, 'proof'));
    const client = proven && clientId ? await ctx.store.clients.findByClientId(clientId) : undefined;
    return client ? `${client.metadata.client_name} no longer has access to your account.` : 'Access revoked.';
  }

  app.get('/settings/oauth', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const userId = g.signedIn.user.id;
    const { items } = await ctx.store.clients.listByOwner(userId, 0, 100);
    const consents = await ctx.store.consents.listForUser(userId);
    const slugs = new Map((await ctx.store.organizations.listForUser(userId)).map((o) => [o.id, o.slug]));
    const authorized = [];
    for (const consent of consents) {
      const client = await ctx.store.clients.findByClientId(consent.clientId);
      if (!client) continue;
      // Those the user has left are no longer granted (authorize/remembered.ts): not listed.
      const organizations = consent.organizationIds.flatMap((id) => slugs.get(id) ?? []);
      const allOrganizations = consent.organizationIds.length === 0;
      authorized.push({ clientId: client.clientId, name: client.metadata.client_name, scope: consent.scope, organizations, allOrganizations });
    }
    return sendPage(reply, 200, consolePage(pageUser(g.signedIn), items, authorized, canCreate, await noticeOf(request, g.signedIn)));
  });

  app.get('/settings/oauth/new', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    return canCreate ? sendPage(reply, 200, newAppPage(pageUser(g.signedIn), EMPTY_FORM, newAppFields(g.signedIn))) : sendPage(reply, 403, registrationClosedPage(pageUser(g.signedIn)));
  });

  app.post('/settings/oauth/new', { config: registrationRateLimit(registration) }, async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    if (!canCreate) return sendPage(reply, 403, registrationClosedPage(pageUser(g.signedIn)));
    const { values, body } = metadataOf(g.form);
    const again = (status: number, error: FormError) => sendPage(reply, status, newAppPage(pageUser(g.signedIn), values, newAppFields(g.signedIn), error));
    const appId = g.form.get('app_id') ?? '';
    if (!isCsrfToken(ctx.secret, newAppBinding(g.signedIn, appId), g.form.get('app_proof'))) return again(400, formError(NEW_APP_EXPIRED));
    const problem = unusable(body);
    // A form refused keeps its id: it created nothing, and sent again it may.
    if (problem) return sendPage(reply, 400, newAppPage(pageUser(g.signedIn), values, newAppFieldsFor(g.signedIn, appId), problem));
    try {
      const created = await createClientOnce(ctx, appId, validateMetadata(body), { userId: g.signedIn.user.id });
      if (!created) {
        // Sent before: its answer may never have arrived (a connection lost, a send stopped and retried).
        const earlier = await ctx.store.clients.findById(appId);
        if (earlier?.userId !== g.signedIn.user.id) return again(409, formError(NEW_APP_GONE));
        return sendPage(reply, 409, appPage(pageUser(g.signedIn), earlier, valuesOf(earlier), { notice: NEW_APP_SENT }));
      }
      return sendPage(reply, 201, appPage(pageUser(g.signedIn), created.client, valuesOf(created.client), { secret: created.clientSecret }));
    } catch (error) {
      const refused = problemText(error, String(body.scope ?? ''));
      if (refused === undefined) throw error;
      return sendPage(reply, 400, newAppPage(pageUser(g.signedIn), values, newAppFieldsFor(g.signedIn, appId), refused));
    }
  });

  type WithId = { Params: { client_id: string } };
  app.get<WithId>('/settings/oauth/apps/:client_id', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const client = await owned(request.params.client_id, g.signedIn);
    return sendPage(reply, 200, appPage(pageUser(g.signedIn), client, valuesOf(client)));
  });

  app.post<WithId>('/settings/oauth/apps/:client_id', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const client = await owned(request.params.client_id, g.signedIn);
    const { values, body } = metadataOf(g.form);
    const problem = unusable(body);
    if (problem) return sendPage(reply, 400, appPage(pageUser(g.signedIn), client, values, { error: problem }));
    try {
      // The console keeps what the form does not show (grant types, default_sub_type): validated
      // as read here, written as stored when the update is made (an RFC 7592 PUT may come between).
      const merged = { ...body, client_id: client.clientId, grant_types: client.metadata.grant_types, response_types: client.metadata.response_types, default_sub_type: client.metadata.default_sub_type };
      const keep: (keyof ClientMetadata)[] = ['grant_types', 'response_types', 'default_sub_type'];
      await updateConfiguration(client.clientId, merged, { kind: 'user', userId: g.signedIn.user.id }, ctx, { replace: true, keep });
      return sendRedirect(reply, `/settings/oauth/apps/${client.clientId}`, 303);
    } catch (error) {
      const refused = problemText(error, String(body.scope ?? ''));
      if (refused === undefined) throw error;
      return sendPage(reply, 400, appPage(pageUser(g.signedIn), client, values, { error: refused }));
    }
  });

  app.get<WithId>('/settings/oauth/apps/:client_id/rotate-secret', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const client = await owned(request.params.client_id, g.signedIn);
    const base = `/settings/oauth/apps/${client.clientId}`;
    if (isPublic(client)) return sendPage(reply, 400, appPage(pageUser(g.signedIn), client, valuesOf(client), { error: formError('A public client has no secret to rotate.') }));
    return sendPage(reply, 200, confirmPage(pageUser(g.signedIn), {
      question: `Rotate the secret of ${client.metadata.client_name}?`,
      consequence: 'The new secret is shown once. The current one stops working at once: the app cannot get tokens until it is given the new secret.',
      action: `${base}/rotate-secret`,
      button: 'Rotate secret',
      back: base,
      fields: { secret_version: secretVersion(g.signedIn, client) },
    }));
  });

  app.post<WithId>('/settings/oauth/apps/:client_id/rotate-secret', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const client = await owned(request.params.client_id, g.signedIn);
    if (isPublic(client)) return sendPage(reply, 400, appPage(pageUser(g.signedIn), client, valuesOf(client), { error: formError('A public client has no secret to rotate.') }));
    const fresh = isCsrfToken(ctx.secret, secretVersionBinding(g.signedIn, client), g.form.get('secret_version'));
    const secret = fresh ? (await rotateClientSecret(ctx, client))?.clientSecret : undefined;
    if (secret === undefined) {
      // Deleted meanwhile, the app is not found (404) rather than rotated by someone else.
      const now = await owned(client.clientId, g.signedIn);
      return sendPage(reply, 409, appPage(pageUser(g.signedIn), now, valuesOf(now), { error: formError(ALREADY_ROTATED) }));
    }
    return sendPage(reply, 200, appPage(pageUser(g.signedIn), client, valuesOf(client), { secret }));
  });

  app.get<WithId>('/settings/oauth/apps/:client_id/delete', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const client = await owned(request.params.client_id, g.signedIn);
    const base = `/settings/oauth/apps/${client.clientId}`;
    return sendPage(reply, 200, confirmPage(pageUser(g.signedIn), {
      question: `Delete ${client.metadata.client_name}?`,
      consequence: 'Every token issued to this app stops working at once. This cannot be undone.',
      action: `${base}/delete`,
      button: 'Delete app',
      back: base,
    }));
  });

  app.post<WithId>('/settings/oauth/apps/:client_id/delete', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    await deleteClient(request.params.client_id, { kind: 'user', userId: g.signedIn.user.id }, ctx);
    return sendRedirect(reply, '/settings/oauth?notice=deleted', 303);
  });

  // An app without access to revoke (a stale link) leads back to the list, which shows the truth.
  app.get<WithId>('/settings/oauth/authorized/:client_id/revoke', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    const clientId = request.params.client_id;
    const consented = await ctx.store.consents.find(clientId, g.signedIn.user.id);
    const client = consented ? await ctx.store.clients.findByClientId(clientId) : undefined;
    if (!client) return sendRedirect(reply, '/settings/oauth', 303);
    const name = client.metadata.client_name;
    return sendPage(reply, 200, confirmPage(pageUser(g.signedIn), {
      question: `Revoke access for ${name}?`,
      consequence: `Every token ${name} holds for your account stops working at once. If you use it again, it will ask for your consent again.`,
      action: `/settings/oauth/authorized/${client.clientId}/revoke`,
      button: 'Revoke access',
      back: '/settings/oauth',
    }));
  });

  app.post<WithId>('/settings/oauth/authorized/:client_id/revoke', async (request, reply) => {
    const g = await guard(request, reply);
    if (!g) return reply;
    await ctx.store.consents.revoke(request.params.client_id, g.signedIn.user.id, ctx.now());
    ctx.audit.record({ audit: 'consent.revoked', client_id: request.params.client_id, user_id: g.signedIn.user.id });
    return sendRedirect(reply, `/settings/oauth?${noticeQuery(ctx.secret, g.signedIn.session.id, 'revoked', 'client_id', request.params.client_id)}`, 303);
  });
}
