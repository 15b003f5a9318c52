import { isPublic } from '../../oauth/clients.js';
import type { Client } from '../../store/store.js';
import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { type Html, html } from './html.js';
import { layout } from './layout.js';

export interface PageUser {
  email: string;
  csrfToken: string;
}

export interface AuthorizedApp {
  clientId: string;
  name: string;
  scope: string;
  /** Slugs of the chosen organizations the user is still a member of. */
  organizations: string[];
  /** Consented for all organizations (no down-scope). */
  allOrganizations: boolean;
}

/** The hidden CSRF field every form of a signed-in page carries (D14). */
export const csrfField = (user: PageUser) => html`<input type="hidden" name="csrf_token" value="${user.csrfToken}">`;

/** `canCreate`: false when BOREALIS_REGISTRATION is `closed`, which the console obeys as RFC 7591 does. */
export function consolePage(user: PageUser, apps: Client[], authorized: AuthorizedApp[], canCreate: boolean, notice?: string): string {
  return layout(
    { title: 'OAuth apps', user },
    html`${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<div class="card">
<h1>My OAuth apps</h1>
${
  apps.length
    ? html`<table><thead><tr><th scope="col">Name</th><th scope="col">Client ID</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${apps.map(
  (a) => html`<tr><td>${a.metadata.client_name}</td><td><code>${a.clientId}</code></td><td><a href="/settings/oauth/apps/${a.clientId}">Edit</a></td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">You have not created an app yet.</p>`
}
${canCreate ? html`<div class="actions"><a class="button" href="/settings/oauth/new">New OAuth app</a></div>` : ''}
</div>
<div class="card">
<h2>Authorized apps</h2>
${
  authorized.length
    ? html`<table><thead><tr><th scope="col">App</th><th scope="col">Access</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${authorized.map(
  (a) => html`<tr><td>${a.name}</td><td><code>${a.scope}</code><br><span class="muted">${
    a.allOrganizations
      ? 'All organizations'
      : a.organizations.length
        ? `Organizations: ${a.organizations.join(', ')}`
        : 'No organization: you are no longer a member of those chosen'
  }</span></td><td>
<a class="button secondary" href="/settings/oauth/authorized/${a.clientId}/revoke" aria-label="Revoke access for ${a.name}">Revoke…</a></td></tr>`,
)}</tbody></table>`
    : html`<p class="muted">No app has access to your account.</p>`
}
</div>`,
  );
}

export interface AppFormValues {
  client_name: string;
  redirect_uris: string;
  scope: string;
  token_endpoint_auth_method: string;
  client_uri: string;
  logo_uri: string;
  tos_uri: string;
  policy_uri: string;
}

interface FieldOptions {
  type?: string;
  hint?: string;
  required?: boolean;
}

function field(id: keyof AppFormValues, label: string, values: AppFormValues, error: FormError | undefined, options: FieldOptions = {}): Html {
  const { type = 'url', hint = '(optional)', required = false } = options;
  return html`<label for="${id}">${label} <span class="muted">${hint}</span></label>
<input id="${id}" name="${id}" type="${type}" value="${values[id]}"${invalidIf(error, id)}${required ? html` required` : ''}>`;
}

/** The app settings form card, shared by "new app" (its page's h1) and "edit app" (under the app's name). */
/** `fields`: hidden ones besides the CSRF token (a new app's row id and its proof). */
function appForm(user: PageUser, values: AppFormValues, action: string, heading: Html, error?: FormError, fields: Record<string, string> = {}): Html {
  const methods = ['client_secret_post', 'client_secret_basic', 'none'];
  return html`<div class="card">${heading}
${errorParagraph(error)}
<form method="post" action="${action}">${csrfField(user)}${Object.entries(fields).map(([name, value]) => html`
<input type="hidden" name="${name}" value="${value}">`)}
${field('client_name', 'Name', values, error, { type: 'text', hint: '(required)', required: true })}
<label for="redirect_uris">Redirect URIs <span class="muted">(required; one per line, exact match)</span></label>
<textarea id="redirect_uris" name="redirect_uris"${invalidIf(error, 'redirect_uris')} required>${values.redirect_uris}</textarea>
${field('scope', 'Scopes', values, error, { type: 'text', hint: '(required; space-separated)', required: true })}
<label for="token_endpoint_auth_method">Client authentication</label>
<select id="token_endpoint_auth_method" name="token_endpoint_auth_method"${invalidIf(error, 'token_endpoint_auth_method')}>
${methods.map((m) => html`<option value="${m}"${m === values.token_endpoint_auth_method ? html` selected` : ''}>${m === 'none' ? 'none (public client, PKCE)' : m}</option>`)}
</select>
${field('client_uri', 'Homepage', values, error)}
${field('logo_uri', 'Logo URL', values, error)}
${field('tos_uri', 'Terms of service URL', values, error)}
${field('policy_uri', 'Privacy policy URL', values, error)}
<div class="actions"><button type="submit">Save</button><a class="button secondary" href="/settings/oauth">Cancel</a></div>
</form></div>`;
}

export const newAppPage = (user: PageUser, values: AppFormValues, fields: Record<string, string>, error?: FormError): string =>
  layout({ title: 'New OAuth app', user }, appForm(user, values, '/settings/oauth/new', html`<h1>New OAuth app</h1>`, error, fields));

export const registrationClosedPage = (user: PageUser): string =>
  layout(
    { title: 'New OAuth app', user },
    html`<div class="card"><h1>New OAuth app</h1>
<p class="error" role="alert">Client registration is closed on this server.</p>
<p>Ask its operator to register the app (<code>borealis clients create</code>).</p>
<div class="actions"><a class="button secondary" href="/settings/oauth">Back</a></div></div>`,
  );

/** Shown by console.js (no script, no button); what it did is said in the status beside it (WCAG 4.1.3). */
export const copyButton = (target: string, label: string) =>
  html`<button type="button" class="secondary" data-copy="${target}" hidden>${label}</button> <span class="muted" role="status" data-copy-status="${target}"></span>`;

export function appPage(user: PageUser, client: Client, values: AppFormValues, options: { secret?: string; error?: FormError; notice?: string } = {}): string {
  const base = `/settings/oauth/apps/${client.clientId}`;
  return layout(
    { title: client.metadata.client_name, user, scripts: ['/assets/console.js'] },
    html`<div class="card"><h1>${client.metadata.client_name}</h1>
<p>Client ID <span class="secret" id="client-id">${client.clientId}</span></p>
<div class="actions">${copyButton('client-id', 'Copy client ID')}</div>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
</div>
${
  options.secret && !isPublic(client)
    ? html`<div class="card notice" role="status"><h2>Copy the client secret now</h2>
<p>It is shown only once. Store it somewhere safe.</p>
<span class="secret" id="client-secret" data-page="${base}">${options.secret}</span>
<div class="actions">${copyButton('client-secret', 'Copy secret')}</div></div>`
    : ''
}
${appForm(user, values, base, html`<h2>Settings</h2>`, options.error)}
<div class="card"><h2>Client secret</h2>
${
  isPublic(client)
    ? html`<p class="muted">A public client (authentication: none) has no secret; it proves itself with PKCE.</p>`
    : html`<p class="muted">Rotating issues a new secret, and a new registration access token (RFC 7592); the old ones stop working at once.</p>
<a class="button secondary" href="${base}/rotate-secret">Rotate secret…</a>`
}
<h2>Delete this app</h2>
<p class="muted">Its tokens stop working at once.</p>
<a class="button secondary" href="${base}/delete">Delete…</a>
</div>`,
  );
}
