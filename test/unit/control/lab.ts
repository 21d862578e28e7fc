/**
 * Helpers for the control-plane tests (test/e2e/control*, faults*, observability*, capture*,
 * dashboard*): an emulator with its control API on a free port and a manual clock, a JSON client
 * for the API, and a raw HTTP request that reports what a client sees when the server misbehaves
 * (refused, reset, hung, cut short).
 */
import http from 'node:http';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../../src/emulator.js';
import { FabricClock } from '../../../src/fabric/clock.js';
import type { WorldSpec } from '../../../src/fabric/world.js';
import type { HypervFabric } from '../../../src/providers/hyperv/index.js';
import { defaultWorld, type HypervLab } from '../../helpers/hyperv.js';
import { basic } from '../../helpers/wsman-client.js';

export const START = Date.UTC(2025, 0, 6, 9, 0, 0);

export interface ControlLab extends HypervLab {
  controlUrl: string;
  api<T = unknown>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiAnswer<T>>;
}

export interface ApiAnswer<T> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

export async function startControlLab(o: Partial<EmulatorOptions> & { world?: WorldSpec } = {}): Promise<ControlLab> {
  const clock = o.clock ?? new FabricClock({ mode: 'manual', start: START });
  const emu: Emulator = await createEmulator({ portBase: 0, https: false, controlPort: 0, ...o, world: o.world ?? defaultWorld(), clock });
  const controlUrl = emu.control.url!;
  return {
    emu,
    get fabric() {
      return emu.fabric as HypervFabric;
    },
    clock,
    controlUrl,
    url: (host) => {
      const h = emu.hosts.find((x) => x.name.toLowerCase() === host.toLowerCase());
      if (!h) throw new Error(`no host ${host}`);
      return h.http.url;
    },
    close: () => emu.close(),
    async api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiAnswer<T>> {
      const init: RequestInit = { method, headers: { ...headers } };
      if (body !== undefined) {
        if (typeof body === 'string') init.body = body;
        else {
          init.body = JSON.stringify(body);
          (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
        }
      }
      const r = await fetch(controlUrl + path, init);
      const text = await r.text();
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      return { status: r.status, headers: r.headers, text, json: json as T };
    },
  };
}

export interface RawOutcome {
  /** 'answered': a complete answer; 'refused': ECONNREFUSED; 'reset': closed with no answer; 'cut': headers and part of the body; 'timeout': nothing within the time */
  kind: 'answered' | 'refused' | 'reset' | 'cut' | 'timeout';
  status?: number;
  text?: string;
  /** body bytes received, and Content-Length announced */
  received?: number;
  declared?: number;
  ms: number;
  code?: string;
}

/** One POST on a fresh connection, reporting exactly what the client saw. */
export function rawPost(url: string, body: string, o: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<RawOutcome> {
  const u = new URL(url);
  const t0 = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: Omit<RawOutcome, 'ms'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...r, ms: performance.now() - t0 });
    };
    const req = http.request({
      method: 'POST', hostname: u.hostname, port: u.port, path: u.pathname, agent: false,
      headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', Authorization: basic(), 'Content-Length': String(Buffer.byteLength(body)), ...o.headers },
    }, (res) => {
      const chunks: Buffer[] = [];
      const declared = res.headers['content-length'] !== undefined ? Number(res.headers['content-length']) : undefined;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const b = Buffer.concat(chunks);
        done({ kind: declared !== undefined && b.length < declared ? 'cut' : 'answered', status: res.statusCode, text: b.toString('utf8'), received: b.length, declared });
      });
      res.on('error', () => {
        const b = Buffer.concat(chunks);
        done({ kind: 'cut', status: res.statusCode, text: b.toString('utf8'), received: b.length, declared });
      });
      res.on('aborted', () => {
        const b = Buffer.concat(chunks);
        done({ kind: 'cut', status: res.statusCode, text: b.toString('utf8'), received: b.length, declared });
      });
    });
    req.setTimeout(o.timeoutMs ?? 10_000, () => {
      done({ kind: 'timeout' });
      req.destroy();
    });
    req.on('error', (e: NodeJS.ErrnoException) => done({ kind: e.code === 'ECONNREFUSED' ? 'refused' : 'reset', code: e.code }));
    req.end(body);
  });
}

export const IDENTIFY = '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>';

/** Lines a test logger received. */
export function memoryLogger(): { lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }>; info(o: object, m?: string): void; warn(o: object, m?: string): void } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
}
