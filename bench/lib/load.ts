/** One autocannon run with exact latency percentiles and the server's memory sampled alongside. */
import autocannon from 'autocannon';
import { cpuSeconds, postgresCpu, sampleRss } from './processes.js';

export interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface Load {
  request: Request;
  /** Called as each request is built: per-request fields (a fresh code, the connection's token). */
  next?: () => Partial<Request>;
  /**
   * Called with each response, before the same connection builds its next request. Returning
   * false counts the response as invalid (a 2xx with the wrong content).
   */
  onResponse?: (status: number, body: string, headers: Record<string, string | string[]>) => boolean | void;
}

export interface Measured {
  requests: number;
  seconds: number;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
  /** 2xx answers whose body was not what the scenario expects. */
  invalid: number;
  statuses: Record<string, number>;
  rssPeakMb: number;
  rssMeanMb: number;
  /** Server CPU (user + system) per request over the measured run, in µs; 0 without a pid. */
  cpuUs: number;
  /** PostgreSQL's CPU per request over the same run, in µs, for a server on PostgreSQL; else 0. */
  postgresCpuUs: number;
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
export const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

const percentile = (sorted: Float64Array, p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0);
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

const withFields = (req: Request, fields: Partial<Request>): Request => ({ ...req, ...fields, headers: { ...req.headers, ...fields.headers } });

/** Runs for `duration` seconds, or for exactly `amount` requests (single-use credentials). */
export async function measure(
  url: string,
  load: Load,
  options: { connections: number; duration?: number; amount?: number; pid?: number; withChildren?: boolean | undefined; postgres?: boolean | undefined },
): Promise<Measured> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const { request, next, onResponse } = load;
  let invalid = 0;
  const check = (status: number, body: string, headers: Record<string, string | string[]>) => {
    if (onResponse?.(status, body, headers) === false && status < 300) invalid++;
  };
  const stopRss = options.pid ? sampleRss(options.pid, options.withChildren) : () => ({ peak: 0, mean: 0 });
  const cpuBefore = options.pid ? cpuSeconds(options.pid, options.withChildren) : 0;
  const postgresSince = options.postgres ? postgresCpu() : () => 0;
  const started = process.hrtime.bigint();
  let done!: (value: autocannon.Result) => void;
  let failed!: (error: unknown) => void;
  const finished = new Promise<autocannon.Result>((resolve, reject) => ((done = resolve), (failed = reject)));
  const instance = autocannon({
    url,
    connections: options.connections,
    ...(options.amount ? { amount: options.amount } : { duration: options.duration ?? 10 }),
    timeout: 10,
    requests: [
      {
        method: request.method,
        path: request.path,
        headers: { ...request.headers },
        body: request.body,
        ...(next ? { setupRequest: (req: Request) => withFields(req, next()) } : {}),
        ...(onResponse ? { onResponse: (status: number, body: string, _ctx: unknown, headers: Record<string, string | string[]>) => check(status, body, headers) } : {}),
      },
    ],
  } as autocannon.Options, (error, result) => (error ? failed(error) : done(result)));
  // autocannon ends a run only at its next once-a-second sample, so a run of `amount` requests
  // would count up to a second of idle tail: the rate is measured to the last response instead.
  let lastResponse = started;
  instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
    lastResponse = process.hrtime.bigint();
    latencies.push(time);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await finished;
  const seconds = Number(lastResponse - started) / 1e9;
  const rss = stopRss();
  const cpu = options.pid ? cpuSeconds(options.pid, options.withChildren) - cpuBefore : 0;
  const databaseCpu = postgresSince();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    seconds: round(seconds),
    rps: seconds > 0 ? Math.round(latencies.length / seconds) : 0,
    p50: round(percentile(sorted, 50)),
    p90: round(percentile(sorted, 90)),
    p99: round(percentile(sorted, 99)),
    max: round(sorted.length ? sorted[sorted.length - 1]! : 0),
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    invalid,
    statuses,
    rssPeakMb: round(rss.peak, 1),
    rssMeanMb: round(rss.mean, 1),
    cpuUs: latencies.length ? Math.round((cpu / latencies.length) * 1e6) : 0,
    postgresCpuUs: latencies.length ? Math.round((databaseCpu / latencies.length) * 1e6) : 0,
  };
}

/**
 * Per-connection chains of single-use credentials (refresh rotation): a connection's next
 * request uses the credential its previous response returned. autocannon builds a connection's
 * next request synchronously right after handing it that connection's response, so a hand-off
 * slot read in the same tick is exact; a credential nobody picked up returns to the pool.
 * A connection's first request draws from `pool`.
 */
export function chains(pool: string[], extract: (body: string) => string | undefined) {
  let handoff: string | undefined;
  let last = '';
  return {
    take(): string {
      const value = handoff ?? pool.pop() ?? last;
      handoff = undefined;
      last = value;
      return value;
    },
    give(status: number, body: string): boolean {
      const value = status === 200 ? extract(body) : undefined;
      if (!value) return false;
      handoff = value;
      queueMicrotask(() => {
        if (handoff === value) {
          pool.push(value);
          handoff = undefined;
        }
      });
      return true;
    },
  };
}
