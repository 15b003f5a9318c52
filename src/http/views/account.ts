import { MIN_PASSWORD } from '../../accounts/accounts.js';
import { type PageUser, csrfField } from './console.js';
import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { html } from './html.js';
import { layout } from './layout.js';

export interface AccountPageOptions {
  error?: FormError | undefined;
  notice?: string | undefined;
  /** A mail relay is configured: an unconfirmed address gets a button that mails a link (email-links.ts). */
  canMail?: boolean;
  /** The error of that button's form. */
  mailError?: string | undefined;
  /** Security events are kept: the page links to the person's log of them. */
  securityLog?: boolean;
}

/** Whether the address is confirmed, and the way to confirm it. */
const addressStatus = (user: PageUser & { emailVerified: boolean }, options: AccountPageOptions) =>
  user.emailVerified
    ? html`<p>Your email address is confirmed.</p>`
    : html`<p>Your email address is not confirmed yet: apps you sign in to are told so.</p>
${options.mailError ? html`<p class="error" role="alert">${options.mailError}</p>` : ''}${
        options.canMail
          ? html`<form method="post" action="/settings/account/verify-email">${csrfField(user)}<div class="actions"><button class="secondary" type="submit">Mail me a confirmation link</button></div></form>`
          : ''
      }`;

/** /settings/account: who is signed in, whether their address is confirmed, and changing the password (which ends the other sessions). */
export function accountPage(user: PageUser & { name: string | null; emailVerified: boolean }, options: AccountPageOptions = {}): string {
  const { error } = options;
  return layout(
    { title: 'Account', user, narrow: true },
    html`<div class="card"><h1>Account</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
<p>Signed in as <strong>${user.email}</strong>${user.name ? html` (${user.name})` : ''}.</p>
${addressStatus(user, options)}
<p>See <a href="/settings/sessions">where you are signed in</a>, and sign out a browser you do not recognise.${
    options.securityLog ? html` Your <a href="/settings/security-log">security log</a> lists recent sign-ins and changes to your account.` : ''
  }</p>
<h2>Change password</h2>
<p class="muted">You stay signed in here; every other session is signed out. Apps you authorized keep their access (<a href="/settings/oauth">review them</a>).</p>
${errorParagraph(error)}
<form method="post" action="/settings/account/password">${csrfField(user)}
<input type="email" name="username" autocomplete="username" value="${user.email}" hidden>
<label for="current_password">Current password</label>
<input id="current_password" name="current_password" type="password" autocomplete="current-password"${invalidIf(error, 'current_password')} required>
<label for="new_password">New password <span class="muted">(${MIN_PASSWORD} characters or more)</span></label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD}"${invalidIf(error, 'new_password')} required>
<div class="actions"><button type="submit">Change password</button></div>
</form>
<h2>Delete account</h2>
<p class="muted">Your sign-ins, consents, memberships and the apps you made go with it.</p>
<div class="actions"><a class="button secondary" href="/settings/account/delete">Delete my account…</a></div></div>`,
  );
}

/**
 * What deleting the account ends, and the form that does it. The password is asked again (a
 * re-authentication, as for changing it): a session left open is not enough to erase an account.
 */
export function deleteAccountPage(user: PageUser, error?: FormError): string {
  return layout(
    { title: 'Delete account', user, narrow: true },
    html`<div class="card"><h1>Delete your account?</h1>
<p>Deleting <strong>${user.email}</strong> cannot be undone. Every session is signed out, every app you authorized loses its access, you leave your organizations, and the apps you made in the developer console are deleted, for everyone who uses them. The address can then make a new account.</p>
${errorParagraph(error)}
<form method="post" action="/settings/account/delete">${csrfField(user)}
<input type="email" name="username" autocomplete="username" value="${user.email}" hidden>
<label for="password">Your password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${invalidIf(error, 'password')} required>
<div class="actions"><button class="danger" type="submit">Delete my account</button><a class="button secondary" href="/settings/account">Cancel</a></div>
</form></div>`,
  );
}

/** After the deletion: no one is signed in any more. */
export const accountDeletedPage = (): string =>
  layout(
    { title: 'Account deleted', narrow: true },
    html`<div class="card"><h1>Account deleted</h1>
<p>Your account and everything it held are gone.</p>
<div class="actions"><a class="button secondary" href="/login">Sign in</a></div></div>`,
  );
