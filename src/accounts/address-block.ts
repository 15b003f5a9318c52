/**
 * The block of addresses one client is counted by, for sign-in lockout and rate limits. An IPv4
 * address is its own block. An IPv6 client is usually given a whole /64 (RFC 6177 §2; SLAAC,
 * RFC 4862, picks an interface's low 64 bits itself, and privacy addresses, RFC 8981, change
 * them daily), so counting each address apart would let one client try from as many addresses
 * as it likes: an IPv6 address counts by its /64. One that carries an IPv4 address (mapped, as
 * dual-stack sockets report IPv4 clients, or translated: carriesIpv4) is that IPv4 address.
 * Anything else (a hashed forwarded value, client-address.ts) is returned as it is.
 */
import { isIP } from 'node:net';

export function addressBlock(address: string): string {
  if (isIP(address) !== 6) return address;
  const groups = ipv6Groups(address);
  if (carriesIpv4(groups)) {
    const [high, low] = [groups[6] ?? 0, groups[7] ?? 0];
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}

/**
 * Prefixes whose last 32 bits are an IPv4 client's address, so that IPv4 clients reaching an
 * IPv6-only server through a translator are told apart: mapped `::ffff:0:0/96` (RFC 4291
 * §2.5.5.2), SIIT's `::ffff:0:0:0/96` (RFC 2765), NAT64's well-known `64:ff9b::/96` (RFC 6052),
 * and the deprecated IPv4-compatible `::/96` (RFC 4291 §2.5.5.1; not `::` and `::1`).
 */
function carriesIpv4(groups: number[]): boolean {
  const head = groups.slice(0, 6).join(':');
  if (head === '0:0:0:0:0:65535' || head === '0:0:0:0:65535:0' || head === '100:65435:0:0:0:0') return true;
  return head === '0:0:0:0:0:0' && (groups[6] ?? 0) !== 0;
}

/** The eight 16-bit groups of a valid IPv6 address (isIP), `::` expanded, a dotted IPv4 tail read as two groups. */
function ipv6Groups(address: string): number[] {
  let text = address.split('%')[0] ?? ''; // a zone index (fe80::1%eth0) names no part of the address
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parts = (s: string) => (s === '' ? [] : s.split(':'));
  const groups = tail === undefined ? parts(head) : [...parts(head), ...Array<string>(8 - parts(head).length - parts(tail).length).fill('0'), ...parts(tail)];
  return groups.map((g) => parseInt(g, 16));
}
