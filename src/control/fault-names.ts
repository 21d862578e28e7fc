/**
 * Fault names in rules: a catalogue kind (`QuotaLimit`, `InternalError`) or a SOAP subcode as
 * clients print it (`w:QuotaLimit`, `a:DestinationUnreachable`). Several kinds share a subcode; a
 * subcode resolves to the kind of the same name when there is one, else to the first kind with it.
 */
import { FAULTS, type FaultKind } from '../faults/catalogue.js';

export function resolveFaultKind(name: string): FaultKind | undefined {
  if (Object.prototype.hasOwnProperty.call(FAULTS, name)) return name as FaultKind;
  const m = /^([a-z]):(.+)$/.exec(name);
  if (!m) return undefined;
  const [, prefix, local] = m;
  const withSubcode = (Object.keys(FAULTS) as FaultKind[]).filter((k) => {
    const sc = (FAULTS[k] as { subcode?: readonly [string, string] }).subcode;
    return sc !== undefined && sc[0] === prefix && sc[1] === local;
  });
  return withSubcode.find((k) => k === local) ?? withSubcode[0];
}

/** `w:QuotaLimit` for a kind (the subcode QName), or the SOAP code when the kind has no subcode. */
export function faultSubcode(kind: string | undefined): string | undefined {
  if (kind === undefined) return undefined;
  const spec = (FAULTS as Record<string, { code: string; subcode?: readonly [string, string] }>)[kind];
  if (!spec) return kind;
  return spec.subcode ? `${spec.subcode[0]}:${spec.subcode[1]}` : `s:${spec.code}`;
}
