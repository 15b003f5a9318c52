import { html } from './html.js';
import { layout } from './layout.js';

export function loginPage(returnTo: string, error?: string): string {
  return layout(
    'Sign in',
    html`<main>
<h1>Sign in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/login">
<input type="hidden" name="return_to" value="${returnTo}">
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required autofocus>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
</main>`,
  );
}
