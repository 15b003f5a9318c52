/**
 * OAuth request parameters as the protocol core sees them (polar-oauth2.md §2.5 with D16):
 * the query string and the form body, kept apart because some values may come only from the body.
 * RFC 6749 §3.1: a parameter without a value is treated as omitted; a parameter sent more than
 * once is an error (D16), detected when it is read, so every endpoint checks what it consumes.
 */
import { invalidRequest } from './errors.js';

export type ParamMap = ReadonlyMap<string, readonly string[]>;

/** Names that may legitimately repeat (§2.5: `organizations` is multi-valued). */
const MULTI_VALUED = new Set(['organizations']);

export class Params {
  constructor(
    readonly query: ParamMap,
    readonly body: ParamMap,
  ) {}

  private values(name: string, bodyOnly: boolean): string[] {
    const fromBody = this.body.get(name) ?? [];
    if (bodyOnly) return [...fromBody];
    return [...(this.query.get(name) ?? []), ...fromBody];
  }

  private single(name: string, bodyOnly: boolean): string | undefined {
    const all = this.values(name, bodyOnly);
    // D16: a repeat anywhere (query or body) is an error, even where only the body is read.
    if (this.values(name, false).length > 1 && !MULTI_VALUED.has(name)) {
      throw invalidRequest(`Multiple '${name}' in request.`);
    }
    return all[0];
  }

  /** A value from the query or the body. */
  get(name: string): string | undefined {
    return this.single(name, false);
  }

  /** A value that only the form body may carry (`code`, `refresh_token`, `client_secret`, …). */
  fromBody(name: string): string | undefined {
    return this.single(name, true);
  }

  /** Every value of a multi-valued parameter, query first. */
  all(name: string): string[] {
    return this.values(name, false);
  }

  /** Fails with `Multiple '<name>'` for the first of `names` that repeats. */
  assertSingle(names: readonly string[]): void {
    for (const name of names) this.single(name, false);
  }
}

/**
 * Decodes `application/x-www-form-urlencoded` (also a query string) strictly: a malformed
 * percent-escape or invalid UTF-8 is an error rather than a silent U+FFFD.
 */
export function decodeForm(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (raw === '') return out;
  for (const pair of raw.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    if (value === '') continue; // RFC 6749 §3.1: empty means omitted.
    const list = out.get(name);
    if (list) list.push(value);
    else out.set(name, [value]);
  }
  return out;
}

/** Credentials, ids and most values are plain ASCII with nothing to decode. */
const NEEDS_DECODING = /[%+\u0000]/;

function decodeComponent(text: string): string {
  if (!NEEDS_DECODING.test(text)) return text;
  try {
    const value = decodeURIComponent(text.replaceAll('+', ' '));
    if (value.includes('\u0000')) throw new Error('NUL');
    return value;
  } catch {
    throw invalidRequest('The request is malformed: invalid percent-encoding, UTF-8 or NUL byte.');
  }
}
