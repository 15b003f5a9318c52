import { html } from './html.js';
import { layout } from './layout.js';

/** Errors that must not redirect (unknown client, unregistered redirect URI, tampered form); `user`: who is signed in, for the navigation. */
export function errorPage(error: string, description: string | undefined, user?: { email: string; csrfToken: string } | undefined): string {
  const advice: Record<string, string> = {
    invalid_client: 'The application that sent you here is not registered with this server. Contact its developer.',
    invalid_request: 'The link that sent you here is malformed or was changed. Go back to the application and start again.',
    access_denied: 'The form expired or was submitted from another site. Go back to the application and start again.',
  };
  return layout(
    { title: 'Authorization error', user, narrow: true },
    html`<div class="card">
<h1>This request cannot be completed</h1>
<p class="error" role="alert">${description ?? 'The request is invalid.'}</p>
<p>${advice[error] ?? 'Go back to the application and try again.'}</p>
<p class="muted">Error code: <code>${error}</code></p>
</div>`,
  );
}
