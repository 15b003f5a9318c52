/** The CSP source named for a client's redirect URI in `form-action` (src/http/pages/form-target.ts). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formActionSource } from '../../src/http/pages/form-target.js';

describe('formActionSource', () => {
  const cases: [string, string | undefined][] = [
    ['https://app.example.com/callback?x=1', 'https://app.example.com'],
    ['https://app.example.com:8443/cb', 'https://app.example.com:8443'],
    ['http://127.0.0.1:9999/callback', 'http://127.0.0.1:9999'],
    // CSP has no IPv6 literal (Chromium ignores it as invalid, and blocks the form): no source names it.
    ['http://[::1]:8080/cb', undefined],
    ['https://[2001:db8::1]/cb', undefined],
    // An internationalised host is named in its ASCII form: a CSP source cannot hold anything else.
    ['https://bücher.example/cb', 'https://xn--bcher-kva.example'],
    // Native apps (RFC 8252 §7.1): the private-use scheme is the source.
    ['com.example.app:/oauth2redirect', 'com.example.app:'],
    // Hosts the URL parser accepts but a CSP source cannot hold: named, `;` would end the
    // directive (injecting `sandbox`), `,` the policy; none is named, and the page leaves the directive out.
    ['https://x;sandbox/cb', undefined],
    ['https://x,y/cb', undefined],
    ["https://x'y/cb", undefined],
    ['https://x*y/cb', undefined],
    ['not a url', undefined],
    ['', undefined],
  ];
  for (const [uri, source] of cases) {
    test(JSON.stringify(uri), () => assert.equal(formActionSource(uri), source));
  }
});
