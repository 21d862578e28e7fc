/**
 * World files: YAML → a validated {@link WorldSpec}. Structural checks come from a JSON Schema
 * (ajv code generated ahead of time: src/fabric/validators); consistency checks (unique names and
 * GUIDs, switches that exist) are ours. Every error names the file, line and column of the
 * offending node.
 */
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { FaultEffectKind, FaultRuleSpec, WorldSpec } from './world.js';
import { validateWorld } from './validators/index.js';
import { DEFAULT_LIMITS } from './limits.js';
import { supportedVersions, supportsVersion } from './versions.js';

export class WorldFileError extends Error {
  readonly problems: readonly string[];
  constructor(file: string, problems: readonly string[]) {
    super(`${file}: invalid world file\n  ${problems.join('\n  ')}`);
    this.name = 'WorldFileError';
    this.problems = problems;
  }
}

const validate = validateWorld;

const GUID_RE = /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/;

type Path = Array<string | number>;

function position(doc: Document, lc: LineCounter, path: Path): string {
  // the deepest node that exists along the path
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) {
      const { line, col } = lc.linePos(node.range[0]);
      return `line ${line}, column ${col}`;
    }
  }
  return 'line 1, column 1';
}

function pointerToPath(pointer: string): Path {
  if (!pointer) return [];
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function describe(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties') return `unknown field '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
  if (e.keyword === 'required') return `missing field '${String((e.params as { missingProperty: string }).missingProperty)}'`;
  if (e.keyword === 'enum') return `${e.message}: ${(e.params as { allowedValues: unknown[] }).allowedValues.join(', ')}`;
  return e.message ?? e.keyword;
}

/** Parse and validate world-file text. `file` is used in messages only. */
export function parseWorld(text: string, file = '<world>'): WorldSpec {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new WorldFileError(
      file,
      doc.errors.map((e) => {
        const { line, col } = lc.linePos(e.pos[0]);
        return `line ${line}, column ${col}: ${e.message.split('\n')[0]}`;
      }),
    );
  }
  const data = doc.toJS() as unknown;
  if (!validate(data)) {
    const problems = (validate.errors ?? []).map((e) => {
      const path = pointerToPath(e.instancePath);
      const where = path.length ? path.join('.') : 'top level';
      return `${position(doc, lc, path)}: ${where}: ${describe(e)}`;
    });
    throw new WorldFileError(file, problems);
  }
  const world = data as WorldSpec;
  const problems = consistencyProblems(world).map(([path, msg]) => `${position(doc, lc, path)}: ${path.join('.')}: ${msg}`);
  if (problems.length) throw new WorldFileError(file, problems);
  return world;
}

export function loadWorldFile(file: string): WorldSpec {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new WorldFileError(file, [`cannot read the file: ${(e as Error).message}`]);
  }
  return parseWorld(text, file);
}

function consistencyProblems(w: WorldSpec): Array<[Path, string]> {
  const out: Array<[Path, string]> = [];
  const users = new Set<string>();
  w.users.forEach((u, i) => {
    const k = u.name.toLowerCase();
    if (users.has(k)) out.push([['users', i, 'name'], `duplicate user '${u.name}'`]);
    users.add(k);
    u.hosts?.forEach((h, j) => {
      if (!w.hosts.some((x) => x.name.toLowerCase() === h.toLowerCase())) out.push([['users', i, 'hosts', j], `no host named '${h}'`]);
    });
  });
  const hosts = new Set<string>();
  const guids = new Map<string, string>();
  const ports = new Map<number, string>();
  const addresses = new Map<string, string>();
  w.hosts.forEach((h, i) => {
    const k = h.name.toLowerCase();
    if (hosts.has(k)) out.push([['hosts', i, 'name'], `duplicate host '${h.name}'`]);
    hosts.add(k);
    for (const [kind, p] of Object.entries(h.ports ?? {})) {
      if (p === undefined) continue;
      const other = ports.get(p);
      if (other) out.push([['hosts', i, 'ports', kind], `port ${p} is also used by ${other}`]);
      ports.set(p, h.name);
    }
    h.addresses?.forEach((a, j) => {
      const other = addresses.get(a.toLowerCase());
      if (other) out.push([['hosts', i, 'addresses', j], `address ${a} is also used by ${other}`]);
      addresses.set(a.toLowerCase(), h.name);
    });
    const switches = new Set((h.switches ?? []).map((s) => s.name.toLowerCase()));
    h.vms?.forEach((vm, j) => {
      if (!GUID_RE.test(vm.guid)) out.push([['hosts', i, 'vms', j, 'guid'], `'${vm.guid}' is not a GUID`]);
      const g = vm.guid.toUpperCase();
      const other = guids.get(g);
      if (other) out.push([['hosts', i, 'vms', j, 'guid'], `VM ${vm.guid} is also declared on ${other}`]);
      guids.set(g, h.name);
      if (vm.configurationVersion && !supportsVersion(h.osVersion ?? '10.0.20348', vm.configurationVersion)) {
        out.push([['hosts', i, 'vms', j, 'configurationVersion'],
          `host ${h.name} (${h.osVersion ?? '10.0.20348'}) does not support configuration version ${vm.configurationVersion} (supported: ${supportedVersions(h.osVersion ?? '10.0.20348').join(', ')})`]);
      }
      vm.adapters?.forEach((a, n) => {
        if (!switches.has(a.switch.toLowerCase())) {
          out.push([['hosts', i, 'vms', j, 'adapters', n, 'switch'], `host ${h.name} has no virtual switch '${a.switch}'`]);
        }
      });
    });
  });
  const l = w.limits;
  if (l?.headersTimeoutMs !== undefined && l.headersTimeoutMs > (l.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs)) {
    out.push([['limits', 'headersTimeoutMs'], 'headersTimeoutMs must not exceed requestTimeoutMs']);
  }
  const ruleIds = new Set<string>();
  w.faults?.forEach((r, i) => {
    if (r.id !== undefined) {
      if (ruleIds.has(r.id)) out.push([['faults', i, 'id'], `duplicate fault rule id '${r.id}'`]);
      ruleIds.add(r.id);
    }
    for (const [path, msg] of faultRuleProblems(r, w.hosts.map((h) => h.name))) out.push([['faults', i, ...path], msg]);
  });
  return out;
}

// ---------------------------------------------------------------------------- fault rules --

const REQUEST_EFFECTS: ReadonlySet<FaultEffectKind> = new Set(['latency', 'hang', 'reset', 'drop', 'fault']);
const HOST_EFFECTS: ReadonlySet<FaultEffectKind> = new Set(['unreachable', 'flap']);
const MIGRATION_EFFECTS: ReadonlySet<FaultEffectKind> = new Set(['migration-fail', 'migration-slow', 'migration-unreachable']);

/** Which rule fields an effect kind takes (beyond id, description, host and effect). */
const FILTERS: Readonly<Record<'request' | 'host' | 'migration', ReadonlySet<string>>> = {
  request: new Set(['operation', 'class', 'method', 'probability', 'count', 'from', 'until']),
  host: new Set(['from', 'until']),
  migration: new Set(['vm', 'destination', 'probability', 'count', 'from', 'until']),
};

/** The fields of an effect, by kind: required ones, then optional ones. */
const EFFECT_FIELDS: Readonly<Record<FaultEffectKind, readonly [readonly string[], readonly string[]]>> = {
  latency: [['ms'], ['jitterMs']],
  hang: [[], []],
  reset: [[], []],
  drop: [[], []],
  fault: [['fault'], ['reason']],
  unreachable: [[], ['mode']],
  flap: [['downMs', 'upMs'], ['mode']],
  'migration-fail': [['atPercent'], ['messageId', 'message', 'errorCode', 'side']],
  'migration-slow': [['factor'], []],
  'migration-unreachable': [[], ['mode']],
};

export function faultEffectClass(kind: FaultEffectKind): 'request' | 'host' | 'migration' {
  return REQUEST_EFFECTS.has(kind) ? 'request' : HOST_EFFECTS.has(kind) ? 'host' : 'migration';
}

const RELATIVE_TIME_RE = /^\+(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const ISO_TIME_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A rule's `from` / `until` as fabric epoch milliseconds: a number as it is, an ISO 8601 time, or
 * `+<n>ms|s|m|h` after `now`. Undefined when the text is none of these.
 */
export function parseFaultTime(v: number | string, now: number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const rel = RELATIVE_TIME_RE.exec(v);
  if (rel) return now + Number(rel[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[rel[2] as 'ms' | 's' | 'm' | 'h'];
  if (ISO_TIME_RE.test(v)) {
    const t = Date.parse(v);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

/**
 * What is wrong with a fault rule beyond its JSON structure: fields that do not go with its effect,
 * a missing effect parameter, an unknown host, a time that does not parse. `hosts`, when given,
 * are the host names the rule may name. Paths are relative to the rule.
 */
export function faultRuleProblems(r: FaultRuleSpec, hosts?: readonly string[]): Array<[Path, string]> {
  const out: Array<[Path, string]> = [];
  const kind = r.effect?.kind;
  if (!kind || !(kind in EFFECT_FIELDS)) return out;
  const cls = faultEffectClass(kind);
  const allowed = FILTERS[cls];
  for (const f of ['operation', 'class', 'method', 'vm', 'destination', 'probability', 'count', 'from', 'until']) {
    if ((r as unknown as Record<string, unknown>)[f] !== undefined && !allowed.has(f)) {
      out.push([[f], `'${f}' does not apply to a ${kind} rule (${cls} rules take: ${[...allowed].join(', ')})`]);
    }
  }
  const [required, optional] = EFFECT_FIELDS[kind];
  const effect = r.effect as unknown as Record<string, unknown>;
  for (const f of required) if (effect[f] === undefined) out.push([['effect'], `a ${kind} effect needs '${f}'`]);
  for (const f of Object.keys(effect)) {
    if (f !== 'kind' && !required.includes(f) && !optional.includes(f)) out.push([['effect', f], `'${f}' does not apply to a ${kind} effect`]);
  }
  const mode = effect.mode;
  if (mode !== undefined) {
    const modes = kind === 'migration-unreachable' ? ['refused', 'timeout'] : ['refused', 'hang'];
    if (!modes.includes(String(mode))) out.push([['effect', 'mode'], `mode of a ${kind} effect is one of: ${modes.join(', ')}`]);
  }
  if (r.method !== undefined && r.operation !== undefined && r.operation !== 'Invoke') {
    out.push([['method'], `'method' only goes with operation Invoke`]);
  }
  if (hosts) {
    const known = (h: string) => hosts.some((x) => x.toLowerCase() === h.toLowerCase());
    if (r.host !== undefined && !known(r.host)) out.push([['host'], `no host named '${r.host}'`]);
    if (r.destination !== undefined && !known(r.destination)) out.push([['destination'], `no host named '${r.destination}'`]);
  }
  const times: Partial<Record<'from' | 'until', { t: number; relative: boolean }>> = {};
  for (const f of ['from', 'until'] as const) {
    const v = r[f];
    if (v === undefined) continue;
    const t = parseFaultTime(v, 0);
    if (t === undefined) out.push([[f], `'${String(v)}' is not a time: give epoch milliseconds, an ISO 8601 time or +<n>ms|s|m|h`]);
    else times[f] = { t, relative: typeof v === 'string' && RELATIVE_TIME_RE.test(v) };
  }
  const { from, until } = times;
  if (from && until && from.relative === until.relative && until.t <= from.t) out.push([['until'], `'until' must be after 'from'`]);
  return out;
}
