/** /settings/organizations: the user's organizations with their members, creating one, and leaving one. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, createOrganization, leaveOrganization } from '../../accounts/accounts.js';
import { Params } from '../../oauth/params.js';
import { assertCsrfToken, assertSameOrigin, csrfToken } from '../csrf.js';
import { noticeQuery, provenNotice } from '../notice.js';
import { type PageOptions, sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { currentSession } from '../session.js';
import { confirmPage } from '../views/confirm.js';
import { formErrorOf } from '../views/form-error.js';
import { organizationsPage } from '../views/organizations.js';
import type { SignedIn } from '../../oauth/authorize/index.js';

export interface OrganizationPageOptions {
  publicOrigin: string;
  secret: string;
  /** The page options (CSP) for a form that returns to `returnTo` (pages/form-target.ts). */
  formLeadsTo: (returnTo: string | undefined) => Promise<PageOptions>;
}

export function organizationPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: OrganizationPageOptions) {
  const render = async (signedIn: SignedIn, status: number, extra: Parameters<typeof organizationsPage>[2]) => {
    const organizations = await deps.store.organizations.listForUser(signedIn.user.id);
    const withMembers = [];
    for (const organization of organizations) withMembers.push({ organization, members: await deps.store.organizations.listMembers(organization.id) });
    const user = { email: signedIn.user.email, csrfToken: csrfToken(options.secret, signedIn.session.id) };
    return { status, page: organizationsPage(user, withMembers, extra) };
  };

  /**
   * A form of this page, from this origin (D14), and who sent it; undefined when they had signed
   * out meanwhile, answered with sign-in that leads back to the page and on to its `return_to`.
   */
  const postedForm = async (request: FastifyRequest, reply: FastifyReply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = form.get('return_to') ? safeReturnTo(form.get('return_to')) : undefined;
    const signedIn = await currentSession(request, deps);
    if (!signedIn) {
      const page = returnTo ? `/settings/organizations?return_to=${encodeURIComponent(returnTo)}` : '/settings/organizations';
      sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
      return undefined;
    }
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
    return { form, returnTo, signedIn };
  };

  /** The notice after leaving: it names the organization only with its proof (notice.ts). */
  async function leftNotice(request: FastifyRequest, signedIn: SignedIn): Promise<string | undefined> {
    if (singleQueryValue(request, 'notice') !== 'left') return undefined;
    const slug = singleQueryValue(request, 'organization');
    const proven = provenNotice(options.secret, signedIn.session.id, 'left', slug, singleQueryValue(request, 'proof'));
    const left = proven && slug ? await deps.store.organizations.findBySlug(slug) : undefined;
    return left ? `You left ${left.name}.` : 'You left the organization.';
  }

  app.get('/settings/organizations', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const raw = singleQueryValue(request, 'return_to');
    const returnTo = raw ? safeReturnTo(raw) : undefined;
    const { status, page } = await render(signedIn, 200, { returnTo, notice: await leftNotice(request, signedIn) });
    return sendPage(reply, status, page, await options.formLeadsTo(returnTo));
  });

  app.post('/settings/organizations', async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    const { form, returnTo, signedIn } = posted;
    const slug = form.get('slug') ?? '';
    const name = form.get('name') ?? '';
    try {
      await createOrganization(deps, { slug, name, owner: signedIn.user });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      const { status, page } = await render(signedIn, 400, { returnTo, error: formErrorOf(error), slug, name });
      return sendPage(reply, status, page, await options.formLeadsTo(returnTo));
    }
    return sendRedirect(reply, returnTo ?? '/settings/organizations', 303);
  });

  type WithId = { Params: { organization_id: string } };
  /** Leaving is confirmed first (views/confirm.ts); one the user cannot leave leads back to the list, which says why. */
  app.get<WithId>('/settings/organizations/:organization_id/leave', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const organization = (await deps.store.organizations.listForUser(signedIn.user.id)).find((o) => o.id === request.params.organization_id);
    const alone = !organization || (await deps.store.organizations.listMembers(organization.id)).length < 2;
    if (!organization || alone) return sendRedirect(reply, '/settings/organizations', 303);
    const user = { email: signedIn.user.email, csrfToken: csrfToken(options.secret, signedIn.session.id) };
    return sendPage(reply, 200, confirmPage(user, {
      question: `Leave ${organization.name}?`,
      consequence: `Apps you allowed to act for ${organization.name} alone lose their access at once, and you can join again only if you are added again.`,
      action: `/settings/organizations/${organization.id}/leave`,
      button: 'Leave organization',
      back: '/settings/organizations',
    }));
  });

  app.post<WithId>('/settings/organizations/:organization_id/leave', async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    const leaving = (await deps.store.organizations.listForUser(posted.signedIn.user.id)).find((o) => o.id === request.params.organization_id);
    try {
      await leaveOrganization(deps, posted.signedIn.user, request.params.organization_id);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      const { status, page } = await render(posted.signedIn, 400, { leaveError: error.message });
      return sendPage(reply, status, page, await options.formLeadsTo(undefined));
    }
    const notice = leaving ? noticeQuery(options.secret, posted.signedIn.session.id, 'left', 'organization', leaving.slug) : 'notice=left';
    return sendRedirect(reply, `/settings/organizations?${notice}`, 303);
  });
}
