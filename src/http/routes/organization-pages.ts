/**
 * /settings/organizations: the user's organizations with their members, creating one, leaving
 * one, and invitation links to join one (accounts/invitations.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AccountError, type AccountsDeps, createOrganization, leaveOrganization } from '../../accounts/accounts.js';
import { acceptInvitation, findInvitation, inviteToOrganization, withdrawInvitation } from '../../accounts/invitations.js';
import { timeOrderedId } from '../../oauth/ids.js';
import { Params } from '../../oauth/params.js';
import { assertCsrfToken, assertSameOrigin, csrfToken, isCsrfToken, pageUserOf } from '../csrf.js';
import { noticeQuery, provenNotice } from '../notice.js';
import { type PageOptions, sendPage } from '../pages/page.js';
import { formParams, singleQueryValue } from '../parse.js';
import { sendRedirect } from '../respond.js';
import { safeReturnTo } from '../return-to.js';
import { currentSession } from '../session.js';
import { confirmPage } from '../views/confirm.js';
import { formErrorOf } from '../views/form-error.js';
import { invitationInvalidPage, invitationLinkPage, invitationPage } from '../views/invitations.js';
import { organizationsPage } from '../views/organizations.js';
import type { SignedIn } from '../../oauth/authorize/index.js';

export interface OrganizationPageOptions {
  publicOrigin: string;
  secret: string;
  /** The page options (CSP) for a form that returns to `returnTo` (pages/form-target.ts). */
  formLeadsTo: (returnTo: string | undefined) => Promise<PageOptions>;
}

export function organizationPageRoutes(app: FastifyInstance, deps: AccountsDeps, options: OrganizationPageOptions) {
  /**
   * The "Make an invitation link" form carries the id of the invitation it makes, with a proof
   * bound to the session and the organization: sent again (a reload without JavaScript), it makes
   * no second link, which would stay good for a week unseen.
   */
  const inviteBinding = (signedIn: SignedIn, organizationId: string, id: string) => `${signedIn.session.id} invite ${organizationId} ${id}`;
  const inviteFields = (signedIn: SignedIn, organizationId: string, id: string) => ({
    invitation_id: id,
    invitation_proof: csrfToken(options.secret, inviteBinding(signedIn, organizationId, id)),
  });
  const pageUser = (signedIn: SignedIn) => pageUserOf(options.secret, signedIn);
  const render = async (signedIn: SignedIn, status: number, extra: Parameters<typeof organizationsPage>[2]) => {
    const organizations = await deps.store.organizations.listForUser(signedIn.user.id);
    const withMembers = [];
    for (const organization of organizations) {
      const [members, invitations] = [await deps.store.organizations.listMembers(organization.id), await deps.store.invitations.listPending(organization.id, deps.now())];
      withMembers.push({ organization, members, invitations, inviteFields: inviteFields(signedIn, organization.id, timeOrderedId()) });
    }
    return { status, page: organizationsPage(pageUser(signedIn), withMembers, extra) };
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

  /** The notice after leaving or joining: it names the organization only with its proof (notice.ts). */
  async function noticeOf(request: FastifyRequest, signedIn: SignedIn): Promise<string | undefined> {
    const kind = singleQueryValue(request, 'notice');
    if (kind === 'withdrawn') return 'The invitation was withdrawn: its link no longer works.';
    if (kind !== 'left' && kind !== 'joined') return undefined;
    const slug = singleQueryValue(request, 'organization');
    const proven = provenNotice(options.secret, signedIn.session.id, kind, slug, singleQueryValue(request, 'proof'));
    const named = proven && slug ? await deps.store.organizations.findBySlug(slug) : undefined;
    if (kind === 'joined') return named ? `You joined ${named.name}.` : 'You joined the organization.';
    return named ? `You left ${named.name}.` : 'You left the organization.';
  }

  app.get('/settings/organizations', async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const raw = singleQueryValue(request, 'return_to');
    const returnTo = raw ? safeReturnTo(raw) : undefined;
    const { status, page } = await render(signedIn, 200, { returnTo, notice: await noticeOf(request, signedIn) });
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
    return sendPage(reply, 200, confirmPage(pageUser(signedIn), {
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
      const { status, page } = await render(posted.signedIn, 400, { actionError: error.message });
      return sendPage(reply, status, page, await options.formLeadsTo(undefined));
    }
    const notice = leaving ? noticeQuery(options.secret, posted.signedIn.session.id, 'left', 'organization', leaving.slug) : 'notice=left';
    return sendRedirect(reply, `/settings/organizations?${notice}`, 303);
  });

  // Invitation links (accounts/invitations.ts). Any member may make one and withdraw any.
  const memberOf = async (signedIn: SignedIn, organizationId: string) =>
    (await deps.store.organizations.listForUser(signedIn.user.id)).find((o) => o.id === organizationId);

  app.post<WithId>('/settings/organizations/:organization_id/invitations', async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    const { signedIn, form } = posted;
    const organization = await memberOf(signedIn, request.params.organization_id);
    const id = form.get('invitation_id') ?? '';
    try {
      if (!organization) throw new AccountError('You are not a member of that organization.');
      if (!isCsrfToken(options.secret, inviteBinding(signedIn, organization.id, id), form.get('invitation_proof'))) throw new AccountError(INVITE_EXPIRED);
      const made = await inviteToOrganization(deps, signedIn.user, organization.id, id);
      if (!made) {
        const { page } = await render(signedIn, 409, { actionError: INVITE_SENT });
        return sendPage(reply, 409, page);
      }
      const link = `${options.publicOrigin}${INVITATION_PATH}?token=${made.token}`;
      return sendPage(reply, 201, invitationLinkPage(pageUser(signedIn), organization, link, made.invitation.expiresAt), { noReferrer: true });
    } catch (error) {
      if (!(error instanceof AccountError)) throw error;
      const { status, page } = await render(signedIn, 400, { actionError: error.message });
      return sendPage(reply, status, page);
    }
  });

  type WithInvitation = { Params: { organization_id: string; invitation_id: string } };
  app.post<WithInvitation>('/settings/organizations/:organization_id/invitations/:invitation_id/withdraw', async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    const organization = await memberOf(posted.signedIn, request.params.organization_id);
    if (!organization) {
      const { status, page } = await render(posted.signedIn, 400, { actionError: 'You are not a member of that organization.' });
      return sendPage(reply, status, page);
    }
    const withdrawn = await withdrawInvitation(deps, posted.signedIn.user, organization.id, request.params.invitation_id);
    return sendRedirect(reply, withdrawn ? '/settings/organizations?notice=withdrawn' : '/settings/organizations', 303);
  });

  /** What the link opens: sign-in first (and back here), then who invites the user where. */
  app.get(INVITATION_PATH, async (request, reply) => {
    const signedIn = await currentSession(request, deps);
    if (!signedIn) return sendRedirect(reply, `/login?return_to=${encodeURIComponent(request.url)}`, 303);
    const token = singleQueryValue(request, 'token') ?? '';
    const found = await findInvitation(deps, token);
    if (!found) return sendPage(reply, 404, invitationInvalidPage(pageUser(signedIn)), { noReferrer: true });
    if (await memberOf(signedIn, found.organization.id)) {
      const { status, page } = await render(signedIn, 200, { notice: `You are already a member of ${found.organization.name}.` });
      return sendPage(reply, status, page, { noReferrer: true });
    }
    return sendPage(reply, 200, invitationPage(pageUser(signedIn), { ...found, token }), { noReferrer: true });
  });

  app.post(INVITATION_PATH, async (request, reply) => {
    const posted = await postedForm(request, reply);
    if (!posted) return reply;
    const accepted = await acceptInvitation(deps, posted.signedIn.user, posted.form.get('token') ?? '');
    if (accepted.result === 'invalid') return sendPage(reply, 404, invitationInvalidPage(pageUser(posted.signedIn)), { noReferrer: true });
    if (accepted.result === 'already_member') {
      const { status, page } = await render(posted.signedIn, 200, { notice: `You are already a member of ${accepted.organization.name}.` });
      return sendPage(reply, status, page);
    }
    const notice = noticeQuery(options.secret, posted.signedIn.session.id, 'joined', 'organization', accepted.organization.slug);
    return sendRedirect(reply, `/settings/organizations?${notice}`, 303);
  });
}

/** Where an invitation link leads; the token is in the query, which request logs leave out (app.ts). */
export const INVITATION_PATH = '/settings/organizations/invitation';

const INVITE_EXPIRED = 'This form has expired: make the invitation link again.';
const INVITE_SENT = 'This form was already sent, and made a link, shown once then. If it did not reach you, withdraw it below and make another.';
