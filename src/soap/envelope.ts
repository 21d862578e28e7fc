/**
 * SOAP 1.2 request envelope → typed WS-Management request (wire notes §2.1–2.2).
 *
 * Header rules enforced here are the ones that do not depend on the operation: envelope version,
 * mustUnderstand (qualified attribute only, `true` or `1`), MessageID, ReplyTo/FaultTo,
 * OperationTimeout, MaxEnvelopeSize, Locale/DataLocale. Values are trimmed (clients put newlines
 * around them). OperationID/SequenceId are read but never echoed (3.1.4.1.39).
 */
import { WsmanFault } from '../faults/catalogue.js';
import { attr, childElements, parseXml, textOf, XmlParseError, type XmlElement } from '../xml/dom.js';
import { parseDurationMs } from '../xml/duration.js';
import { parseSelectorSet, type Selector } from '../wsman/epr.js';
import type { LocaleHeader, SoapRequest, WsmanHeaders, WsmanOption } from '../wsman/request.js';
import { ANONYMOUS, LENIENT_PREFIXES, NS } from '../wsman/namespaces.js';

/** Headers we understand (for mustUnderstand), by namespace then local name. */
const KNOWN_HEADERS: Readonly<Record<string, readonly string[]>> = {
  [NS.a]: ['To', 'ReplyTo', 'FaultTo', 'Action', 'MessageID', 'RelatesTo', 'From'],
  [NS.w]: [
    'ResourceURI', 'SelectorSet', 'OptionSet', 'OperationTimeout', 'MaxEnvelopeSize', 'Locale',
    'FragmentTransfer', 'RequestEPR', 'RequestTotalItemsCountEstimate',
  ],
  [NS.p]: ['DataLocale', 'SessionId', 'OperationID', 'SequenceId', 'ActivityId'],
};

/**
 * Each known header's bit (for the duplicate check without building keys), by namespace then
 * local name; RelatesTo may repeat and has none.
 */
const HEADER_BITS: ReadonlyMap<string, ReadonlyMap<string, number>> = (() => {
  const out = new Map<string, Map<string, number>>();
  let bit = 1;
  for (const [ns, locals] of Object.entries(KNOWN_HEADERS)) {
    const m = new Map<string, number>();
    for (const local of locals) {
      m.set(local, local === 'RelatesTo' ? 0 : bit);
      if (local !== 'RelatesTo') bit *= 2;
    }
    out.set(ns, m);
  }
  return out;
})();

const MAX_OPTIONS = 256;
const MAX_HEADER_VALUE = 2048;

/** SOAP mustUnderstand, only when namespace-qualified with the SOAP 1.2 namespace. */
function mustUnderstand(el: XmlElement): boolean {
  const v = attr(el, 'mustUnderstand', NS.s);
  if (v === undefined) return false;
  const t = v.trim();
  return t === 'true' || t === '1';
}

function trimmed(el: XmlElement): string {
  return textOf(el).trim();
}

function parseOptionSet(set: XmlElement): WsmanOption[] {
  const out: WsmanOption[] = [];
  for (const o of childElements(set)) {
    if (o.ns !== NS.w || o.local !== 'Option') {
      throw new WsmanFault('InvalidOptions', {
        detailMessage: "WinRM cannot process the request because an option set contains an unrecognized element. Option sets must contain only 'Option' elements. ",
      });
    }
    if (out.length >= MAX_OPTIONS) {
      throw new WsmanFault('InvalidOptions', {
        detailMessage: `The WS-Management service cannot process the request. The request contains more options than maximum supported(${MAX_OPTIONS}). `,
      });
    }
    const name = attr(o, 'Name');
    if (!name || !name.trim()) {
      throw new WsmanFault('InvalidOptions', {
        detailMessage: 'WinRM cannot process the request because an option contains a name attribute which is either "" (blank or empty string) or NULL. ',
      });
    }
    const mc = attr(o, 'MustComply');
    out.push({
      name: name.trim(),
      type: attr(o, 'Type'),
      value: trimmed(o),
      mustComply: mc !== undefined && (mc.trim() === 'true' || mc.trim() === '1'),
    });
  }
  return out;
}

function invalidHeader(message: string): WsmanFault {
  return new WsmanFault('InvalidMessageInformationHeader', { detailMessage: message });
}

/** Parse and validate a request envelope. Throws {@link WsmanFault}. */
export function parseEnvelope(text: string): SoapRequest {
  let root: XmlElement;
  try {
    root = parseXml(text, { fallbackPrefixes: LENIENT_PREFIXES });
  } catch (e) {
    if (e instanceof XmlParseError) {
      throw new WsmanFault('InvalidXml', {
        detailMessage:
          e.reason === 'doctype'
            ? 'The WS-Management service cannot process the request because the XML contains a DTD, which is not allowed. '
            : `The WS-Management service cannot process the request because the XML is invalid: ${e.message} `,
      });
    }
    throw e;
  }
  if (root.local === 'Envelope' && root.ns === NS.s11) throw new WsmanFault('VersionMismatch');
  if (root.local !== 'Envelope' || root.ns !== NS.s) {
    throw new WsmanFault('InvalidXml', {
      detailMessage: 'The WS-Management service cannot process the request because the root element is not a SOAP 1.2 Envelope. ',
    });
  }
  let header: XmlElement | undefined;
  let body: XmlElement | undefined;
  for (const c of childElements(root)) {
    if (c.ns === NS.s && c.local === 'Header' && !header && !body) header = c;
    else if (c.ns === NS.s && c.local === 'Body' && !body) body = c;
    else {
      throw new WsmanFault('InvalidXml', {
        detailMessage: `The WS-Management service cannot process the request because the SOAP envelope contains an unexpected element: ${c.local}. `,
      });
    }
  }
  if (!body) {
    throw new WsmanFault('InvalidXml', {
      detailMessage: 'The WS-Management service cannot process the request because the SOAP envelope has no Body. ',
    });
  }

  let h: WsmanHeaders;
  try {
    h = header ? readHeaders(header) : emptyHeaders();
  } catch (e) {
    // a fault found while reading the headers still answers the request's MessageID
    if (e instanceof WsmanFault && header) e.relatesTo = peekMessageId(header);
    throw e;
  }
  const bodyKids = childElements(body);
  if (bodyKids.length > 1) {
    throw new WsmanFault('InvalidXml', {
      detailMessage: `The WS-Management service received a SOAP packet that contained a request to do an operation. This operation requires a single element in the body.Number of elements found in the soap body was ${bodyKids.length}. `,
    });
  }
  return { headers: h, body: bodyKids[0], emptyBody: bodyKids.length === 0, envelope: root };
}

function peekMessageId(header: XmlElement): string | undefined {
  const el = childElements(header).find((c) => c.ns === NS.a && c.local === 'MessageID');
  return el ? trimmed(el) || undefined : undefined;
}

/** A header's trimmed text, bounded. */
function headerValue(el: XmlElement): string {
  const v = trimmed(el);
  if (v.length > MAX_HEADER_VALUE) throw invalidHeader(`The WS-Management service cannot process the request. The ${el.local} header is too long. `);
  return v;
}

function emptyHeaders(): WsmanHeaders {
  return { selectors: [], options: [] };
}

function readHeaders(header: XmlElement): WsmanHeaders {
  let action: string | undefined;
  let to: string | undefined;
  let messageId: string | undefined;
  let resourceUri: string | undefined;
  let selectors: Selector[] = [];
  let options: WsmanOption[] = [];
  let operationTimeoutMs: number | undefined;
  let maxEnvelopeSize: number | undefined;
  let locale: LocaleHeader | undefined;
  let dataLocale: LocaleHeader | undefined;
  let activityId: string | undefined;
  let sessionId: string | undefined;
  let fragmentTransfer: string | undefined;
  let seen = 0;

  for (const node of header.children) {
    if (node.kind !== 'element') continue;
    const el = node;
    const bit = HEADER_BITS.get(el.ns)?.get(el.local);
    if (bit === undefined) {
      if (mustUnderstand(el)) {
        throw new WsmanFault('MustUnderstand', { notUnderstood: { ns: el.ns, local: el.local } });
      }
      continue;
    }
    if (seen & bit) {
      throw invalidHeader(`The WS-Management service cannot process the request. The SOAP packet contains a duplicated ${el.local} header. `);
    }
    seen |= bit;
    if (el.ns === NS.a) {
      switch (el.local) {
        case 'Action': action = headerValue(el); break;
        case 'To': to = headerValue(el); break;
        case 'MessageID': messageId = headerValue(el); break;
        case 'ReplyTo':
        case 'FaultTo': {
          const addr = childElements(el).find((c) => c.ns === NS.a && c.local === 'Address');
          if (!addr || trimmed(addr) !== ANONYMOUS) throw new WsmanFault('UnsupportedFeatureAddressingMode');
          break;
        }
      }
    } else if (el.ns === NS.w) {
      switch (el.local) {
        case 'ResourceURI': resourceUri = headerValue(el); break;
        case 'SelectorSet': selectors = parseSelectorSet(el); break;
        case 'OptionSet': options = parseOptionSet(el); break;
        case 'OperationTimeout': {
          const v = headerValue(el);
          const ms = parseDurationMs(v);
          if (ms === undefined) {
            throw new WsmanFault('InvalidTimeout', {
              detailMessage: `The WS-Management service cannot process the request. The XML contains an invalid timeout field in the SOAP header: ${v}. `,
            });
          }
          operationTimeoutMs = ms;
          break;
        }
        case 'MaxEnvelopeSize': {
          const v = headerValue(el);
          if (!/^\d{1,10}$/.test(v)) {
            throw invalidHeader(`The WS-Management service cannot process the request because the MaxEnvelopeSize value is invalid: ${v}. `);
          }
          maxEnvelopeSize = Number(v);
          break;
        }
        case 'Locale':
          if (mustUnderstand(el)) throw new WsmanFault('UnsupportedFeatureLocale');
          locale = { lang: attr(el, 'lang', 'http://www.w3.org/XML/1998/namespace'), mustUnderstand: false };
          break;
        case 'FragmentTransfer':
          fragmentTransfer = headerValue(el);
          break;
      }
    } else if (el.ns === NS.p) {
      switch (el.local) {
        case 'DataLocale':
          if (mustUnderstand(el)) throw new WsmanFault('UnsupportedFeatureDataLocale');
          dataLocale = { lang: attr(el, 'lang', 'http://www.w3.org/XML/1998/namespace'), mustUnderstand: false };
          break;
        case 'ActivityId': activityId = headerValue(el); break;
        case 'SessionId': sessionId = headerValue(el); break;
        // OperationID / SequenceId: read and deliberately ignored (never echoed; §2.2)
      }
    }
  }
  if (messageId !== undefined && messageId === '') {
    throw invalidHeader('The WS-Management service cannot process the request. The SOAP packet contains a WS-Addressing MessageID element that was either invalid, duplicated, or too long. ');
  }
  return {
    action, to, messageId, resourceUri, selectors, options, operationTimeoutMs, maxEnvelopeSize,
    locale, dataLocale, activityId, sessionId, fragmentTransfer,
  };
}
