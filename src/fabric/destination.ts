/**
 * DestinationHost as MigrateVirtualSystemToHost takes it: a DNS name (RFC 1035), an IPv4
 * dotted-decimal address (RFC 1208) or IPv6 text (RFC 4291) — the three
 * DestinationHostFormatsSupported values the emulator advertises. Parsing is strict: anything else
 * is refused at once as an invalid parameter; a well-formed name that no fabric host answers to
 * fails the job later (the real service only learns that when it tries to connect).
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { HostRecord } from './model.js';

export type DestinationFormat = 'dns' | 'ipv4' | 'ipv6';

export interface ParsedDestination {
  readonly format: DestinationFormat;
  /** the canonical text (lower-case name, normalised IPv6) */
  readonly text: string;
}

const LABEL_RE = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Undefined when the text is none of the three formats. */
export function parseDestinationHost(raw: string): ParsedDestination | undefined {
  const t = raw.trim();
  if (t === '' || t !== raw) return undefined;
  if (isIPv4(t)) return { format: 'ipv4', text: t };
  if (t.includes(':')) {
    // bracketed forms ([fd00::1]) and zone ids are not RFC 4291 text
    if (!isIPv6(t) || t.includes('%')) return undefined;
    return { format: 'ipv6', text: normaliseIPv6(t) };
  }
  // dotted numbers that are not an IPv4 address are not names either (999.1.1.1, 10.0.0)
  if (/^[0-9.]+$/.test(t)) return undefined;
  const name = t.endsWith('.') ? t.slice(0, -1) : t;
  if (name.length === 0 || name.length > 253) return undefined;
  if (!name.split('.').every((l) => LABEL_RE.test(l))) return undefined;
  return { format: 'dns', text: name.toLowerCase() };
}

/** Expand an IPv6 address to 8 groups of 4 lower-case hex digits (for comparison). */
export function normaliseIPv6(a: string): string {
  let text = a.toLowerCase();
  // an embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    text = text.slice(0, -v4[1].length) + ((o[0] << 8) | o[1]).toString(16) + ':' + ((o[2] << 8) | o[3]).toString(16);
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined ? (tail ? tail.split(':') : []) : [];
  const fill = tail !== undefined ? Array(8 - h.length - tl.length).fill('0') : [];
  return [...h, ...fill, ...tl].map((g) => g.padStart(4, '0')).join(':');
}

function addressMatches(address: string, d: ParsedDestination): boolean {
  if (d.format === 'ipv4') return address === d.text;
  if (d.format === 'ipv6') return isIPv6(address) && normaliseIPv6(address) === d.text;
  return false;
}

/** The fabric host a parsed destination names: its computer name, FQDN or one of its addresses. */
export function resolveDestination(d: ParsedDestination, hosts: Iterable<HostRecord>): HostRecord | undefined {
  for (const h of hosts) {
    if (d.format === 'dns') {
      if (h.name.toLowerCase() === d.text || h.fqdn.toLowerCase() === d.text) return h;
    } else if (h.addresses.some((a) => addressMatches(a, d))) {
      return h;
    }
  }
  return undefined;
}

/** Does `address` lie in `subnet` (`10.0.0.0/24`, `fd00::/64`)? */
export function inSubnet(address: string, subnet: string, prefixLength: number): boolean {
  const bits = (a: string): string | undefined => {
    if (isIPv4(a)) return a.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
    if (isIPv6(a)) return normaliseIPv6(a).split(':').map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
    return undefined;
  };
  const x = bits(address);
  const y = bits(subnet);
  if (!x || !y || x.length !== y.length) return false;
  return x.slice(0, prefixLength) === y.slice(0, prefixLength);
}
