/**
 * Helpers for the robustness suite (test/robustness): raw TCP exchanges that send exactly the
 * bytes a test wants (lying Content-Length, slow headers, chunked bodies, 100-continue), a small
 * HTTP response reader, answer classification against the fault catalogue, a private build of the
 * project for tests that spawn the real CLI, and process resource counters.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { FAULTS } from '../../src/faults/catalogue.js';
import { childElements, descendantsNamed, parseXml, textOf, type XmlElement } from '../../src/xml/dom.js';

export const ROOT = join(import.meta.dirname, '..', '..');

export const SOAP_NS = 'http://www.w3.org/2003/05/soap-envelope';
const F_NS = 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault';

// ---------------------------------------------------------------------------- raw HTTP --

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** header lines as received */
  headerLines: string[];
  body: Buffer;
  /** ms from the first byte written to the end of this response */
  ms: number;
}

/** Reads HTTP/1.1 responses off a socket, one after the other (interim 1xx responses included). */
export class ResponseReader {
  private buf = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly started = performance.now();

  constructor(readonly socket: net.Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private async more(deadline: number): Promise<boolean> {
    if (this.closed) return false;
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, left);
      this.waiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
    return true;
  }

  /** The next response, or undefined when the connection closes (or `timeoutMs` passes) first. */
  async next(timeoutMs = 10_000): Promise<RawResponse | undefined> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const head = this.buf.subarray(0, end).toString('latin1').split('\r\n');
        const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
        if (!m) throw new Error(`not an HTTP response: ${head[0]}`);
        const headers: Record<string, string> = {};
        for (const line of head.slice(1)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        const status = Number(m[1]);
        const len = status >= 100 && status < 200 ? 0 : Number(headers['content-length'] ?? 0);
        while (this.buf.length < end + 4 + len) {
          if (!(await this.more(deadline))) return undefined;
        }
        const body = this.buf.subarray(end + 4, end + 4 + len);
        this.buf = this.buf.subarray(end + 4 + len);
        return { status, headers, headerLines: head.slice(1), body: Buffer.from(body), ms: performance.now() - this.started };
      }
      if (!(await this.more(deadline))) return undefined;
    }
  }

  /** Resolves when the peer has closed the connection (true), or after `timeoutMs` (false). */
  async waitClosed(timeoutMs = 10_000): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (!this.closed) if (!(await this.more(deadline))) return this.closed;
    return true;
  }
}

export async function connect(url: string): Promise<{ socket: net.Socket; reader: ResponseReader }> {
  const u = new URL(url);
  const socket = net.connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setNoDelay(true);
  return { socket, reader: new ResponseReader(socket) };
}

export function basicHeader(user = 'Administrator', password = 'Passw0rd!'): string {
  return 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
}

/** Request head bytes (CRLF lines, blank line at the end). */
export function head(url: string, headers: Record<string, string | number>, method = 'POST'): Buffer {
  const u = new URL(url);
  const lines = [`${method} ${u.pathname} HTTP/1.1`, `Host: ${u.host}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');
}

/** One raw exchange: write `bytes`, read one response (undefined when the connection closed first). */
export async function rawExchange(url: string, bytes: Buffer, timeoutMs = 10_000): Promise<{ res: RawResponse | undefined; closed: boolean }> {
  const { socket, reader } = await connect(url);
  socket.write(bytes);
  const res = await reader.next(timeoutMs);
  await reader.waitClosed(res?.headers.connection === 'close' ? 2000 : 0);
  const closed = reader.closed;
  socket.destroy();
  return { res, closed };
}

export function soapPost(url: string, body: Buffer | string, extra: Record<string, string | number> = {}): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  return Buffer.concat([
    head(url, { Authorization: basicHeader(), 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': b.length, ...extra }),
    b,
  ]);
}

// ----------------------------------------------------------------- answer classification --

export interface Classified {
  kind: 'success' | 'fault' | 'http-error';
  status: number;
  /** catalogue kinds the fault fits (by code, subcode and WSManFault code), for faults */
  faultKinds?: string[];
  subcode?: string;
  code?: string;
  wsmanCode?: string;
}

/**
 * Is this answer one the emulator may give: a SOAP envelope (200 without a fault, 500 with a
 * catalogue fault), or an HTTP 4xx with an empty body? Throws with the reason when not.
 */
export function classifyAnswer(status: number, body: Buffer, contentType: string | undefined): Classified {
  if (status >= 400 && status < 500 && status !== 401) {
    if (body.length !== 0) throw new Error(`HTTP ${status} with a body`);
    return { kind: 'http-error', status };
  }
  if (status === 401) return { kind: 'http-error', status };
  if (status !== 200 && status !== 500) throw new Error(`unexpected HTTP status ${status}`);
  if (!contentType || !/^application\/soap\+xml/i.test(contentType)) throw new Error(`HTTP ${status} with Content-Type ${String(contentType)}`);
  const text = /utf-16/i.test(contentType) ? body.subarray(2).toString('utf16le') : body.toString('utf8');
  let doc: XmlElement;
  try {
    doc = parseXml(text);
  } catch (e) {
    throw new Error(`HTTP ${status}: the answer is not well-formed XML (${(e as Error).message}): ${text.slice(0, 300)}`);
  }
  if (doc.ns !== SOAP_NS || doc.local !== 'Envelope') throw new Error(`HTTP ${status}: the answer is not a SOAP 1.2 envelope`);
  const bodyEl = childElements(doc).find((c) => c.ns === SOAP_NS && c.local === 'Body');
  if (!bodyEl) throw new Error(`HTTP ${status}: an envelope without a Body`);
  const fault = descendantsNamed(bodyEl, SOAP_NS, 'Fault')[0];
  if (status === 200) {
    if (fault) throw new Error('HTTP 200 with a fault');
    return { kind: 'success', status };
  }
  if (!fault) throw new Error('HTTP 500 without a fault');
  const values = descendantsNamed(fault, SOAP_NS, 'Value').map((v) => textOf(v).trim());
  const code = values[0]?.replace(/^[^:]*:/, '');
  const subcode = values[1];
  const wf = descendantsNamed(fault, F_NS, 'WSManFault')[0];
  const wsmanCode = wf?.attrs.find((a) => a.local === 'Code')?.value;
  const kinds = Object.entries(FAULTS)
    .filter(([, f]) => f.code === code && (('subcode' in f && f.subcode) ? subcode !== undefined && subcode.endsWith(':' + f.subcode[1]) : subcode === undefined))
    .map(([k]) => k);
  if (kinds.length === 0) throw new Error(`HTTP 500: fault ${code}/${String(subcode)} is not in the catalogue`);
  return { kind: 'fault', status, faultKinds: kinds, code, subcode, wsmanCode };
}

// ---------------------------------------------------------------- a private build (CLI) --

/**
 * Compile the project into a private directory under node_modules/.cache (one per caller), for
 * tests that spawn the real CLI: tests that build dist/ at the same time cannot disturb it. The
 * compiled code finds the project root (schemas, package.json) by walking up, as from dist/.
 */
export function privateBuild(name: string): string {
  const out = join(ROOT, 'node_modules', '.cache', 'vmms-emu-tests', name);
  mkdirSync(out, { recursive: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.json'), '--outDir', out, '--tsBuildInfoFile', join(out, '.tsbuildinfo')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed:\n${r.stdout}\n${r.stderr}`);
  return out;
}

export interface ServeLines {
  hosts: Record<string, string>;
  control?: string;
}

/** Spawn `vmms-emu serve` from a build and wait for its ready line. */
export async function spawnServe(build: string, args: string[], timeoutMs = 30_000): Promise<{ child: ChildProcess; lines: ServeLines; stderr: () => string }> {
  const child = spawn(process.execPath, [join(build, 'src', 'bin.js'), 'serve', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  const lines = await new Promise<ServeLines>((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => reject(new Error(`no ready line within ${timeoutMs} ms; stdout:\n${buf}\nstderr:\n${err}`)), timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      if (!/ready/.test(buf)) return;
      clearTimeout(timer);
      const out: ServeLines = { hosts: {} };
      for (const l of buf.split('\n')) {
        const h = /^(\S+) (http:\/\/\S+)/.exec(l);
        if (h && !l.startsWith('control:')) out.hosts[h[1]] = h[2];
        const c = /^control: (http:\/\/\S+)/.exec(l);
        if (c) out.control = c[1];
      }
      resolve(out);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before ready:\n${buf}\n${err}`));
    });
  });
  return { child, lines, stderr: () => err };
}

// ------------------------------------------------------------------ process resources --

/** Open file descriptors of this process. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** Active timers and intervals of this process (Node's resource list). */
export function activeTimers(): number {
  return process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
}

/** A tiny seeded generator (mulberry32) for reproducible choices in tests. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
