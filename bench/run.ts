/**
 * `npm run bench` / `npm run bench:smoke`: builds Borealis, runs its production build beside
 * node-oidc-provider and a bare Fastify ceiling, drives each scenario with autocannon (Borealis
 * and the peer alternately), and writes bench/results/<timestamp>.{md,json} and latest.md.
 * Exits non-zero if any run had an error, a non-2xx answer or an invalid body.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Load, measure } from './lib/load.js';
import { run } from './lib/processes.js';
import { type Record, checks, machine, markdown, summarize, write } from './lib/report.js';
import { type Prepared, type Scenario, SCENARIOS, introspectLoad, refreshLoad } from './lib/scenarios.js';
import { settings, wanted } from './lib/settings.js';
import { bulkTokens } from './lib/bulk.js';
import { type Target, startBorealis, startCeiling, startPeer } from './lib/targets.js';
import type { Server } from './lib/processes.js';

const t0 = Date.now();
const log = (message: string) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
const running: { stop(): Promise<void> }[] = [];
const records: Record[] = [];
const { connections } = settings;

async function stopAll() {
  await Promise.allSettled(running.splice(0).map((s) => s.stop()));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().then(() => process.exit(130)));
}

/** Warm-up (discarded), then the measured run; credentials are prepared afresh for each. */
async function once(scenario: string, server: Server, prepare: (run: { seconds: number; rps?: number }) => Promise<Prepared>, stored?: number) {
  let rps: number | undefined;
  if (settings.warmup > 0) {
    const warm = await prepare({ seconds: settings.warmup });
    rps = (await measure(server.url, warm.load, { connections, duration: settings.warmup, amount: warm.amount })).rps;
    // What autovacuum's ANALYZE would have done as the warm-up grew the tables (targets.ts).
    await server.analyze?.();
  }
  const { load, amount } = await prepare({ seconds: settings.duration, rps });
  const result = await measure(server.url, load, { connections, duration: settings.duration, amount, pid: server.pid, withChildren: server.withChildren, postgres: server.postgres });
  records.push({ scenario, server: server.name, ...(stored !== undefined ? { stored } : {}), round: round, result });
  const bad = result.errors + result.non2xx + result.invalid;
  log(
    `${scenario}${stored ? `@${stored.toLocaleString('en')}` : ''} ${server.name}: ${result.rps.toLocaleString('en')} req/s, p50 ${result.p50} p90 ${result.p90} p99 ${result.p99} ms, ` +
      `RSS ${result.rssPeakMb} MB${bad ? `; FAILURES errors ${result.errors} non-2xx ${result.non2xx} invalid ${result.invalid} ${JSON.stringify(result.statuses)}` : ''}`,
  );
}

let round = 0;
const WORKER_SCENARIOS = ['refresh', 'code-plain', 'introspect', 'userinfo'];

async function main() {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').replace('Z', '');
  if (!settings.skipBuild) {
    log(`building ${settings.borealisDir}`);
    await run('npm', ['run', 'build'], { cwd: settings.borealisDir });
  }
  const baselineDir = settings.baseline ? await checkoutBaseline(settings.baseline) : undefined;
  const scenarios = SCENARIOS.filter((s) => wanted(s.name));
  const withPeer = (s: Scenario) => !s.borealisOnly && settings.peerScenarios.includes(s.name);
  const [peer, ceiling, ...borealis] = await Promise.all([
    scenarios.some(withPeer) ? started(startPeer()) : undefined,
    wanted('introspect') ? started(startCeiling()) : undefined,
    ...(scenarios.length ? settings.engines.map((engine) => started(startBorealis(engine))) : []),
  ]) as [Target | undefined, Server | undefined, ...Target[]];
  const baselines = baselineDir && scenarios.length
    ? await Promise.all(settings.engines.map((engine) => started(startBorealis(engine, { name: `baseline-${engine}`, dir: baselineDir }))))
    : [];
  log(`started ${[...borealis, ...baselines, ...(peer ? [peer] : [])].map((t) => t.name).join(', ')}${ceiling ? ', ceiling' : ''}`);

  for (round = 1; round <= settings.rounds; round++) {
    for (const scenario of scenarios) {
      // A/B: the peer runs between the two engines, so slow drift hits both sides alike; a
      // baseline runs beside its engine, first on even rounds.
      const engines = borealis.map((b, i) => (baselines[i] ? (round % 2 ? [b, baselines[i]!] : [baselines[i]!, b]) : [b]));
      const order = peer && withPeer(scenario) ? [...engines[0]!, peer, ...engines.slice(1).flat()] : engines.flat();
      for (const target of order) await once(scenario.name, target.server, (r) => scenario.prepare(target, { ...r, connections }));
      if (scenario.name === 'introspect' && ceiling) {
        const load: Load = (await scenario.prepare(borealis[0]!, { seconds: 0, connections })).load;
        const sample = load.next!().body!;
        await once('introspect', ceiling, async () => ({ load: { request: { ...load.request, body: sample } } }));
      }
    }
  }
  await Promise.all([...borealis, ...baselines, ...(peer ? [peer] : [])].map((t) => stopped(t)));
  if (ceiling) await stopped(ceiling);

  if (wanted('scale')) {
    for (const engine of settings.engines) {
      const target = await started(startBorealis(engine));
      let stored = 0;
      let sample: string[] = [];
      for (const count of settings.scale) {
        const began = Date.now();
        sample = sample.concat(await bulkTokens(target, count - stored));
        stored = count;
        log(`scale ${target.name}: ${count.toLocaleString('en')} tokens stored (${((Date.now() - began) / 1000).toFixed(1)} s)`);
        const random = () => sample[Math.floor(Math.random() * sample.length)]!;
        for (round = 1; round <= settings.rounds; round++) {
          await once('refresh', target.server, () => refreshLoad(target, connections), count);
          await once('introspect', target.server, async () => introspectLoad(target, sample, random), count);
        }
      }
      await stopped(target);
    }
  }

  // Multi-core: `serve --workers N` on each engine (PostgreSQL is the one many processes share in
  // production; on SQLite they share one WAL file), every N started at once and run alternately
  // per scenario, like the A/B above.
  for (const engine of wanted('workers') ? settings.engines : []) {
    const targets: Target[] = [];
    for (const n of settings.workers) targets.push(await started(startBorealis(engine, { name: `borealis-${engine}-w${n}`, workers: n })));
    for (round = 1; round <= settings.rounds; round++) {
      for (const scenario of SCENARIOS.filter((s) => WORKER_SCENARIOS.includes(s.name))) {
        for (const target of targets) await once(scenario.name, target.server, (r) => scenario.prepare(target, { ...r, connections }));
      }
    }
    for (const target of targets) await stopped(target);
  }

  const rows = summarize(records);
  const checkList = checks(rows);
  const seconds = (Date.now() - t0) / 1000;
  const titles = new Map(SCENARIOS.map((s) => [s.name, s.title]));
  titles.set('workers', `${WORKER_SCENARIOS.join(', ')} with \`serve --workers N\`, N = ${settings.workers.join(', ')}, on each engine (server \`borealis-<engine>-wN\`; RSS sums the primary and its workers)`);
  titles.set('scale', `refresh and introspect again with ${settings.scale.map((n) => n.toLocaleString('en')).join(' and ')} live tokens bulk-loaded (introspecting tokens drawn at random from them)`);
  const shown = { ...settings, resultsDir: undefined, borealisDir: undefined };
  const md = markdown(rows, checkList, { started: stamp, seconds, settings: shown, titles });
  // latest.md is the last complete run: not a smoke run, a filtered one or a profiled one.
  const complete = !settings.smoke && settings.only.length === 0 && !settings.profileDir;
  write(settings.resultsDir, stamp, complete, md, { started: stamp, seconds, machine: machine(), settings: shown, rows, checks: checkList, records });
  process.stdout.write(md);
  const failed = rows.filter((r) => r.errors + r.non2xx + r.invalid > 0);
  if (failed.length) {
    log(`FAILED: errors or non-2xx in ${failed.map((r) => `${r.scenario}/${r.server}`).join(', ')}`);
    process.exitCode = 1;
  }
  log(`done; bench/results/${stamp}.md`);
}

/** `git archive` of `ref` into a temporary folder, sharing this checkout's node_modules, built. */
async function checkoutBaseline(ref: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'borealis-baseline-'));
  running.push({ stop: async () => rmSync(dir, { recursive: true, force: true }) });
  const archive = join(dir, 'src.tar');
  await run('git', ['archive', '--format=tar', '-o', archive, ref], { cwd: settings.borealisDir });
  await run('tar', ['-xf', archive, '-C', dir]);
  symlinkSync(join(settings.borealisDir, 'node_modules'), join(dir, 'node_modules'));
  log(`building baseline ${ref} in ${dir}`);
  await run('npm', ['run', 'build'], { cwd: dir });
  return dir;
}

async function started<T extends { stop(): Promise<void> }>(promise: Promise<T>): Promise<T> {
  const value = await promise;
  running.push(value);
  return value;
}

async function stopped(value: { stop(): Promise<void> }) {
  running.splice(running.indexOf(value), 1);
  await value.stop();
}

try {
  await main();
} catch (error) {
  log(`bench failed: ${(error as Error).stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
