#!/usr/bin/env node
// Entry point for `npx borealis …` and `npm start`. With NODE_ENV=production it runs the
// compiled build (`npm run build` → dist/); otherwise the TypeScript sources run through tsx,
// so a fresh clone needs no build step and never runs a stale one.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (process.env.NODE_ENV === 'production' && existsSync(built)) {
  await import(built);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
}
