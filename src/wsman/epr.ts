/**
 * Endpoint references and selector sets as they arrive in requests: in the header, as selector
 * values, as REF parameters, and in association filters.
 */
import { WsmanFault } from '../faults/catalogue.js';
import { attr, childElements, textOf, type XmlElement } from '../xml/dom.js';
import { NS } from './namespaces.js';

/** more than Windows' own limit would allow; a bound against hostile input */
const MAX_SELECTORS = 256;

function trimmed(el: XmlElement): string {
  return textOf(el).trim();
}

export interface Selector {
  readonly name: string;
  /** text value, or a nested EPR for reference-valued keys */
  readonly value: string | Epr;
}

/** An endpoint reference as found in headers, selector values, EPR parameters and filters. */
export interface Epr {
  readonly address: string;
  readonly resourceUri?: string;
  readonly selectors: readonly Selector[];
}

export function parseSelectorSet(set: XmlElement): Selector[] {
  const out: Selector[] = [];
  for (const sel of childElements(set)) {
    if (sel.ns !== NS.w || sel.local !== 'Selector') {
      throw new WsmanFault('InvalidSelectorsUnexpected', {
        detailMessage: 'WinRM cannot process the request because a selector set contains an unrecognized element. ',
      });
    }
    if (out.length >= MAX_SELECTORS) {
      throw new WsmanFault('InvalidSelectorsUnexpected', {
        detailMessage: `The WS-Management service cannot process the request. The URI contains more keys than maximum number that WS-Management supports (${MAX_SELECTORS}). `,
      });
    }
    const name = attr(sel, 'Name');
    if (name === undefined || name.trim() === '') {
      throw new WsmanFault('InvalidSelectorsUnexpected', {
        detailMessage: "WinRM cannot process the request because a 'Selector' element is missing a 'Name' attribute. ",
      });
    }
    const kids = childElements(sel);
    if (kids.length === 0) {
      out.push({ name: name.trim(), value: trimmed(sel) });
    } else if (kids.length === 1 && kids[0].ns === NS.a && kids[0].local === 'EndpointReference') {
      out.push({ name: name.trim(), value: parseEpr(kids[0]) });
    } else {
      throw new WsmanFault('InvalidSelectorsInvalidValue', {
        detailMessage: 'WinRM cannot process the request because a selector contains multiple child elements. ',
      });
    }
  }
  return out;
}

/** Parse an EPR: a:Address + a:ReferenceParameters { w:ResourceURI, w:SelectorSet }. */
export function parseEpr(el: XmlElement): Epr {
  let address = '';
  let resourceUri: string | undefined;
  let selectors: Selector[] = [];
  for (const c of childElements(el)) {
    if (c.ns === NS.a && c.local === 'Address') address = trimmed(c);
    else if (c.ns === NS.a && (c.local === 'ReferenceParameters' || c.local === 'ReferenceProperties')) {
      for (const r of childElements(c)) {
        if (r.ns === NS.w && r.local === 'ResourceURI') resourceUri = trimmed(r);
        else if (r.ns === NS.w && r.local === 'SelectorSet') selectors = parseSelectorSet(r);
      }
    }
  }
  return { address, resourceUri, selectors };
}

