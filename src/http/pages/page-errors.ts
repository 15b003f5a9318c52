/**
 * Pages a person fills in (sign-in, sign-up, sign-out, the developer console, organizations)
 * answer the errors they can act on as pages, not as the API's JSON: a form that expired, came
 * from another site, could not be read or was too large; too many requests; an app that is not
 * theirs or no longer exists; an address that names no page. Anything else is handled as
 * everywhere.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, OAuthError } from '../../oauth/errors.js';
import type { OAuthContext } from '../../oauth/context.js';
import { pageUserOf } from '../csrf.js';
import { handleError } from '../respond.js';
import { currentSession } from '../session.js';
import { type Html, html } from '../views/html.js';
import { layout } from '../views/layout.js';
import { sendPage } from './page.js';

const NOT_FOUND = { status: 404, title: 'Page not found', text: 'There is no page at this address.' };
const notUnderstood = (status: number) => ({ status, title: 'Form not understood', text: 'This form could not be read. Go back, reload the page and try again.' });

function problem(error: unknown): { status: number; title: string; text: string } | undefined {
  // Polar's management answer for an unknown client, or one owned by someone else (§3.12).
  if (error instanceof OAuthError && error.error === 'invalid_client') {
    return { status: 404, title: 'App not found', text: 'This app does not exist, or it is not one of yours.' };
  }
  if (error instanceof ApiError && error.status === 403) {
    return { status: 403, title: 'Form expired', text: 'This form has expired or was sent from another site. Go back, reload the page and try again.' };
  }
  // A malformed form (a field twice, bad encoding, another content type): not what our pages send.
  if (error instanceof OAuthError && error.error === 'invalid_request') return notUnderstood(400);
  const framework = error as { code?: string; statusCode?: number };
  if (framework.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return { status: 413, title: 'Form too large', text: 'What you entered is larger than 64 KiB. Shorten it and try again.' };
  }
  if (framework.statusCode === 429) {
    return { status: 429, title: 'Too many requests', text: 'Too many requests from your address in the last minute. Try again in a minute.' };
  }
  // A path that cannot be decoded names no page (`/settings/oauth/apps/%FF`).
  if (framework.code === 'FST_ERR_BAD_URL') return NOT_FOUND;
  // Anything else Fastify refused before the route ran (a Content-Type it cannot read).
  if (typeof framework.statusCode === 'number' && framework.statusCode >= 400 && framework.statusCode < 500) {
    return notUnderstood(framework.statusCode === 415 ? 415 : 400);
  }
  return undefined;
}

/** The paths of pages, whose errors are pages (the rest is the API's, and answers JSON). */
const PAGE_PATHS = /^\/(settings|login|signup|logout|oauth2\/authorize)(\/|\?|$)/;
export const isPagePath = (url: string) => PAGE_PATHS.test(url);

/**
 * The error handler of the pages, and the 404 of a path under a page's prefix (`/settings/nope`).
 * A signed-in user keeps the navigation of every other page (and its way to sign out).
 */
export function pageErrors(deps: Pick<OAuthContext, 'store' | 'credentials' | 'now' | 'secret'>) {
  async function sendProblem(found: { status: number; title: string; text: string }, request: FastifyRequest, reply: FastifyReply) {
    // An error reading the session (the database is what failed) leaves the navigation out.
    const signedIn = await currentSession(request, deps).catch(() => undefined);
    const user = signedIn && pageUserOf(deps.secret, signedIn);
    const back = request.url.startsWith('/settings') || user
      ? html`<a class="button secondary" href="/settings/oauth">Your apps</a>`
      : html`<a class="button secondary" href="/login">Sign in</a>`;
    return sendPage(reply, found.status, layout({ title: found.title, narrow: true, user }, problemCard(found, back)));
  }
  return {
    handler: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const found = problem(error);
      return found ? sendProblem(found, request, reply) : handleError(error, request, reply);
    },
    notFound: (request: FastifyRequest, reply: FastifyReply) => sendProblem(NOT_FOUND, request, reply),
  };
}

const problemCard = (found: { title: string; text: string }, back: Html) =>
  html`<div class="card"><h1>${found.title}</h1>
<p class="error" role="alert">${found.text}</p>
<div class="actions">${back}</div></div>`;
