/**
 * The authentication schemes a listener offers besides Basic (which the handler does itself), chosen
 * as a Windows admin's settings decide: Negotiate when `negotiate` is on; client certificates only on
 * HTTPS and only when `certificate` is on.
 */
import type { AuthScheme, ListenerSecurity } from '../wsman-handler.js';
import { CertificateScheme } from './certificate-scheme.js';
import { NegotiateScheme, type NegotiateSchemeOptions } from './negotiate-scheme.js';

export interface AuthSchemeOptions {
  readonly security: ListenerSecurity;
  /** NetBIOS name of the host, e.g. "HV1" */
  readonly targetName: string;
  /** DNS name of the host */
  readonly dnsComputer?: string;
  readonly channelBinding?: NegotiateSchemeOptions['channelBinding'];
  readonly now?: () => number;
}

export function createAuthSchemes(o: AuthSchemeOptions): AuthScheme[] {
  const out: AuthScheme[] = [];
  if (o.security.negotiate) {
    out.push(new NegotiateScheme({ targetName: o.targetName, dnsComputer: o.dnsComputer, channelBinding: o.channelBinding, now: o.now }));
  }
  if (o.security.certificate && o.security.scheme === 'https') out.push(new CertificateScheme());
  return out;
}
