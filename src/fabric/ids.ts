/**
 * Identifiers: random GUIDs for new things (jobs, defined VMs) and name-based, stable GUIDs for
 * things a world file declares without an id (switches, adapters, migration networks), so a world
 * loads to the same ids every time.
 */
import { createHash, randomUUID } from 'node:crypto';

/** A random upper-case GUID. */
export function newGuid(): string {
  return randomUUID().toUpperCase();
}

/** A stable upper-case GUID derived from the given parts (RFC 4122 version 5 layout over SHA-1). */
export function stableGuid(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000').toLowerCase()).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex').toUpperCase();
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** A stable MAC address (Hyper-V's 00155D prefix) for an adapter without one. */
export function stableMac(...parts: string[]): string {
  const h = createHash('sha1').update(parts.join('\u0000').toLowerCase()).digest('hex').toUpperCase();
  return '00155D' + h.slice(0, 6);
}

export const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;
