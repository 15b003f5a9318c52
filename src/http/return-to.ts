/**
 * `return_to` after sign-in must stay on our origin (pitfalls.md): anything that is not a plain
 * absolute path — `//evil`, `/\evil`, `/%09/evil`, control characters — falls back to `/`.
 */
export function safeReturnTo(raw: string | undefined): string {
  if (!raw || !raw.startsWith('/') || raw.startsWith('//') || raw.startsWith('/\\')) return '/';
  if (/[\u0000-\u001f\u007f\\]/.test(raw)) return '/';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return '/';
  }
  // Encoded tricks: a decoded path that starts like a scheme-relative URL is refused too.
  if (/^\/[\s/\\]/.test(decoded) || /[\u0000-\u001f\u007f]/.test(decoded)) return '/';
  const base = new URL('http://borealis.invalid');
  const url = new URL(raw, base);
  // Dot segments can resolve to `//host` (`/.//evil`, `/a/..//evil`): judge the resolved path.
  if (url.origin !== base.origin || /^\/[/\\]/.test(url.pathname)) return '/';
  return url.pathname + url.search + url.hash;
}
