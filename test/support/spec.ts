/**
 * Values written out from the specification (polar-oauth2.md), independently of src/, so a test
 * compares the implementation against the spec rather than against itself.
 */

/** §7: the 63 scopes in declaration order. */
export const SPEC_ALL_SCOPES = [
  'openid', 'profile', 'email', 'user:read', 'user:write', 'organizations:read', 'organizations:write',
  'custom_fields:read', 'custom_fields:write', 'discounts:read', 'discounts:write', 'checkout_links:read',
  'checkout_links:write', 'checkouts:read', 'checkouts:write', 'transactions:read', 'transactions:write',
  'payouts:read', 'payouts:write', 'products:read', 'products:write', 'benefits:read', 'benefits:write',
  'events:read', 'events:write', 'meters:read', 'meters:write', 'files:read', 'files:write',
  'subscriptions:read', 'subscriptions:write', 'customers:read', 'customers:write', 'members:read',
  'members:write', 'wallets:read', 'wallets:write', 'disputes:read', 'disputes:write', 'customer_meters:read',
  'customer_sessions:write', 'member_sessions:write', 'customer_seats:read', 'customer_seats:write',
  'orders:read', 'orders:write', 'refunds:read', 'refunds:write', 'payments:read', 'metrics:read',
  'metrics:write', 'webhooks:read', 'webhooks:write', 'license_keys:read', 'license_keys:write',
  'customer_portal:read', 'customer_portal:write', 'notifications:read', 'notifications:write',
  'notification_recipients:read', 'notification_recipients:write', 'organization_access_tokens:read',
  'organization_access_tokens:write',
];

/** §7: the 61 public scopes: all but the two reserved `organization_access_tokens:*`. */
export const SPEC_PUBLIC_SCOPES = SPEC_ALL_SCOPES.filter((s) => !s.startsWith('organization_access_tokens:'));
