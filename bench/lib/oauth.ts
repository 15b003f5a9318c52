/** Credentials through the real API: codes from the authorization endpoint, tokens from the token endpoint. */
import { createHash, randomBytes } from 'node:crypto';
import { FORM, form, measure } from './load.js';

export const REDIRECT_URI = 'http://127.0.0.1:9999/callback';

export interface Client {
  url: string;
  clientId: string;
  clientSecret: string;
  /** The signed-in browser's cookie header for the authorization endpoint. */
  cookie: string;
}

export interface Code {
  code: string;
  verifier: string;
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
}

export const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

export const authorizeQuery = (client: Client, scope: string, extra: Record<string, string> = {}) =>
  form({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope, ...extra });

/**
 * `n` codes from GET /v1/oauth2/authorize of a signed-in user whose consent is remembered,
 * each with its own PKCE pair; `state` carries the pairing back from the redirect.
 */
export async function mintCodes(client: Client, n: number, scope: string): Promise<Code[]> {
  const verifiers = new Map<string, string>();
  const codes: Code[] = [];
  let failures = 0;
  let serial = 0;
  await measure(
    client.url,
    {
      request: { method: 'GET', path: '/', headers: { cookie: client.cookie } },
      next: () => {
        const { verifier, challenge } = pkce();
        const state = String(serial++);
        verifiers.set(state, verifier);
        return { path: `/v1/oauth2/authorize?${authorizeQuery(client, scope, { state, code_challenge: challenge, code_challenge_method: 'S256' })}` };
      },
      onResponse: (status, _body, headers) => {
        const location = headers.location ?? headers.Location;
        const url = typeof location === 'string' ? new URL(location) : undefined;
        const code = url?.searchParams.get('code');
        const verifier = verifiers.get(url?.searchParams.get('state') ?? '');
        if ((status === 302 || status === 303) && code && verifier) codes.push({ code, verifier });
        else failures++;
      },
    },
    { connections: Math.min(16, n), amount: n },
  );
  if (failures > 0 || codes.length < n) throw new Error(`minting codes: ${failures} failed, ${codes.length}/${n} issued`);
  return codes;
}

export const codeExchangeBody = (client: Client, { code, verifier }: Code) =>
  form({ grant_type: 'authorization_code', client_id: client.clientId, client_secret: client.clientSecret, code, redirect_uri: REDIRECT_URI, code_verifier: verifier });

export async function postForm(url: string, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { method: 'POST', body, headers: { ...FORM, ...headers }, redirect: 'manual' });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** `n` token responses, each from its own code exchange. */
export async function mintTokens(client: Client, n: number, scope: string): Promise<Tokens[]> {
  const codes = await mintCodes(client, n, scope);
  const out: Tokens[] = [];
  for (let i = 0; i < codes.length; i += 10) {
    const batch = codes.slice(i, i + 10).map(async (code) => {
      const answer = await postForm(`${client.url}/v1/oauth2/token`, codeExchangeBody(client, code));
      if (answer.status !== 200) throw new Error(`code exchange: ${answer.status} ${answer.text}`);
      return JSON.parse(answer.text) as Tokens;
    });
    out.push(...(await Promise.all(batch)));
  }
  return out;
}

/** Follows redirects within `origin` by hand, keeping cookies (for the peer's interaction round trip). */
export async function browse(origin: string, path: string, jar: Map<string, string>): Promise<URL> {
  let next = new URL(path, origin);
  for (let hops = 0; hops < 10; hops++) {
    const cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await fetch(next, { headers: { cookie }, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (!location) throw new Error(`${next.pathname}: ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
    next = new URL(location, next);
    if (next.origin !== origin) return next;
  }
  throw new Error('too many redirects');
}
