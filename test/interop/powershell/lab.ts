/**
 * Shared pieces of the PowerShell request scripts: the recorded MI-client requests (copied from
 * ../shared/captures/windows, see captures/README.md) used as templates, and the default world's
 * objects as PowerShell addresses them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { childElements, type XmlElement } from '../../../src/xml/dom.js';
import { VM } from '../../helpers/hyperv.js';
import type { MiExchange, MiInstanceRef, MiSession } from '../../helpers/mi-client.js';
import { NS, parse, post } from '../../helpers/wsman-client.js';

export const V2 = 'root/virtualization/v2';
const HERE = dirname(fileURLToPath(import.meta.url));

/** A recorded request, verbatim; `crlf: false` turns CR LF line ends into LF (for editing). */
export function capture(name: string, opts: { crlf?: boolean } = {}): string {
  const text = readFileSync(join(HERE, 'captures', name), 'utf8');
  return opts.crlf === false ? text.replace(/\r\n/g, '\n') : text;
}

/**
 * A climbe capture with its `~A` placeholders (Lisp format directives the author left in: URL,
 * class, namespace, message id…) filled in order.
 */
export function fillPlaceholders(template: string, values: readonly string[]): string {
  let i = 0;
  const out = template.replace(/~A/g, () => {
    if (i >= values.length) throw new Error('more ~A placeholders than values');
    return values[i++];
  });
  if (i !== values.length) throw new Error(`${values.length - i} values left over`);
  return out;
}

/** Send a recorded (or filled) request as-is over the session's credentials. */
export async function sendRaw(session: MiSession, xml: string): Promise<MiExchange> {
  const http = await post(session.url, xml);
  const doc = parse(http.text);
  const id = /<a:MessageID>\s*([^<]*?)\s*<\/a:MessageID>/.exec(xml)?.[1] ?? '';
  return { request: xml, messageId: id, http, doc };
}

export const vmRef = (guid: string): MiInstanceRef => ({ className: 'Msvm_ComputerSystem', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: guid } });
export const hostRef = (name: string): MiInstanceRef => ({ className: 'Msvm_ComputerSystem', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: name } });
export const migrationServiceRef = (host: string): MiInstanceRef => ({
  className: 'Msvm_VirtualSystemMigrationService',
  keys: { CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: host },
});

export { VM };

/** The body's single child. */
export function bodyChild(ex: MiExchange): XmlElement {
  const body = childElements(ex.doc).find((c) => c.ns === NS.s && c.local === 'Body')!;
  const kids = childElements(body);
  expect(kids).toHaveLength(1);
  return kids[0];
}

/** Property names of an instance element in document order. */
export function propertyNames(inst: XmlElement): string[] {
  return [...new Set(childElements(inst).map((c) => c.local))];
}

/** Windows writes properties in case-insensitive alphabetical order (V climbe, txwinrm). */
export function expectWindowsPropertyOrder(inst: XmlElement): void {
  const names = propertyNames(inst);
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
  expect(names).toEqual(sorted);
}
