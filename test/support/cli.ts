/** `bin/borealis.js` run as a user runs it: a child process, on a database and data folder of the suite's own. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before } from 'node:test';
import { TEST_SECRET, type TestDatabase, freshDatabase } from './server.js';

export const run = promisify(execFile);

/** Creates the database and folder before the calling suite and removes them after it. */
export function cliSandbox() {
  let database: TestDatabase | undefined;
  let dataDir = '';
  before(async () => {
    database = await freshDatabase();
    dataDir = mkdtempSync(join(tmpdir(), 'borealis-cli-'));
  });
  after(async () => {
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const envWith = (env: NodeJS.ProcessEnv) => ({
    ...process.env,
    DATABASE_URL: database!.url,
    BOREALIS_SECRET: TEST_SECRET,
    BOREALIS_DATA_DIR: dataDir,
    ...env,
  });
  const borealis = async (...args: string[]) => (await run(process.execPath, ['bin/borealis.js', ...args], { env: envWith({}) })).stdout;
  return {
    get database() {
      return database!;
    },
    get dataDir() {
      return dataDir;
    },
    /** The command's standard output. */
    borealis,
    /** The command's one JSON object (`--json`). */
    async json(...args: string[]) {
      const stdout = await borealis(...args, '--json');
      assert.equal(stdout.trim().split('\n').length, 1, 'exactly one JSON object on stdout');
      return JSON.parse(stdout) as Record<string, unknown>;
    },
    /** How a command that must fail failed, with `env` over the sandbox's own. */
    fails: (env: NodeJS.ProcessEnv, ...args: string[]) =>
      run(process.execPath, ['bin/borealis.js', ...args], { env: envWith(env) }).then(
        () => assert.fail(`${args.join(' ')} succeeded`),
        (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
      ),
  };
}
