import type { SecurityEvent } from '../../store/security-events.js';
import { type PageUser } from './console.js';
import { type Html, html } from './html.js';
import { layout } from './layout.js';
import { timeElement } from './time.js';

/** Names of the apps and organizations the page's events name; a missing one was deleted. */
export interface EventNames {
  apps: Map<string, string | undefined>;
  organizations: Map<string, string | undefined>;
}

const app = (e: SecurityEvent, names: EventNames) => {
  const name = e.clientId === null ? undefined : names.apps.get(e.clientId);
  return name === undefined ? html`an app since deleted` : html`<strong>${name}</strong>`;
};
const organization = (e: SecurityEvent, names: EventNames) => {
  const name = e.organizationId === null ? undefined : names.organizations.get(e.organizationId);
  return name === undefined ? html`an organization since deleted` : html`<strong>${name}</strong>`;
};

const PASSWORD_CHANGED_BY: Record<string, string> = {
  user: 'You changed your password',
  reset_link: 'Your password was reset with a mailed link',
  operator: 'An administrator set a new password',
};

/** One event in words, as its owner reads it. */
function describe(e: SecurityEvent, names: EventNames): Html | string {
  const d = e.details;
  switch (e.type) {
    case 'sign_in.succeeded':
      return 'Signed in';
    case 'password.changed':
      return `${PASSWORD_CHANGED_BY[String(d.by)] ?? 'Your password was changed'}${d.tokens_revoked === true ? ', and every app’s access was ended' : ''}`;
    case 'password.reset_requested':
      return 'A password reset link was mailed';
    case 'email.verification_sent':
      return 'A link to confirm your address was mailed';
    case 'email.verified':
      return 'Your email address was confirmed';
    case 'sessions.ended':
      return d.count === 1 ? 'You signed out one other session' : `You signed out ${d.count} other sessions`;
    case 'user.blocked':
      return 'An administrator blocked the account';
    case 'user.unblocked':
      return 'An administrator unblocked the account';
    case 'client.created':
      return html`You created the app ${app(e, names)}`;
    case 'consent.revoked':
      return html`You ended the access of ${app(e, names)}`;
    case 'refresh_token.reuse_detected':
    case 'authorization_code.reuse_detected':
      return html`${app(e, names)} presented a credential already used, a sign of theft: the access it came from was ended`;
    case 'organization.member_added':
      return d.via === 'invitation' ? html`You joined ${organization(e, names)}` : html`An administrator added you to ${organization(e, names)}`;
    case 'organization.member_removed':
      return d.via === 'left' ? html`You left ${organization(e, names)}` : html`An administrator removed you from ${organization(e, names)}`;
    case 'invitation.created':
      return html`You made an invitation link to ${organization(e, names)}`;
    case 'invitation.withdrawn':
      return html`You withdrew an invitation link to ${organization(e, names)}`;
    default:
      return e.type;
  }
}

export interface SecurityLogPage {
  events: SecurityEvent[];
  names: EventNames;
  page: number;
  maxPage: number;
  /** How many days events are kept (BOREALIS_SECURITY_EVENT_DAYS). */
  days: number;
}

/** /settings/security-log: what happened to the account, newest first. */
export function securityLogPage(user: PageUser, log: SecurityLogPage): string {
  const { events, page, maxPage } = log;
  const pages = [
    page > 1 ? html`<a href="/settings/security-log?page=${page - 1}">Newer</a>` : '',
    page < maxPage ? html`<a href="/settings/security-log?page=${page + 1}">Older</a>` : '',
  ].filter((link) => link !== '');
  return layout(
    { title: 'Security log', user },
    html`<div class="card"><h1>Security log</h1>
<p class="muted">Sign-ins and changes to your account over the last ${log.days} days, newest first. Something you do not recognise? Sign out <a href="/settings/sessions">the sessions</a> you do not know, <a href="/settings/account">change your password</a> and review your <a href="/settings/oauth">authorized apps</a>.</p>
${
  events.length === 0
    ? html`<p>Nothing has been recorded${page > 1 ? ' on this page' : ''}.</p>`
    : html`<table><thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">From</th></tr></thead><tbody>
${events.map((e) => html`<tr><td>${timeElement(e.occurredAt)}</td><td>${describe(e, log.names)}</td><td>${e.ip ?? html`<span class="muted">—</span>`}</td></tr>\n`)}</tbody></table>`
}
${pages.length > 0 ? html`<nav class="actions" aria-label="Pages">${pages}</nav>` : ''}
</div>`,
  );
}
