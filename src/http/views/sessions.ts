import type { Session, SessionOrigin } from '../../store/store.js';
import { type PageUser, csrfField } from './console.js';
import { html } from './html.js';
import { layout } from './layout.js';
import { timeElement, utcText } from './time.js';

/** First match wins: Edge and Opera also say Chrome, Chrome also says Safari. */
const BROWSERS: [RegExp, string][] = [
  [/\bEdg(e|A|iOS)?\//, 'Edge'],
  [/\bOPR\//, 'Opera'],
  [/\bFirefox\//, 'Firefox'],
  [/\b(Headless)?Chrom(e|ium)\//, 'Chrome'],
  [/\bSafari\//, 'Safari'],
];
const SYSTEMS: [RegExp, string][] = [
  [/\bAndroid\b/, 'Android'],
  [/\b(iPhone|iPad)\b/, 'iOS'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

/** "Firefox on Linux" from a User-Agent, to tell sessions apart at a glance; the whole string is its title. */
export function browserLabel(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const browser = BROWSERS.find(([pattern]) => pattern.test(userAgent))?.[1];
  const system = SYSTEMS.find(([pattern]) => pattern.test(userAgent))?.[1];
  if (!browser) return userAgent.length > 60 ? `${userAgent.slice(0, 60)}…` : userAgent;
  return system ? `${browser} on ${system}` : browser;
}

/** /settings/sessions: every session of the person, the one in use marked, each other one with a way to end it. */
export function sessionsPage(user: PageUser, sessions: (Session & SessionOrigin)[], current: string, notice?: string): string {
  const others = sessions.filter((s) => s.id !== current).length;
  return layout(
    { title: 'Sessions', user },
    html`<div class="card"><h1>Where you are signed in</h1>
${notice ? html`<p class="notice" role="status">${notice}</p>` : ''}
<p class="muted">Each browser you signed in with, newest first. One you do not recognise? Sign it out, then <a href="/settings/account">change your password</a>. Apps you authorized keep their access (<a href="/settings/oauth">review them</a>).</p>
<table><thead><tr><th scope="col">Signed in</th><th scope="col">Browser</th><th scope="col">From</th><th scope="col"><span class="muted">Actions</span></th></tr></thead><tbody>
${sessions.map(
  (s) => html`<tr><td>${timeElement(s.createdAt)}</td><td title="${s.userAgent ?? ''}">${browserLabel(s.userAgent)}</td><td>${s.ip ?? html`<span class="muted">—</span>`}</td><td>${
    s.id === current
      ? html`<strong>This browser</strong>`
      : html`<form class="inline" method="post" action="/settings/sessions/${s.id}/end">${csrfField(user)}<button class="secondary" type="submit" aria-label="Sign out the session of ${browserLabel(s.userAgent)}, signed in ${utcText(s.createdAt)}">Sign out</button></form>`
  }</td></tr>\n`,
)}</tbody></table>
${others > 0 ? html`<form method="post" action="/settings/sessions/end-others">${csrfField(user)}<div class="actions"><button type="submit">Sign out every other session</button></div></form>` : ''}
</div>`,
  );
}
