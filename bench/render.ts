/**
 * Renders a run's results again with the report code of this checkout, from the per-round records
 * its JSON keeps: `npx tsx bench/render.ts bench/results/<stamp>.json`. Rewrites `<stamp>.md`
 * and the JSON's rows and checks; the scenario titles are kept from the old Markdown. Use it when
 * the report gains a figure that older runs can give too.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type Check, type Record, type Row, checks, markdown, summarize } from './lib/report.js';

interface Results {
  started: string;
  seconds: number;
  settings: object;
  rows: Row[];
  checks: Check[];
  records: Record[];
}

const file = process.argv[2];
if (!file?.endsWith('.json')) throw new Error('usage: tsx bench/render.ts bench/results/<stamp>.json');
const results = JSON.parse(readFileSync(file, 'utf8')) as Results;
const mdFile = file.replace(/\.json$/, '.md');
const titles = new Map(
  [...readFileSync(mdFile, 'utf8').matchAll(/^- `([^`]+)`: (.*)$/gm)].map((m) => [m[1]!, m[2]!] as const),
);
results.rows = summarize(results.records);
results.checks = checks(results.rows);
writeFileSync(mdFile, markdown(results.rows, results.checks, { started: results.started, seconds: results.seconds, settings: results.settings, titles }));
writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
process.stdout.write(`rendered ${mdFile}\n`);
