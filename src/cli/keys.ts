import { CommandError, UsageError, output, parse, required, withBorealis } from './args.js';

/** `borealis keys list|rotate [--now]|prune|withdraw --kid K`: id_token signing keys (see src/keys/key-ring.ts). */
export async function keysCommand(args: string[]) {
  const [sub, ...rest] = args;
  // Before anything is opened: a typo must not create a data folder, a secret and a key.
  if (sub !== 'list' && sub !== 'rotate' && sub !== 'prune' && sub !== 'withdraw') throw new UsageError(`unknown keys command: ${sub ?? '(none)'}`);
  const values = parse(rest, { json: { type: 'boolean' }, now: { type: 'boolean' }, kid: { type: 'string' } });
  if (values.now && sub !== 'rotate') throw new UsageError('--now goes with keys rotate');
  const kid = sub === 'withdraw' ? required(values, 'kid') : undefined;
  if (kid === undefined && values.kid !== undefined) throw new UsageError('--kid goes with keys withdraw');
  await withBorealis({}, async ({ ctx }) => {
    const now = ctx.now();
    if (sub === 'list') {
      const keys = (await ctx.store.signingKeys.list()).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        signs_from: k.createdAt,
        retired_at: k.retiredAt,
        expires_at: k.expiresAt,
        signing: k.kid === ctx.keys.current(now).kid,
      }));
      const human = (k: (typeof keys)[number]) =>
        k.signing ? 'signing' : k.retired_at ? `retired, published until ${iso(k.expires_at ?? 0)}` : `signs from ${iso(k.signs_from)}`;
      output(values.json, { keys }, keys.map((k) => `${k.kid}  ${human(k)}`).join('\n'));
    } else if (sub === 'withdraw' && kid !== undefined) {
      // A compromised key: out of the JWKS now, so id_tokens it signed stop verifying. Reloading
      // makes a new key at once if it was the only live one (a rotated-in key not yet signing is
      // not: the key before it signs on); other instances follow within KEY_REFRESH_SECONDS, and
      // relying parties once their cached JWKS expires.
      if (!(await ctx.store.signingKeys.withdraw(kid, now))) throw new CommandError(`no signing key ${kid}`);
      await ctx.keys.load(now);
      const signing = ctx.keys.current(now).kid;
      output(values.json, { withdrawn: kid, signing }, `withdrew key ${kid}; ${signing} signs now`);
    } else if (sub === 'rotate') {
      const key = await ctx.keys.rotate(now, values.now ?? false);
      output(values.json, { kid: key.kid, signs_from: key.createdAt }, `new key ${key.kid} is published now and signs from ${iso(key.createdAt)}`);
    } else {
      const removed = await ctx.store.signingKeys.prune(now);
      output(values.json, { removed }, removed.length ? `removed ${removed.join(', ')}` : 'nothing to prune');
    }
  });
}

const iso = (epochSeconds: number) => new Date(epochSeconds * 1000).toISOString();
