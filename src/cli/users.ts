import { AccountError, createUser, deleteAccount, setBlocked, setPassword, userByEmail } from '../accounts/accounts.js';
import { notifyPasswordChanged } from '../accounts/email-links.js';
import { UsageError, output, parse, printable, required, withBorealis } from './args.js';

export async function usersCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === 'create') return create(rest);
  if (sub === 'block' || sub === 'unblock') return block(rest, sub === 'block');
  if (sub === 'set-password') return newPassword(rest);
  if (sub === 'delete') return remove(rest);
  throw new UsageError(`unknown users command: ${sub ?? '(none)'}`);
}

async function create(args: string[]) {
  const values = parse(args, {
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    name: { type: 'string' },
    'email-verified': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const email = required(values, 'email');
  const password = values['password-stdin'] ? await passwordFromStdin(values.password) : passwordFromArgs(values.password);
  const emailVerified = values['email-verified'] === true;
  const user = await withBorealis({}, (b) => createUser(b.accounts, { email, password, name: values.name, emailVerified }));
  output(values.json, { id: user.id, email: user.email, name: user.name, email_verified: user.emailVerified }, `created user ${user.email} (${user.id})`);
}

/**
 * A forgotten password, reset by the operator: every session of the user ends; their apps' tokens
 * stay unless `--revoke-tokens` (recovery after a compromise: an app the intruder authorized).
 */
async function newPassword(args: string[]) {
  const values = parse(args, {
    email: { type: 'string' },
    password: { type: 'string' },
    'password-stdin': { type: 'boolean' },
    'revoke-tokens': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const revokeTokens = values['revoke-tokens'] === true;
  const email = required(values, 'email');
  const password = values['password-stdin'] ? await passwordFromStdin(values.password) : passwordFromArgs(values.password);
  const user = await withBorealis({}, async (b) => {
    const found = await userByEmail(b.accounts, email.trim());
    await setPassword(b.accounts, found, password, { revokeTokens });
    // With a relay configured (BOREALIS_SMTP_URL), the owner is told; a relay that fails does not undo the change.
    await notifyPasswordChanged(b.accounts, found, 'operator').catch((error: unknown) =>
      process.stderr.write(`warning: the password was set, but the mail telling ${printable(found.email)} was not sent (${printable(error instanceof Error ? error.message : String(error))})\n`),
    );
    return found;
  });
  const ended = revokeTokens ? 'their sessions ended, codes and tokens revoked' : 'their sessions ended';
  output(values.json, { id: user.id, email: user.email, tokens_revoked: revokeTokens }, `set the password of ${user.email}: ${ended}`);
}

/**
 * `--password-stdin`: the first line of standard input, piped or redirected. A terminal is
 * refused: it would show the password as it is typed, and wait for Ctrl-D after it.
 */
async function passwordFromStdin(alsoGiven: string | undefined): Promise<string> {
  if (alsoGiven !== undefined) throw new UsageError('give --password or --password-stdin, not both');
  if (process.stdin.isTTY) throw new UsageError('--password-stdin reads a pipe or a file, not a terminal (… --password-stdin < file)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password === '') throw new UsageError('--password-stdin read no password from standard input');
  return password;
}

/**
 * `--password` is kept for scripts, with a warning: every user of the machine can read a
 * command's arguments while it runs (`ps`, /proc), and the shell keeps them in its history.
 */
function passwordFromArgs(password: string | undefined): string {
  if (password === undefined || password === '') throw new UsageError('--password-stdin (or --password) is required');
  process.stderr.write('warning: other users of this machine can read --password while the command runs, and it stays in the shell history; --password-stdin reads it from standard input\n');
  return password;
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

/** Erases the account (accounts.ts, deleteAccount); the apps it owns go with it. */
async function remove(args: string[]) {
  const values = parse(args, { email: { type: 'string' }, json: { type: 'boolean' } });
  const email = required(values, 'email');
  const { user, apps } = await withBorealis({}, async (b) => {
    const found = await userByEmail(b.accounts, email.trim());
    const deleted = await deleteAccount(b.accounts, found, 'operator');
    if (!deleted) throw new AccountError(`No user with email ${email}.`);
    return { user: found, apps: deleted.appsDeleted };
  });
  output(values.json, { id: user.id, email: user.email, deleted: true, apps_deleted: apps }, `deleted user ${user.email} (${user.id})${apps === 0 ? '' : ` and the ${apps === 1 ? 'app' : `${apps} apps`} they owned`}`);
}
