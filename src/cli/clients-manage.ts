/**
 * The operator's hold on clients after creating them: list (every client, or one owner's),
 * delete (D12: its codes and tokens stop working in the same transaction) and rotate-secret
 * (the old secret stops authenticating at once). The same core the console and RFC 7592 use.
 */
import { isPublic, rotateClientSecret } from '../oauth/clients.js';
import type { Client } from '../store/store.js';
import { CommandError, output, parse, printable, required, withBorealis } from './args.js';

/** Enough for any deployment this command serves; the JSON says when there were more. */
const LIST_LIMIT = 1000;

export async function clientsList(args: string[]) {
  const values = parse(args, { owner: { type: 'string' }, json: { type: 'boolean' } });
  const { clients, total } = await withBorealis({}, async ({ ctx }) => {
    let page: { items: Client[]; total: number };
    if (values.owner !== undefined) {
      const owner = await ctx.store.users.findByEmail(values.owner);
      if (!owner) throw new CommandError(`no user with email ${values.owner}`);
      page = await ctx.store.clients.listByOwner(owner.id, 0, LIST_LIMIT);
    } else {
      page = await ctx.store.clients.list(0, LIST_LIMIT);
    }
    const emails = new Map<string, string>();
    for (const id of new Set(page.items.flatMap((c) => (c.userId ? [c.userId] : [])))) {
      const user = await ctx.store.users.findById(id);
      if (user) emails.set(id, user.email);
    }
    const clients = page.items.map((c) => ({
      client_id: c.clientId,
      client_name: c.metadata.client_name,
      owner: c.userId ? (emails.get(c.userId) ?? null) : null,
      token_endpoint_auth_method: c.metadata.token_endpoint_auth_method,
      grant_types: c.metadata.grant_types,
      redirect_uris: c.metadata.redirect_uris,
      first_party: c.firstParty,
      created_at: c.createdAt,
    }));
    return { clients, total: page.total };
  });
  const human = clients.map((c) => `${c.client_id}  ${printable(c.client_name)}${c.owner ? `  (owner ${printable(c.owner)})` : ''}`);
  if (total > clients.length) human.push(`… and ${total - clients.length} more`);
  output(values.json, { clients, total }, human.length ? human.join('\n') : 'no clients');
}

export async function clientsDelete(args: string[]) {
  const values = parse(args, { 'client-id': { type: 'string' }, json: { type: 'boolean' } });
  const clientId = required(values, 'client-id');
  await withBorealis({}, async ({ ctx }) => {
    if (!(await ctx.store.clients.findByClientId(clientId))) throw new CommandError(`no client ${clientId}`);
    await ctx.store.clients.delete(clientId, ctx.now());
  });
  output(values.json, { client_id: clientId, deleted: true }, `deleted client ${clientId}: its codes and tokens are revoked`);
}

export async function clientsRotateSecret(args: string[]) {
  const values = parse(args, { 'client-id': { type: 'string' }, json: { type: 'boolean' } });
  const clientId = required(values, 'client-id');
  const rotated = await withBorealis({}, async ({ ctx }) => {
    const client = await ctx.store.clients.findByClientId(clientId);
    if (!client) throw new CommandError(`no client ${clientId}`);
    if (isPublic(client)) throw new CommandError(`${clientId} is a public client (auth method none): it has no secret`);
    const fresh = await rotateClientSecret(ctx, client);
    if (fresh === undefined) throw new CommandError(`the secret of ${clientId} was rotated meanwhile, or the client deleted: run the command again`);
    return fresh;
  });
  output(
    values.json,
    { client_id: clientId, client_secret: rotated.clientSecret, registration_access_token: rotated.registrationAccessToken },
    `new secret and registration access token for ${clientId} (the old ones no longer work):\n  client_secret: ${rotated.clientSecret}\n  registration_access_token: ${rotated.registrationAccessToken}`,
  );
}
