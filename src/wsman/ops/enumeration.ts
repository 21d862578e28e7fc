/**
 * WS-Enumeration as Windows does it (wire notes §4; MS-WSMV 3.1.4.8–3.1.4.10): Enumerate with
 * OptimizeEnumeration/MaxElements, EnumerationMode (objects, EPRs, both), WQL / SelectorFilter /
 * association filters, then Pull pages and Release.
 *
 * Pages are filled lazily from a cursor: each Pull costs in proportion to its page, and no more
 * than one page of XML is ever held. A page is bounded by MaxElements, MaxCharacters and the
 * envelope budget (min of the client's MaxEnvelopeSize and the service's).
 */
import { refOf } from '../../cim/compare.js';
import type { OperationContext } from '../../cim/provider.js';
import type { CimClass, CimInstance } from '../../cim/types.js';
import { WsmanFault } from '../../faults/catalogue.js';
import { childElements, textOf, type XmlElement } from '../../xml/dom.js';
import { operationContext, renderContext, type WsmanCall } from '../call.js';
import type { EnumerationContext, EnumerationCursor, RenderItem } from '../enum-contexts.js';
import { parseDurationMs } from '../../xml/duration.js';
import { NS } from '../namespaces.js';
import type { RenderContext } from '../render/context.js';
import { renderEpr, renderInstance, renderValue } from '../render/instance.js';
import type { WsmanResponse } from '../request.js';
import { resolveResource, type Resource } from '../resource-uri.js';
import { buildSource, type EnumerationSource } from './enum-source.js';

const N = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/';

export type EnumerationMode = 'object' | 'epr' | 'objepr';

/** Bytes an envelope needs around its items (headers, body wrappers), kept out of the budget. */
const ENVELOPE_OVERHEAD = 1536;

function child(el: XmlElement, ns: string, local: string): XmlElement | undefined {
  return childElements(el).find((c) => c.ns === ns && c.local === local);
}

function positiveInt(el: XmlElement | undefined, name: string): number | undefined {
  if (!el) return undefined;
  const t = textOf(el).trim();
  if (!/^\d{1,10}$/.test(t) || Number(t) < 1) {
    throw new WsmanFault('InvalidParameter', {
      detailMessage: `The WS-Management service cannot process the request because the ${name} value is invalid: ${t}. `,
    });
  }
  return Number(t);
}

function parseMode(el: XmlElement | undefined): EnumerationMode {
  if (!el) return 'object';
  switch (textOf(el).trim()) {
    case 'EnumerateEPR': return 'epr';
    case 'EnumerateObjectAndEPR': return 'objepr';
    default: throw new WsmanFault('UnsupportedFeatureEnumerationMode');
  }
}

/** n:Expires (or w:Expires): a duration; a point in time is not supported (n:UnsupportedExpirationType). */
function parseExpires(el: XmlElement | undefined, max: number): number | undefined {
  if (!el) return undefined;
  const t = textOf(el).trim();
  const ms = parseDurationMs(t);
  if (ms === undefined) {
    if (/^\d{4}-\d{2}-\d{2}T/.test(t)) throw new WsmanFault('UnsupportedExpirationType');
    throw new WsmanFault('UnsupportedFeatureExpirationTime');
  }
  if (ms === 0) throw new WsmanFault('UnsupportedFeatureExpirationTime');
  return Math.min(ms, max);
}

/** How each item of this enumeration is written. */
function itemWriter(
  mode: EnumerationMode,
  rctx: RenderContext,
  octx: OperationContext,
  source: EnumerationSource,
): (inst: CimInstance, cls: CimClass) => string {
  const { projection, includeProperties } = source;
  const only = (cls: CimClass) =>
    includeProperties ? cls.sortedProperties.filter((p) => includeProperties.some((n) => n.toLowerCase() === p.name.toLowerCase())) : undefined;
  const object = projection
    ? (inst: CimInstance, cls: CimClass) => renderFragment(inst, cls, projection, rctx)
    : (inst: CimInstance, cls: CimClass) => renderInstance(inst, cls, rctx, { properties: only(cls) });
  const epr = (inst: CimInstance, cls: CimClass) => renderEpr(refOf(inst, cls, inst.namespace ?? octx.namespace), rctx);
  switch (mode) {
    case 'object': return object;
    case 'epr': return epr;
    case 'objepr': return (inst, cls) => `<w:Item>${object(inst, cls)}${epr(inst, cls)}</w:Item>`;
  }
}

/** A WQL select list answers `w:XmlFragment` items with unqualified properties (V txwinrm; note <58>). */
function renderFragment(inst: CimInstance, cls: CimClass, names: readonly string[], rctx: RenderContext): string {
  let s = `<w:XmlFragment xmlns:xsi="${NS.xsi}">`;
  for (const name of names) {
    const decl = cls.properties.get(name.toLowerCase());
    if (!decl) continue;
    // unqualified elements: render with a throwaway prefix, then drop it
    s += renderValue('q', decl, inst.props[decl.name] ?? null, rctx).replace(/<(\/?)q:/g, '<$1').replace(/<(\/?)cim:(Datetime|Interval)>/g, '<$1$2>');
  }
  return s + '</w:XmlFragment>';
}

/** What a page is filled from: the cursor, plus what the last page took from it but did not send. */
interface PageSource {
  cursor: EnumerationCursor;
  /** an item rendered for the last page that did not fit in it */
  pending?: string;
  /** an item taken from the cursor to learn whether the last page was the end */
  ahead?: RenderItem;
}

/**
 * Take up to one page. Returns the items' XML and whether the enumeration is exhausted. A full
 * page looks one item ahead (without rendering it), so the page that holds the last items also
 * carries EndOfSequence, as Windows answers, instead of a further empty Pull.
 *
 * `deadline` (performance.now() ms) is when the request's time is up (OperationTimeout, or a
 * Pull's MaxTime): the page ends there with what it has, and more is left to Pull. A Pull that
 * could not take a single item in time answers w:TimedOut (DSP0226 §8.4) and keeps its context.
 */
function fillPage(ctx: PageSource, maxElements: number, budgetChars: number, deadline = Infinity, pull = false): { items: string; count: number; done: boolean } {
  let items = '';
  let count = 0;
  // UTF-8 bytes of `items`: exact once measured, else an upper bound (3 per UTF-16 unit). Items are
  // measured only when the bound says a page might not fit, which a page of 50 jobs never is.
  let size = 0;
  let sizeExact = true;
  const take = (): string | undefined => {
    if (ctx.pending !== undefined) {
      const p = ctx.pending;
      ctx.pending = undefined;
      return p;
    }
    const next: RenderItem | undefined = ctx.ahead ?? ctx.cursor.next();
    ctx.ahead = undefined;
    return next?.();
  };
  for (;;) {
    if (count >= maxElements) {
      ctx.ahead = ctx.cursor.next();
      return { items, count, done: ctx.ahead === undefined };
    }
    if (deadline !== Infinity && performance.now() >= deadline) {
      if (count === 0 && pull) throw new WsmanFault('TimedOut');
      return { items, count, done: false };
    }
    const item = take();
    if (item === undefined) return { items, count, done: true };
    let len = item.length * 3;
    if (size + len > budgetChars) {
      if (!sizeExact) {
        size = Buffer.byteLength(items, 'utf8');
        sizeExact = true;
      }
      len = Buffer.byteLength(item, 'utf8');
    } else sizeExact = false;
    if (size + len > budgetChars) {
      ctx.pending = item;
      // a single item larger than the whole envelope can never be sent
      if (count === 0) throw new WsmanFault('EncodingLimitExceeded');
      return { items, count, done: false };
    }
    items += item;
    size += len;
    count++;
  }
}

function budget(call: WsmanCall, maxCharacters?: number): number {
  const h = call.req.headers;
  const env = Math.min(h.maxEnvelopeSize ?? call.host.limits.maxEnvelopeSize, call.host.limits.maxEnvelopeSize);
  const bytes = call.caller.encoding === 'utf-16' ? Math.floor(env / 2) : env;
  const room = bytes - ENVELOPE_OVERHEAD;
  return Math.max(1, maxCharacters !== undefined ? Math.min(room, maxCharacters) : room);
}

/** When the request's time is up: OperationTimeout (default and cap MaxTimeoutms), or a Pull's MaxTime if sooner. */
function deadlineOf(call: WsmanCall, started: number, maxTimeMs?: number): number {
  const max = call.host.limits.maxTimeoutMs;
  const op = Math.min(call.req.headers.operationTimeoutMs ?? max, max);
  return started + (maxTimeMs !== undefined ? Math.min(op, maxTimeMs) : op);
}

function requireContextRoom(call: WsmanCall): void {
  if (!call.host.enumerations.hasRoomFor(call.caller.user)) {
    throw new WsmanFault('ConcurrencyLimit', {
      detailMessage: `The WS-Management service cannot process the request. This user is allowed a maximum number of ${call.host.limits.maxContextsPerUser} concurrent operations, which has been exceeded. Close existing operations for this user, or raise the quota for this user. `,
    });
  }
}

export function enumerate(call: WsmanCall): WsmanResponse {
  const started = performance.now();
  const h = call.req.headers;
  const body = call.req.body;
  if (!body || body.ns !== NS.n || body.local !== 'Enumerate') {
    throw new WsmanFault('SchemaValidationError', {
      detailMessage: 'The WS-Management service cannot process the request. The body of an Enumerate request must be n:Enumerate. ',
    });
  }
  const { resource, keySelectors } = resolveResource(h.resourceUri, h.selectors, call.host.om.schema);
  const filterEl = child(body, NS.w, 'Filter') ?? child(body, NS.n, 'Filter');
  if (resource.kind === 'config') throw new WsmanFault(filterEl ? 'FilteringNotSupported' : 'ActionNotSupported');
  const optimize = child(body, NS.w, 'OptimizeEnumeration') !== undefined;
  const maxElementsEl = child(body, NS.w, 'MaxElements');
  if (maxElementsEl && !optimize) {
    throw new WsmanFault('InvalidParameter', {
      detailMessage: 'The WS-Management service cannot process the request because MaxElements is only valid with OptimizeEnumeration. ',
    });
  }
  const maxElements = Math.min(positiveInt(maxElementsEl, 'MaxElements') ?? 1, call.host.limits.maxBatchItems);
  const mode = parseMode(child(body, NS.w, 'EnumerationMode'));
  const lifetime =
    parseExpires(child(body, NS.n, 'Expires') ?? child(body, NS.w, 'Expires'), call.host.limits.enumerationTimeoutMs) ??
    call.host.limits.enumerationTimeoutMs;
  if (keySelectors.length && resource.kind !== 'cimxml') {
    throw new WsmanFault('EnumerateWithSelectors');
  }
  const ns = 'namespace' in resource ? resource.namespace : '';
  const octx = operationContext(call, ns);
  const source: EnumerationSource = buildSource(call, resource as Exclude<Resource, { kind: 'config' }>, filterEl, octx, keySelectors);
  const rctx = renderContext(call, 'form' in resource ? resource.form : 'dmtf', ns);
  const write = source.render ?? itemWriter(mode, rctx, octx, source);
  const iterator = source.instances[Symbol.iterator]();
  const cursor: EnumerationCursor = {
    next() {
      const r = iterator.next();
      if (r.done) return undefined;
      const { inst, cls } = r.value;
      return () => write(inst, cls);
    },
  };

  if (optimize) {
    const state: PageSource = { cursor };
    const page = fillPage(state, maxElements, budget(call), deadlineOf(call, started));
    if (page.done) {
      const items = page.count ? `<w:Items>${page.items}</w:Items>` : '';
      return {
        kind: 'enumeration',
        action: N + 'EnumerateResponse',
        body: `<n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext>${items}<w:EndOfSequence/></n:EnumerateResponse>`,
      };
    }
    requireContextRoom(call);
    const ctx = call.host.enumerations.open(call.caller.user, cursor, lifetime);
    ctx.pending = state.pending;
    ctx.ahead = state.ahead;
    return {
      kind: 'enumeration',
      action: N + 'EnumerateResponse',
      body: `<n:EnumerateResponse><n:EnumerationContext>${ctx.id}</n:EnumerationContext><w:Items>${page.items}</w:Items></n:EnumerateResponse>`,
    };
  }
  requireContextRoom(call);
  const ctx = call.host.enumerations.open(call.caller.user, cursor, lifetime);
  const expires = child(body, NS.n, 'Expires') ? `<n:Expires>${formatDuration(lifetime)}</n:Expires>` : '';
  return {
    kind: 'enumeration',
    action: N + 'EnumerateResponse',
    body: `<n:EnumerateResponse>${expires}<n:EnumerationContext>${ctx.id}</n:EnumerationContext></n:EnumerateResponse>`,
  };
}

function formatDuration(ms: number): string {
  return `PT${(ms / 1000).toFixed(3)}S`;
}

function contextOf(call: WsmanCall, body: XmlElement | undefined, op: 'Pull' | 'Release'): EnumerationContext {
  if (!body || body.ns !== NS.n || body.local !== op) {
    throw new WsmanFault('SchemaValidationError', {
      detailMessage: `The WS-Management service cannot process the request. The body of a ${op} request must be n:${op}. `,
    });
  }
  const idEl = child(body, NS.n, 'EnumerationContext');
  const id = idEl ? textOf(idEl).trim() : '';
  const ctx = id ? call.host.enumerations.find(id, call.caller.user) : undefined;
  if (!ctx) throw new WsmanFault('InvalidEnumerationContext');
  return ctx;
}

export function pull(call: WsmanCall): WsmanResponse {
  const started = performance.now();
  const body = call.req.body;
  const ctx = contextOf(call, body, 'Pull');
  const maxElements = Math.min(positiveInt(child(body!, NS.n, 'MaxElements'), 'MaxElements') ?? 1, call.host.limits.maxBatchItems);
  const maxChars = positiveInt(child(body!, NS.n, 'MaxCharacters'), 'MaxCharacters');
  const maxTimeEl = child(body!, NS.n, 'MaxTime');
  const maxTime = maxTimeEl ? parseDurationMs(textOf(maxTimeEl).trim()) : undefined;
  if (maxTimeEl && maxTime === undefined) {
    throw new WsmanFault('InvalidParameter', { detailMessage: 'The WS-Management service cannot process the request because the MaxTime value is invalid. ' });
  }
  let page;
  try {
    page = fillPage(ctx, maxElements, budget(call, maxChars), deadlineOf(call, started, maxTime), true);
  } catch (e) {
    call.host.enumerations.touch(ctx);
    throw e;
  }
  if (page.done) {
    call.host.enumerations.close(ctx);
    return {
      kind: 'enumeration',
      action: N + 'PullResponse',
      body: `<n:PullResponse><n:Items>${page.items}</n:Items><n:EndOfSequence/></n:PullResponse>`,
    };
  }
  call.host.enumerations.touch(ctx);
  return {
    kind: 'enumeration',
    action: N + 'PullResponse',
    body: `<n:PullResponse><n:EnumerationContext>${ctx.id}</n:EnumerationContext><n:Items>${page.items}</n:Items></n:PullResponse>`,
  };
}

export function release(call: WsmanCall): WsmanResponse {
  const ctx = contextOf(call, call.req.body, 'Release');
  call.host.enumerations.close(ctx);
  return { kind: 'enumeration', action: N + 'ReleaseResponse', body: '' };
}

