/** Child servers: start, wait until they answer, sample their memory, stop. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';

export interface Server {
  name: string;
  url: string;
  pid: number;
  /** A `serve --workers N` primary: its memory is its own plus its workers'. */
  withChildren?: boolean;
  /** Served from PostgreSQL, whose backends' CPU is measured beside the server's. */
  postgres?: boolean;
  /** PostgreSQL: refreshes the planner's statistics of the server's tables (run.ts, after the warm-up). */
  analyze?: () => Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Spawns `node args…` and resolves once GET `readyPath` answers 200. */
export async function startServer(name: string, args: string[], options: { port: number; env: NodeJS.ProcessEnv; cwd?: string; readyPath: string }): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'inherit', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    stderr += text;
    // Node 20 warnings from the peer are expected; anything else is worth seeing.
    if (!/Unsupported runtime|EBADENGINE/.test(text)) process.stderr.write(`[${name}] ${text}`);
  });
  const url = `http://127.0.0.1:${options.port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}): ${stderr}`);
    try {
      if ((await fetch(url + options.readyPath)).ok) break;
    } catch {}
    if (i > 300) throw new Error(`${name} did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    name,
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

const vmRss = (pid: number | string) => {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : 0;
  } catch {
    return 0; // gone meanwhile
  }
};

/** The direct children of `pid` (cluster workers), from each process's /proc/<pid>/stat. */
function children(pid: number): string[] {
  return readdirSync('/proc').filter((entry) => {
    if (!/^\d+$/.test(entry)) return false;
    try {
      // The ppid is the 2nd field after the parenthesised command name.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  });
}

/**
 * Resident memory in MB, from /proc/<pid>/status (VmRSS): the process itself, plus its direct
 * children when `withChildren` (a `serve --workers N` primary and its workers).
 */
export function rssMb(pid: number, withChildren = false): number {
  return vmRss(pid) + (withChildren ? children(pid).reduce((sum, child) => sum + vmRss(child), 0) : 0);
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number | string): number {
  try {
    // utime and stime are the 12th and 13th fields after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) the server has used so far, with its live children's when
 * `withChildren`. The difference over a run, per request, is what a request costs the server:
 * steadier than req/s on a shared machine, since waiting for a core costs no CPU.
 */
export function cpuSeconds(pid: number, withChildren = false): number {
  const ticks = cpuTicks(pid) + (withChildren ? children(pid).reduce((sum, child) => sum + cpuTicks(child), 0) : 0);
  return ticks / TICKS_PER_SECOND;
}

/**
 * CPU ticks of each PostgreSQL process on the machine so far: during a run, the backends of the
 * server's pool doing its statements, and the WAL writer and checkpointer doing their share.
 */
function postgresTicks(): Map<string, number> {
  const ticks = new Map<string, number>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'postgres') ticks.set(pid, cpuTicks(pid));
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks;
}

/**
 * Starts counting PostgreSQL's CPU; the returned function gives the seconds used since, summed
 * per process, so that a backend ending meanwhile (another server's idle connection) does not
 * take its past CPU out of the sum. What a backend that ended used during the run is not counted.
 */
export function postgresCpu(): () => number {
  const before = postgresTicks();
  return () => {
    let ticks = 0;
    for (const [pid, now] of postgresTicks()) ticks += now - (before.get(pid) ?? 0);
    return ticks / TICKS_PER_SECOND;
  };
}

/** Samples VmRSS every 100 ms until stopped; returns the peak and the mean. */
export function sampleRss(pid: number, withChildren = false) {
  const samples: number[] = [rssMb(pid, withChildren)];
  const timer = setInterval(() => samples.push(rssMb(pid, withChildren)), withChildren ? 250 : 100);
  return () => {
    clearInterval(timer);
    return { peak: Math.max(...samples), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
  };
}

/** Runs a command to completion and returns its stdout; fails with its stderr. */
export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${out}${err}`))));
  });
}
