/**
 * The pages of links sent by mail (accounts/email-links.ts): asking for a password reset, setting
 * the new password, and confirming an address. The first two are reached signed out, so their
 * forms carry the pre-session CSRF token (csrf.ts, D14); confirming takes the account's session.
 */
import { MIN_PASSWORD } from '../../accounts/accounts.js';
import type { User } from '../../store/store.js';
import { type PageUser, csrfField } from './console.js';
import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { html } from './html.js';
import { layout } from './layout.js';

const tokenField = (csrfToken: string) => html`<input type="hidden" name="csrf_token" value="${csrfToken}">`;

export function forgotPasswordPage(options: { csrfToken: string; email?: string | undefined; error?: FormError | undefined }): string {
  const { error } = options;
  return layout(
    { title: 'Forgot your password?', narrow: true },
    html`<div class="card">
<h1>Forgot your password?</h1>
<p class="muted">We will mail a link to set a new one. It works for an hour.</p>
${errorParagraph(error)}
<form method="post" action="/forgot-password">${tokenField(options.csrfToken)}
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${options.email ?? ''}"${invalidIf(error, 'email')} required autofocus>
<div class="actions"><button type="submit">Send the link</button><a class="button secondary" href="/login">Back to sign-in</a></div>
</form></div>`,
  );
}

/** The same words whether or not an account has that address: the page must not tell (OWASP). */
export const resetLinkSentPage = (email: string): string =>
  layout(
    { title: 'Check your mail', narrow: true },
    html`<div class="card notice" role="status"><h1>Check your mail</h1>
<p>If an account uses <strong>${email}</strong>, a link to set a new password is on its way there. It works for an hour, once; a newer link replaces it.</p>
<p class="muted">Nothing arrived? Look in your spam folder, or ask again in a minute.</p>
<div class="actions"><a class="button secondary" href="/login">Back to sign-in</a></div></div>`,
  );

export function resetPasswordPage(options: { csrfToken: string; token: string; user: User; error?: FormError | undefined }): string {
  const { error, user } = options;
  return layout(
    { title: 'Set a new password', narrow: true },
    html`<div class="card">
<h1>Set a new password</h1>
<p>For <strong>${user.email}</strong>. Every session of this account will be signed out${
      user.emailVerified ? '' : html`, and, as its address was never confirmed, so will every app you or anyone else authorized with it`
    }.</p>
${errorParagraph(error)}
<form method="post" action="/reset-password">${tokenField(options.csrfToken)}
<input type="hidden" name="token" value="${options.token}">
<input type="email" name="username" autocomplete="username" value="${user.email}" hidden>
<label for="new_password">New password <span class="muted">(${MIN_PASSWORD} characters or more)</span></label>
<input id="new_password" name="new_password" type="password" autocomplete="new-password" minlength="${MIN_PASSWORD}"${invalidIf(error, 'new_password')} required autofocus>
${
  user.emailVerified
    ? html`<label class="choice"><input type="checkbox" name="end_app_access"> Also end the access of every app I authorized (someone else may have had my password)</label>`
    : ''
}
<div class="actions"><button type="submit">Set password</button></div>
</form></div>`,
  );
}

export const passwordResetPage = (tokensRevoked: boolean): string =>
  layout(
    { title: 'Password changed', narrow: true },
    html`<div class="card notice" role="status"><h1>Password changed</h1>
<p>Sign in with your new password. Every session of the account was signed out${tokensRevoked ? html`, and every app's access to it ended` : ''}.</p>
<div class="actions"><a class="button" href="/login">Sign in</a></div></div>`,
  );

/** A link that does not work (any reason): where to get a new one. */
export const linkInvalidPage = (purpose: 'verify_email' | 'reset_password'): string =>
  layout(
    { title: 'Link not valid', narrow: true },
    html`<div class="card"><h1>Link not valid</h1>
<p class="error" role="alert">This link was used, has expired, or a newer one replaced it.</p>
<div class="actions">${
      purpose === 'reset_password'
        ? html`<a class="button" href="/forgot-password">Ask for a new link</a>`
        : html`<a class="button" href="/settings/account">Send a new link from your account</a>`
    }</div></div>`,
  );

/** Opening a confirmation link, signed in to its account, shows this button: a mail scanner fetching the link confirms nothing. */
export const verifyEmailPage = (options: { user: PageUser; token: string }): string =>
  layout(
    { title: 'Confirm your email address', user: options.user, narrow: true },
    html`<div class="card"><h1>Confirm your email address</h1>
<p>Confirm that <strong>${options.user.email}</strong> is your address. Apps you sign in to will be told it is confirmed.</p>
<form method="post" action="/verify-email">${csrfField(options.user)}
<input type="hidden" name="token" value="${options.token}">
<div class="actions"><button type="submit">Confirm</button></div>
</form></div>`,
  );

/** A confirmation link opened without its account's session: signing in to that account comes first. */
export const signInToConfirmPage = (email: string, returnTo: string, user: PageUser | undefined): string =>
  layout(
    { title: 'Sign in to confirm', user, narrow: true },
    html`<div class="card"><h1>Sign in to confirm</h1>
<p>To confirm <strong>${email}</strong>, sign in to its account first${user ? html`: you are signed in as ${user.email}` : ''}.</p>
<div class="actions"><a class="button" href="/login?return_to=${encodeURIComponent(returnTo)}">Sign in</a></div></div>`,
  );

export const emailVerifiedPage = (user: PageUser): string =>
  layout(
    { title: 'Address confirmed', user, narrow: true },
    html`<div class="card notice" role="status"><h1>Address confirmed</h1>
<p><strong>${user.email}</strong> is confirmed.</p>
<div class="actions"><a class="button secondary" href="/settings/account">Your account</a></div></div>`,
  );
