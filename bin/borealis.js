#!/usr/bin/env node
// Entry point for `npx borealis …` and `npm start`. With NODE_ENV=production it runs the
// compiled build (`npm run build` → dist/); otherwise the TypeScript sources run through tsx,
// so a fresh clone needs no build step and never runs a stale one.
//
// This file is CommonJS (bin/package.json) so that it runs before libuv's thread pool starts:
// Node's ESM loader queues file reads on the pool, which then already has its size before an
// ES module's first line.
'use strict';
const { existsSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

// The pool signs RS256 id_tokens and runs sign-ins' scrypt. libuv's default of 4 threads on a
// 2-core machine contends with the JavaScript thread, which every request needs: with one core
// left to that thread, code exchanges with openid had a lower p99 in every paired run
// (bench/README.md, fifteenth sitting). An operator's own value is kept; `serve --workers N`
// shares the cores out (cli/workers.ts).
if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(Math.max(1, availableParallelism() - 1));
  process.env.BOREALIS_THREADPOOL_DEFAULT = '1';
}

const built = join(__dirname, '../dist/cli/main.js');
// Production without a build would quietly run the sources through tsx, which the deploy
// meant to leave behind: said at once instead.
if (process.env.NODE_ENV === 'production' && !existsSync(built)) {
  console.error('borealis: NODE_ENV=production runs the compiled build, and dist/ has none: run `npm run build` first');
  process.exit(2);
}
const started =
  process.env.NODE_ENV === 'production'
    ? import(pathToFileURL(built).href)
    : import('tsx/esm/api').then(({ register }) => {
        register();
        return import('../src/cli/main.ts');
      });
started.catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
