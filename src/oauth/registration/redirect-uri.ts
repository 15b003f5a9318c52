/**
 * Redirect URI rules at registration (polar-oauth2.md §3.11, §8.2; RFC 8252 §7):
 * any application scheme, but `http` only for a local host — a private, loopback or link-local IPv4
 * literal (0.0.0.0 included), `localhost` or `*.localhost`. No fragment (RFC 6749 §3.1.2).
 * Stored normalised by the URL parser: lowercase scheme and host, and a bare origin gains `/`.
 */
import { isIPv4 } from 'node:net';

/**
 * Python's `IPv4Address.is_private` (3.12+), which Polar asks of an `http` redirect's host: the
 * private, loopback and link-local ranges, and the reserved and documentation ones with them.
 */
function isLocalIPv4(host: string): boolean {
  if (!isIPv4(host)) return false;
  const [a, b, c, d] = host.split('.').map(Number) as [number, number, number, number];
  return (
    a === 0 || a === 10 || a === 127 || a >= 240 ||
    (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) ||
    (a === 192 && b === 0 && c === 0 && d !== 9 && d !== 10) || (a === 192 && b === 0 && c === 2) ||
    (a === 198 && (b === 18 || b === 19)) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)
  );
}

export const isLocalHost = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost') || isLocalIPv4(host);

export type UriProblem = 'url_parsing' | 'url_scheme' | 'http_not_local' | 'fragment' | 'no_host';

/**
 * Why a URL does not parse, in the words of the Rust `url` crate behind Pydantic's URL types
 * (the `ctx.error` of its 422): read off the parts WHATWG parsing refused.
 */
export function urlParsingError(raw: string): string {
  const scheme = /^[a-zA-Z][a-zA-Z0-9+.-]*:/.exec(raw.trim());
  if (!scheme) return 'relative URL without a base';
  const authority = /^[/\\]*([^/\\?#]*)/.exec(raw.trim().slice(scheme[0].length))?.[1] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const bracketEnd = hostPort.startsWith('[') ? hostPort.indexOf(']') + 1 : 0;
  if (hostPort.startsWith('[') && bracketEnd === 0) return 'invalid IPv6 address';
  const colon = hostPort.indexOf(':', bracketEnd);
  const host = colon === -1 ? hostPort : hostPort.slice(0, colon);
  const port = colon === -1 ? undefined : hostPort.slice(colon + 1);
  if (host === '') return 'empty host';
  if (port !== undefined && (!/^\d*$/.test(port) || Number(port) > 65535)) return 'invalid port number';
  if (host.startsWith('[')) return 'invalid IPv6 address';
  return /^[\d.]+$/.test(host) ? 'invalid IPv4 address' : 'invalid international domain name';
}

export interface CheckedUri {
  normalised?: string;
  problem?: UriProblem;
}

/**
 * Schemes a browser runs or reads locally instead of navigating to an application: a redirect to
 * one would run the attacker's script or page on our error and success redirects, whatever its
 * "host" (`javascript://x/%0Aalert(1)` has one). Polar refuses those without a host only
 * (docs/compatibility.md).
 */
const SCRIPT_SCHEMES = new Set(['javascript:', 'vbscript:', 'data:', 'blob:', 'file:', 'about:']);

/** Checks and normalises a redirect URI. */
export function checkRedirectUri(raw: string): CheckedUri {
  if (!URL.canParse(raw)) return { problem: 'url_parsing' };
  const url = new URL(raw);
  if (SCRIPT_SCHEMES.has(url.protocol)) return { problem: 'no_host' };
  if (url.hash !== '' || raw.includes('#')) return { problem: 'fragment' };
  if (url.protocol === 'http:' && !isLocalHost(url.hostname)) return { problem: 'http_not_local' };
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === '') return { problem: 'no_host' };
  return { normalised: url.href };
}

/** For client_uri, logo_uri, tos_uri, policy_uri: an http(s) URL with a host, no fragment. */
export function checkWebUrl(raw: string): CheckedUri {
  if (!URL.canParse(raw)) return { problem: 'url_parsing' };
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { problem: 'url_scheme' };
  if (url.hash !== '' || raw.includes('#')) return { problem: 'fragment' };
  return { normalised: url.href };
}

/**
 * Whether the `redirect_uri` of an authorization request names a registered one: the exact
 * string (RFC 9700 §2.1), except that the port of an `http` redirect to a loopback IP literal
 * may differ (RFC 8252 §7.3, a MUST: a native app listens on whatever port the system gives it).
 * `localhost` gets no such allowance (RFC 8252 §8.3 advises against it). The URI sent must
 * already be in the parser's normal form, so nothing but the port can differ.
 */
export function isRegisteredRedirect(sent: string, registered: readonly string[]): boolean {
  if (registered.includes(sent)) return true;
  const portless = loopbackWithoutPort(sent);
  return portless !== undefined && registered.some((uri) => loopbackWithoutPort(uri) === portless);
}

function loopbackWithoutPort(uri: string): string | undefined {
  if (!URL.canParse(uri)) return undefined;
  const url = new URL(uri);
  // Written as the parser writes it, so that no other spelling reaches the comparison; but for
  // `:80`, http's default port, which the parser drops and a native app may still name.
  const written = uri.replace(/^(http:\/\/(?:127\.0\.0\.1|\[::1\])):80(?=\/)/, '$1');
  if (url.href !== written || url.protocol !== 'http:' || (url.hostname !== '127.0.0.1' && url.hostname !== '[::1]')) return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  url.port = '';
  return url.href;
}
