/**
 * The two JSON dialects of Polar's stack (polar-oauth2.md §2.3): authlib's bodies (token
 * responses, RFC 6749 errors) are Python `json.dumps` defaults — `", "` and `": "` separators,
 * non-ASCII escaped — while FastAPI's bodies are compact UTF-8. Key order is insertion order.
 */
// Python escapes everything outside space…`~`: JSON.stringify has done the controls below
// space the same way, which leaves DEL (U+007F) and all beyond ASCII.
const NON_ASCII = /[\u007f-\uffff]/;
const escapeNonAscii = (s: string) =>
  NON_ASCII.test(s) ? s.replace(/[\u007f-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : s;

/** Python's separators; escaping is left to `authlibJson`, once for the whole text. */
function dumps(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ', ' : '') + dumps(value[i]);
    return out + ']';
  }
  // A plain loop: this runs for every token response and introspection answer.
  out = '{';
  for (const key of Object.keys(value)) {
    const v = (value as Record<string, unknown>)[key];
    if (v === undefined) continue;
    out += (out.length > 1 ? ', ' : '') + JSON.stringify(key) + ': ' + dumps(v);
  }
  return out + '}';
}

/** Non-ASCII can only occur inside strings (JSON's own syntax is ASCII), so one pass escapes it all. */
export const authlibJson = (value: unknown): string => escapeNonAscii(dumps(value));

export const compactJson = (value: unknown): string => JSON.stringify(value);
