/**
 * Shared pieces of the browser tests: one headless Chromium per file, a tiny relying party
 * (a node:http server whose /cb records every query it receives), and the user journeys every
 * file needs (sign up, create an organization, create an app in the console), all driven
 * through the real pages.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type BrowserContextOptions, type Page, chromium } from 'playwright-core';
import { type TestServer, startServer } from '../support/server.js';

export const PASSWORD = 'correct horse battery staple';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface BrowserSuite {
  server: TestServer;
  browser: Browser;
  rp: RelyingParty;
  close(): Promise<void>;
}

/** What every browser test file runs against: Borealis with sign-up open, one Chromium, one relying party. */
export async function startBrowserSuite(): Promise<BrowserSuite> {
  const [server, browser, rp] = await Promise.all([startServer({ env: { BOREALIS_SIGNUP: 'open' } }), launchBrowser(), startRelyingParty()]);
  return {
    server,
    browser,
    rp,
    async close() {
      await browser.close();
      await rp.close();
      await server.close();
    },
  };
}

/** A fresh context (cookies, storage) and page; `dialogs` collects every dialog that fires. */
export async function freshPage(browser: Browser, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page; dialogs: string[] }> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dialogs: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { context, page, dialogs };
}

export interface RelyingParty {
  /** The registered redirect URI: `http://127.0.0.1:<port>/cb`. */
  callback: string;
  /** Every query string /cb received, oldest first. */
  received: URLSearchParams[];
  /** Every request the relying party received, whatever the path: `<path?query> <referer or ->`. */
  hits: string[];
  last(): URLSearchParams;
  close(): Promise<void>;
}

export async function startRelyingParty(): Promise<RelyingParty> {
  const received: URLSearchParams[] = [];
  const hits: string[] = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    hits.push(`${request.url} ${request.headers.referer ?? '-'}`);
    if (url.pathname === '/cb') received.push(url.searchParams);
    response.writeHead(url.pathname === '/cb' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' });
    response.end('<!doctype html><title>RP</title><p>Relying party callback</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    callback: `http://127.0.0.1:${port}/cb`,
    received,
    hits,
    last() {
      const query = received.at(-1);
      if (!query) throw new Error('the relying party received nothing');
      return query;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The authorization URL the relying party sends the browser to. */
export function authorizeUrl(base: string, params: Record<string, string>): string {
  return `${base}/oauth2/authorize?${new URLSearchParams({ response_type: 'code', scope: 'openid email', ...params })}`;
}

/** Waits until the browser has landed on the relying party's callback. */
export async function landedOnCallback(page: Page, rp: RelyingParty): Promise<URLSearchParams> {
  await page.waitForURL((url) => url.href.startsWith(rp.callback));
  return rp.last();
}

/**
 * Sends the signed-in browser through the authorization page for `clientId`, clicks Allow, and
 * returns the code the relying party received (its `state` checked).
 */
export async function approvedCode(page: Page, base: string, rp: RelyingParty, clientId: string, state: string): Promise<string> {
  await page.goto(authorizeUrl(base, { client_id: clientId, redirect_uri: rp.callback, state }));
  await page.getByRole('button', { name: 'Allow' }).click();
  const query = await landedOnCallback(page, rp);
  if (query.get('state') !== state) throw new Error(`state ${query.get('state')} instead of ${state}`);
  const code = query.get('code');
  if (!code) throw new Error(`no code: ${query}`);
  return code;
}

export async function signUp(page: Page, base: string, user: { name: string; email: string; password?: string }): Promise<void> {
  await page.goto(`${base}/signup`);
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password ?? PASSWORD);
  await Promise.all([page.waitForURL(`${base}/settings/oauth`), page.getByRole('button', { name: 'Create account' }).click()]);
}

/** Fills and submits the sign-in form already on screen; resolves with the POST's status. */
export async function submitSignIn(page: Page, email: string, password: string): Promise<number> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/login' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  await page.waitForLoadState();
  return response.status();
}

/** Creates an organization on /settings/organizations and waits until it is listed. */
export async function createOrganization(page: Page, base: string, name: string, slug: string): Promise<void> {
  await page.goto(`${base}/settings/organizations`);
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Slug').fill(slug);
  await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/settings/organizations' && r.request().method() === 'GET'),
    page.getByRole('button', { name: 'Create organization' }).click(),
  ]);
  await page.getByRole('heading', { name: new RegExp(`\\(${slug}\\)`) }).waitFor();
}

export interface ConsoleApp {
  clientId: string;
  clientSecret: string;
}

/** Creates an app at /settings/oauth/new and reads the client ID and the once-shown secret. */
export async function createApp(page: Page, base: string, app: { name: string; redirectUri: string; scope?: string }): Promise<ConsoleApp> {
  await page.goto(`${base}/settings/oauth/new`);
  await page.getByLabel('Name').fill(app.name);
  await page.getByLabel('Redirect URIs').fill(app.redirectUri);
  if (app.scope) await page.getByLabel('Scopes').fill(app.scope);
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/settings/oauth/new' && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Save' }).click(),
  ]);
  if (response.status() !== 201) throw new Error(`creating the app: ${response.status()} ${await page.textContent('.error')}`);
  const clientId = ((await page.locator('#client-id').textContent()) ?? '').trim();
  const clientSecret = ((await page.locator('#client-secret').textContent()) ?? '').trim();
  if (!clientId || !clientSecret) throw new Error('the app page shows no client ID or secret');
  return { clientId, clientSecret };
}

/** POSTs a form to the server (the relying party's back channel). */
export async function postForm(base: string, path: string, fields: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${base}${path}`, { method: 'POST', body: new URLSearchParams(fields), headers });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: response.status, text, json };
}

export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  scope: string;
}

export async function exchangeCode(base: string, app: ConsoleApp, code: string, redirectUri: string): Promise<Tokens> {
  const result = await postForm(base, '/v1/oauth2/token', {
    grant_type: 'authorization_code',
    client_id: app.clientId,
    client_secret: app.clientSecret,
    code,
    redirect_uri: redirectUri,
  });
  if (result.status !== 200) throw new Error(`token: ${result.status} ${result.text}`);
  return result.json as unknown as Tokens;
}

export const userinfo = (base: string, accessToken: string) => fetch(`${base}/v1/oauth2/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });

/** Where the screenshots go: docs/img/ at the repository root. */
/**
 * Where a screenshot goes: docs/img/ with UPDATE_SCREENSHOTS=1 (`npm run screenshots`), else a
 * temporary folder, so that `npm test` never rewrites tracked files (Chromium's PNG bytes vary).
 */
export function screenshotPath(name: string): string {
  const dir = process.env.UPDATE_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/img/', import.meta.url)) : `${scratch()}/`;
  mkdirSync(dir, { recursive: true });
  return `${dir}${name}`;
}

let scratchDir: string | undefined;
const scratch = () => (scratchDir ??= mkdtempSync(join(tmpdir(), 'borealis-screenshots-')));
