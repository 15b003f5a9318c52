/**
 * `borealis <command>`: the command line. Each command parses its flags and calls the same
 * core the HTTP API uses. `--json` prints exactly one JSON object on stdout.
 */
import { ConfigError } from '../config.js';
import { AccountError } from '../accounts/accounts.js';
import { cleanupCommand } from './cleanup.js';
import { clientsCommand } from './clients.js';
import { keysCommand } from './keys.js';
import { migrateCommand } from './migrate.js';
import { orgsCommand } from './orgs.js';
import { serveCommand } from './serve.js';
import { usersCommand } from './users.js';
import { CommandError, UsageError } from './args.js';

const USAGE = `usage: borealis <command>

  serve [--port N] [--database URL] [--workers N|auto]
                                        run the server (env: PORT, DATABASE_URL, BOREALIS_SECRET, BOREALIS_PUBLIC_URL,
                                        BOREALIS_WORKERS); N > 1 runs N worker processes on the same port (node:cluster)
  migrate [--database URL] [--json]     apply pending database migrations
  cleanup [--database URL] [--json]     remove expired codes, sessions, tokens, links and old security events now
                                        (every serve does it hourly)
  users create --email E --password-stdin [--name N] [--email-verified] [--json]
                                        the password is the first line of standard input
                                        (--password P also works, but other users can read it in ps)
  users block|unblock --email E [--json]
                                        block: the user cannot sign in; their sessions end and their codes and
                                        tokens are revoked at once (unblocking revives none of them)
  users set-password --email E --password-stdin [--revoke-tokens] [--json]
                                        a forgotten password: every session of the user ends; their apps' tokens stay
                                        unless --revoke-tokens (after a compromise)
  users delete --email E [--json]       the account is erased: its sessions, tokens, consents and memberships end, the
                                        apps it owns are deleted (their tokens revoked), and the address is free again
  orgs create --slug S --name N --owner EMAIL [--json]
  orgs add-member --slug S --email E [--json]
  orgs remove-member --slug S --email E [--json]
                                        their tokens for it lose it; those left with no organization are revoked
  orgs members --slug S [--json]
  clients create --name N [--redirect-uri U …] [--grant-type G …]   (a redirect URI unless web-only)
      [--auth-method client_secret_basic|client_secret_post|none] [--scope "…"] [--first-party]
      [--default-sub-type user|organization] [--json]
  clients list [--owner EMAIL] [--json]
  clients delete --client-id ID [--json]     its codes and tokens are revoked at once
  clients rotate-secret --client-id ID [--json]
                                        a new secret and registration access token, shown once; the old ones stop working at once
  keys list|rotate|prune [--json]       id_token signing keys: rotate publishes a new key at once and signs with it
                                        six minutes later; prune drops retired keys whose id_tokens have expired
  keys rotate --now [--json]            emergency: the new key signs at once (relying parties re-fetch the JWKS)
  keys withdraw --kid K [--json]        a compromised key: out of the JWKS at once, its id_tokens stop verifying
`;

const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  serve: serveCommand,
  migrate: migrateCommand,
  cleanup: cleanupCommand,
  users: usersCommand,
  orgs: orgsCommand,
  clients: clientsCommand,
  keys: keysCommand,
};

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
}

const HELP = new Set(['--help', '-h', 'help']);

async function main(argv: string[]) {
  const [command, ...rest] = argv;
  // Asked for (`borealis --help`, `borealis users create -h`): on stdout, so it pipes into a pager.
  if (command === undefined || HELP.has(command) || rest.some((arg) => arg === '--help' || arg === '-h')) {
    process.stdout.write(USAGE);
    return;
  }
  const run = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!run) {
    process.stderr.write(`borealis: unknown command ${command}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  try {
    await run(rest);
  } catch (error) {
    // Exit at once: a store or a pool the command opened before failing would keep the process
    // alive (stderr is written synchronously to files and pipes).
    if (error instanceof UsageError || error instanceof CommandError || error instanceof ConfigError || error instanceof AccountError) {
      process.stderr.write(`borealis: ${error.message}\n`);
      if (error instanceof UsageError) process.stderr.write(USAGE);
      process.exit(2);
    }
    // An unreachable database, a port in use, an unwritable folder: what the operator must fix is
    // in the message; the stack only helps a developer, who can ask for it.
    const debug = process.env.LOG_LEVEL === 'debug' || process.env.LOG_LEVEL === 'trace';
    process.stderr.write(`borealis: ${describe(error)}\n`);
    if (debug && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    else process.stderr.write('(LOG_LEVEL=debug shows where it failed)\n');
    process.exit(1);
  }
}

await main(process.argv.slice(2));
