import { createClient, isPublic, withDefaults } from '../oauth/clients.js';
import { checkRedirectUri } from '../oauth/registration/redirect-uri.js';
import { PUBLIC_SCOPES } from '../oauth/scopes.js';
import type { ClientMetadata } from '../store/store.js';
import { UsageError, output, parse, required, withBorealis } from './args.js';
import { clientsDelete, clientsList, clientsRotateSecret } from './clients-manage.js';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'none'];
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'web'];

export async function clientsCommand(args: string[]) {
  const [sub, ...rest] = args;
  if (sub === 'create') return create(rest);
  if (sub === 'list') return clientsList(rest);
  if (sub === 'delete') return clientsDelete(rest);
  if (sub === 'rotate-secret') return clientsRotateSecret(rest);
  throw new UsageError(`unknown clients command: ${sub ?? '(none)'}`);
}

async function create(args: string[]) {
  const values = parse(args, {
    name: { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    'grant-type': { type: 'string', multiple: true },
    'auth-method': { type: 'string' },
    scope: { type: 'string' },
    'first-party': { type: 'boolean' },
    'default-sub-type': { type: 'string' },
    json: { type: 'boolean' },
  });
  const name = required(values, 'name');
  const redirectUris = values['redirect-uri'] ?? [];
  const grantTypes = values['grant-type'];
  // Only a client of the `web` grant alone never redirects; without --grant-type it gets the
  // authorization code grant, which does.
  const webOnly = grantTypes !== undefined && grantTypes.every((g) => g === 'web');
  if (redirectUris.length === 0 && !webOnly) throw new UsageError('--redirect-uri is required (unless --grant-type is web alone)');
  // The rules registration applies (registration/redirect-uri.ts), and its normalised form.
  const normalisedUris = redirectUris.map((uri) => {
    const checked = checkRedirectUri(uri);
    if (checked.problem === 'http_not_local') throw new UsageError(`--redirect-uri must use https unless its host is local: ${uri}`);
    if (checked.normalised === undefined || checked.problem) {
      throw new UsageError(`--redirect-uri must be an absolute URI with an application scheme and no fragment: ${uri}`);
    }
    return checked.normalised;
  });
  for (const grant of grantTypes ?? []) if (!GRANT_TYPES.includes(grant)) throw new UsageError(`unknown --grant-type ${grant}`);
  const method = values['auth-method'];
  if (method !== undefined && !AUTH_METHODS.includes(method)) throw new UsageError(`unknown --auth-method ${method}`);
  if (method === 'none' && grantTypes?.includes('web')) throw new UsageError('a public client (--auth-method none) cannot use the web grant');
  // Any run of spaces separates scopes on the command line; stored with one, as registration stores it.
  const scope = values.scope === undefined ? undefined : values.scope.trim().split(/\s+/).join(' ');
  if (scope === '') throw new UsageError('--scope needs at least one scope');
  const unknownScope = scope?.split(' ').find((s) => !PUBLIC_SCOPES.includes(s));
  if (unknownScope !== undefined) throw new UsageError(`unknown --scope ${unknownScope}`);
  const subType = values['default-sub-type'];
  if (subType !== undefined && subType !== 'user' && subType !== 'organization') throw new UsageError('--default-sub-type is user or organization');

  const metadata = withDefaults({
    client_name: name,
    redirect_uris: normalisedUris,
    grant_types: grantTypes,
    response_types: grantTypes && !grantTypes.includes('authorization_code') ? [] : ['code'],
    token_endpoint_auth_method: method as ClientMetadata['token_endpoint_auth_method'] | undefined,
    scope: scope ?? PUBLIC_SCOPES.join(' '),
    default_sub_type: subType as ClientMetadata['default_sub_type'] | undefined,
  });
  const created = await withBorealis({}, (b) => createClient(b.ctx, metadata, { firstParty: values['first-party'] ?? false }));
  // As RFC 7591 registration answers: a public client's secret is never shown. The registration
  // access token is the owner's way to read, update or delete the client later (RFC 7592).
  const secret = isPublic(created.client) ? {} : { client_secret: created.clientSecret };
  output(
    values.json,
    {
      client_id: created.client.clientId,
      ...secret,
      registration_access_token: created.registrationAccessToken,
      ...metadata,
      first_party: created.client.firstParty,
    },
    [
      `created client ${name}`,
      `  client_id:                 ${created.client.clientId}`,
      ...(secret.client_secret ? [`  client_secret:             ${secret.client_secret}`] : ['  client_secret:             none (a public client proves itself with PKCE)']),
      `  registration_access_token: ${created.registrationAccessToken}`,
      `    (RFC 7592: read, update or delete the client at /v1/oauth2/register/${created.client.clientId} with it as a Bearer token)`,
    ].join('\n'),
  );
}
