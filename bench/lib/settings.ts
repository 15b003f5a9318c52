/** Everything a run can be told, from the environment (see bench/README.md). */
const num = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got "${raw}"`);
  return value;
};
const list = (name: string, fallback: string[]) => (process.env[name] ? process.env[name]!.split(',').map((s) => s.trim()).filter(Boolean) : fallback);

const smoke = process.env.BENCH_SMOKE === '1';

export const settings = {
  smoke,
  /** Measured seconds per scenario. */
  duration: num('BENCH_DURATION', smoke ? 1.5 : 10),
  /** Discarded warm-up seconds before each measured run. */
  warmup: num('BENCH_WARMUP', smoke ? 0 : 3),
  connections: num('BENCH_CONNECTIONS', 50),
  /** A/B rounds: each scenario runs Borealis and the peer alternately this many times; figures are medians. */
  rounds: Math.max(1, Math.round(num('BENCH_ROUNDS', 1))),
  engines: list('BENCH_ENGINES', smoke ? ['sqlite'] : ['sqlite', 'postgres']) as ('sqlite' | 'postgres')[],
  /** Only these scenarios (names as in the report), e.g. `refresh,code-openid`. */
  only: list('BENCH_ONLY', []),
  /** Scenarios the peer runs too; in smoke only one. */
  peerScenarios: list('BENCH_PEER', smoke ? ['introspect'] : ['refresh', 'code-openid', 'code-plain', 'introspect', 'userinfo', 'jwks', 'discovery']),
  /** Stored-token counts for the scale scenarios; 1M only with BENCH_SCALE=1. */
  scale: process.env.BENCH_SCALE === '1' ? [10_000, 1_000_000] : [10_000],
  /** `serve --workers N` counts for the multi-core stage (each engine). */
  workers: list('BENCH_WORKERS', ['1', '2']).map(Number),
  postgresUrl: process.env.BENCH_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/test',
  /** The Borealis checkout to build and measure (default: this repository). */
  borealisDir: process.env.BENCH_BOREALIS_DIR || new URL('../..', import.meta.url).pathname,
  /**
   * A git ref (e.g. `HEAD~1`, `main`) to measure beside this checkout in the same run: it is
   * exported to a temporary folder, built, and run as `baseline-<engine>` right after
   * `borealis-<engine>` in every scenario; rows get a `× baseline` ratio.
   */
  baseline: process.env.BENCH_BASELINE || '',
  /** Skip `npm run build` (the dist/ already there is measured). */
  skipBuild: process.env.BENCH_SKIP_BUILD === '1',
  /** A folder: run Borealis with `node --cpu-prof` and write its profiles there. */
  profileDir: process.env.BENCH_PROFILE || '',
  /**
   * Extra `node` flags (space-separated) for this checkout's Borealis only, never the baseline:
   * with `BENCH_BASELINE=HEAD` this measures a runtime flag against the same code without it.
   */
  nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
  /**
   * Extra environment (`KEY=value`, space-separated) for this checkout's Borealis only, never the
   * baseline: with `BENCH_BASELINE=HEAD` this measures a setting against the same code without it.
   */
  env: Object.fromEntries(
    (process.env.BENCH_ENV ?? '')
      .split(' ')
      .filter(Boolean)
      .map((pair) => [pair.slice(0, Math.max(0, pair.indexOf('='))), pair.slice(pair.indexOf('=') + 1)])
      .filter(([key]) => key !== ''),
  ) as Record<string, string>,
  resultsDir: new URL('../results/', import.meta.url).pathname,
};

export const wanted = (scenario: string) => settings.only.length === 0 || settings.only.includes(scenario);
