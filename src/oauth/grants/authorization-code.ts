/**
 * authorization_code (RFC 6749 §4.1.3; polar-oauth2.md §4.1 with D5).
 * A code is single-use: consuming it is one atomic statement. A code presented again — replay,
 * or a concurrent double exchange — revokes every token issued from it (RFC 6749 §4.1.2, D5).
 * A failed exchange (wrong verifier or redirect_uri) does not consume the code (§4.1).
 */
import { LIFETIME, mintTokens } from '../issue.js';
import { actsOnNothing } from '../down-scope.js';
import { invalidGrant, invalidRequest } from '../errors.js';
import { signIdToken } from '../id-token.js';
import { verifyCodeVerifier } from '../pkce.js';
import { hasScope, narrowScope } from '../scopes.js';
import type { AuthorizationCode, FamilyRef } from '../../store/store.js';
import type { OAuthContext } from '../context.js';
import type { Grant } from './grant.js';

const INVALID_CODE = "Invalid 'code' in request.";

/** The tokens a code was exchanged for are the family named by the code's id (D5). */
const familyOf = (code: AuthorizationCode): FamilyRef => ({ familyId: code.id, clientId: code.clientId, userId: code.userId });

/** A code presented again: what it was exchanged for is revoked (D5), and the operator told. */
async function reused(ctx: OAuthContext, code: AuthorizationCode, now: number): Promise<void> {
  await ctx.store.tokens.revokeFamily(familyOf(code), now);
  ctx.audit.record({ audit: 'authorization_code.reuse_detected', client_id: code.clientId, user_id: code.userId, family_id: code.id });
}

export const authorizationCode: Grant = {
  type: 'authorization_code',
  authMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  params: ['code', 'redirect_uri', 'code_verifier'],

  presents(params, credentials) {
    const value = params.fromBody('code');
    return value === undefined ? undefined : { kind: 'authorization_code', hash: credentials.hash(value) };
  },

  async handle({ client, params, publicClient, presented: read }, ctx) {
    const value = params.fromBody('code');
    if (value === undefined) throw invalidRequest("Missing 'code' in request.");
    const redirectUri = params.get('redirect_uri');
    const verifier = params.fromBody('code_verifier');
    const now = ctx.now();

    const code = read?.code; // read with the client and the code's user (`presents` above)
    if (!code || code.clientId !== client.clientId) throw invalidGrant(INVALID_CODE);
    if (code.consumedAt !== null) {
      await reused(ctx, code, now);
      throw invalidGrant(INVALID_CODE);
    }
    if (code.expiresAt <= now) throw invalidGrant(INVALID_CODE);
    if (code.redirectUri && redirectUri !== code.redirectUri) throw invalidGrant("Invalid 'redirect_uri' in request.");
    verifyCodeVerifier(code, verifier, publicClient);

    const user = read?.user;
    if (!user || user.blockedAt !== null) throw invalidGrant("There is no 'user' for this code.");
    // The user left all its organizations since consent: the token would act on nothing (down-scope.ts).
    if (actsOnNothing(code)) throw invalidGrant("The user is no longer a member of the code's organizations.");

    const scope = narrowScope(code.scope, client.metadata.scope);
    const minted = mintTokens(
      ctx,
      {
        client,
        userId: user.id,
        scope,
        organizationIds: code.organizationIds,
        familyId: code.id,
        expiresIn: LIFETIME.authorizationCode,
        withRefreshToken: client.metadata.grant_types.includes('refresh_token'),
      },
      now,
    );
    const won = await ctx.store.codes.exchange(code.id, now, minted.row);
    if (!won) {
      // Lost a race with another exchange of the same code: that is a replay too.
      await reused(ctx, code, now);
      throw invalidGrant(INVALID_CODE);
    }

    if (!hasScope(scope, 'openid')) return minted.response;
    const idToken = await signIdToken(
      {
        issuer: ctx.issuer,
        clientId: client.clientId,
        subject: user.id,
        authTime: code.authTime,
        nonce: code.nonce,
        accessToken: minted.response.access_token,
        email: hasScope(scope, 'email') ? { email: user.email, email_verified: user.emailVerified } : undefined,
        now,
      },
      ctx.keys.current(now),
    );
    return { ...minted.response, id_token: idToken };
  },
};
