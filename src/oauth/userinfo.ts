/**
 * Userinfo (OIDC Core §5.3; polar-oauth2.md §3.10): `sub`, plus `email` and `email_verified`
 * when the token has the `email` scope. Like Polar, `openid` is not required.
 */
import type { AccessGrant } from './bearer.js';
import { hasScope } from './scopes.js';

export interface UserInfo {
  sub: string;
  email?: string;
  email_verified?: boolean;
}

export function userinfo({ token, user }: AccessGrant): UserInfo {
  if (!hasScope(token.scope, 'email')) return { sub: user.id };
  return { sub: user.id, email: user.email, email_verified: user.emailVerified };
}
