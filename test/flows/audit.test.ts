/**
 * Security events (src/audit.ts): what an operator's monitoring sees, exactly, for sign-ins, a
 * lockout, refresh-token and code reuse, password changes, blocks and secret rotations; never an
 * email address, a password or a credential.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { addMember, leaveOrganization, removeMember, setBlocked, setPassword } from '../../src/accounts/accounts.js';
import { acceptInvitation, inviteToOrganization, withdrawInvitation } from '../../src/accounts/invitations.js';
import type { AuditEvent } from '../../src/audit.js';
import { consoleCreate, consolePost, consoleRotate } from '../support/console.js';
import { PASSWORD, REDIRECT_URI, aClient, aUser, anOrganization, obtainCode, postToken, signIn, tokensFor } from '../support/fixtures.js';
import { type TestServer, startServer } from '../support/server.js';

describe('security events', () => {
  let server: TestServer;
  let events: AuditEvent[] = [];
  let detach: () => void;
  before(async () => {
    // No grace window: a rotated refresh token presented again is reuse at once (D4).
    server = await startServer({ env: { BOREALIS_REFRESH_GRACE_SECONDS: '0' } });
    detach = server.borealis.ctx.audit.attach((event) => events.push(event));
  });
  after(async () => {
    detach();
    await server.close();
  });
  beforeEach(() => {
    events = [];
  });

  const login = (email: string, password: string) =>
    fetch(`${server.url}/login`, { method: 'POST', body: new URLSearchParams({ email, password, return_to: '/' }), redirect: 'manual' });

  test('sign-ins: a wrong password, then the right one; past the limit, refused unchecked', async () => {
    const user = await aUser(server);
    assert.equal((await login(user.email, 'not the password')).status, 400);
    assert.equal((await login(user.email, PASSWORD)).status, 303);
    assert.deepEqual(events, [
      { audit: 'sign_in.failed', reason: 'wrong_credentials', ip: '127.0.0.1' },
      { audit: 'sign_in.succeeded', user_id: user.id, ip: '127.0.0.1' },
    ]);
    const other = await aUser(server);
    events = [];
    for (let i = 0; i < 6; i++) await login(other.email, `wrong ${i}`);
    assert.deepEqual(events.map((e) => (e.audit === 'sign_in.failed' ? e.reason : e.audit)), [...Array(5).fill('wrong_credentials'), 'locked']);
    assert.equal(JSON.stringify(events).includes(other.email), false, 'no email address');
  });

  test('a rotated refresh token presented again: its family is revoked, and said so', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const tokens = await tokensFor(server, client, await signIn(server, user));
    const refresh = () => postToken(server, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.clientId, client_secret: client.clientSecret });
    assert.equal((await refresh()).status, 200);
    events = [];
    assert.equal((await refresh()).status, 400);
    const row = await server.borealis.ctx.store.tokens.findByAccess(server.borealis.ctx.credentials.tokenKey(tokens.access_token));
    assert.deepEqual(events, [{ audit: 'refresh_token.reuse_detected', client_id: client.clientId, user_id: user.id, family_id: row?.familyId }]);
    assert.equal(JSON.stringify(events).includes(tokens.refresh_token ?? 'none'), false, 'no credential');
  });

  test('a code exchanged twice: the tokens it gave are revoked, and said so', async () => {
    const user = await aUser(server);
    const client = await aClient(server);
    const { code } = await obtainCode(server, client, await signIn(server, user));
    const exchange = () => postToken(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.clientId, client_secret: client.clientSecret });
    assert.equal((await exchange()).status, 200);
    events = [];
    assert.equal((await exchange()).status, 400);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.deepEqual({ ...event, family_id: 'F' }, { audit: 'authorization_code.reuse_detected', client_id: client.clientId, user_id: user.id, family_id: 'F' });
  });

  test('passwords changed by the user and by the operator; blocks; a secret rotated', async () => {
    const user = await aUser(server);
    const cookie = await signIn(server, user);
    events = [];
    assert.equal((await consolePost(server, cookie, '/settings/account/password', { current_password: PASSWORD, new_password: 'a new horse staple' })).status, 303);
    const { accounts } = server.borealis;
    await setPassword(accounts, user, 'an operator horse', { revokeTokens: true });
    await setBlocked(accounts, user.email, true);
    await setBlocked(accounts, user.email, true); // already blocked: nothing happened, nothing said
    await setBlocked(accounts, user.email, false);
    // The current password checked first is no sign-in: the change is the event.
    assert.deepEqual(events, [
      { audit: 'password.changed', user_id: user.id, by: 'user', tokens_revoked: false },
      { audit: 'password.changed', user_id: user.id, by: 'operator', tokens_revoked: true },
      { audit: 'user.blocked', user_id: user.id },
      { audit: 'user.unblocked', user_id: user.id },
    ]);
    const owner = await aUser(server);
    const ownerCookie = await signIn(server, owner);
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec((await consoleCreate(server, ownerCookie)).text)?.[1] ?? '';
    events = [];
    assert.equal((await consoleRotate(server, ownerCookie, clientId)).status, 200);
    assert.deepEqual(events, [{ audit: 'client.secret_rotated', client_id: clientId }]);
  });

  test("apps created and deleted, an app's access taken back, members added and removed, invitations", async () => {
    const owner = await aUser(server);
    const cookie = await signIn(server, owner);
    events = [];
    const clientId = /id="client-id">(polar_ci_\w{43})</.exec((await consoleCreate(server, cookie)).text)?.[1] ?? '';
    assert.equal((await consolePost(server, cookie, `/settings/oauth/apps/${clientId}/delete`, {})).status, 303);
    const client = await aClient(server);
    await tokensFor(server, client, cookie);
    assert.equal((await consolePost(server, cookie, `/settings/oauth/authorized/${client.clientId}/revoke`, {})).status, 303);
    assert.deepEqual(events.filter((e) => e.audit.startsWith('client.') || e.audit.startsWith('consent.')), [
      { audit: 'client.created', client_id: clientId, user_id: owner.id },
      { audit: 'client.deleted', client_id: clientId },
      { audit: 'client.created', client_id: client.clientId, user_id: null }, // the operator's (aClient)
      { audit: 'consent.revoked', client_id: client.clientId, user_id: owner.id },
    ]);

    const { accounts } = server.borealis;
    const organization = await anOrganization(server, owner);
    const [member, guest] = [await aUser(server), await aUser(server)];
    events = [];
    await addMember(accounts, { slug: organization.slug, email: member.email });
    await leaveOrganization(accounts, member, organization.id);
    await addMember(accounts, { slug: organization.slug, email: member.email });
    await removeMember(accounts, { slug: organization.slug, email: member.email });
    const made = await inviteToOrganization(accounts, owner, organization.id);
    assert.ok(made);
    assert.equal((await acceptInvitation(accounts, guest, made.token)).result, 'joined');
    const again = await inviteToOrganization(accounts, owner, organization.id);
    assert.ok(again);
    assert.equal(await withdrawInvitation(accounts, owner, organization.id, again.invitation.id), true);
    const org = organization.id;
    assert.deepEqual(events, [
      { audit: 'organization.member_added', organization_id: org, user_id: member.id, via: 'operator' },
      { audit: 'organization.member_removed', organization_id: org, user_id: member.id, via: 'left' },
      { audit: 'organization.member_added', organization_id: org, user_id: member.id, via: 'operator' },
      { audit: 'organization.member_removed', organization_id: org, user_id: member.id, via: 'operator' },
      { audit: 'invitation.created', organization_id: org, invitation_id: made.invitation.id, user_id: owner.id },
      { audit: 'organization.member_added', organization_id: org, user_id: guest.id, via: 'invitation' },
      { audit: 'invitation.created', organization_id: org, invitation_id: again.invitation.id, user_id: owner.id },
      { audit: 'invitation.withdrawn', organization_id: org, invitation_id: again.invitation.id, user_id: owner.id },
    ]);
    assert.equal(JSON.stringify(events).includes(made.token), false, 'no invitation token');
  });
});
