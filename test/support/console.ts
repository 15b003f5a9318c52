/** The developer console (/settings/oauth) as a signed-in user's browser drives it. */
import { REDIRECT_URI } from './fixtures.js';
import type { TestServer } from './server.js';

/** The CSRF token the console's forms carry (D14), read off its list page. */
export async function consoleCsrf(server: TestServer, cookie: string): Promise<string> {
  const list = await (await fetch(`${server.url}/settings/oauth`, { headers: { cookie } })).text();
  return /name="csrf_token" value="([^"]+)"/.exec(list)?.[1] ?? '';
}

/** Posts a console form from the console's own origin; the answer is a page. */
export async function consolePost(server: TestServer, cookie: string, path: string, fields: Record<string, string>) {
  const body = new URLSearchParams({ csrf_token: await consoleCsrf(server, cookie), ...fields });
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers: { cookie, origin: server.url }, body, redirect: 'manual' });
  return { status: response.status, location: response.headers.get('location'), text: await response.text() };
}

/** The hidden fields of the new-app form as it is shown: the id of the app it creates, and its proof. */
export async function newAppFields(server: TestServer, cookie: string): Promise<{ app_id: string; app_proof: string }> {
  const shown = await (await fetch(`${server.url}/settings/oauth/new`, { headers: { cookie } })).text();
  const field = (name: string) => new RegExp(`name="${name}" value="([^"]+)"`).exec(shown)?.[1] ?? '';
  return { app_id: field('app_id'), app_proof: field('app_proof') };
}

/** "New OAuth app", filled in (`fields` over the defaults) and sent once. */
export const consoleCreate = async (server: TestServer, cookie: string, fields: Record<string, string> = {}) =>
  consolePost(server, cookie, '/settings/oauth/new', {
    ...(await newAppFields(server, cookie)),
    client_name: 'Console',
    redirect_uris: REDIRECT_URI,
    scope: 'openid',
    token_endpoint_auth_method: 'client_secret_post',
    ...fields,
  });

/** The fields of a rotation's confirmation (views/confirm.ts), as its button posts them. */
export async function rotationFields(server: TestServer, cookie: string, clientId: string): Promise<Record<string, string>> {
  const asked = await (await fetch(`${server.url}/settings/oauth/apps/${clientId}/rotate-secret`, { headers: { cookie } })).text();
  return { secret_version: /name="secret_version" value="([^"]+)"/.exec(asked)?.[1] ?? '' };
}

/** "Rotate secret…", then the confirmation's button. */
export const consoleRotate = async (server: TestServer, cookie: string, clientId: string) =>
  consolePost(server, cookie, `/settings/oauth/apps/${clientId}/rotate-secret`, await rotationFields(server, cookie, clientId));
