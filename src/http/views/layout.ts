import { type Html, html } from './html.js';

export interface LayoutOptions {
  title: string;
  /** The signed-in user's email: shows the navigation and the sign-out button. */
  user?: { email: string; csrfToken: string } | undefined;
  narrow?: boolean;
  scripts?: string[];
  /** Where signing in again after "Sign out" leads: the page itself, when it makes sense to come back. */
  signOutReturnTo?: string;
}

export function layout(options: LayoutOptions, body: Html): string {
  const { title, user } = options;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Borealis</title>
<link rel="stylesheet" href="/assets/style.css">
${['/assets/forms.js', ...(options.scripts ?? [])].map((src) => html`<script src="${src}" defer></script>`)}
</head>
<body>
<header class="top">
<a class="brand" href="/">Borealis</a>
${
  user
    ? html`<nav aria-label="Account">
<a href="/settings/oauth">OAuth apps</a>
<a href="/settings/organizations">Organizations</a>
<a href="/settings/account">Account</a>
<span class="muted">${user.email}</span>
<form class="inline" method="post" action="/logout"><input type="hidden" name="csrf_token" value="${user.csrfToken}">${
        options.signOutReturnTo ? html`<input type="hidden" name="return_to" value="${options.signOutReturnTo}">` : ''
      }<button class="link" type="submit">Sign out</button></form>
</nav>`
    : ''
}
</header>
<main${options.narrow ? html` class="narrow"` : ''}>
${body}
</main>
</body>
</html>`.value;
}
