/**
 * The form an email address is stored and looked up by: one account per address as a person
 * reads it. Compatibility normalisation (NFKC) makes composed and decomposed accents, and
 * full-width letters, one spelling; case is folded; the domain takes its IDNA ASCII form
 * (`bücher.example` and `xn--bcher-kva.example` are one domain, WHATWG URL's domainToASCII).
 * Migration 011 recomputes the stored form with this; the sign-in throttle counts by it too.
 */
import { domainToASCII } from 'node:url';

const fold = (text: string) => text.normalize('NFKC').toLowerCase().normalize('NFKC');

export function emailLookup(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 0) return fold(email);
  const domain = email.slice(at + 1);
  return `${fold(email.slice(0, at))}@${domainToASCII(domain) || fold(domain)}`;
}
