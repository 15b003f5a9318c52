import { html } from './html.js';
import { layout } from './layout.js';
import { type PageUser, csrfField } from './console.js';

/**
 * What an action undoes that a person cannot take back with a click: the question, what follows
 * from it, the form that does it and the way back. Each such action is a link to this page and
 * only its button here posts, so a stray click on a list changes nothing (deleting an app,
 * rotating its secret, revoking an app's access, leaving an organization).
 */
export interface Confirmation {
  /** "Delete My App?" */
  question: string;
  consequence: string;
  /** The POST it confirms. */
  action: string;
  button: string;
  /** Where "Cancel" leads. */
  back: string;
  /** Hidden fields the POST carries besides the CSRF token. */
  fields?: Record<string, string>;
}

export const confirmPage = (user: PageUser, c: Confirmation): string =>
  layout(
    { title: c.question.replace(/\?$/, ''), user, narrow: true },
    html`<div class="card"><h1>${c.question}</h1>
<p>${c.consequence}</p>
<form method="post" action="${c.action}">${csrfField(user)}${Object.entries(c.fields ?? {}).map(([name, value]) => html`
<input type="hidden" name="${name}" value="${value}">`)}
<div class="actions"><button class="danger" type="submit">${c.button}</button><a class="button secondary" href="${c.back}">Cancel</a></div>
</form></div>`,
  );
