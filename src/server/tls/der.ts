/**
 * Just enough DER to read a certificate's subjectAltName without node-forge, so that start-up with
 * existing certificates does not load forge (~20 ms): node:crypto's X509Certificate parses the
 * certificate, and exposes the SAN only as display text, which cannot be read back reliably.
 * Malformed input throws, as forge's parser did.
 */

interface Tlv {
  /** 0 universal, 1 application, 2 context-specific, 3 private */
  readonly cls: number;
  readonly constructed: boolean;
  readonly tag: number;
  /** the contents, without tag and length */
  readonly value: Buffer;
  /** offset just past this element */
  readonly end: number;
}

function fail(what: string): never {
  throw new RangeError(`malformed DER: ${what}`);
}

function readTlv(buf: Buffer, pos: number): Tlv {
  if (pos >= buf.length) fail('truncated tag');
  const first = buf[pos++];
  let tag = first & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (;;) {
      if (pos >= buf.length) fail('truncated tag');
      const b = buf[pos++];
      tag = tag * 128 + (b & 0x7f);
      if (tag > 0xffffff) fail('tag number too large');
      if (!(b & 0x80)) break;
    }
  }
  if (pos >= buf.length) fail('truncated length');
  let len = buf[pos++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) fail('unsupported length form');
    if (pos + n > buf.length) fail('truncated length');
    len = 0;
    for (let k = 0; k < n; k++) len = len * 256 + buf[pos++];
  }
  if (pos + len > buf.length) fail('length past the end');
  return { cls: first >> 6, constructed: (first & 0x20) !== 0, tag, value: buf.subarray(pos, pos + len), end: pos + len };
}

/** The elements of a constructed value, which must fill it exactly. */
function children(value: Buffer): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = 0; pos < value.length; ) {
    const t = readTlv(value, pos);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** One element that fills `buf` exactly. */
function whole(buf: Buffer): Tlv {
  const t = readTlv(buf, 0);
  if (t.end !== buf.length) fail('bytes after the element');
  return t;
}

const CONTEXT = 2;
const OID_SAN = Buffer.from([0x55, 0x1d, 0x11]); // 2.5.29.17
const OID_UPN = Buffer.from([0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x14, 0x02, 0x03]); // 1.3.6.1.4.1.311.20.2.3
const utf8 = new TextDecoder('utf-8', { fatal: true });

export interface RawSubjectAltNames {
  /** dNSName entries, bytes as Latin-1 text (IA5String) */
  readonly dnsNames: string[];
  /** iPAddress entries as raw bytes */
  readonly ipAddresses: Buffer[];
  /** the last userPrincipalName otherName, UTF-8 decoded */
  upn?: string;
}

/** Reads the subjectAltName extension of a DER certificate (empty when it has none). */
export function readSubjectAltNames(der: Buffer): RawSubjectAltNames {
  const out: RawSubjectAltNames = { dnsNames: [], ipAddresses: [] };
  const cert = whole(der);
  if (!cert.constructed) fail('certificate is not a SEQUENCE');
  const tbs = children(cert.value)[0];
  if (!tbs?.constructed) fail('no tbsCertificate');
  const extsWrapper = children(tbs.value).find((c) => c.cls === CONTEXT && c.tag === 3);
  if (!extsWrapper) return out;
  const extList = children(extsWrapper.value)[0];
  if (!extList?.constructed) fail('extensions are not a SEQUENCE');
  for (const ext of children(extList.value)) {
    const parts = children(ext.value);
    if (parts.length < 2 || !parts[0].value.equals(OID_SAN)) continue;
    const names = whole(parts[parts.length - 1].value);
    for (const n of children(names.value)) {
      if (n.cls !== CONTEXT) continue;
      if (n.tag === 2) out.dnsNames.push(n.value.toString('latin1'));
      else if (n.tag === 7) out.ipAddresses.push(n.value);
      else if (n.tag === 0) {
        const [typeId, explicitValue] = children(n.value);
        if (!typeId || !explicitValue || !typeId.value.equals(OID_UPN)) continue;
        const inner = children(explicitValue.value)[0];
        if (!inner) fail('empty userPrincipalName');
        out.upn = utf8.decode(inner.value);
      }
    }
  }
  return out;
}

/** Dotted text of an OID's contents, decoded as forge's derToOid does. */
export function oidText(bytes: Buffer): string {
  if (bytes.length === 0) fail('empty OID');
  let oid = `${Math.floor(bytes[0] / 40)}.${bytes[0] % 40}`;
  let value = 0;
  for (let k = 1; k < bytes.length; k++) {
    const b = bytes[k];
    value = value << 7;
    if (b & 0x80) value += b & 0x7f;
    else {
      oid += `.${value + b}`;
      value = 0;
    }
  }
  return oid;
}

/** The signatureAlgorithm OID of a DER certificate (the outer one, after tbsCertificate). */
export function signatureAlgorithmOid(der: Buffer): string {
  const cert = whole(der);
  const algId = children(cert.value)[1];
  if (!algId?.constructed) fail('no signatureAlgorithm');
  const oid = children(algId.value)[0];
  if (!oid) fail('empty signatureAlgorithm');
  return oidText(oid.value);
}
