/**
 * One emulated host as the WS-Man layer sees it: its object manager, limits, listener settings
 * and identity. Built by the emulator for each host of the world.
 */
import type { ObjectManager } from '../cim/object-manager.js';
import type { CimClass, CimInstance } from '../cim/types.js';
import type { ServiceConfig, WsmanHost, WsmanLimits } from '../wsman/host.js';
import { ANONYMOUS } from '../wsman/namespaces.js';
import { EnumerationContexts } from '../wsman/enum-contexts.js';

export interface WsmanHostOptions {
  name: string;
  fqdn: string;
  om: ObjectManager;
  limits: WsmanLimits;
  serviceConfig: ServiceConfig;
  osVersion: string;
  /** the other hosts' WS-Man URLs by name (for EPR addresses) */
  endpoints: () => ReadonlyMap<string, string>;
  now: () => number;
  parseEmbedded: (text: string, expectedClass: string | undefined, namespace: string) => CimInstance;
  writeEmbedded: (inst: CimInstance, cls: CimClass) => string;
  httpsEnabled: boolean;
}

const PROFILE = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/';

export function securityProfiles(cfg: ServiceConfig, httpsEnabled: boolean): string[] {
  const out: string[] = [];
  if (cfg.auth.basic) {
    if (cfg.allowUnencrypted) out.push(PROFILE + 'http/basic');
    if (httpsEnabled) out.push(PROFILE + 'https/basic');
  }
  if (cfg.auth.negotiate) {
    out.push(PROFILE + 'http/spnego-kerberos');
    if (httpsEnabled) out.push(PROFILE + 'https/spnego-kerberos');
  }
  if (cfg.auth.certificate && httpsEnabled) out.push(PROFILE + 'https/mutual');
  return out;
}

export function createWsmanHost(o: WsmanHostOptions): WsmanHost {
  const profiles = securityProfiles(o.serviceConfig, o.httpsEnabled);
  return {
    name: o.name,
    fqdn: o.fqdn,
    om: o.om,
    enumerations: new EnumerationContexts({ now: o.now, maxPerUser: o.limits.maxContextsPerUser }),
    limits: o.limits,
    serviceConfig: o.serviceConfig,
    productVersion: `OS: ${o.osVersion} SP: 0.0 Stack: 3.0`,
    securityProfiles: profiles,
    endpointAddress(host?: string): string {
      if (!host || host.toLowerCase() === o.name.toLowerCase()) return ANONYMOUS;
      for (const [name, url] of o.endpoints()) if (name.toLowerCase() === host.toLowerCase()) return url;
      return ANONYMOUS;
    },
    now: o.now,
    parseEmbedded: o.parseEmbedded,
    writeEmbedded: o.writeEmbedded,
  };
}
