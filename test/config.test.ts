import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { isPostgresUrl } from '../src/store/sql/db.js';

const quiet = () => {};

test('defaults: port 8080, issuer on localhost, SQLite in the data folder, a development secret kept there', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'borealis-config-'));
  const warnings: string[] = [];
  const config = loadConfig({ BOREALIS_DATA_DIR: dataDir }, {}, (m) => warnings.push(m));
  assert.equal(config.port, 8080);
  assert.equal(config.publicUrl, 'http://localhost:8080');
  assert.equal(config.databaseUrl, join(dataDir, 'borealis.db'));
  assert.equal(config.secret, readFileSync(join(dataDir, 'secret'), 'utf8'));
  assert.equal(warnings.length, 1);
  assert.equal(loadConfig({ BOREALIS_DATA_DIR: dataDir }, {}, quiet).secret, config.secret, 'generated once, then reused');
  assert.equal(config.trustProxy, false);
  assert.equal(config.signupOpen, true);
  assert.equal(config.registration, 'open');
  assert.ok(Object.isFrozen(config));
});

test('production requires BOREALIS_SECRET and closes sign-up by default', () => {
  assert.throws(() => loadConfig({ NODE_ENV: 'production' }, {}, quiet), ConfigError);
  const config = loadConfig({ NODE_ENV: 'production', BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_PUBLIC_URL: 'https://auth.example/' }, {}, quiet);
  assert.equal(config.signupOpen, false);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.publicUrl, 'https://auth.example');
  const env = { NODE_ENV: 'production', BOREALIS_SECRET: 'x'.repeat(32) };
  assert.equal(loadConfig({ ...env, BOREALIS_PUBLIC_URL: 'HTTPS://Auth.Example:443//' }, {}, quiet).publicUrl, 'https://auth.example');
});

test('bad values are refused with a clear message', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32) };
  for (const [key, value] of [
    ['PORT', 'eighty'],
    ['BOREALIS_SECRET', 'short'],
    ['BOREALIS_PUBLIC_URL', 'ftp://x'],
    ['BOREALIS_PUBLIC_URL', 'https://auth.example/borealis'],
    ['BOREALIS_PUBLIC_URL', 'https://auth.example/?a=b'],
    ['BOREALIS_PUBLIC_URL', 'https://user@auth.example'],
    ['BOREALIS_AUTHORIZATION_ENDPOINT', 'app.example/authorize'],
    ['BOREALIS_TOKEN_NAMESPACE', 'Bad-Prefix'],
    ['BOREALIS_REGISTRATION', 'sometimes'],
    ['BOREALIS_REFRESH_GRACE_SECONDS', '-1'],
    ['BOREALIS_REFRESH_GRACE_SECONDS', '301'],
    ['BOREALIS_REFRESH_GRACE_SECONDS', '1e300'],
    // Each was a stack trace from inside the logger or Fastify, or a silent misreading.
    ['LOG_LEVEL', 'verbose'],
    ['LOG_LEVEL', 'warning'],
    ['BOREALIS_TRUST_PROXY', 'garbage!!'],
    ['BOREALIS_TRUST_PROXY', '10.0.0.0/33'],
    ['BOREALIS_TRUST_PROXY', '10.0.0.1, proxy.example'],
    ['BOREALIS_SIGNUP', 'yes'],
  ]) {
    assert.throws(() => loadConfig({ ...env, [key as string]: value as string }, {}, quiet), ConfigError, key);
  }
  assert.throws(() => loadConfig({ ...env, LOG_LEVEL: 'verbose' }, {}, quiet), new ConfigError('LOG_LEVEL must be fatal, error, warn, info, debug, trace or silent, got "verbose"'));
  assert.equal(loadConfig({ ...env, BOREALIS_TRUST_PROXY: '2' }, {}, quiet).trustProxy, 2);
  const warned: string[] = [];
  assert.equal(loadConfig({ ...env, BOREALIS_TRUST_PROXY: 'true' }, {}, (m) => warned.push(m)).trustProxy, true);
  assert.deepEqual(warned, [
    'BOREALIS_TRUST_PROXY=true lets every client choose the address that sign-in lockout and rate limits count; set the number of proxies (1) or their addresses instead.',
  ]);
  for (const proxies of ['10.0.0.0/8', '10.0.0.1, 192.168.0.0/16', 'loopback,uniquelocal', '::1', 'fd00::/8']) {
    assert.equal(loadConfig({ ...env, BOREALIS_TRUST_PROXY: proxies }, {}, quiet).trustProxy, proxies);
  }
  assert.equal(loadConfig({ ...env, BOREALIS_SIGNUP: 'closed' }, {}, quiet).signupOpen, false);
  assert.equal(loadConfig({ ...env, LOG_LEVEL: 'debug' }, {}, quiet).logLevel, 'debug');
});

test('a development secret file too short to be one is refused, not used', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'borealis-config-'));
  writeFileSync(join(dataDir, 'secret'), '\n');
  assert.throws(() => loadConfig({ BOREALIS_DATA_DIR: dataDir }, {}, quiet), ConfigError);
  writeFileSync(join(dataDir, 'secret'), 'y'.repeat(32));
  assert.equal(loadConfig({ BOREALIS_DATA_DIR: dataDir }, {}, quiet).secret, 'y'.repeat(32));
});

test('workers: 1 by default, BOREALIS_WORKERS or --workers (which wins), auto is one per CPU', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')) };
  assert.equal(loadConfig(env, {}, quiet).workers, 1);
  assert.equal(loadConfig({ ...env, BOREALIS_WORKERS: '3' }, {}, quiet).workers, 3);
  assert.equal(loadConfig({ ...env, BOREALIS_WORKERS: '3' }, { workers: '2' }, quiet).workers, 2);
  assert.equal(loadConfig({ ...env, BOREALIS_WORKERS: 'auto' }, {}, quiet).workers, availableParallelism());
  assert.throws(() => loadConfig({ ...env, BOREALIS_WORKERS: '0' }, {}, quiet), new ConfigError('BOREALIS_WORKERS must be an integer from 1 to 256 or "auto", got "0"'));
  // Each worker would have a database of its own.
  const memory = new ConfigError('several workers need a shared database: a SQLite file or PostgreSQL, not :memory:');
  assert.throws(() => loadConfig({ ...env, DATABASE_URL: ':memory:' }, { workers: '2' }, quiet), memory);
  assert.throws(() => loadConfig(env, { workers: '2', databaseUrl: ':memory:' }, quiet), memory);
  assert.equal(loadConfig({ ...env, DATABASE_URL: ':memory:' }, {}, quiet).workers, 1);
  assert.throws(() => loadConfig(env, { workers: 'many' }, quiet), new ConfigError('--workers must be an integer from 1 to 256 or "auto", got "many"'));
});

test('DATABASE_URL: PostgreSQL in any case of its scheme; any other scheme is refused, not made a SQLite folder', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')) };
  for (const url of ['postgres://u@h/db', 'POSTGRES://u@h/db', 'PostgreSQL://u@h/db']) {
    assert.equal(loadConfig({ ...env, DATABASE_URL: url }, {}, quiet).databaseUrl, url);
    assert.equal(isPostgresUrl(url), true, url);
  }
  for (const url of ['./x.db', join(env.BOREALIS_DATA_DIR, 'x.db'), ':memory:', 'sqlite:///tmp/x.db']) {
    assert.equal(loadConfig({ ...env, DATABASE_URL: url }, {}, quiet).databaseUrl, url);
  }
  // A SQLite file named outright must be in a folder that exists; the data folder is made as needed.
  const missing = join(env.BOREALIS_DATA_DIR, 'no', 'such');
  for (const config of [() => loadConfig({ ...env, DATABASE_URL: join(missing, 'x.db') }, {}, quiet), () => loadConfig(env, { databaseUrl: join(missing, 'x.db') }, quiet)]) {
    assert.throws(config, new ConfigError(`DATABASE_URL names a SQLite file in ${missing}, which does not exist: create the folder or correct the path`));
  }
  assert.equal(loadConfig({ ...env, BOREALIS_DATA_DIR: missing }, {}, quiet).databaseUrl, join(missing, 'borealis.db'));
  assert.throws(() => loadConfig({ ...env, DATABASE_URL: 'mysql://u@h/db' }, {}, quiet), new ConfigError('DATABASE_URL must be postgres://…, postgresql://… or a SQLite file path, not mysql://…'));
  assert.throws(() => loadConfig(env, { databaseUrl: 'postgress://u@h/db' }, quiet), new ConfigError('DATABASE_URL must be postgres://…, postgresql://… or a SQLite file path, not postgress://…'));
});

test('a setting refused leaves nothing behind: no data folder, no development secret', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'borealis-config-')), 'data');
  for (const [key, value] of [['BOREALIS_TRUST_PROXY', 'garbage'], ['LOG_LEVEL', 'loud'], ['BOREALIS_SIGNUP', 'maybe'], ['BOREALIS_REGISTRATION', 'x']]) {
    assert.throws(() => loadConfig({ BOREALIS_DATA_DIR: dataDir, [key as string]: value }, {}, quiet), ConfigError, key);
    assert.equal(existsSync(dataDir), false, key);
  }
});

// Run from a copy of bin/ with no dist/ beside it: production would otherwise run the sources.
test('NODE_ENV=production without a build refuses to start, saying what to run', async () => {
  const root = mkdtempSync(join(tmpdir(), 'borealis-bin-'));
  mkdirSync(join(root, 'bin'));
  for (const file of ['borealis.js', 'package.json']) copyFileSync(join('bin', file), join(root, 'bin', file));
  const run = promisify(execFile)(process.execPath, [join(root, 'bin', 'borealis.js'), 'migrate'], { env: { ...process.env, NODE_ENV: 'production' } });
  await assert.rejects(run, (error: { code: number; stderr: string }) => {
    assert.equal(error.code, 2);
    assert.equal(error.stderr, 'borealis: NODE_ENV=production runs the compiled build, and dist/ has none: run `npm run build` first\n');
    return true;
  });
});

test('--port overrides PORT and is validated like it', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')), PORT: '9000' };
  assert.equal(loadConfig(env, {}, quiet).port, 9000);
  assert.equal(loadConfig(env, { port: '9001' }, quiet).port, 9001);
  assert.throws(() => loadConfig(env, { port: 'abc' }, quiet), new ConfigError('--port must be an integer ≥ 0, got "abc"'));
  assert.throws(() => loadConfig(env, { port: '70000' }, quiet), new ConfigError('port must be at most 65535, got 70000'));
  // Port 0 is chosen when listening; the issuer would name port 0.
  const zero = new ConfigError('port 0 (any free port) needs BOREALIS_PUBLIC_URL: the issuer cannot name a port not chosen yet');
  assert.throws(() => loadConfig(env, { port: '0' }, quiet), zero);
  assert.equal(loadConfig({ ...env, BOREALIS_PUBLIC_URL: 'https://auth.example' }, { port: '0' }, quiet).publicUrl, 'https://auth.example');
});

test('DATABASE_POOL_SIZE: 10 by default, a positive integer otherwise', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')) };
  assert.equal(loadConfig(env, {}, quiet).databasePoolSize, 10);
  assert.equal(loadConfig({ ...env, DATABASE_POOL_SIZE: '4' }, {}, quiet).databasePoolSize, 4);
  assert.throws(() => loadConfig({ ...env, DATABASE_POOL_SIZE: '0' }, {}, quiet), new ConfigError('DATABASE_POOL_SIZE must be an integer ≥ 1, got "0"'));
});

test('BOREALIS_SECURITY_EVENT_DAYS: 90 by default, 0 (none stored) to 36,500', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')) };
  assert.equal(loadConfig(env, {}, quiet).securityEventDays, 90);
  assert.equal(loadConfig({ ...env, BOREALIS_SECURITY_EVENT_DAYS: '0' }, {}, quiet).securityEventDays, 0);
  assert.equal(loadConfig({ ...env, BOREALIS_SECURITY_EVENT_DAYS: '365' }, {}, quiet).securityEventDays, 365);
  for (const value of ['-1', '36501', 'forever', '1.5']) {
    assert.throws(
      () => loadConfig({ ...env, BOREALIS_SECURITY_EVENT_DAYS: value }, {}, quiet),
      new ConfigError(`BOREALIS_SECURITY_EVENT_DAYS must be an integer from 0 to 36500, got "${value}"`),
    );
  }
});

test('BOREALIS_REFRESH_GRACE_SECONDS: 10 by default, 0 to 300 (a race window, not a second life for a rotated token)', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'borealis-config-')) };
  assert.equal(loadConfig(env, {}, quiet).refreshGraceSeconds, 10);
  assert.equal(loadConfig({ ...env, BOREALIS_REFRESH_GRACE_SECONDS: '0' }, {}, quiet).refreshGraceSeconds, 0);
  assert.equal(loadConfig({ ...env, BOREALIS_REFRESH_GRACE_SECONDS: '300' }, {}, quiet).refreshGraceSeconds, 300);
  assert.throws(
    () => loadConfig({ ...env, BOREALIS_REFRESH_GRACE_SECONDS: '86400' }, {}, quiet),
    new ConfigError('BOREALIS_REFRESH_GRACE_SECONDS must be an integer from 0 to 300, got "86400"'),
  );
});

test('the development secret: private file in a private folder, nothing left beside it', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'borealis-config-')), 'data');
  loadConfig({ BOREALIS_DATA_DIR: dataDir }, {}, quiet);
  assert.equal(statSync(dataDir).mode & 0o777, 0o700);
  assert.equal(statSync(join(dataDir, 'secret')).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dataDir), ['secret']);
});

test('processes starting at once on a fresh folder all use the one secret they leave on disk', async () => {
  const run = promisify(execFile);
  const script = `import('./src/config.ts').then(({ loadConfig }) => process.stdout.write(loadConfig({ BOREALIS_DATA_DIR: process.argv[1] }, {}, () => {}).secret))`;
  for (let round = 0; round < 3; round++) {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'borealis-config-')), 'data');
    const secrets = await Promise.all(
      Array.from({ length: 6 }, async () => (await run(process.execPath, ['--import', 'tsx', '-e', script, dataDir])).stdout),
    );
    const kept = readFileSync(join(dataDir, 'secret'), 'utf8');
    assert.deepEqual(secrets, secrets.map(() => kept));
    assert.deepEqual(readdirSync(dataDir), ['secret']);
  }
});

test('mail: off unless BOREALIS_SMTP_URL is set; a bad URL is refused without repeating it (it may hold a password); the sender defaults to no-reply at the issuer', () => {
  const env = { BOREALIS_SECRET: 'x'.repeat(32), BOREALIS_PUBLIC_URL: 'https://auth.example.com' };
  assert.equal(loadConfig(env, {}, quiet).mail, undefined);
  assert.deepEqual(loadConfig({ ...env, BOREALIS_SMTP_URL: 'smtps://me:s3cret@mail.example.com:465' }, {}, quiet).mail, {
    smtpUrl: 'smtps://me:s3cret@mail.example.com:465',
    from: 'Borealis <no-reply@auth.example.com>',
  });
  assert.equal(loadConfig({ ...env, BOREALIS_SMTP_URL: 'smtp://127.0.0.1:1025', BOREALIS_MAIL_FROM: 'Acme <accounts@acme.test>' }, {}, quiet).mail?.from, 'Acme <accounts@acme.test>');
  for (const url of ['http://me:s3cret@mail.example.com', 'me:s3cret@mail.example.com', 'smtp://']) {
    assert.throws(
      () => loadConfig({ ...env, BOREALIS_SMTP_URL: url }, {}, quiet),
      (error: Error) => error instanceof ConfigError && error.message.startsWith('BOREALIS_SMTP_URL must be smtp://') && !error.message.includes('s3cret'),
      url,
    );
  }
  for (const from of ['no address here', 'Acme <a@acme.test>\r\nBcc: everyone@example.com']) {
    assert.throws(() => loadConfig({ ...env, BOREALIS_SMTP_URL: 'smtp://127.0.0.1:1025', BOREALIS_MAIL_FROM: from }, {}, quiet), /BOREALIS_MAIL_FROM must be an address/);
  }
});
