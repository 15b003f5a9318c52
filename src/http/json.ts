/**
 * The two JSON dialects of Polar's stack (polar-oauth2.md §2.3): authlib's bodies (token
 * responses, RFC 6749 errors) are Python `json.dumps` defaults — `", "` and `": "` separators,
 * non-ASCII escaped — while FastAPI's bodies are compact UTF-8. Key order is insertion order.
 */
const NON_ASCII = /[\u0080-\uffff]/;
const escapeNonAscii = (s: string) =>
  NON_ASCII.test(s) ? s.replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')) : s;

export function authlibJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return escapeNonAscii(JSON.stringify(value) ?? 'null');
  if (Array.isArray(value)) return '[' + value.map(authlibJson).join(', ') + ']';
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return '{' + entries.map(([k, v]) => `${escapeNonAscii(JSON.stringify(k))}: ${authlibJson(v)}`).join(', ') + '}';
}

export const compactJson = (value: unknown): string => JSON.stringify(value);
