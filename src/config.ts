/**
 * The one typed configuration. Every key comes from the environment (or a CLI flag that
 * overrides it) and is validated here once; the result is frozen and passed by slices.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface Config {
  /** NODE_ENV=production. Production refuses a missing BOREALIS_SECRET. */
  readonly production: boolean;
  /** PORT (default 8080). */
  readonly port: number;
  /** HOST to bind (default 127.0.0.1 in development, 0.0.0.0 in production). */
  readonly host: string;
  /** BOREALIS_PUBLIC_URL: the issuer and the origin of every absolute URL we emit (D15). */
  readonly publicUrl: string;
  /** DATABASE_URL: `postgres://…` for PostgreSQL, otherwise a SQLite file (default ./data/borealis.db). */
  readonly databaseUrl: string;
  /** DATABASE_POOL_SIZE: PostgreSQL connections per process (default 10; SQLite ignores it). */
  readonly databasePoolSize: number;
  /** BOREALIS_AUTHORIZATION_ENDPOINT: an external authorize page; default the built-in `/oauth2/authorize`. */
  readonly authorizationEndpoint: string;
  /** BOREALIS_SIGNUP: `open` or `closed` self-service sign-up at /signup (default open, closed in production). */
  readonly signupOpen: boolean;
  /** BOREALIS_REGISTRATION: who may register clients (RFC 7591): `open` (Polar's; default), `authenticated`, `closed`. */
  readonly registration: 'open' | 'authenticated' | 'closed';
  /** BOREALIS_REGISTRATION_RATE_LIMIT: registrations per minute per IP address (default 30). */
  readonly registrationRateLimit: number;
  /** BOREALIS_DATA_DIR (default ./data): the SQLite file and the generated development secret. */
  readonly dataDir: string;
  /** BOREALIS_SECRET: HMAC key for stored credentials and root of every encryption key. */
  readonly secret: string;
  /** BOREALIS_TOKEN_NAMESPACE (default `polar_`): the prefix of every credential (§2.1). */
  readonly tokenNamespace: string;
  /** BOREALIS_REFRESH_GRACE_SECONDS (default 10, 0 disables): D4's concurrent-refresh window. */
  readonly refreshGraceSeconds: number;
  /**
   * BOREALIS_TRUST_PROXY: behind a reverse proxy, which hops to trust for the client address
   * (`true`, a hop count, or comma-separated addresses/CIDRs; default none). Sign-in lockout
   * and rate limits count per client address, so this matters behind a load balancer.
   */
  readonly trustProxy: boolean | number | string;
  /** LOG_LEVEL (default info; `silent` in tests). */
  readonly logLevel: string;
  /** BOREALIS_WORKERS (or `serve --workers`): worker processes for `serve`, 1 to 256 or `auto` (one per CPU). */
  readonly workers: number;
  /** BOREALIS_ADMIN_TOKEN: the Bearer token of the admin API (http/routes/admin.ts), at least 32 characters; unset, the API is off. */
  readonly adminToken: string | undefined;
  /** BOREALIS_METRICS_TOKEN: the Bearer token of GET /metrics (http/metrics.ts), rules as the admin token's; unset, no metrics are kept. */
  readonly metricsToken: string | undefined;
  /** BOREALIS_SECURITY_EVENT_DAYS (default 90): how long security events are stored (audit.ts); 0 stores none. */
  readonly securityEventDays: number;
  /** BOREALIS_SMTP_URL and BOREALIS_MAIL_FROM: the relay for mailed links (mail/mailer.ts); unset, nothing is mailed. */
  readonly mail: { readonly smtpUrl: string; readonly from: string } | undefined;
}

export interface ConfigOverrides {
  /** `serve --port` (raw, validated like PORT). */
  port?: string | undefined;
  databaseUrl?: string | undefined;
  /** `serve --workers` (raw, validated like BOREALIS_WORKERS). */
  workers?: string | undefined;
}

export class ConfigError extends Error {}

function integer(name: string, raw: string | undefined, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer ${max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`}, got "${raw}"`);
  }
  return value;
}

/**
 * D4's window is for parallel refreshes racing each other, not a second life for a rotated
 * token: past a few minutes a replay is reuse. Below the refreshed access token's lifetime
 * (issue.ts, 3600 s), so a replay never hands out an expired token.
 */
const MAX_REFRESH_GRACE_SECONDS = 300;

/**
 * The issuer is an origin: the pages and forms live at the root (/login, /oauth2/authorize),
 * and an issuer carries no query or fragment (RFC 8414 §2). Serving under a path is not supported.
 */
function publicOrigin(value: string): string {
  const url = isHttpUrl(value) ? new URL(value) : undefined;
  if (!url) throw new ConfigError(`BOREALIS_PUBLIC_URL must be an http(s) URL, got "${value}"`);
  if (!/^\/*$/.test(url.pathname) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`BOREALIS_PUBLIC_URL must be an origin, scheme://host[:port] without a path, got "${value}"`);
  }
  return url.origin;
}

function isHttpUrl(value: string): boolean {
  try {
    const { protocol } = new URL(value);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Writes a new secret whole under a temporary name, then links it into place: `link` fails if the
 * file exists, so of two processes starting at once on a fresh folder (`npm start` and a CLI
 * command) one secret wins and both read it; neither can read a half-written file. The folder is
 * made private (0700): it also holds the SQLite database. False when another process won.
 */
function createSecretFile(dataDir: string, file: string): boolean {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(temporary, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temporary, file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * In development a secret is generated once and kept in the data folder, so tokens survive a
 * restart; production must be given one, because a generated secret on an ephemeral disk would
 * silently invalidate every credential at the next deploy.
 */
function resolveSecret(env: NodeJS.ProcessEnv, production: boolean, dataDir: string, warn: (m: string) => void): string {
  const given = env.BOREALIS_SECRET;
  if (given) {
    if (given.length < 32) throw new ConfigError('BOREALIS_SECRET must be at least 32 characters');
    return given;
  }
  if (production) throw new ConfigError('BOREALIS_SECRET is required when NODE_ENV=production');
  const file = join(dataDir, 'secret');
  if (!existsSync(file) && createSecretFile(dataDir, file)) {
    warn(`BOREALIS_SECRET is not set: generated a development secret in ${file}. Set BOREALIS_SECRET in production.`);
  }
  const kept = readFileSync(file, 'utf8').trim();
  if (kept.length < 32) throw new ConfigError(`${file} must hold a secret of at least 32 characters (delete it to generate one)`);
  return kept;
}

function workerCount(name: string, raw: string | undefined): number {
  if (raw === undefined || raw === '') return 1;
  if (raw === 'auto') return availableParallelism();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new ConfigError(`${name} must be an integer from 1 to 256 or "auto", got "${raw}"`);
  return n;
}

/** Addresses or CIDR ranges, comma-separated, or the names proxy-addr knows (as Fastify reads it). */
const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
function isProxyEntry(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', bits, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  return bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (version === 4 ? 32 : 128));
}

function trustProxy(raw: string | undefined, warn: (message: string) => void): Config['trustProxy'] {
  if (!raw || raw === 'false') return false;
  if (raw === 'true') {
    // Every hop trusted: the address is the leftmost X-Forwarded-For entry, which the client writes.
    warn('BOREALIS_TRUST_PROXY=true lets every client choose the address that sign-in lockout and rate limits count; set the number of proxies (1) or their addresses instead.');
    return true;
  }
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!raw.split(',').every((entry) => isProxyEntry(entry.trim()))) {
    throw new ConfigError(`BOREALIS_TRUST_PROXY must be true, false, a hop count, or addresses and CIDR ranges separated by commas, got "${raw}"`);
  }
  return raw;
}

function choice<T extends string>(name: string, raw: string | undefined, fallback: T, allowed: readonly T[]): T {
  const value = (raw || fallback) as T;
  if (!allowed.includes(value)) throw new ConfigError(`${name} must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1)}, got "${value}"`);
  return value;
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: ConfigOverrides = {},
  warn: (message: string) => void = (m) => console.warn(`warning: ${m}`),
): Config {
  const production = env.NODE_ENV === 'production';
  const port = overrides.port !== undefined ? integer('--port', overrides.port, 8080) : integer('PORT', env.PORT, 8080);
  if (port > 65535) throw new ConfigError(`port must be at most 65535, got ${port}`);
  // The issuer names the port, and port 0 is chosen by the system only when listening.
  if (port === 0 && !env.BOREALIS_PUBLIC_URL) throw new ConfigError('port 0 (any free port) needs BOREALIS_PUBLIC_URL: the issuer cannot name a port not chosen yet');
  const dataDir = resolve(env.BOREALIS_DATA_DIR || 'data');
  const publicUrl = publicOrigin(env.BOREALIS_PUBLIC_URL || `http://localhost:${port}`);
  const authorizationEndpoint = env.BOREALIS_AUTHORIZATION_ENDPOINT || `${publicUrl}/oauth2/authorize`;
  if (!isHttpUrl(authorizationEndpoint)) throw new ConfigError(`BOREALIS_AUTHORIZATION_ENDPOINT must be an http(s) URL, got "${authorizationEndpoint}"`);
  if (production && publicUrl.startsWith('http:')) warn('BOREALIS_PUBLIC_URL is not https in production.');
  const namespace = env.BOREALIS_TOKEN_NAMESPACE ?? 'polar_';
  if (!/^[a-z0-9_]{1,20}$/.test(namespace)) throw new ConfigError('BOREALIS_TOKEN_NAMESPACE must match [a-z0-9_]{1,20}');
  const databaseUrl = overrides.databaseUrl ?? (env.DATABASE_URL || join(dataDir, 'borealis.db'));
  // Anything else is a SQLite path: a mistyped `mysql://…` or `postgress://…` would otherwise
  // become a folder of that name holding a private database, with no error.
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(databaseUrl) && !/^(postgres(ql)?|sqlite):\/\//i.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must be postgres://…, postgresql://… or a SQLite file path, not ${databaseUrl.split(':')[0]}://…`);
  }
  // A SQLite file named outright must be in a folder that exists: a mistyped path would
  // otherwise become folders holding a new, empty database. The data folder is made as needed.
  const sqliteFolder = /^[a-z][a-z0-9+.-]*:/i.test(databaseUrl) ? undefined : dirname(resolve(databaseUrl));
  if ((overrides.databaseUrl ?? env.DATABASE_URL) && sqliteFolder !== undefined && !existsSync(sqliteFolder)) {
    throw new ConfigError(`DATABASE_URL names a SQLite file in ${sqliteFolder}, which does not exist: create the folder or correct the path`);
  }
  const workers = overrides.workers !== undefined ? workerCount('--workers', overrides.workers) : workerCount('BOREALIS_WORKERS', env.BOREALIS_WORKERS);
  // Each worker process would open a database of its own and forget the others' writes.
  if (workers > 1 && databaseUrl === ':memory:') throw new ConfigError('several workers need a shared database: a SQLite file or PostgreSQL, not :memory:');
  return Object.freeze({
    production,
    port,
    host: env.HOST || (production ? '0.0.0.0' : '127.0.0.1'),
    publicUrl,
    authorizationEndpoint,
    signupOpen: choice('BOREALIS_SIGNUP', env.BOREALIS_SIGNUP, production ? 'closed' : 'open', ['open', 'closed']) === 'open',
    registration: choice('BOREALIS_REGISTRATION', env.BOREALIS_REGISTRATION, 'open', ['open', 'authenticated', 'closed']),
    registrationRateLimit: integer('BOREALIS_REGISTRATION_RATE_LIMIT', env.BOREALIS_REGISTRATION_RATE_LIMIT, 30, 1),
    databaseUrl,
    databasePoolSize: integer('DATABASE_POOL_SIZE', env.DATABASE_POOL_SIZE, 10, 1),
    dataDir,
    tokenNamespace: namespace,
    refreshGraceSeconds: integer('BOREALIS_REFRESH_GRACE_SECONDS', env.BOREALIS_REFRESH_GRACE_SECONDS, 10, 0, MAX_REFRESH_GRACE_SECONDS),
    trustProxy: trustProxy(env.BOREALIS_TRUST_PROXY, warn),
    logLevel: choice('LOG_LEVEL', env.LOG_LEVEL, 'info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    workers,
    adminToken: bearerSetting('BOREALIS_ADMIN_TOKEN', env.BOREALIS_ADMIN_TOKEN),
    metricsToken: metricsToken(env),
    securityEventDays: integer('BOREALIS_SECURITY_EVENT_DAYS', env.BOREALIS_SECURITY_EVENT_DAYS, 90, 0, 36500),
    mail: mailSettings(env.BOREALIS_SMTP_URL, env.BOREALIS_MAIL_FROM, publicUrl),
    // Last: every other setting is checked first, so a typo creates no data folder nor secret.
    secret: resolveSecret(env, production, dataDir, warn),
  });
}

/** Bearer-token characters only (RFC 6750 §2.1's b64token, and what a shell passes without quoting trouble), long enough not to be guessed. */
function bearerSetting(name: string, value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length < 32 || !/^[A-Za-z0-9\-._~+/]+=*$/.test(value)) {
    throw new ConfigError(`${name} must be at least 32 characters of letters, digits and -._~+/ (openssl rand -hex 32 makes one)`);
  }
  return value;
}

/** Its own token: a dashboard's credential must not also be the admin API's. */
function metricsToken(env: NodeJS.ProcessEnv): string | undefined {
  const token = bearerSetting('BOREALIS_METRICS_TOKEN', env.BOREALIS_METRICS_TOKEN);
  if (token !== undefined && token === env.BOREALIS_ADMIN_TOKEN) throw new ConfigError('BOREALIS_METRICS_TOKEN must differ from BOREALIS_ADMIN_TOKEN: whoever reads the metrics must not also hold the admin API');
  return token;
}

/**
 * The relay's URL may hold its password, so an error never repeats it. The sender defaults to
 * no-reply at the issuer's host; a line break in it would start a header of the sender's making.
 */
function mailSettings(smtpUrl: string | undefined, from: string | undefined, publicUrl: string): Config['mail'] {
  if (!smtpUrl) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(smtpUrl);
  } catch {}
  if (!url || !/^smtps?:$/.test(url.protocol) || !url.hostname) {
    throw new ConfigError('BOREALIS_SMTP_URL must be smtp://host[:port] or smtps://host[:port], with user:password@ before the host if the relay asks for them');
  }
  const sender = from || `Borealis <no-reply@${new URL(publicUrl).hostname}>`;
  if (!sender.includes('@') || /[\r\n]/.test(sender)) throw new ConfigError(`BOREALIS_MAIL_FROM must be an address ("Name <a@example.com>" or a@example.com) on one line, got ${JSON.stringify(sender)}`);
  return Object.freeze({ smtpUrl, from: sender });
}
