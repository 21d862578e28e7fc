/**
 * The typed request the WS-Man operations work on (produced by src/soap/envelope.ts) and the
 * response they give back for the SOAP layer to wrap.
 */
import type { XmlElement } from '../xml/dom.js';
import type { Selector } from './epr.js';

export interface WsmanOption {
  readonly name: string;
  readonly type?: string;
  readonly value: string;
  readonly mustComply: boolean;
}

export interface LocaleHeader {
  readonly lang?: string;
  readonly mustUnderstand: boolean;
}

export interface WsmanHeaders {
  readonly action?: string;
  readonly to?: string;
  readonly messageId?: string;
  readonly resourceUri?: string;
  readonly selectors: readonly Selector[];
  readonly options: readonly WsmanOption[];
  /** milliseconds, when the request set OperationTimeout */
  readonly operationTimeoutMs?: number;
  /** bytes, when the request set MaxEnvelopeSize */
  readonly maxEnvelopeSize?: number;
  readonly locale?: LocaleHeader;
  readonly dataLocale?: LocaleHeader;
  readonly activityId?: string;
  readonly sessionId?: string;
  readonly fragmentTransfer?: string;
}

export interface SoapRequest {
  readonly headers: WsmanHeaders;
  /** the single child of s:Body, if any */
  readonly body?: XmlElement;
  /** true when s:Body had no element child (Identify may come this way) */
  readonly emptyBody: boolean;
  readonly envelope: XmlElement;
}


/** Which namespace set a response declares on its Envelope (V: captures of each response kind). */
export type ResponseKind = 'transfer' | 'enumeration' | 'invoke' | 'fault';

export type WsmanResponse =
  | { readonly kind: 'identify'; readonly body: string }
  | { readonly kind: Exclude<ResponseKind, 'fault'>; readonly action: string; readonly body: string };
