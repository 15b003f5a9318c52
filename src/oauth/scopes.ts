/**
 * Polar's scope enum (polar-oauth2.md §7): 63 values in declaration order, 61 of them public.
 * Scope strings are space-separated (RFC 6749 §3.3).
 */

const RESOURCES: readonly [string, string, readonly ('read' | 'write')[]][] = [
  ['user', 'your user account', ['read', 'write']],
  ['organizations', 'your organizations', ['read', 'write']],
  ['custom_fields', 'custom fields', ['read', 'write']],
  ['discounts', 'discounts', ['read', 'write']],
  ['checkout_links', 'checkout links', ['read', 'write']],
  ['checkouts', 'checkout sessions', ['read', 'write']],
  ['transactions', 'transactions', ['read', 'write']],
  ['payouts', 'payouts', ['read', 'write']],
  ['products', 'products', ['read', 'write']],
  ['benefits', 'benefits', ['read', 'write']],
  ['events', 'events', ['read', 'write']],
  ['meters', 'meters', ['read', 'write']],
  ['files', 'file uploads', ['read', 'write']],
  ['subscriptions', 'subscriptions', ['read', 'write']],
  ['customers', 'customers', ['read', 'write']],
  ['members', 'members', ['read', 'write']],
  ['wallets', 'wallets', ['read', 'write']],
  ['disputes', 'disputes', ['read', 'write']],
  ['customer_meters', 'customer meters', ['read']],
  ['customer_sessions', 'customer sessions', ['write']],
  ['member_sessions', 'member sessions', ['write']],
  ['customer_seats', 'customer seats', ['read', 'write']],
  ['orders', 'orders', ['read', 'write']],
  ['refunds', 'refunds', ['read', 'write']],
  ['payments', 'payments', ['read']],
  ['metrics', 'metrics', ['read', 'write']],
  ['webhooks', 'webhooks', ['read', 'write']],
  ['license_keys', 'license keys', ['read', 'write']],
  ['customer_portal', 'the customer portal', ['read', 'write']],
  ['notifications', 'notifications', ['read', 'write']],
  ['notification_recipients', 'notification recipients', ['read', 'write']],
  ['organization_access_tokens', 'organization access tokens', ['read', 'write']],
];

/** Every scope and the label the consent screen shows for it (AuthorizeResponse.scope_display_names). */
export const SCOPE_DISPLAY_NAMES: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries([
    ['openid', 'OpenID'],
    ['profile', 'Read your profile'],
    ['email', 'Read your email address'],
    ...RESOURCES.flatMap(([resource, label, modes]) =>
      modes.map((mode) => [`${resource}:${mode}`, mode === 'read' ? `Read ${label}` : `Create or modify ${label}`]),
    ),
  ]),
);

/** The full enum, 63 values: what authorize and the web grant accept. */
export const ALL_SCOPES: readonly string[] = Object.freeze(Object.keys(SCOPE_DISPLAY_NAMES));
const KNOWN = new Set(ALL_SCOPES);

/** Reserved for internally created clients: never advertised nor self-registered. */
const RESERVED = new Set(['organization_access_tokens:read', 'organization_access_tokens:write']);

/** The 61 public scopes: discovery's `scopes_supported` and the registration default. */
export const PUBLIC_SCOPES: readonly string[] = Object.freeze(ALL_SCOPES.filter((s) => !RESERVED.has(s)));

export const splitScope = (scope: string): string[] => scope.split(' ').filter((s) => s !== '');

export const isKnownScope = (scope: string): boolean => KNOWN.has(scope);

/**
 * §5.1: keep the requested values present in the client's registered scope, in request order;
 * duplicates are kept, as Polar does, so the granted string is predictable from the request.
 */
export function narrowScope(requested: string, registered: string): string {
  const allowed = new Set(splitScope(registered));
  return splitScope(requested)
    .filter((s) => allowed.has(s))
    .join(' ');
}

/** Remembered consent covers a request when every requested value was granted (§9). */
export function scopeCovers(granted: string, requested: string): boolean {
  const have = new Set(splitScope(granted));
  return splitScope(requested).every((s) => have.has(s));
}

export const hasScope = (scope: string, value: string): boolean => splitScope(scope).includes(value);
