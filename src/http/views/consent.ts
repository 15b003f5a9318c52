import type { AuthorizeResponse } from '../../oauth/authorize/index.js';
import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { type Html, html } from './html.js';
import { layout } from './layout.js';

const GROUP_LABELS: Record<string, string> = { openid: 'Your identity', profile: 'Your identity', email: 'Your identity' };
const title = (resource: string) => GROUP_LABELS[resource] ?? resource.replaceAll('_', ' ').replace(/^./, (c) => c.toUpperCase());

/** Scopes grouped by the resource before `:` (polar-oauth2.md §3.6), labelled with their display names. */
function scopeGroups(data: AuthorizeResponse): Html[] {
  const groups = new Map<string, string[]>();
  for (const scope of data.scopes) {
    const name = title(scope.split(':')[0] as string);
    groups.set(name, [...(groups.get(name) ?? []), data.scope_display_names[scope] ?? scope]);
  }
  return [...groups].map(([name, labels]) => html`<h3>${name}</h3><ul class="scopes">${labels.map((l) => html`<li>${l}</li>`)}</ul>`);
}

/**
 * `preselected`: the organizations the authorization request named (§3.4, `organizations`),
 * shown ticked; what the user leaves ticked is what the form posts, and all it grants.
 */
function organizationPicker(
  data: AuthorizeResponse,
  names: ReadonlyMap<string, string>,
  preselected: string[],
  createOrgUrl: string,
  mode: 'all' | 'specific' | undefined,
  error: FormError | undefined,
): Html {
  // Polar's wire names an organization by its slug; a person knows it by its name (the slug beside it tells two alike apart).
  const label = (o: { id: string; slug: string }) => html`${names.get(o.id) ?? o.slug} <span class="muted">(${o.slug})</span>`;
  if (data.organizations.length === 0) {
    return html`<fieldset><legend>Organizations</legend>
<p>You do not belong to an organization yet. ${data.requires_single_organization ? 'This app needs one: create it, and you will come back here.' : ''}
<a href="${createOrgUrl}">Create an organization</a>.</p></fieldset>`;
  }
  const ticked = (id: string) => preselected.includes(id);
  const checked = (on: boolean) => (on ? html` checked` : '');
  if (data.requires_single_organization) {
    const chosen = data.organizations.find((o) => ticked(o.id)) ?? data.organizations[0];
    return html`<fieldset><legend>Choose the organization this app may act for</legend>
${data.organizations.map(
  (o) => html`<label class="choice"><input type="radio" name="organizations" value="${o.id}"${checked(o === chosen)}> ${label(o)}</label>`,
)}
</fieldset>`;
  }
  const specific = mode === undefined ? data.organizations.some((o) => ticked(o.id)) : mode === 'specific';
  // The boxes in a group of their own inside the choice, so that "selected below" names them (WCAG 1.3.1).
  return html`<fieldset${invalidIf(error, 'organizations', true)}><legend>Organizations this app may act for</legend>
<label class="choice"><input type="radio" name="organization_mode" value="all"${checked(!specific)}> All organizations, including ones you join later</label>
<label class="choice"><input type="radio" name="organization_mode" value="specific"${checked(specific)}> Only the organizations selected below</label>
<fieldset class="nested"><legend>Selected organizations</legend>
${data.organizations.map((o) => html`<label class="choice"><input type="checkbox" name="organizations" value="${o.id}"${checked(ticked(o.id))}> ${label(o)}</label>`)}
</fieldset>
</fieldset>`;
}

export interface ConsentPageOptions {
  data: AuthorizeResponse;
  /** Organization names by id (the response has their slugs only). */
  organizationNames: ReadonlyMap<string, string>;
  /** Organization ids the request named, lowercase; or those ticked in a form shown again. */
  preselected: string[];
  /** The choice of a form shown again (`organization_mode`), kept as the person left it. */
  mode?: 'all' | 'specific' | undefined;
  formAction: string;
  csrfToken: string;
  createOrgUrl: string;
  /** Where the answer goes: its host is shown, since a client's name and logo are whatever its registration says. */
  redirectUri: string;
  user: { email: string; csrfToken: string };
  /** After "Sign out" (to switch accounts), signing in again comes back to this request. */
  signOutReturnTo: string;
  error?: FormError | undefined;
}

/** The host a redirect URI leads to, or a native app's scheme (`com.example.app:`). */
function destination(redirectUri: string): string {
  const url = new URL(redirectUri);
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : url.protocol;
}

/** Logos over https only: the pages' CSP (`img-src https:`) would block a plain http one as mixed content. */
export function consentPage({ data, organizationNames, preselected, mode, formAction, csrfToken, createOrgUrl, redirectUri, user, signOutReturnTo, error }: ConsentPageOptions): string {
  // Allow could only fail: the app acts for exactly one organization and the user has none.
  const cannotAllow = data.requires_single_organization && data.organizations.length === 0;
  const c = data.client;
  const links = [
    c.client_uri ? html`<a href="${c.client_uri}" rel="noopener noreferrer">Website</a>` : '',
    c.tos_uri ? html`<a href="${c.tos_uri}" rel="noopener noreferrer">Terms of service</a>` : '',
    c.policy_uri ? html`<a href="${c.policy_uri}" rel="noopener noreferrer">Privacy policy</a>` : '',
  ].filter((l) => l !== '');
  return layout(
    { title: `Authorize ${c.client_name}`, user, signOutReturnTo },
    html`<div class="card">
<div class="app">${c.logo_uri?.startsWith('https:') ? html`<img src="${c.logo_uri}" alt="">` : ''}<h1>${c.client_name} wants to access your account</h1></div>
<p class="muted">Signed in as ${data.sub?.email ?? ''}. ${links.length ? links.map((l, i) => html`${i ? ' · ' : ''}${l}`) : ''}</p>
${errorParagraph(error)}
<form method="post" action="${formAction}">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<input type="hidden" name="shown_scope" value="${data.scopes.join(' ')}">
<h2>It will be able to</h2>
${scopeGroups(data)}
${organizationPicker(data, organizationNames, preselected, createOrgUrl, mode, error)}
<p class="muted">Either way, you will be sent back to <strong>${destination(redirectUri)}</strong>.</p>
<div class="actions">
${cannotAllow ? '' : html`<button type="submit" name="action" value="allow">Allow</button>`}
<button type="submit" name="action" value="deny" class="secondary">Deny</button>
</div>
</form>
</div>`,
  );
}
