/** Medians over rounds, ratios, the targets, and the Markdown/JSON files. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Measured } from './load.js';

export interface Record {
  scenario: string;
  server: string;
  /** Tokens bulk-loaded before the run (scale scenarios). */
  stored?: number;
  round: number;
  result: Measured;
}

export interface Row extends Omit<Measured, 'statuses' | 'seconds' | 'requests' | 'max' | 'rssMeanMb'> {
  scenario: string;
  server: string;
  stored?: number;
  rounds: number;
  requests: number;
  vsPeer?: number;
  /** The median of each round's own ratio to the peer (`pairedRatio`). */
  vsPeerPaired?: number;
  vsCeiling?: number;
  /** Against `baseline-<engine>` (BENCH_BASELINE) in the same run. */
  vsBaseline?: number;
  vsBaselinePaired?: number;
}

export interface Check {
  target: string;
  measured: string;
  pass: boolean | undefined;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const r2 = (n: number) => Math.round(n * 100) / 100;

/**
 * The median over rounds of one round's req/s in `mine` over the same round's in `theirs`.
 * A round runs the two back to back, so they share whatever else the machine was doing then;
 * the ratio of the two medians can pair one's calm round with the other's busy one.
 */
function pairedRatio(mine: Record[], theirs: Record[]): number | undefined {
  const other = new Map(theirs.map((r) => [r.round, r.result.rps]));
  const ratios = mine.flatMap((r) => {
    const rps = other.get(r.round);
    return rps ? [r.result.rps / rps] : [];
  });
  return ratios.length ? r2(median(ratios)) : undefined;
}

const groupKey = (scenario: string, server: string, stored?: number) => `${scenario}|${server}|${stored ?? ''}`;

export function summarize(records: Record[]): Row[] {
  const groups = new Map<string, Record[]>();
  for (const rec of records) {
    const key = groupKey(rec.scenario, rec.server, rec.stored);
    groups.set(key, [...(groups.get(key) ?? []), rec]);
  }
  const roundsOf = (row: Row, server = row.server) => groups.get(groupKey(row.scenario, server, row.stored)) ?? [];
  const rows: Row[] = [...groups.values()].map((group) => {
    const results = group.map((g) => g.result);
    const m = (f: (x: Measured) => number) => r2(median(results.map(f)));
    const sum = (f: (x: Measured) => number) => results.reduce((a, x) => a + f(x), 0);
    return {
      scenario: group[0]!.scenario,
      server: group[0]!.server,
      ...(group[0]!.stored !== undefined ? { stored: group[0]!.stored } : {}),
      rounds: group.length,
      requests: sum((x) => x.requests),
      rps: Math.round(m((x) => x.rps)),
      p50: m((x) => x.p50),
      p90: m((x) => x.p90),
      p99: m((x) => x.p99),
      errors: sum((x) => x.errors),
      non2xx: sum((x) => x.non2xx),
      invalid: sum((x) => x.invalid),
      rssPeakMb: Math.max(...results.map((x) => x.rssPeakMb)),
      cpuUs: Math.round(m((x) => x.cpuUs)),
      postgresCpuUs: Math.round(m((x) => x.postgresCpuUs)),
    };
  });
  const find = (scenario: string, server: string) => rows.find((r) => r.scenario === scenario && r.server === server && r.stored === undefined);
  const ceiling = find('introspect', 'ceiling');
  for (const row of rows) {
    if (!row.server.startsWith('borealis')) continue;
    const peer = row.stored === undefined ? find(row.scenario, 'peer') : undefined;
    if (peer) {
      row.vsPeer = r2(row.rps / peer.rps);
      row.vsPeerPaired = pairedRatio(roundsOf(row), roundsOf(row, peer.server));
    }
    // The ceiling answers the introspection form POST: a ratio only for that request.
    if (ceiling && row.scenario === 'introspect') row.vsCeiling = r2(row.rps / ceiling.rps);
    const baseline = row.stored === undefined ? find(row.scenario, row.server.replace(/^borealis-/, 'baseline-')) : undefined;
    if (baseline) {
      row.vsBaseline = r2(row.rps / baseline.rps);
      row.vsBaselinePaired = pairedRatio(roundsOf(row), roundsOf(row, baseline.server));
    }
  }
  return rows;
}

/** A `serve --workers N` row (server `…-wN`): reported beside the targets, not judged by them. */
const isWorkersRow = (r: Row) => /-w\d+$/.test(r.server);

export function checks(rows: Row[]): Check[] {
  const out: Check[] = [];
  // Targets are judged on single-process servers; `--workers N` rows (…-wN) are reported beside them.
  const base = rows.filter((r) => r.server.startsWith('borealis') && r.stored === undefined && !isWorkersRow(r));
  // A ratio to the peer passes when both its forms do: the ratio of the medians and the paired one.
  const vsPeer = (row: Row, goal: number, target: string): Check =>
    row.vsPeer === undefined
      ? { target, measured: 'not run', pass: undefined }
      : { target, measured: `${row.vsPeer}× (by round ${row.vsPeerPaired}×)`, pass: row.vsPeer >= goal && (row.vsPeerPaired ?? 0) >= goal };
  const ratio = (scenario: string, goal: number, label: string) => {
    for (const row of base.filter((r) => r.scenario === scenario)) out.push(vsPeer(row, goal, `${label} (${row.server})`));
  };
  ratio('introspect', 3, 'introspection ≥ 3× peer');
  for (const row of base.filter((r) => r.scenario === 'introspect')) {
    const value = row.vsCeiling;
    const target = `introspection ≥ 40% of the Fastify ceiling (${row.server})`;
    out.push({ target, measured: value === undefined ? 'not run' : `${value}×`, pass: value === undefined ? undefined : value >= 0.4 });
  }
  for (const row of base.filter((r) => r.scenario === 'refresh' && r.server === 'borealis-sqlite')) out.push(vsPeer(row, 3, 'refresh SQLite ≥ 3× peer'));
  for (const row of base.filter((r) => r.scenario === 'refresh' && r.server === 'borealis-postgres')) {
    out.push({ target: 'refresh PostgreSQL ≥ 2,400/s', measured: `${row.rps}/s`, pass: row.rps >= 2400 });
  }
  ratio('code-openid', 1.2, 'code exchange with openid ≥ 1.2× peer');
  ratio('code-plain', 3, 'code exchange without openid ≥ 3× peer');
  const all = rows.filter((r) => r.server.startsWith('borealis'));
  if (all.length) {
    const worst = all.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    const over = all.filter((r) => r.p99 > 25).map((r) => `${r.scenario}${r.stored ? `@${r.stored}` : ''}/${r.server.replace('borealis-', '')}`);
    out.push({ target: 'p99 ≤ 25 ms at 50 connections (every Borealis run)', measured: `worst ${worst.p99} ms (${worst.scenario}, ${worst.server})${over.length ? `; over: ${over.join(', ')}` : ''}`, pass: over.length === 0 });
    // Per server process: a `--workers N` row sums N + 1 processes and is shown, not judged.
    const judged = all.filter((r) => !isWorkersRow(r));
    const rss = Math.max(...judged.map((r) => r.rssPeakMb));
    if (judged.length) out.push({ target: 'RSS ≤ 200 MB', measured: `peak ${rss} MB`, pass: rss <= 200 });
  }
  for (const [engine, name] of [['sqlite', 'SQLite'], ['postgres', 'PostgreSQL']]) {
    for (const many of rows.filter((r) => new RegExp(`^borealis-${engine}-w([2-9]|\\d\\d+)$`).test(r.server))) {
      const one = rows.find((r) => r.server === `borealis-${engine}-w1` && r.scenario === many.scenario);
      if (!one) continue;
      out.push({ target: `${many.server.replace(`borealis-${engine}-`, '')} vs w1, ${many.scenario} (${name}; reported, no target)`, measured: `${r2(many.rps / one.rps)}× (${one.rps} → ${many.rps}/s)`, pass: undefined });
    }
  }
  for (const big of rows.filter((r) => r.stored === 1_000_000)) {
    const small = rows.find((r) => r.stored === 10_000 && r.scenario === big.scenario && r.server === big.server);
    if (!small) continue;
    const q = r2(big.p50 / small.p50);
    out.push({ target: `1M vs 10k stored, p50 within 1.2× (${big.scenario}, ${big.server})`, measured: `${q}× (${small.p50} → ${big.p50} ms)`, pass: q <= 1.2 });
  }
  return out;
}

export function machine() {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, platform: process.platform };
}

const cell = (v: number | undefined, suffix = '') => (v === undefined ? '' : `${v}${suffix}`);

export function markdown(rows: Row[], checkList: Check[], meta: { started: string; seconds: number; settings: object; titles: Map<string, string> }): string {
  const m = machine();
  // The `× baseline` column only when a baseline ran (BENCH_BASELINE).
  const withBaseline = rows.some((r) => r.vsBaseline !== undefined);
  const lines = [
    `# Borealis benchmark — ${meta.started}`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB; Node ${m.node}. Load generator (autocannon) on the same machine.`,
    `Settings: \`${JSON.stringify(meta.settings)}\`. Total time ${Math.round(meta.seconds)} s.`,
    'Figures are medians over rounds; latencies in ms; RSS is the server process\'s peak VmRSS during the measured run;',
    'CPU is the server\'s user + system time per request (µs), the steadier figure on a shared machine;',
    'PG CPU is PostgreSQL\'s (all its processes) per request, for a server on PostgreSQL;',
    '"by round" is the median of each round\'s own ratio (the two runs of a round ran back to back).',
    '',
    `| scenario | server | stored | req/s | p50 | p90 | p99 | errors | non-2xx | invalid | RSS MB | CPU µs | PG CPU µs | × peer | × peer by round | × ceiling |${withBaseline ? ' × baseline | × baseline by round |' : ''}`,
    `|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|${withBaseline ? '--:|--:|' : ''}`,
    ...rows.map((r) =>
      `| ${r.scenario} | ${r.server} | ${r.stored?.toLocaleString('en') ?? ''} | ${r.rps.toLocaleString('en')} | ${r.p50} | ${r.p90} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.invalid} | ${r.rssPeakMb} | ${r.cpuUs} | ${r.postgresCpuUs || ''} | ${cell(r.vsPeer, '×')} | ${cell(r.vsPeerPaired, '×')} | ${cell(r.vsCeiling === undefined ? undefined : Math.round(r.vsCeiling * 100), '%')} |` +
      (withBaseline ? ` ${cell(r.vsBaseline, '×')} | ${cell(r.vsBaselinePaired, '×')} |` : ''),
    ),
    '',
    '## Targets',
    '',
    '| target | measured | |',
    '|---|---|---|',
    ...checkList.map((c) => `| ${c.target} | ${c.measured} | ${c.pass === undefined ? '—' : c.pass ? 'pass' : '**miss**'} |`),
    '',
    '## Scenarios',
    '',
    ...[...meta.titles].map(([name, title]) => `- \`${name}\`: ${title}`),
    '',
  ];
  return lines.join('\n');
}

export function write(dir: string, stamp: string, latest: boolean, md: string, json: object) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${stamp}.md`), md);
  writeFileSync(join(dir, `${stamp}.json`), JSON.stringify(json, null, 2) + '\n');
  if (latest) writeFileSync(join(dir, 'latest.md'), md);
}
