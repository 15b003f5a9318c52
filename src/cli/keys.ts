import { UsageError, output, parse, withBorealis } from './args.js';

/** `borealis keys list|rotate|prune`: id_token signing keys (see src/keys/key-ring.ts). */
export async function keysCommand(args: string[]) {
  const [sub, ...rest] = args;
  const values = parse(rest, { json: { type: 'boolean' } });
  await withBorealis({}, async ({ ctx }) => {
    const now = ctx.now();
    if (sub === 'list') {
      const keys = (await ctx.store.signingKeys.list()).map((k) => ({
        kid: k.kid,
        alg: k.alg,
        signs_from: k.createdAt,
        retired_at: k.retiredAt,
        expires_at: k.expiresAt,
        signing: k.kid === ctx.keys.current().kid,
      }));
      output(values.json, { keys }, keys.map((k) => `${k.kid}  ${k.signing ? 'signing' : k.retired_at ? `retired, published until ${k.expires_at}` : `signs from ${k.signs_from}`}`).join('\n'));
    } else if (sub === 'rotate') {
      const key = await ctx.keys.rotate(now);
      output(values.json, { kid: key.kid, signs_from: key.createdAt }, `new key ${key.kid} is published now and signs from ${new Date(key.createdAt * 1000).toISOString()}`);
    } else if (sub === 'prune') {
      const removed = await ctx.store.signingKeys.prune(now);
      output(values.json, { removed }, removed.length ? `removed ${removed.join(', ')}` : 'nothing to prune');
    } else {
      throw new UsageError(`unknown keys command: ${sub ?? '(none)'}`);
    }
  });
}
