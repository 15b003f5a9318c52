/** The one escaping template helper: every interpolated value is escaped unless it is already Html. */
export class Html {
  constructor(readonly value: string) {}
  toString() {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
/**
 * Bidi embedding, override and isolate controls (UAX #9: U+202A–U+202E, U+2066–U+2069) are left
 * out of pages. An app's name ending in an unclosed RIGHT-TO-LEFT OVERRIDE reversed the words
 * after it ("… wants to access your account", an inviter's address): spoofing of the kind of
 * "Trojan Source" (CVE-2021-42574). Text in any script reads as it should without them.
 */
const BIDI_CONTROLS = /[\u202a-\u202e\u2066-\u2069]/g;
export const escapeHtml = (text: string) => text.replace(BIDI_CONTROLS, '').replace(/[&<>"']/g, (c) => ESCAPES[c] as string);

type Value = string | number | Html | undefined | null | false | Value[];

function render(value: Value): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => (out += render(value) + (strings[i + 1] ?? '')));
  return new Html(out);
}
