/**
 * Resource URI prefixes and builders (wire notes §1.3). Parsing of request URIs lives in
 * resource-uri.ts; this module only knows how Windows spells them.
 */

export const WMI_URI_PREFIX = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/';
export const DMTF_CLASS_URI_PREFIX = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/';
export const DMTF_ALL_CLASSES_URI = 'http://schemas.dmtf.org/wbem/wscim/1/*';
export const CIMXML_CLASS_URI_PREFIX = 'http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/';
export const WSMAN_CONFIG_URI = 'http://schemas.microsoft.com/wbem/wsman/1/config';

/** The two ways a class is addressed; EPRs and instance namespaces follow the request's form. */
export type UriForm = 'wmi' | 'dmtf';

/** `http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem` */
export function wmiClassUri(namespace: string, className: string): string {
  return WMI_URI_PREFIX + namespace.replace(/\\/g, '/') + '/' + className;
}

/** `http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/Msvm_ComputerSystem` */
export function dmtfClassUri(className: string): string {
  return DMTF_CLASS_URI_PREFIX + className;
}

export function classUri(form: UriForm, namespace: string, className: string): string {
  return form === 'wmi' ? wmiClassUri(namespace, className) : dmtfClassUri(className);
}
