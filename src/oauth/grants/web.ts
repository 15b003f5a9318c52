/**
 * `web`: Polar's first-party exchange of a web session for a short-lived access token
 * (polar-oauth2.md §4.3). No refresh token, no id_token; optionally down-scoped to one organization.
 */
import { accessibleOrganizations, parseUuid } from '../../accounts/organization-access.js';
import { invalidGrant, invalidRequest, invalidScope } from '../errors.js';
import { LIFETIME, mintTokens, storeTokens } from '../issue.js';
import { isKnownScope, narrowScope, splitScope } from '../scopes.js';
import type { Grant } from './grant.js';
import { timeOrderedId } from '../ids.js';

export const web: Grant = {
  type: 'web',
  authMethods: ['client_secret_basic', 'client_secret_post'],
  params: ['session_token', 'sub_type', 'sub', 'scope'],

  async handle({ client, params }, ctx) {
    const sessionToken = params.get('session_token');
    const subType = params.get('sub_type') ?? 'user';
    const sub = params.get('sub');
    const scope = params.get('scope');
    if (sessionToken === undefined) throw invalidRequest("Missing 'session_token' in request.");
    if (subType !== 'user' && subType !== 'organization') throw invalidRequest('Invalid sub_type');
    if (subType === 'organization' && sub === undefined) throw invalidRequest("Missing 'sub' for organization sub_type");
    if (subType === 'user' && sub !== undefined) throw invalidRequest("Can't specify 'sub' for user sub_type");
    if (scope !== undefined && !splitScope(scope).every(isKnownScope)) throw invalidScope();

    const now = ctx.now();
    const found = await ctx.store.sessions.findActive(ctx.credentials.hash(sessionToken), now);
    if (!found || found.user.blockedAt !== null) throw invalidGrant();

    let organizationIds = found.session.organizationIds;
    if (subType === 'organization' && sub !== undefined) {
      const id = parseUuid(sub);
      if (id === undefined) throw invalidRequest("Invalid 'sub' UUID");
      const accessible = await accessibleOrganizations(ctx.store, found.session);
      const target = accessible.find((o) => o.id === id);
      if (!target) throw invalidGrant();
      organizationIds = [target.id];
    } else if (organizationIds.length > 0) {
      // A down-scoped session hands on what it still reaches; nothing, once the user has left
      // every one of its organizations: that token would act on nothing (down-scope.ts).
      organizationIds = (await accessibleOrganizations(ctx.store, found.session)).map((o) => o.id);
      if (organizationIds.length === 0) throw invalidGrant();
    }

    const minted = mintTokens(
      ctx,
      {
        client,
        userId: found.user.id,
        scope: narrowScope(scope ?? client.metadata.scope, client.metadata.scope),
        organizationIds,
        familyId: timeOrderedId(),
        expiresIn: LIFETIME.web,
        withRefreshToken: false,
      },
      now,
    );
    return storeTokens(ctx.store, minted, client, found.user.passwordHash ?? undefined);
  },
};
