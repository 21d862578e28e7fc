/** Namespace URIs of WS-Management as Windows speaks it (wire notes §1.1). */
export const NS = {
  s: 'http://www.w3.org/2003/05/soap-envelope',
  s11: 'http://schemas.xmlsoap.org/soap/envelope/',
  a: 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
  x: 'http://schemas.xmlsoap.org/ws/2004/09/transfer',
  n: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
  e: 'http://schemas.xmlsoap.org/ws/2004/08/eventing',
  w: 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
  p: 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd',
  b: 'http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd',
  wsmid: 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd',
  f: 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault',
  cim: 'http://schemas.dmtf.org/wbem/wscim/1/common',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  xs: 'http://www.w3.org/2001/XMLSchema',
} as const;

export const ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous';

/**
 * Prefixes a request may use without declaring them. Dell's wsl pastes EPR lines out of an
 * earlier answer into a new request, so `w:`/`a:` can arrive undeclared (wire notes §2.1).
 */
export const LENIENT_PREFIXES: Readonly<Record<string, string>> = {
  a: NS.a,
  wsa: NS.a,
  w: NS.w,
  wsman: NS.w,
};

export const ACTIONS = {
  get: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
  put: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Put',
  create: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Create',
  delete: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete',
  enumerate: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate',
  pull: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull',
  release: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release',
  renew: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Renew',
  getStatus: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/GetStatus',
  subscribe: 'http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe',
} as const;
