/** /settings/organizations: the user's organizations with their members, and creating one. */
import type { FastifyInstance } from 'fastify';
import { AccountError, type AccountsDeps, createOrganization } from '../../accounts/accounts.js';
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
  const render = async (signedIn: SignedIn, status: number, extra: { returnTo?: string | undefined; error?: string; slug?: string; name?: string }) => {
    const organizations = await deps.store.organizations.listForUser(signedIn.user.id);
    const withMembers = [];
    for (const organization of organizations) withMembers.push({ organization, members: await deps.store.organizations.listMembers(organization.id) });
    const user = { email: signedIn.user.email, csrfToken: csrfToken(options.secret, signedIn.session.id) };
    return { status, page: organizationsPage(user, withMembers, extra) };
  };

  app.get('/settings/organizations', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const raw = singleQueryValue(request, 'return_to');
    const returnTo = raw ? safeReturnTo(raw) : undefined;
    const { status, page } = await render(signedIn, 200, { returnTo });
    return sendPage(reply, status, page, await options.formLeadsTo(returnTo));
  });

  app.post('/settings/organizations', async (request, reply) => {
    assertSameOrigin(request, options.publicOrigin);
    const form = new Params(new Map(), await formParams(request));
    const returnTo = form.get('return_to') ? safeReturnTo(form.get('return_to')) : undefined;
    const signedIn = await currentSession(request, deps);
    if (!signedIn) {
      // Signed out meanwhile: back to this page after signing in, and on to where it leads.
      const page = returnTo ? `/settings/organizations?return_to=${encodeURIComponent(returnTo)}` : '/settings/organizations';
      return sendRedirect(reply, `/login?return_to=${encodeURIComponent(page)}`, 303);
    }
    assertCsrfToken(options.secret, signedIn.session.id, form.get('csrf_token'));
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
}
