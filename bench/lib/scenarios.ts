/**
 * The scenarios. Each prepares its credentials through the real API before the clock starts and
 * returns the load: single-use credentials (codes) make the run a fixed number of requests.
 */
import { type Load, FORM, chains, form } from './load.js';
import { type Code, type Client, codeExchangeBody, mintCodes, mintTokens } from './oauth.js';
import type { Target } from './targets.js';

export interface Prepared {
  load: Load;
  /** Run exactly this many requests instead of for a duration. */
  amount?: number;
}

export interface Scenario {
  name: string;
  title: string;
  borealisOnly?: boolean;
  /** `seconds` of load are wanted; `rps` is the rate the warm-up reached, if there was one. */
  prepare(target: Target, run: { seconds: number; rps?: number; connections: number }): Promise<Prepared>;
}

const tokenPath = '/v1/oauth2/token';
const clientFields = (c: Client) => ({ client_id: c.clientId, client_secret: c.clientSecret });
const roundRobin = <T>(items: T[]) => {
  let i = 0;
  return () => items[i++ % items.length]!;
};

/** Refresh chains: one per connection (and spares), from codes without `openid`. */
export async function refreshLoad(target: Target, connections: number): Promise<Prepared> {
  const minted = await mintTokens(target, connections + 10, 'email');
  const chain = chains(minted.map((t) => t.refresh_token!), (body) => (JSON.parse(body) as { refresh_token?: string }).refresh_token);
  const fields = clientFields(target);
  return {
    load: {
      request: { method: 'POST', path: tokenPath, headers: FORM },
      next: () => ({ body: form({ grant_type: 'refresh_token', refresh_token: chain.take(), ...fields }) }),
      onResponse: (status, body) => chain.give(status, body),
    },
  };
}

/** Introspection of live access tokens, spread over `tokens`. */
export function introspectLoad(target: Target, tokens: string[], pick: () => string = roundRobin(tokens)): Prepared {
  const fields = clientFields(target);
  return {
    load: {
      request: { method: 'POST', path: '/v1/oauth2/introspect', headers: FORM },
      next: () => ({ body: form({ token: pick(), token_type_hint: 'access_token', ...fields }) }),
      onResponse: (_status, body) => /^\{"active": ?true/.test(body),
    },
  };
}

function codeExchange(scope: string): Scenario['prepare'] {
  return async (target, run) => {
    // Without a warm-up figure, assume a generous rate; the run then simply takes longer or shorter.
    const amount = Math.ceil((run.rps ?? 1000) * run.seconds * 1.25);
    const codes: Code[] = await mintCodes(target, amount, scope);
    let i = 0;
    return {
      amount,
      load: {
        request: { method: 'POST', path: tokenPath, headers: FORM },
        next: () => ({ body: codeExchangeBody(target, codes[i++ % codes.length]!) }),
        onResponse: (_status, body) => body.includes('"access_token"') && body.includes('"id_token"') === scope.includes('openid'),
      },
    };
  };
}

const get = (path: string): Scenario['prepare'] => async () => ({ load: { request: { method: 'GET', path } } });

export const SCENARIOS: Scenario[] = [
  {
    name: 'refresh',
    title: 'refresh_token grant with rotation (per-connection chains)',
    prepare: (target, run) => refreshLoad(target, run.connections),
  },
  { name: 'code-openid', title: 'authorization_code exchange, scope `openid email` (RS256 id_token)', prepare: codeExchange('openid email') },
  { name: 'code-plain', title: 'authorization_code exchange, scope `email` (no id_token)', prepare: codeExchange('email') },
  {
    name: 'web',
    title: '`web` grant (web session → access token)',
    borealisOnly: true,
    prepare: async (target) => ({
      load: {
        request: {
          method: 'POST',
          path: tokenPath,
          headers: FORM,
          body: form({ grant_type: 'web', ...clientFields(target), session_token: target.sessionToken! }),
        },
      },
    }),
  },
  {
    name: 'introspect',
    title: 'introspection of an active access token',
    prepare: async (target, run) => introspectLoad(target, (await mintTokens(target, run.connections, 'openid email')).map((t) => t.access_token)),
  },
  {
    name: 'userinfo',
    title: 'userinfo with a Bearer access token',
    prepare: async (target, run) => {
      const next = roundRobin((await mintTokens(target, run.connections, 'openid email')).map((t) => t.access_token));
      return { load: { request: { method: 'GET', path: '/v1/oauth2/userinfo' }, next: () => ({ headers: { authorization: `Bearer ${next()}` } }) } };
    },
  },
  { name: 'jwks', title: 'GET /.well-known/jwks.json', prepare: get('/.well-known/jwks.json') },
  { name: 'discovery', title: 'GET /.well-known/openid-configuration', prepare: get('/.well-known/openid-configuration') },
];
