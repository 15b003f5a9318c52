/**
 * refresh_token (RFC 6749 §6; polar-oauth2.md §4.2 with D4). Every refresh rotates.
 * D4 / RFC 9700 §4.14.2: the rotation is atomic; a rotated token presented again within the
 * grace window gets the identical response (parallel refreshes of one client must not log the
 * user out); after the window it is reuse, and the whole family is revoked.
 * The grace response is kept sealed with a key derived from the presented refresh token, which
 * only its holder has: the database never holds a usable bearer value.
 */
import { SealedBox } from '../../keys/sealed-box.js';
import type { Token } from '../../store/store.js';
import type { OAuthContext } from '../context.js';
import { actsOnNothing } from '../down-scope.js';
import { invalidGrant, invalidRequest, invalidScope } from '../errors.js';
import { LIFETIME, mintTokens } from '../issue.js';
import { narrowScope, scopeCovers, splitScope } from '../scopes.js';
import type { TokenResponse } from '../wire.js';
import type { Grant } from './grant.js';

const graceBox = (ctx: OAuthContext, refreshToken: string) => SealedBox.keyedBy(ctx.graceKey, refreshToken);
const graceContext = (row: Token) => `oauth2_tokens.rotated_response:${row.id}`;

/**
 * The replay within the window, or undefined when the window is over (reuse).
 * `refused`: the presented token is the rotated one, in the window, but nothing is handed out:
 * - the response cannot be opened, as when another build sealed it (README, "Upgrading");
 * - or the pair it would hand out again has been revoked meanwhile: with its family, client,
 *   consent or user (all already revoked), or its access token alone (RFC 7009). In the last
 *   case the client may have raced ahead and hold a live successor; the revocation ended only
 *   the row it named, and a parallel refresh must not turn it into the family's end.
 * The rotated row's own access token is not asked: revoking that already-replaced token revokes
 * nothing the replay hands out.
 */
async function graceReplay(ctx: OAuthContext, row: Token, refreshToken: string, now: number): Promise<TokenResponse | 'refused' | undefined> {
  if (row.rotatedAt === null || row.rotatedResponse === null) return undefined;
  // Either way: a rotation stamped ahead of this clock (another instance's, or this one stepped
  // back since) is inside the window only by as much, or reuse detection would sleep meanwhile.
  if (ctx.refreshGraceSeconds <= 0 || Math.abs(now - row.rotatedAt) > ctx.refreshGraceSeconds) return undefined;
  const opened = graceBox(ctx, refreshToken).open(row.rotatedResponse, graceContext(row));
  if (opened === undefined) return 'refused';
  const replay = JSON.parse(opened) as TokenResponse;
  const child = await ctx.store.tokens.findByAccess(ctx.credentials.tokenKey(replay.access_token));
  // A child that was itself rotated is fine (the client raced ahead); a revoked one is not, nor
  // one left acting on nothing (down-scope.ts), which every other read refuses too.
  const revoked = !child || child.accessTokenRevokedAt !== 0 || (child.refreshTokenRevokedAt !== 0 && child.rotatedAt === null);
  return revoked || actsOnNothing(child) ? 'refused' : replay;
}

async function rejectRotated(ctx: OAuthContext, row: Token, refreshToken: string, now: number): Promise<TokenResponse> {
  const replay = await graceReplay(ctx, row, refreshToken, now);
  // Inside the window the presenter is the holder of the rotated token, racing its own refresh:
  // no sign of theft, so the family the winner now holds is kept.
  if (replay === 'refused') throw invalidGrant();
  if (replay) return replay;
  await ctx.store.tokens.revokeFamily(row, now);
  ctx.audit.record({ audit: 'refresh_token.reuse_detected', client_id: row.clientId, user_id: row.userId, family_id: row.familyId });
  throw invalidGrant();
}

export const refreshToken: Grant = {
  type: 'refresh_token',
  authMethods: ['client_secret_basic', 'client_secret_post', 'none'],
  params: ['refresh_token', 'scope'],

  presents(params, credentials) {
    const value = params.fromBody('refresh_token');
    return value === undefined ? undefined : { kind: 'refresh_token', ...credentials.tokenKey(value) };
  },

  async handle({ client, params, presented: read }, ctx) {
    const presented = params.fromBody('refresh_token');
    if (presented === undefined) throw invalidRequest("Missing 'refresh_token' in request.");
    const requestedScope = params.get('scope');
    const now = ctx.now();

    const row = read?.token; // read with the client (`presents` above)
    if (!row || row.clientId !== client.clientId) throw invalidGrant();
    if (row.rotatedAt !== null) return rejectRotated(ctx, row, presented, now);
    if (row.accessTokenRevokedAt !== 0 || row.refreshTokenRevokedAt !== 0 || actsOnNothing(row)) throw invalidGrant();

    if (requestedScope !== undefined) {
      if (splitScope(row.scope).length === 0 || !scopeCovers(row.scope, requestedScope)) throw invalidScope();
    }
    const minted = mintTokens(
      ctx,
      {
        client,
        userId: row.userId,
        scope: narrowScope(requestedScope ?? row.scope, client.metadata.scope),
        organizationIds: row.organizationIds,
        familyId: row.familyId,
        expiresIn: LIFETIME.refreshToken,
        withRefreshToken: true,
      },
      now,
    );
    // Without a grace window nothing will ever open the response: none is kept (a database dump
    // and an old refresh token would otherwise yield the pair that replaced it).
    const sealed = ctx.refreshGraceSeconds > 0 ? graceBox(ctx, presented).seal(JSON.stringify(minted.response), graceContext(row)) : null;
    const won = await ctx.store.tokens.rotateTo(row.id, now, sealed, minted.row);
    if (won) return minted.response;

    // A concurrent refresh rotated it first; its committed row now carries the grace response.
    const rotated = await ctx.store.tokens.findByRefresh(ctx.credentials.tokenKey(presented));
    if (!rotated || rotated.rotatedAt === null) throw invalidGrant();
    return rejectRotated(ctx, rotated, presented, now);
  },
};
