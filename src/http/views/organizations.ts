import type { Invitation, Organization, User } from '../../store/store.js';
import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { type PageUser, csrfField } from './console.js';

export interface OrganizationWithMembers {
  organization: Organization;
  members: User[];
  /** Invitation links waiting to be used (accounts/invitations.ts), newest first. */
  invitations: { invitation: Invitation; invitedBy: User }[];
  /** The hidden fields of its "Make an invitation link" form: the id of the link it makes, and their proof. */
  inviteFields: Record<string, string>;
}

const day = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString().slice(0, 10);

/** Making a link (shown once, on a page of its own) and withdrawing the ones waiting. */
const invitations = (user: PageUser, { organization, invitations: waiting, inviteFields }: OrganizationWithMembers) =>
  html`${
    waiting.length
      ? html`<h3>Invitations waiting</h3>
<ul>${waiting.map(
          ({ invitation, invitedBy }) => html`<li>By ${invitedBy.email}, expires ${day(invitation.expiresAt)}
<form class="inline" method="post" action="/settings/organizations/${organization.id}/invitations/${invitation.id}/withdraw">${csrfField(user)}<button class="link" type="submit" aria-label="Withdraw the invitation by ${invitedBy.email} made ${day(invitation.createdAt)}">Withdraw</button></form></li>`,
        )}</ul>`
      : ''
  }
<form class="inline" method="post" action="/settings/organizations/${organization.id}/invitations">${csrfField(user)}${Object.entries(inviteFields).map(
    ([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`,
  )}<button class="secondary" type="submit">Make an invitation link</button></form>`;

export function organizationsPage(
  user: PageUser,
  organizations: OrganizationWithMembers[],
  options: { returnTo?: string | undefined; error?: FormError | undefined; slug?: string; name?: string; actionError?: string; notice?: string | undefined },
): string {
  // Leaving (confirmed on its own page) ends the member's tokens and codes that act for this organization alone; its only
  // member cannot leave (accounts.ts, leaveOrganization).
  const leave = ({ organization, members }: OrganizationWithMembers) =>
    members.length > 1
      ? html`<a class="button secondary" href="/settings/organizations/${organization.id}/leave">Leave ${organization.name}…</a>`
      : html`<p class="muted">You are its only member.</p>`;
  return layout(
    { title: 'Organizations', user },
    html`<div class="card"><h1>Organizations</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.actionError ? html`<p class="error" role="alert">${options.actionError}</p>` : ''}
${
  organizations.length
    ? organizations.map(
        (entry) => html`<h2>${entry.organization.name} <span class="muted">(${entry.organization.slug})</span></h2>
<ul>${entry.members.map((m) => html`<li>${m.email}</li>`)}</ul>
${invitations(user, entry)}
${leave(entry)}`,
      )
    : html`<p class="muted">You do not belong to an organization yet.</p>`
}
</div>
<div class="card"><h2>Create an organization</h2>
${errorParagraph(options.error)}
<form method="post" action="/settings/organizations">
${csrfField(user)}
${options.returnTo ? html`<input type="hidden" name="return_to" value="${options.returnTo}">` : ''}
<label for="org-name">Name</label><input id="org-name" name="name" type="text" value="${options.name ?? ''}"${invalidIf(options.error, 'name')} required>
<label for="org-slug">Slug <span class="muted">(lowercase letters, digits and dashes)</span></label>
<input id="org-slug" name="slug" type="text" pattern="[a-z0-9]([a-z0-9\\-]{0,62}[a-z0-9])?" maxlength="64" value="${options.slug ?? ''}"${invalidIf(options.error, 'slug')} required>
<div class="actions"><button type="submit">Create organization</button></div>
</form></div>`,
  );
}
