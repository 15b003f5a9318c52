/**
 * The authorization endpoint's core (polar-oauth2.md §3.4): validate the request, decide what
 * the user must do, and either redirect with a code, ask for consent, or ask them to sign in.
 * The JSON API and the HTML page both call this; neither re-implements a rule.
 */
import { accessibleOrganizations } from '../../accounts/organization-access.js';
import type { Organization, Session, User } from '../../store/store.js';
import type { OAuthContext } from '../context.js';
import type { Params } from '../params.js';
import { SCOPE_DISPLAY_NAMES, splitScope } from '../scopes.js';
import { isoTime } from '../wire.js';
import { issueCode } from './issue-code.js';
import { resolveOrganizations } from './organizations.js';
import { decide } from './prompt.js';
import { rememberedSelection } from './remembered.js';
import { type AuthorizationRequest, validateAuthorizationRequest } from './request.js';

export interface SignedIn {
  session: Session;
  user: User;
}

export type AuthorizeOutcome =
  | { kind: 'redirect'; location: string }
  | { kind: 'login' }
  /** `organizations`: those the response lists, whole (a page shows their names; the wire, slugs). */
  | { kind: 'consent'; request: AuthorizationRequest; response: AuthorizeResponse; organizations: Organization[] };

/** The 200 body of GET /v1/oauth2/authorize (§3.4 AuthorizeResponse), field order as Polar. */
export interface AuthorizeResponse {
  client: {
    created_at: string;
    modified_at: string;
    client_id: string;
    client_name: string;
    client_uri: string | null;
    logo_uri: string | null;
    tos_uri: string | null;
    policy_uri: string | null;
  };
  sub_type: 'user';
  sub: { id: string; email: string; avatar_url: string | null } | null;
  scopes: string[];
  organizations: { id: string; slug: string; avatar_url: string | null }[];
  requires_single_organization: boolean;
  scope_display_names: Record<string, string>;
}


export function authorizeResponse(request: AuthorizationRequest, user: User, organizations: Organization[]): AuthorizeResponse {
  const { client } = request;
  const m = client.metadata;
  return {
    client: {
      created_at: isoTime(client.createdAt),
      modified_at: isoTime(client.modifiedAt),
      client_id: client.clientId,
      client_name: m.client_name,
      client_uri: m.client_uri ?? null,
      logo_uri: m.logo_uri ?? null,
      tos_uri: m.tos_uri ?? null,
      policy_uri: m.policy_uri ?? null,
    },
    sub_type: 'user',
    sub: { id: user.id, email: user.email, avatar_url: user.avatarUrl },
    scopes: [...new Set(splitScope(request.scope))],
    organizations: organizations.map((o) => ({ id: o.id, slug: o.slug, avatar_url: o.avatarUrl })),
    requires_single_organization: request.requiresSingleOrganization,
    scope_display_names: { ...SCOPE_DISPLAY_NAMES },
  };
}

export async function authorize(params: Params, signedIn: SignedIn | undefined, ctx: OAuthContext): Promise<AuthorizeOutcome> {
  const request = await validateAuthorizationRequest(params, ctx);
  const remembered = signedIn && (await ctx.store.consents.find(request.client.clientId, signedIn.user.id));
  const accessible = signedIn ? await accessibleOrganizations(ctx.store, signedIn.session) : [];
  const approved = rememberedSelection(remembered, request, accessible);
  const session = signedIn && { userId: signedIn.user.id, authAge: ctx.now() - signedIn.session.createdAt };
  const decision = decide(request, session, approved !== undefined);
  if (decision === 'login' || !signedIn) return { kind: 'login' };
  if (decision === 'consent') return { kind: 'consent', request, response: authorizeResponse(request, signedIn.user, accessible), organizations: accessible };

  // Auto-approval: first-party clients remember their whole scope (§3.4 step 11).
  const firstParty = request.client.firstParty;
  if (firstParty) {
    await ctx.store.consents.remember(
      { clientId: request.client.clientId, userId: signedIn.user.id, scope: request.client.metadata.scope, organizationIds: [] },
      ctx.now(),
    );
  }
  const organizationIds = resolveOrganizations(
    firstParty ? request.organizations : (approved ?? []),
    accessible,
    signedIn.session,
    request.requiresSingleOrganization,
  );
  if (firstParty) return { kind: 'redirect', location: await issueCode(request, signedIn, organizationIds, ctx) };
  // Approved on a remembered consent: the code is created only while that consent stands, so a
  // revocation racing this request cannot leave a code behind it.
  const location = await issueCode(request, signedIn, organizationIds, ctx, true);
  if (location !== undefined) return { kind: 'redirect', location };
  decide(request, session, false); // revoked meanwhile: as if never given (prompt=none → consent_required)
  return { kind: 'consent', request, response: authorizeResponse(request, signedIn.user, accessible), organizations: accessible };
}
