/**
 * Summarises a V8 .cpuprofile (from `BENCH_PROFILE=<dir> npm run bench`): where the server's
 * CPU went, by self time, by inclusive time, and by package or source file.
 *   npx tsx bench/profile.ts <file.cpuprofile> [top=25] [last=busy seconds]
 * `last` keeps only the last that many seconds of busy samples: with `BENCH_ONLY` one scenario,
 * that is its measured run, without the setup before it (the code scenarios mint their codes
 * through the authorization flow first, in the same server).
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg, lastArg] = process.argv.slice(2);
if (!file) throw new Error('usage: tsx bench/profile.ts <file.cpuprofile> [top] [last busy seconds]');
const top = Number(topArg ?? 25);
const lastMicros = lastArg === undefined ? Infinity : Number(lastArg) * 1e6;
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

/** Where a frame lives: a source file of ours, a package, node itself, or V8's pseudo-frames. */
function bucket({ url, functionName }: Node['callFrame']): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return url.replace(/^node:internal\/.*/, 'node:internal');
  const own = /\/(dist|src)\/(.*)$/.exec(url);
  return own ? own[2]! : url;
}
const label = (f: Node['callFrame']) => `${f.functionName || '(anonymous)'} ${bucket(f)}:${f.lineNumber + 1}`;

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
const buckets = new Map<string, number>();
const add = (map: Map<string, number>, key: string, v: number) => map.set(key, (map.get(key) ?? 0) + v);
const isIdle = (id: number) => byId.get(id)!.callFrame.functionName === '(idle)';
// Busy time from each sample to the end of the profile, to cut at `last`.
const busyAfter: number[] = [];
for (let i = profile.samples.length - 1, busy = 0; i >= 0; i--) {
  if (!isIdle(profile.samples[i]!)) busy += profile.timeDeltas[i] ?? 0;
  busyAfter[i] = busy;
}
let total = 0;
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0;
  const leaf = byId.get(id)!;
  if (isIdle(id) || busyAfter[i]! > lastMicros) return;
  total += dt;
  add(self, label(leaf.callFrame), dt);
  add(buckets, bucket(leaf.callFrame), dt);
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
    const key = label(byId.get(at)!.callFrame);
    if (!seen.has(key)) add(inclusive, key, dt);
    seen.add(key);
  }
});

const print = (title: string, map: Map<string, number>) => {
  console.log(`\n## ${title}\n`);
  for (const [key, v] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)}%  ${key}`);
  }
};
console.log(`# ${file}\nbusy CPU ${(total / 1e6).toFixed(1)} s (idle excluded)`);
print('self time by package / file', buckets);
print('self time by function', self);
print('inclusive time by function', inclusive);
