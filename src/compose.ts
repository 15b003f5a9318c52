/**
 * The one wiring function: config → store → keys → protocol context → HTTP app.
 * Nothing else constructs these; tests call it with their own config and clock.
 */
import type { FastifyInstance } from 'fastify';
import type { AccountsDeps } from './accounts/accounts.js';
import { Audit } from './audit.js';
import type { Config } from './config.js';
import { buildApp } from './http/app.js';
import { KeyRing } from './keys/key-ring.js';
import { SealedBox, deriveKey } from './keys/sealed-box.js';
import type { OAuthContext } from './oauth/context.js';
import { Credentials } from './oauth/credentials.js';
import { openStore } from './store/sql/index.js';

export const systemClock = () => Math.floor(Date.now() / 1000);

export interface Borealis {
  ctx: OAuthContext;
  accounts: AccountsDeps;
  /** The migrations this start applied (none when the schema was current). */
  migrationsApplied: number[];
  close(): Promise<void>;
}

/** `migrate`: apply pending migrations (serve); otherwise the schema must be current (other CLI commands). */
export async function compose(config: Config, now: () => number = systemClock, { migrate = true } = {}): Promise<Borealis> {
  let migrationsApplied: number[] = [];
  const store = await openStore(config.databaseUrl, {
    migrate,
    onMigrated: (applied) => (migrationsApplied = applied),
    requireCurrent: !migrate,
    now: now(),
    poolSize: config.databasePoolSize,
    securityEventSeconds: config.securityEventDays * 86400,
  });
  const keys = new KeyRing(store.signingKeys, config.secret);
  await keys.load(now());
  const credentials = new Credentials(config.secret, config.tokenNamespace);
  const audit = new Audit();
  if (config.securityEventDays > 0) audit.keepIn(store.securityEvents, now);
  const ctx: OAuthContext = {
    store,
    credentials,
    keys,
    clientSecrets: SealedBox.forPurpose(config.secret, 'client-credentials'),
    secret: config.secret,
    graceKey: deriveKey(config.secret, 'refresh-grace'),
    issuer: config.publicUrl,
    refreshGraceSeconds: config.refreshGraceSeconds,
    now,
    audit,
  };
  // Loaded only when a relay is configured: nodemailer adds 15 MB to the process (measured).
  const mailer = config.mail && (await import('./mail/mailer.js')).smtpMailer(config.mail.smtpUrl, config.mail.from);
  const mail = mailer && { mailer, publicUrl: config.publicUrl };
  const close = async () => {
    mailer?.close();
    await audit.settled();
    await store.close();
  };
  return { ctx, accounts: { store, credentials, now, audit, mail }, migrationsApplied, close };
}

export function composeApp(borealis: Borealis, config: Config): Promise<FastifyInstance> {
  return buildApp({
    ctx: borealis.ctx,
    accounts: borealis.accounts,
    publicUrl: config.publicUrl,
    logLevel: config.logLevel,
    trustProxy: config.trustProxy,
    authorizationEndpoint: config.authorizationEndpoint,
    signupOpen: config.signupOpen,
    registration: { policy: config.registration, perMinute: config.registrationRateLimit },
    adminToken: config.adminToken,
    metricsToken: config.metricsToken,
    securityEventDays: config.securityEventDays,
  });
}
