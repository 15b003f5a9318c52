/** /settings/organizations: the user's organizations with their members, creating one, and leaving one. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, createOrganization, leaveOrganization } from '../../accounts/accounts.js';
import { Params } from '../../oauth/params.js';
import { assertCsrfToken, assertSameOrigin, csrfToken } from '../csrf.js';
import { type PageOptions, sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { currentSession } from '../session.js';
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

  app.get('/settings/organizations', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const raw = singleQueryValue(request, 'return_to');
    const returnTo = raw ? safeReturnTo(raw) : undefined;
    const notice = singleQueryValue(request, 'notice') === 'left' ? 'You left the organization.' : undefined;
    const { status, page } = await render(signedIn, 200, { returnTo, notice });
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
      const { status, page } = await render(signedIn, 400, { returnTo, error: error.message, slug, name });
      return sendPage(reply, status, page, await options.formLeadsTo(returnTo));
    }
    return sendRedirect(reply, returnTo ?? '/settings/organizations', 303);
  });

  app.post<{ Params: { organization_id: string } }>('/settings/organizations/:organization_id/leave', async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    try {
      await leaveOrganization(deps, posted.signedIn.user, request.params.organization_id);
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      const { status, page } = await render(posted.signedIn, 400, { leaveError: error.message });
      return sendPage(reply, status, page, await options.formLeadsTo(undefined));
    }
    return sendRedirect(reply, '/settings/organizations?notice=left', 303);
  });
}
