import { output, parse, withBorealis } from './args.js';

/**
 * `borealis cleanup [--json]`: the cleanup every `serve` runs hourly (store.deleteExpired), once,
 * now: from a scheduler when the servers' own runs should not be counted on, or to see what a
 * backlog held after a long stop. It honours BOREALIS_SECURITY_EVENT_DAYS as the servers do.
 */
export async function cleanupCommand(args: string[]) {
  const values = parse(args, { database: { type: 'string' }, json: { type: 'boolean' } });
  await withBorealis({ databaseUrl: values.database }, async ({ ctx }) => {
    const removed = await ctx.store.deleteExpired(ctx.now());
    output(values.json, { removed }, `cleanup: ${removed} rows removed or scrubbed`);
  });
}
