/**
 * Client authentication at the token, revocation and introspection endpoints
 * (RFC 6749 §2.3, polar-oauth2.md §2.6). Methods are tried in authlib's order —
 * client_secret_basic, client_secret_post, none — and the first that succeeds wins.
 * Secrets are high-entropy, so an HMAC (not a slow KDF) is the right stored form (D3);
 * the comparison is constant-time.
 */
import type { Credentials } from './credentials.js';
import { clientNotFound, invalidClient } from './errors.js';
import type { Params } from './params.js';
import type { Client, ClientsStore } from '../store/store.js';

export type AuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

export interface ClientAuthInput {
  params: Params;
  /** The raw `Authorization` header, if any. */
  authorization: string | undefined;
}

export interface ClientAuthDeps {
  clients: Pick<ClientsStore, 'findByClientId'>;
  credentials: Credentials;
}

interface Presented {
  method: AuthMethod;
  clientId: string;
  secret?: string;
}

/**
 * Percent-decoding as authlib's `unquote` does it: each run of `%XX` escapes is read as UTF-8
 * (invalid bytes becoming U+FFFD), and a `%` that starts no escape stays as it is, so a badly
 * encoded part still names a client (which then does not exist) instead of being ignored.
 */
const unquote = (text: string) => text.replace(/(?:%[0-9A-Fa-f]{2})+/g, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));

/** RFC 7617 with RFC 6749 §2.3.1: both parts are form-urlencoded before base64. */
function fromBasic(header: string | undefined): Presented | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  const clientId = unquote(decoded.slice(0, colon).replaceAll('+', ' '));
  const secret = unquote(decoded.slice(colon + 1).replaceAll('+', ' '));
  // No client id or secret holds a NUL, and PostgreSQL cannot even compare text that does:
  // malformed, as a form body with one would be.
  if (clientId.includes('\u0000') || secret.includes('\u0000')) return undefined;
  return clientId && secret ? { method: 'client_secret_basic', clientId, secret } : undefined;
}

/** The credentials presented for each allowed method, in the order they are tried. */
function presentedFor(input: ClientAuthInput, allowed: readonly AuthMethod[]): Presented[] {
  const { params } = input;
  const clientId = params.get('client_id');
  // client_secret_post: both in the form body (RFC 6749 §2.3.1: never in the URI), as authlib
  // reads them; `none` takes the client id from the query too (§2.5).
  const postedId = params.fromBody('client_id');
  const postedSecret = params.fromBody('client_secret');
  const anySecret = postedSecret ?? params.query.get('client_secret')?.[0];

  const attempts: Presented[] = [];
  for (const method of allowed) {
    if (method === 'client_secret_basic') {
      const basic = fromBasic(input.authorization);
      if (basic) attempts.push(basic);
    } else if (method === 'client_secret_post' && postedId && postedSecret) {
      attempts.push({ method, clientId: postedId, secret: postedSecret });
    } else if (method === 'none' && clientId && !anySecret) {
      attempts.push({ method, clientId });
    }
  }
  return attempts;
}

export async function authenticateClient(
  input: ClientAuthInput,
  allowed: readonly AuthMethod[],
  deps: ClientAuthDeps,
  /** The token endpoint also requires the method to be the one the client registered (§2.6). */
  requireRegisteredMethod: boolean,
): Promise<Client> {
  for (const attempt of presentedFor(input, allowed)) {
    const client = await deps.clients.findByClientId(attempt.clientId);
    if (!client) throw clientNotFound(attempt.method === 'client_secret_basic');
    const registered = client.metadata.token_endpoint_auth_method;
    if (attempt.method === 'none') {
      if (registered === 'none') return client;
      continue;
    }
    if (!deps.credentials.verifySecret(attempt.secret ?? '', client.clientSecretHash)) continue;
    if (requireRegisteredMethod && registered !== attempt.method) continue;
    return client;
  }

  const list = allowed.map((m) => `'${m}'`).join(', ');
  throw invalidClient(`The client cannot authenticate with methods: [${list}]`, true);
}

/**
 * `authenticateClient`, with the client read by `read` together with whatever else the request
 * presents (a token, a code): one statement instead of two. `read` gets the client id the first
 * attempt will use; any other attempt looks its client up as usual.
 */
export async function authenticateReadingAhead<R extends { client?: Client }>(
  input: ClientAuthInput,
  allowed: readonly AuthMethod[],
  deps: ClientAuthDeps,
  requireRegisteredMethod: boolean,
  read: (clientId: string) => Promise<R>,
): Promise<{ client: Client; read: R | undefined }> {
  const clientId = presentedFor(input, allowed)[0]?.clientId;
  const ahead = clientId === undefined ? undefined : await read(clientId);
  const clients: ClientAuthDeps['clients'] = {
    findByClientId: (id) => (ahead && id === clientId ? Promise.resolve(ahead.client) : deps.clients.findByClientId(id)),
  };
  const client = await authenticateClient(input, allowed, { ...deps, clients }, requireRegisteredMethod);
  return { client, read: ahead };
}
