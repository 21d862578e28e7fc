/**
 * What the emulator records about each /wsman request: one {@link RequestRecord} per request (the
 * handler's RequestEvent plus the operation, the outcome and what fault injection did), written as
 * one structured log line, kept in a short ring for the dashboard and the control API, and counted
 * in the metrics. Records never carry credentials, tokens or message bytes.
 *
 * The optional trace file (`--trace-file`) is the exception by design: it holds whole plaintext
 * envelopes (after decryption) for debugging a client, and must be treated as sensitive.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import type { RequestEvent } from '../server/wsman-handler.js';
import type { FaultEffectKind } from '../fabric/world.js';
import { faultSubcode } from './fault-names.js';

/** ok; fault (a SOAP fault); challenge (a Negotiate handshake step's 401); unauthorized (refused); error (other HTTP errors); injected */
export type RequestOutcome = 'ok' | 'fault' | 'challenge' | 'unauthorized' | 'error' | 'injected';

export interface RequestRecord {
  /** wall-clock time the answer was given (ms since the epoch) */
  readonly time: number;
  readonly host: string;
  readonly user?: string;
  readonly status: number;
  /** Identify, Get, Put, Create, Delete, Enumerate, Pull, Release, Invoke, or `-` (no SOAP request read) */
  readonly operation: string;
  readonly action?: string;
  readonly resourceUri?: string;
  /** method name of an Invoke */
  readonly method?: string;
  readonly outcome: RequestOutcome;
  /** catalogue kind of the fault answered (`QuotaLimit`) */
  readonly faultKind?: string;
  /** its subcode as clients show it (`w:QuotaLimit`) */
  readonly fault?: string;
  readonly sealed?: boolean;
  readonly durationMs: number;
  /** fault injection: the effect that shaped this answer, and the rule */
  readonly injected?: FaultEffectKind;
  readonly rule?: string;
}

const OPERATIONS: Readonly<Record<string, string>> = {
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get': 'Get',
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put': 'Put',
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create': 'Create',
  'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete': 'Delete',
  'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate': 'Enumerate',
  'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull': 'Pull',
  'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release': 'Release',
};

/** The operation an Action URI asks for (any other Action is a method: Invoke). */
export function operationOf(action: string | undefined, identify = false): string {
  if (action === undefined || action === '') return identify ? 'Identify' : '-';
  return OPERATIONS[action] ?? 'Invoke';
}

/** The method name of an Invoke Action (its last path segment). */
export function methodOf(action: string | undefined): string | undefined {
  if (!action || OPERATIONS[action]) return undefined;
  const i = action.lastIndexOf('/');
  return i >= 0 ? action.slice(i + 1) : action;
}

export function outcomeOf(status: number, faultKind: string | undefined, injected?: string): RequestOutcome {
  if (injected && injected !== 'latency' && injected !== 'drop') return 'injected';
  if (status === 401 || status === 403) return 'unauthorized';
  if (faultKind) return 'fault';
  return status >= 200 && status < 300 ? 'ok' : 'error';
}

/** The handler's event as a record. A 200 with no Action is an Identify (it has none). */
export function recordOf(e: RequestEvent, extra: { injected?: FaultEffectKind; rule?: string; operation?: string; challenge?: boolean } = {}): RequestRecord {
  const operation = extra.operation ?? operationOf(e.action, e.status === 200 && !e.resourceUri);
  const method = operation === 'Invoke' ? methodOf(e.action) : undefined;
  return {
    time: Date.now(),
    host: e.host,
    user: e.user,
    status: e.status,
    operation,
    action: e.action,
    resourceUri: e.resourceUri,
    method,
    outcome: extra.challenge ? 'challenge' : outcomeOf(e.status, e.faultKind, extra.injected),
    faultKind: e.faultKind,
    fault: faultSubcode(e.faultKind),
    sealed: e.sealed,
    durationMs: Math.round(e.durationMs * 1000) / 1000,
    injected: extra.injected,
    rule: extra.rule,
  };
}

/** The part of a pino logger the emulator uses (any pino logger fits). */
export interface RequestLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}

/** One log line per request: fields only, never credentials or message bytes. */
export function logRequest(log: RequestLogger, r: RequestRecord): void {
  const line: Record<string, unknown> = {
    host: r.host,
    user: r.user,
    operation: r.operation,
    action: r.action,
    resourceUri: r.resourceUri,
    status: r.status,
    outcome: r.outcome,
    durationMs: r.durationMs,
  };
  if (r.method) line.method = r.method;
  if (r.fault) line.fault = r.fault;
  if (r.sealed) line.sealed = true;
  if (r.injected) {
    line.injected = r.injected;
    line.rule = r.rule;
  }
  log.info(line, 'request');
}

/** A ring of the latest items. */
export class Ring<T> {
  private items: T[] = [];
  constructor(private readonly size: number) {}
  push(v: T): void {
    this.items.push(v);
    if (this.items.length > this.size * 2) this.items = this.items.slice(-this.size);
  }
  /** The latest `n` (default all kept), oldest first. */
  latest(n = this.size): T[] {
    return this.items.slice(-Math.min(n, this.size));
  }
  clear(): void {
    this.items = [];
  }
}

type Slot = { -readonly [K in keyof RequestRecord]: RequestRecord[K] };

function emptySlot(): Slot {
  return {
    time: 0, host: '', user: undefined, status: 0, operation: '', action: undefined, resourceUri: undefined, method: undefined,
    outcome: 'ok', faultKind: undefined, fault: undefined, sealed: undefined, durationMs: 0, injected: undefined, rule: undefined,
  };
}

/**
 * The latest request records, copied into preallocated slots of one shape. Kept as they came, each
 * record outlived a few scavenges and was promoted, which made every scavenge of a busy server
 * slower; copied, it dies young. `latest` hands out copies (oldest first), as `Ring` does items.
 */
export class RecordRing {
  private readonly slots: Slot[];
  private next = 0;
  private count = 0;

  constructor(private readonly size: number) {
    this.slots = Array.from({ length: Math.max(0, size) }, emptySlot);
  }

  push(r: RequestRecord): void {
    if (this.size <= 0) return;
    const s = this.slots[this.next];
    s.time = r.time;
    s.host = r.host;
    s.user = r.user;
    s.status = r.status;
    s.operation = r.operation;
    s.action = r.action;
    s.resourceUri = r.resourceUri;
    s.method = r.method;
    s.outcome = r.outcome;
    s.faultKind = r.faultKind;
    s.fault = r.fault;
    s.sealed = r.sealed;
    s.durationMs = r.durationMs;
    s.injected = r.injected;
    s.rule = r.rule;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  /** The latest `n` (default all kept), oldest first. */
  latest(n = this.size): RequestRecord[] {
    const k = Math.min(n, this.count);
    const out: RequestRecord[] = [];
    for (let i = k; i > 0; i--) out.push({ ...this.slots[(this.next - i + this.size) % this.size] });
    return out;
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

export interface TraceEntry {
  host: string;
  direction: 'request' | 'response';
  /** a connection number, so the two halves of an exchange can be paired */
  connection: number;
  user?: string;
  status?: number;
  sealed: boolean;
  /** the envelope as text (decrypted), or undefined when it could not be read */
  text?: string;
  /** why there is no text */
  note?: string;
}

/** Full envelopes to a file, one block per message (`--trace-file`). */
export class TraceWriter {
  private readonly out: WriteStream;

  constructor(readonly file: string) {
    this.out = createWriteStream(file, { flags: 'a' });
  }

  write(e: TraceEntry): void {
    const head = [
      `==== ${new Date().toISOString()}`,
      e.host,
      e.direction,
      `conn=${e.connection}`,
      e.user ? `user=${e.user}` : '',
      e.status !== undefined ? `status=${e.status}` : '',
      e.sealed ? 'sealed' : '',
    ].filter(Boolean).join(' ');
    this.out.write(`${head}\n${e.text ?? `(${e.note ?? 'no envelope'})`}\n`);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.out.end(() => resolve()));
  }
}
