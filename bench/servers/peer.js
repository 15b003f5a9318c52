/**
 * The benchmark peer: node-oidc-provider, in memory, configured to behave like Borealis where
 * it can (plain JavaScript so it runs without a loader, like Borealis's dist/ build):
 *  - Borealis's paths (discovery is fixed by the spec), issuer = its own origin;
 *  - one confidential client with client_secret_post; opaque access tokens; RS256 id_tokens;
 *  - refresh tokens issued for every code, always rotated, not tied to the browser session;
 *  - introspection only for the client the token was issued to (Borealis's rule, D2);
 *  - an UNBOUNDED adapter: the built-in memory adapter is an LRU of 1000 entries that evicts
 *    tokens under load (pitfalls.md);
 *  - interactions answered at once (login + consent of the one bench user), so codes come
 *    from the real authorization endpoint.
 * Env: PORT, PEER_CLIENT_ID, PEER_CLIENT_SECRET, PEER_REDIRECT_URI.
 */
import { generateKeyPair, exportJWK } from 'jose';
import { Provider } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const ACCOUNT = { sub: '7a3f7c2e-5f0a-4b8e-9a51-5d3c1f9e2b10', email: 'bench@example.com', email_verified: true };

/** A Map with expiry and grant indexes: what the memory adapter does, without eviction. */
class UnboundedAdapter {
  static store = new Map();
  static grants = new Map();
  constructor(model) {
    this.model = model;
  }
  key(id) {
    return `${this.model}:${id}`;
  }
  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    UnboundedAdapter.store.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    if (payload.grantId) {
      const members = UnboundedAdapter.grants.get(payload.grantId) ?? new Set();
      members.add(key);
      UnboundedAdapter.grants.set(payload.grantId, members);
    }
    if (this.model === 'Session') UnboundedAdapter.store.set(`sessionUid:${payload.uid}`, { payload: id, expiresAt: Infinity });
  }
  async find(id) {
    const entry = UnboundedAdapter.store.get(this.key(id));
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      UnboundedAdapter.store.delete(this.key(id));
      return undefined;
    }
    return entry.payload;
  }
  async findByUid(uid) {
    const id = UnboundedAdapter.store.get(`sessionUid:${uid}`)?.payload;
    return id === undefined ? undefined : this.find(id);
  }
  async findByUserCode() {
    return undefined;
  }
  async consume(id) {
    const entry = UnboundedAdapter.store.get(this.key(id));
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id) {
    UnboundedAdapter.store.delete(this.key(id));
  }
  async revokeByGrantId(grantId) {
    for (const key of UnboundedAdapter.grants.get(grantId) ?? []) UnboundedAdapter.store.delete(key);
    UnboundedAdapter.grants.delete(grantId);
  }
}

const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench-rs256', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  adapter: UnboundedAdapter,
  clients: [
    {
      client_id: process.env.PEER_CLIENT_ID,
      client_secret: process.env.PEER_CLIENT_SECRET,
      redirect_uris: [process.env.PEER_REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  scopes: ['openid', 'email', 'offline_access'],
  claims: { email: ['email', 'email_verified'] },
  routes: {
    authorization: '/v1/oauth2/authorize',
    token: '/v1/oauth2/token',
    introspection: '/v1/oauth2/introspect',
    revocation: '/v1/oauth2/revoke',
    userinfo: '/v1/oauth2/userinfo',
    jwks: '/.well-known/jwks.json',
  },
  features: {
    devInteractions: { enabled: false },
    introspection: { enabled: true, allowedPolicy: async (_ctx, client, token) => token.clientId === client.clientId },
    revocation: { enabled: true },
    userinfo: { enabled: true },
  },
  pkce: { required: () => false },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: () => true,
  expiresWithSession: async () => false,
  ttl: { AccessToken: 3600, AuthorizationCode: 600, IdToken: 3600, RefreshToken: 14 * 86400, Interaction: 3600, Session: 86400, Grant: 14 * 86400 },
  findAccount: async (_ctx, sub) =>
    sub === ACCOUNT.sub ? { accountId: sub, claims: async () => ({ ...ACCOUNT }) } : undefined,
  interactions: { url: async (_ctx, interaction) => `/interaction/${interaction.uid}` },
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

// The "user" signs in and approves everything the client asks, at once.
provider.use(async (ctx, next) => {
  if (!ctx.path.startsWith('/interaction/')) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: ACCOUNT.sub, clientId: details.params.client_id });
  grant.addOIDCScope('openid email offline_access');
  const grantId = await grant.save();
  const to = await provider.interactionResult(ctx.req, ctx.res, { login: { accountId: ACCOUNT.sub }, consent: { grantId } }, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});

provider.listen(port, '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
