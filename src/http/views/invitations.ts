/** Invitation links to join an organization (accounts/invitations.ts): the link made, and the page it opens. */
import type { Organization, User } from '../../store/store.js';
import { type PageUser, copyButton, csrfField } from './console.js';
import { html } from './html.js';
import { layout } from './layout.js';

const day = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

/** The link, shown once: only its HMAC is stored. */
export const invitationLinkPage = (user: PageUser, organization: Organization, link: string, expiresAt: number): string =>
  layout(
    { title: `Invite to ${organization.name}`, user, narrow: true, scripts: ['/assets/console.js'] },
    html`<div class="card notice" role="status"><h1>Invite to ${organization.name}</h1>
<p>Send this link to the one person you invite. It is shown only once, works once, and expires on ${day(expiresAt)} (UTC). Whoever opens it, signed in, can join ${organization.name}.</p>
<span class="secret" id="invitation-link" data-page="/settings/organizations">${link}</span>
<div class="actions">${copyButton('invitation-link', 'Copy link')}<a class="button secondary" href="/settings/organizations">Done</a></div></div>`,
  );

/** What an invitation link opens for a signed-in user: who invites them where, and the button that joins. */
export const invitationPage = (user: PageUser, invite: { organization: Organization; invitedBy: User; token: string }): string =>
  layout(
    { title: `Join ${invite.organization.name}`, user, narrow: true },
    html`<div class="card"><h1>Join ${invite.organization.name}?</h1>
<p>${invite.invitedBy.name ?? invite.invitedBy.email} (${invite.invitedBy.email}) invites you to join ${invite.organization.name} <span class="muted">(${invite.organization.slug})</span>. Its members see your email address, and apps you allow to act for an organization can act for it.</p>
<form method="post" action="/settings/organizations/invitation">${csrfField(user)}
<input type="hidden" name="token" value="${invite.token}">
<div class="actions"><button type="submit">Join ${invite.organization.name}</button><a class="button secondary" href="/settings/organizations">Not now</a></div>
</form></div>`,
  );

export const invitationInvalidPage = (user: PageUser): string =>
  layout(
    { title: 'Invitation not valid', user, narrow: true },
    html`<div class="card"><h1>Invitation not valid</h1>
<p class="error" role="alert">This invitation link was used, withdrawn or has expired, or the member who made it has left the organization. Ask for a new one.</p>
<div class="actions"><a class="button secondary" href="/settings/organizations">Your organizations</a></div></div>`,
  );
