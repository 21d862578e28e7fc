/**
 * Test helpers for the Hyper-V fabric: start the assembled emulator (createEmulator +
 * createHypervFabric) on free ports with a manual clock, and speak raw WS-Man to its hosts —
 * Get, Enumerate (WQL, association filters), Invoke with REF and embedded-instance parameters,
 * jobs and their Msvm_Error instances.
 */
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseEmbeddedInstance } from '../../src/cim/cimxml/index.js';
import { loadSchemaRegistry, projectRoot } from '../../src/cim/schema-loader.js';
import type { CimInstance } from '../../src/cim/types.js';
import { createEmulator, type Emulator } from '../../src/emulator.js';
import type { RequestEvent } from '../../src/server/wsman-handler.js';
import { FabricClock } from '../../src/fabric/clock.js';
import { loadWorldFile, parseWorld } from '../../src/fabric/world-file.js';
import type { WorldSpec } from '../../src/fabric/world.js';
import { createHypervFabric, type HypervFabric } from '../../src/providers/hyperv/index.js';
import { childElements, textOf, type XmlElement } from '../../src/xml/dom.js';
import { ACTION, envelope, faultOf, find, findOne, NS, parse, post, type FaultSummary, type HttpAnswer } from './wsman-client.js';

export const V2 = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/';
export const V2_ALL = V2 + '*';
export const DMTF = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
export const WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
export const ASSOC_DIALECT = 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding/associationFilter';
export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

export const MIGRATION_SERVICE = 'Msvm_VirtualSystemMigrationService';
export const VSMS = 'Msvm_VirtualSystemManagementService';

/** The default world's VMs. */
export const VM = {
  web01: '8A4E1A2C-5D1B-4E0B-9F3B-1234567890AB',
  db01: '3471A56F-6BFB-4D79-BF75-7BE31004C834',
  build01: '0F6C0E63-8C0B-4A4C-9D4E-2B7C8E1F0A11',
  legacy01: '5B2D9E7A-1C3F-4D6B-8A9E-0C1D2E3F4A5B',
  test01: 'C7E1B2A3-4D5E-4F60-8172-93A4B5C6D7E8',
  app02: '9D8C7B6A-5F4E-4D3C-8B2A-190817263544',
};

export function worldFile(name: string): WorldSpec {
  return loadWorldFile(join(projectRoot(), 'worlds', name));
}

/** The default world, deep-copied, with an optional change. */
export function defaultWorld(edit?: (w: WorldSpec) => void): WorldSpec {
  const w = structuredClone(worldFile('default.yaml'));
  edit?.(w);
  return w;
}

export function yamlWorld(text: string): WorldSpec {
  return parseWorld(text);
}

export interface HypervLab {
  emu: Emulator;
  fabric: HypervFabric;
  clock: FabricClock;
  url(host: string): string;
  close(): Promise<void>;
}

export async function startLab(
  world: WorldSpec = defaultWorld(),
  clock = new FabricClock({ mode: 'manual', start: Date.UTC(2025, 0, 6, 9, 0, 0) }),
  opts: { onRequest?: (e: RequestEvent) => void } = {},
): Promise<HypervLab> {
  const emu = await createEmulator({ world, fabric: createHypervFabric, portBase: 0, https: false, clock, onRequest: opts.onRequest });
  const fabric = emu.fabric as HypervFabric;
  return {
    emu,
    fabric,
    clock,
    url: (host) => {
      const h = emu.hosts.find((x) => x.name.toLowerCase() === host.toLowerCase());
      if (!h) throw new Error(`no host ${host}`);
      return h.http.url;
    },
    close: () => emu.close(),
  };
}

// ---- building requests ------------------------------------------------------------------------

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** An EPR parameter element's content (a:Address + a:ReferenceParameters). */
export function eprXml(cls: string, selectors: Record<string, string>, address = ANONYMOUS, uri = V2 + cls): string {
  return (
    `<a:Address>${esc(address)}</a:Address><a:ReferenceParameters><w:ResourceURI>${esc(uri)}</w:ResourceURI><w:SelectorSet>` +
    Object.entries(selectors).map(([k, v]) => `<w:Selector Name="${k}">${esc(v)}</w:Selector>`).join('') +
    `</w:SelectorSet></a:ReferenceParameters>`
  );
}

export const vmEpr = (guid: string): string => eprXml('Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: guid });
export const hostEpr = (name: string): string => eprXml('Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: name });

export type CimXmlValue = string | number | boolean | null | Array<string | number>;

/** A CIM-XML INSTANCE as WMI GetText_(1) writes it (types given per property). */
export function cimXml(cls: string, props: Record<string, [string, CimXmlValue]>): string {
  let s = `<INSTANCE CLASSNAME="${cls}">`;
  for (const [name, [type, v]] of Object.entries(props)) {
    if (v === null) continue;
    if (Array.isArray(v)) {
      s += `<PROPERTY.ARRAY NAME="${name}" TYPE="${type}"><VALUE.ARRAY>` + v.map((x) => `<VALUE>${esc(String(x))}</VALUE>`).join('') + '</VALUE.ARRAY></PROPERTY.ARRAY>';
    } else {
      s += `<PROPERTY NAME="${name}" TYPE="${type}"><VALUE>${esc(String(v))}</VALUE></PROPERTY>`;
    }
  }
  return s + '</INSTANCE>';
}

export function migrationSettings(type: number, extra: Record<string, [string, CimXmlValue]> = {}): string {
  return cimXml('Msvm_VirtualSystemMigrationSettingData', { MigrationType: ['uint16', type], ...extra });
}

/** Service selectors of a host's migration service or VSMS. */
export function serviceSelectors(cls: string, host: string): Record<string, string> {
  return {
    CreationClassName: cls,
    Name: cls === MIGRATION_SERVICE ? 'migrationwmi' : 'vmms',
    SystemCreationClassName: 'Msvm_ComputerSystem',
    SystemName: host,
  };
}

export interface InvokeAnswer {
  http: HttpAnswer;
  output: XmlElement;
  returnValue: number;
  /** out parameters by name: element(s) */
  out: Map<string, XmlElement[]>;
  fault?: FaultSummary;
}

/** Invoke a method; `params` is the raw XML of the parameter elements (prefix p). */
export async function invoke(url: string, cls: string, selectors: Record<string, string> | undefined, method: string, params: string, user?: string): Promise<InvokeAnswer> {
  const uri = V2 + cls;
  const xml = envelope({ action: `${uri}/${method}`, resourceUri: uri, selectors, body: `<p:${method}_INPUT xmlns:p="${uri}">${params}</p:${method}_INPUT>` }).xml;
  const http = await post(url, xml, user ? { Authorization: 'Basic ' + Buffer.from(user).toString('base64') } : {});
  if (http.status !== 200) return { http, output: parse('<x/>'), returnValue: -1, out: new Map(), fault: faultOf(http) };
  const doc = parse(http.text);
  const output = findOne(doc, uri, `${method}_OUTPUT`);
  const out = new Map<string, XmlElement[]>();
  for (const c of childElements(output)) {
    const l = out.get(c.local) ?? [];
    l.push(c);
    out.set(c.local, l);
  }
  return { http, output, returnValue: Number(textOf(out.get('ReturnValue')![0])), out };
}

/** Selectors of an EPR element. */
export function eprSelectors(el: XmlElement): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of find(el, NS.w, 'Selector')) out[s.attrs.find((a) => a.local === 'Name')!.value] = textOf(s).trim();
  return out;
}

export function eprResourceUri(el: XmlElement): string {
  return textOf(findOne(el, NS.w, 'ResourceURI')).trim();
}

export function eprAddress(el: XmlElement): string {
  return textOf(findOne(el, NS.a, 'Address')).trim();
}

/** The job EPR of a 4096 answer: its class and InstanceID. */
export function jobOf(a: InvokeAnswer): { cls: string; id: string } {
  expect(a.returnValue, a.http.text).toBe(4096);
  const j = a.out.get('Job')![0];
  const uri = eprResourceUri(j);
  return { cls: uri.slice(uri.lastIndexOf('/') + 1), id: eprSelectors(j).InstanceID };
}

export type Props = Record<string, string | string[] | null>;

/** Property elements of an instance element → text (arrays for repeated, null for xsi:nil). */
export function propsOf(inst: XmlElement): Props {
  const out: Props = {};
  for (const c of childElements(inst)) {
    const nil = c.attrs.some((a) => a.local === 'nil' && a.value === 'true');
    const kids = childElements(c);
    const v = nil ? null : kids.length ? textOf(kids[0]).trim() : textOf(c);
    const prev = out[c.local];
    if (prev === undefined) out[c.local] = v;
    else out[c.local] = [...(Array.isArray(prev) ? prev : [prev ?? '']), v ?? ''];
  }
  return out;
}

export async function get(url: string, cls: string, selectors: Record<string, string>): Promise<{ http: HttpAnswer; props?: Props; fault?: FaultSummary }> {
  const http = await post(url, envelope({ action: ACTION.get, resourceUri: V2 + cls, selectors }).xml);
  if (http.status !== 200) return { http, fault: faultOf(http) };
  const body = childElements(parse(http.text)).find((e) => e.local === 'Body')!;
  return { http, props: propsOf(childElements(body)[0]) };
}

/** Enumerate everything (optimized, big batches), following Pulls; returns the item elements. */
export async function enumerateAll(url: string, resourceUri: string, filter = '', mode = ''): Promise<XmlElement[]> {
  const r = await post(url, envelope({
    action: ACTION.enumerate, resourceUri,
    body: `<n:Enumerate>${mode}<w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>${filter}</n:Enumerate>`,
  }).xml);
  if (r.status !== 200) throw new Error(`enumerate failed: ${r.status} ${r.text}`);
  const doc = parse(r.text);
  const items: XmlElement[] = [];
  const first = find(doc, NS.w, 'Items')[0];
  if (first) items.push(...childElements(first));
  let ctx = textOf(findOne(doc, NS.n, 'EnumerationContext')).trim();
  let done = find(doc, NS.w, 'EndOfSequence').length > 0;
  while (!done && ctx) {
    const p = await post(url, envelope({
      action: ACTION.pull, resourceUri, body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext><n:MaxElements>32000</n:MaxElements></n:Pull>`,
    }).xml);
    const pd = parse(p.text);
    const it = find(pd, NS.n, 'Items')[0];
    if (it) items.push(...childElements(it));
    const c = find(pd, NS.n, 'EnumerationContext')[0];
    ctx = c ? textOf(c).trim() : '';
    done = find(pd, NS.n, 'EndOfSequence').length > 0;
  }
  return items;
}

export async function wql(url: string, query: string): Promise<Props[]> {
  const items = await enumerateAll(url, V2_ALL, `<w:Filter Dialect="${WQL}">${esc(query)}</w:Filter>`);
  return items.map(propsOf);
}

/** Instances associated with an object (DMTF association filter), as [class, props]. */
export async function associators(url: string, objectEpr: string, opts: { assocClass?: string; resultClass?: string } = {}): Promise<Array<[string, Props]>> {
  const filter =
    `<w:Filter Dialect="${ASSOC_DIALECT}"><b:AssociatedInstances><b:Object>${objectEpr}</b:Object>` +
    (opts.assocClass ? `<b:AssociationClassName>${opts.assocClass}</b:AssociationClassName>` : '') +
    (opts.resultClass ? `<b:ResultClassName>${opts.resultClass}</b:ResultClassName>` : '') +
    `</b:AssociatedInstances></w:Filter>`;
  const items = await enumerateAll(url, V2_ALL, filter);
  return items.map((i) => [i.local, propsOf(i)]);
}

/** The job's properties (Get on its own class). */
export async function jobProps(url: string, job: { cls: string; id: string }): Promise<Props> {
  const r = await get(url, job.cls, { InstanceID: job.id });
  if (!r.props) throw new Error(`job ${job.id} not found: ${r.http.text}`);
  return r.props;
}

const schema = loadSchemaRegistry();

/** Msvm_Error instances from GetErrorEx (embedded CIM-XML parsed back). */
export async function jobErrors(url: string, job: { cls: string; id: string }): Promise<CimInstance[]> {
  const a = await invoke(url, job.cls, { InstanceID: job.id }, 'GetErrorEx', '');
  expect(a.returnValue).toBe(0);
  return (a.out.get('Errors') ?? []).map((e) => parseEmbeddedInstance(textOf(e), 'Msvm_Error', (n) => schema.getClass('root/virtualization/v2', n)));
}

/** Advance the manual clock in steps until the job leaves New/Starting/Running. */
export async function runJob(lab: HypervLab, host: string, job: { cls: string; id: string }, stepMs = 500, maxSteps = 2000): Promise<Props> {
  for (let i = 0; i < maxSteps; i++) {
    const p = await jobProps(lab.url(host), job);
    if (!['2', '3', '4'].includes(String(p.JobState))) return p;
    lab.clock.advance(stepMs);
  }
  throw new Error('job did not finish');
}

/** MigrateVirtualSystemToHost (or another migration method) on a host's migration service. */
export async function migrate(
  lab: HypervLab,
  host: string,
  vm: string,
  destination: string | null,
  type = 32768,
  o: { method?: string; settings?: string | null; extra?: string } = {},
): Promise<InvokeAnswer> {
  const settings = o.settings === undefined ? migrationSettings(type) : o.settings;
  const params =
    `<p:ComputerSystem>${vmEpr(vm)}</p:ComputerSystem>` +
    (destination !== null ? `<p:DestinationHost>${esc(destination)}</p:DestinationHost>` : '') +
    (settings !== null ? `<p:MigrationSettingData>${esc(settings)}</p:MigrationSettingData>` : '') +
    (o.extra ?? '');
  return invoke(lab.url(host), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, host), o.method ?? 'MigrateVirtualSystemToHost', params);
}

/** Does the host list this VM as an Msvm_ComputerSystem? (Get by key) */
export async function hasVm(lab: HypervLab, host: string, guid: string): Promise<boolean> {
  const r = await get(lab.url(host), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: guid });
  if (r.props) return true;
  expect(r.fault?.subcode, r.http.text).toBe('a:DestinationUnreachable');
  return false;
}
