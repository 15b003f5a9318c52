import { errorParagraph, type FormError, invalidIf } from './form-error.js';
import { html } from './html.js';
import { layout } from './layout.js';

export interface AuthFormOptions {
  returnTo: string;
  /** The form's pre-session CSRF token (csrf.ts, D14). */
  csrfToken: string;
  error?: FormError | undefined;
  email?: string | undefined;
  /** Sign-up's name, kept when the form comes back with an error. */
  name?: string | undefined;
  signupOpen: boolean;
  /** A mail relay is configured: "Forgot your password?" is offered (email-links.ts). */
  passwordReset: boolean;
}

export function loginPage({ returnTo, csrfToken, error, email, signupOpen, passwordReset }: AuthFormOptions): string {
  const signupLink = `/signup?return_to=${encodeURIComponent(returnTo)}`;
  return layout(
    { title: 'Sign in', narrow: true },
    html`<div class="card">
<h1>Sign in</h1>
${errorParagraph(error)}
<form method="post" action="/login">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<input type="hidden" name="return_to" value="${returnTo}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${email ?? ''}"${invalidIf(error, 'email')} required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"${invalidIf(error, 'password')} required>
<div class="actions"><button type="submit">Sign in</button>${passwordReset ? html`<a class="button secondary" href="/forgot-password">Forgot your password?</a>` : ''}</div>
</form>
${signupOpen ? html`<p class="muted">No account yet? <a href="${signupLink}">Create one</a>.</p>` : ''}
</div>`,
  );
}

export function signupPage({ returnTo, csrfToken, error, email, name }: AuthFormOptions): string {
  return layout(
    { title: 'Create an account', narrow: true },
    html`<div class="card">
<h1>Create an account</h1>
${errorParagraph(error)}
<form method="post" action="/signup">
<input type="hidden" name="csrf_token" value="${csrfToken}">
<input type="hidden" name="return_to" value="${returnTo}">
<label for="name">Name <span class="muted">(optional)</span></label>
<input id="name" name="name" type="text" autocomplete="name" value="${name ?? ''}"${invalidIf(error, 'name')}>
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" value="${email ?? ''}"${invalidIf(error, 'email')} required>
<label for="password">Password <span class="muted">(8 characters or more)</span></label>
<input id="password" name="password" type="password" autocomplete="new-password" minlength="8"${invalidIf(error, 'password')} required>
<div class="actions"><button type="submit">Create account</button></div>
</form>
<p class="muted">Already have an account? <a href="/login?return_to=${encodeURIComponent(returnTo)}">Sign in</a>.</p>
</div>`,
  );
}

/**
 * A sign-out form from a page older than the current sign-in (another tab signed in again): its
 * token is no longer this session's (D14), so the person is asked once more with a fresh form
 * rather than left signed in at a dead end.
 */
export function signOutAgainPage(user: { email: string; csrfToken: string }, returnTo: string): string {
  return layout(
    { title: 'Sign out', narrow: true },
    html`<div class="card">
<h1>Sign out?</h1>
<p>That page was older than your current sign-in, as ${user.email}.</p>
<form method="post" action="/logout">
<input type="hidden" name="csrf_token" value="${user.csrfToken}">
<input type="hidden" name="return_to" value="${returnTo}">
<div class="actions"><button type="submit">Sign out</button><a class="button secondary" href="/settings/oauth">Stay signed in</a></div>
</form></div>`,
  );
}
