import { createUser } from '../accounts/accounts.js';
import { UsageError, output, parse, required, withBorealis } from './args.js';

export async function usersCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub !== 'create') throw new UsageError(`unknown users command: ${sub ?? '(none)'}`);
  const values = parse(rest, {
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
