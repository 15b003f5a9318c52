import { createUser, setBlocked } from '../accounts/accounts.js';
import { UsageError, output, parse, required, withBorealis } from './args.js';

export async function usersCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === 'create') return create(rest);
  if (sub === 'block' || sub === 'unblock') return block(rest, sub === 'block');
  throw new UsageError(`unknown users command: ${sub ?? '(none)'}`);
}

async function create(args: string[]) {
  const values = parse(args, {
    email: { type: 'string' },
    password: { type: 'string' },
    name: { type: 'string' },
    json: { type: 'boolean' },
  });
  const user = await withBorealis({}, (b) =>
    createUser(b.accounts, { email: required(values, 'email'), password: required(values, 'password'), name: values.name }),
  );
  output(values.json, { id: user.id, email: user.email, name: user.name }, `created user ${user.email} (${user.id})`);
}

/** `block` also ends the user's sessions and revokes their codes and tokens; `unblock` revives none of them. */
async function block(args: string[], blocked: boolean) {
  const values = parse(args, { email: { type: 'string' }, json: { type: 'boolean' } });
  const email = required(values, 'email');
  const { user, changed } = await withBorealis({}, (b) => setBlocked(b.accounts, email, blocked));
  const state = blocked ? 'blocked' : 'unblocked';
  const human = changed
    ? `${state} ${user.email}${blocked ? ': sessions ended, codes and tokens revoked' : ''}`
    : `${user.email} was already ${state}`;
  output(values.json, { id: user.id, email: user.email, blocked, changed }, human);
}
