/**
 * The /settings pages (the developer console, organizations) answer the errors a person can act
 * on as pages, not as the API's JSON: an app that is not theirs or no longer exists, a form that
 * expired or came from another site, too many new apps. Anything else is handled as everywhere.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, OAuthError } from '../../oauth/errors.js';
import { handleError } from '../respond.js';
import { html } from '../views/html.js';
import { layout } from '../views/layout.js';
import { sendPage } from './page.js';

function problem(error: unknown): { status: number; title: string; text: string } | undefined {
  // Polar's management answer for an unknown client, or one owned by someone else (§3.12).
  if (error instanceof OAuthError && error.error === 'invalid_client') {
    return { status: 404, title: 'App not found', text: 'This app does not exist, or it is not one of yours.' };
  }
  if (error instanceof ApiError && error.status === 403) {
    return { status: 403, title: 'Form expired', text: 'This form has expired or was sent from another site. Go back, reload the page and try again.' };
  }
  if ((error as { statusCode?: number }).statusCode === 429) {
    return { status: 429, title: 'Too many requests', text: 'Too many new apps from your address in the last minute. Try again in a minute.' };
  }
  return undefined;
}

export function settingsErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const found = problem(error);
  if (!found) return handleError(error, request, reply);
  return sendPage(
    reply,
    found.status,
    layout(
      { title: found.title, narrow: true },
      html`<div class="card"><h1>${found.title}</h1>
<p class="error" role="alert">${found.text}</p>
<div class="actions"><a class="button secondary" href="/settings/oauth">Your apps</a></div></div>`,
    ),
  );
}
