/**
 * The recorded requests in ../shared/captures, for replay against the emulator, and the
 * structural view of an answer the replay compares with Windows' recorded one.
 *
 * Extraction is the fuzzer's (scripts/fuzz.ts capturedRequests: clients/*.txt exchanges, sealed
 * ones as their decrypted text, UTF-16 ones decoded; omi/*.txt request bodies; windows/*.request.xml);
 * this file only groups, names and encodes them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { capturedRequests } from '../../scripts/fuzz.js';
import { projectRoot } from '../../src/cim/schema-loader.js';
import { LENIENT_PREFIXES } from '../../src/wsman/namespaces.js';
import { attr, childElements, parseXml, resolveQName, textOf, type XmlElement } from '../../src/xml/dom.js';
import { NS } from './wsman-client.js';

export const CAPTURES = resolve(projectRoot(), '../shared/captures');

export type CaptureFolder = 'windows' | 'clients' | 'omi';

export interface CapturedRequest {
  folder: CaptureFolder;
  /** file name in the folder */
  file: string;
  /** `file` for windows/ and omi/, `file#exchange` for clients/ */
  id: string;
  text: string;
  charset: 'utf-8' | 'utf-16';
}

/**
 * Every request of a folder, in file order. In clients/ the same request recorded twice in one
 * file (first without credentials and answered 401, then again with them; NTLM type 1 / type 3
 * resends) is one request: it is replayed once, with Basic.
 */
export function capturedFolder(folder: CaptureFolder): CapturedRequest[] {
  const dir = join(CAPTURES, folder);
  if (!existsSync(dir)) throw new Error(`${dir} not found: the shared captures must sit beside the repository`);
  const out: CapturedRequest[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (folder === 'windows' ? !file.endsWith('.request.xml') : !file.endsWith('.txt')) continue;
    const seen = new Set<string>();
    for (const c of capturedRequests(join(dir, file))) {
      if (seen.has(c.text)) continue;
      seen.add(c.text);
      const hash = c.name.indexOf('#');
      out.push({ folder, file, id: hash < 0 ? `${folder}/${file}` : `${folder}/${file}#${c.name.slice(hash + 1)}`, text: c.text, charset: c.charset });
    }
  }
  return out;
}

export function readCapture(folder: CaptureFolder, file: string): string {
  return readFileSync(join(CAPTURES, folder, file), 'utf8');
}

/** The bytes a client sends for this text: UTF-16 as little-endian with a BOM (what wsman -j UTF-16 sent). */
export function encodeRequest(text: string, charset: 'utf-8' | 'utf-16'): { body: Buffer; contentType: string } {
  if (charset === 'utf-16') {
    return { body: Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]), contentType: 'application/soap+xml;charset=UTF-16' };
  }
  return { body: Buffer.from(text, 'utf8'), contentType: 'application/soap+xml;charset=UTF-8' };
}

export function decodeAnswer(body: Buffer): string {
  if (body[0] === 0xff && body[1] === 0xfe) return body.subarray(2).toString('utf16le');
  if (body[0] === 0xfe && body[1] === 0xff) throw new Error('big-endian UTF-16 answer');
  return body.toString('utf8');
}

/** Resource URI, Action and MessageID of a request (whitespace trimmed, as the server reads them). */
export function requestHeaders(text: string): { resourceUri?: string; action?: string; messageId?: string } {
  let doc: XmlElement;
  try {
    doc = parseXml(text.replace(/^\uFEFF/, ''), { fallbackPrefixes: LENIENT_PREFIXES });
  } catch {
    // malformed on purpose (omi/malformed-xml, not-xml …): read what a lenient eye can
    const pick = (local: string) => new RegExp(`<(?:[\\w.-]+:)?${local}\\b[^>]*>\\s*([^<]*?)\\s*<`).exec(text)?.[1];
    return { resourceUri: pick('ResourceURI'), action: pick('Action'), messageId: pick('MessageID') };
  }
  const header = childElements(doc).find((e) => e.local === 'Header');
  const get = (ns: string, local: string) => {
    const el = header ? childElements(header).find((e) => e.ns === ns && e.local === local) : undefined;
    return el ? textOf(el).trim() : undefined;
  };
  return { resourceUri: get(NS.w, 'ResourceURI'), action: get(NS.a, 'Action'), messageId: get(NS.a, 'MessageID') };
}

// ------------------------------------------------------------------- structural view --

const PREFIX: Record<string, string> = {
  [NS.s]: 's', [NS.a]: 'a', [NS.w]: 'w', [NS.n]: 'n', [NS.p]: 'p', [NS.f]: 'f', [NS.b]: 'b', [NS.wsmid]: 'wsmid',
  'http://schemas.xmlsoap.org/ws/2004/09/transfer': 'x',
  'http://schemas.microsoft.com/wbem/wsman/1/config': 'cfg',
};

/** `pfx:Local` for the well-known namespaces, `{ns}Local` otherwise. */
export function qname(el: XmlElement): string {
  const p = PREFIX[el.ns];
  return p ? `${p}:${el.local}` : `{${el.ns}}${el.local}`;
}

/** The SOAP header blocks of an answer, in order. */
export function headerSkeleton(doc: XmlElement): string[] {
  const header = childElements(doc).find((e) => e.ns === NS.s && e.local === 'Header');
  return header ? childElements(header).map(qname) : [];
}

/**
 * The body's element skeleton: namespace + local name of each element down to `depth` levels under
 * s:Body; an items container (w:Items, n:Items) is shown as `w:Items[…]` — its members are the
 * classes of the two systems, which differ — and a fault is shown with its Code/Subcode values and
 * its detail elements (see faultSkeleton).
 */
export function bodySkeleton(doc: XmlElement, depth = 2): string {
  const body = childElements(doc).find((e) => e.ns === NS.s && e.local === 'Body');
  if (!body) return '(no body)';
  const walk = (el: XmlElement, d: number): string => {
    const name = qname(el);
    if (el.ns === NS.s && el.local === 'Fault') return faultSkeleton(el);
    const kids = childElements(el);
    if (el.local === 'Items' && (el.ns === NS.w || el.ns === NS.n)) return kids.length ? `${name}[…]` : `${name}[]`;
    if (d === 0 || kids.length === 0) return name;
    return `${name}(${kids.map((k) => walk(k, d - 1)).join(',')})`;
  };
  return childElements(body).map((k) => walk(k, depth - 1)).join(',');
}

/** Code, Subcode (as resolved QNames), and the element tree under s:Detail. */
export function faultSkeleton(fault: XmlElement): string {
  const child = (el: XmlElement | undefined, local: string) => (el ? childElements(el).find((e) => e.ns === NS.s && e.local === local) : undefined);
  const value = (el: XmlElement | undefined) => {
    const v = child(el, 'Value');
    if (!v) return '';
    const q = resolveQName(v, textOf(v).trim());
    return `${q.ns ? PREFIX[q.ns] ?? `{${q.ns}}` : ''}:${q.local}`;
  };
  const code = child(fault, 'Code');
  const sub = child(code, 'Subcode');
  const detail = child(fault, 'Detail');
  // the whole detail tree by element name; the WMI instance inside f:ExtendedError by local name
  // only (its namespace is …/wmi/root/cimv2/… on 2008 R2, …/cim-schema/2/… on 2012 R2), and an
  // MSFT_WmiError detail instance without its properties
  const tree = (el: XmlElement): string => {
    const kids = childElements(el);
    if (el.ns === NS.f && el.local === 'ExtendedError') return `f:ExtendedError(${kids.map((k) => k.local).join(',')})`;
    if (el.local === 'MSFT_WmiError') return qname(el);
    return kids.length ? `${qname(el)}(${kids.map(tree).join(',')})` : qname(el);
  };
  const detailParts = detail ? childElements(detail).map(tree) : [];
  return `s:Fault[${value(code)}${sub ? ' / ' + value(sub) : ''}]{${detailParts.join(',')}}`;
}

/** The WSManFault Code of a fault answer, if any. */
export function wsmanFaultCode(doc: XmlElement): string | undefined {
  const walk = (el: XmlElement): XmlElement | undefined => {
    if (el.ns === NS.f && el.local === 'WSManFault') return el;
    for (const c of childElements(el)) {
      const r = walk(c);
      if (r) return r;
    }
    return undefined;
  };
  const wf = walk(doc);
  return wf ? attr(wf, 'Code') : undefined;
}

// ---------------------------------------------------------------------- omi/ exchanges --

export interface OmiExchange {
  file: string;
  method: string;
  path: string;
  contentType?: string;
  /** the request carried an Authorization header (its value is redacted in the file) */
  authorized: boolean;
  /** the request body as recorded (may be empty or not XML: some cases are HTTP-level errors) */
  body: string;
}

/** The HTTP request of one omi/*.txt case (format: ../shared/captures/omi, "## Request headers" + "## Request body"). */
export function omiExchange(file: string): OmiExchange {
  const raw = readCapture('omi', file);
  const head = /## Request headers[^\n]*\n([\s\S]*?)\n\n## Request body\n/.exec(raw);
  if (!head) throw new Error(`omi/${file}: no request headers`);
  const lines = head[1].split('\n');
  const [method, path] = lines[0].split(' ');
  const header = (name: string) => lines.find((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'))?.slice(name.length + 1).trim();
  const body = /## Request body\n([\s\S]*?)\n?## Response/.exec(raw)?.[1] ?? '';
  return { file, method, path, contentType: header('Content-Type'), authorized: header('Authorization') !== undefined, body: body.replace(/\n$/, '') };
}

export function omiFiles(): string[] {
  return readdirSync(join(CAPTURES, 'omi')).filter((f) => f.endsWith('.txt')).sort();
}

/** The w:FaultDetail URI of a fault answer, if any. */
export function faultDetailOf(doc: XmlElement): string | undefined {
  const walk = (el: XmlElement): XmlElement | undefined => {
    if (el.ns === NS.w && el.local === 'FaultDetail') return el;
    for (const c of childElements(el)) {
      const r = walk(c);
      if (r) return r;
    }
    return undefined;
  };
  const d = walk(doc);
  return d ? textOf(d).trim() : undefined;
}
