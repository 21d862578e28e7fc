/**
 * TLS material for the HTTPS listeners: a private CA, one server certificate per emulated host, and
 * client certificates for certificate-authentication tests; plus a reader that describes a peer
 * certificate the way Windows' certificate mapping sees it (subject, issuer, UPN, thumbprint).
 *
 * Keys are generated with node:crypto (OpenSSL, fast); node-forge only builds and signs the
 * X.509 structures (its pure-JS RSA key generation takes seconds per key), and is loaded only then.
 * Certificates are read back with node:crypto's X509Certificate, which also handles peers' EC
 * certificates that forge cannot, and the SAN with a small DER reader (der.ts).
 *
 * ensureCertificates(dir, hosts) is idempotent: files that exist and still fit are reused as they are
 * (same bytes, same serial); a certificate is (re)issued only when its files are missing or
 * unreadable, it is expired or not yet valid, its key does not match, it was not issued by the
 * current CA, or it lacks a SAN the host now needs. A new CA re-issues every host certificate.
 */
import { X509Certificate, createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import path from 'node:path';
import type forge from 'node-forge';
import { readSubjectAltNames } from './der.js';

export interface HostCertificateSpec {
  /** Host name, e.g. "HV1"; also the file name stem (<name>.pem / <name>.key). */
  name: string;
  fqdn?: string;
  ips?: string[];
}

export interface CertificateOptions {
  /** Clock for validity checks and new certificates. */
  now?: () => Date;
  /** RSA modulus length for new keys; default 2048. */
  keyBits?: number;
  caCommonName?: string;
  caValidityYears?: number;
  /** Server certificate lifetime; default 825 days (the longest macOS/iOS accept for private CAs). */
  serverValidityDays?: number;
}

export interface PemPair {
  certPem: string;
  keyPem: string;
}

export interface CertificateFiles extends PemPair {
  certPath: string;
  keyPath: string;
}

export interface CertificateSet {
  dir: string;
  ca: CertificateFiles;
  hosts: Record<string, CertificateFiles>;
  /** Paths written by this call (empty when everything was reused). */
  written: string[];
}

export interface ClientCertificateOptions {
  commonName: string;
  /** userPrincipalName SAN (otherName 1.3.6.1.4.1.311.20.2.3), which Windows maps to an account. */
  upn?: string;
  notBefore?: Date;
  notAfter?: Date;
  keyBits?: number;
}

export interface CertificateInfo {
  /** Windows order: most specific first, e.g. "CN=alice, O=vmms-emu". */
  subject: string;
  issuer: string;
  commonName?: string;
  upn?: string;
  /** SHA-1 of the DER certificate, upper-case hex without separators (as Windows shows it). */
  thumbprint: string;
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  dnsNames: string[];
  ipAddresses: string[];
  /** Extended key usage OIDs. */
  extendedKeyUsage: string[];
}

export const EKU_SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const EKU_CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const OID_UPN = '1.3.6.1.4.1.311.20.2.3';
const OID_SUBJECT_ALT_NAME = '2.5.29.17';
const DAY_MS = 86_400_000;
/** New certificates start a little in the past so that peers with a slow clock accept them. */
const BACKDATE_MS = DAY_MS;

let forgeLib: typeof forge | undefined;

/** node-forge, loaded when a certificate is issued: reusing existing ones needs only node:crypto (~20 ms less per start). */
function lib(): typeof forge {
  return (forgeLib ??= createRequire(import.meta.url)('node-forge') as typeof forge);
}

// ---------------------------------------------------------------------------------- helpers --

/** Canonical text form of an IP address (RFC 5952 for IPv6), or undefined if not an IP. */
export function canonicalIp(ip: string): string | undefined {
  const v = isIP(ip);
  if (v === 4) return ip;
  if (v === 6) return new URL(`http://[${ip}]`).hostname.slice(1, -1);
  return undefined;
}

function ipToBytes(ip: string): Buffer {
  const canonical = canonicalIp(ip);
  if (canonical === undefined) throw new RangeError(`not an IP address: "${ip}"`);
  if (isIP(canonical) === 4) return Buffer.from(canonical.split('.').map(Number));
  const [head, tail] = canonical.includes('::') ? canonical.split('::') : [canonical, undefined];
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  const out = Buffer.alloc(16);
  all.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  return out;
}

function bytesToIp(bytes: Buffer): string | undefined {
  if (bytes.length === 4) return [...bytes].join('.');
  if (bytes.length !== 16) return undefined;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return canonicalIp(groups.join(':'));
}

function serialNumber(): string {
  const b = randomBytes(16);
  b[0] &= 0x7f; // positive INTEGER
  b[0] |= 0x10; // no leading zero byte, so the hex round-trips unchanged
  return b.toString('hex');
}

function newKeyPair(bits: number): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privatePem: privateKey, publicPem: publicKey };
}

type GeneralName = { dns: string } | { ip: string } | { upn: string };

/** SubjectAltName built by hand: forge's altNames helper cannot encode otherName (it needs a constructed [0]). */
function subjectAltName(names: GeneralName[]): object {
  const { asn1, util } = lib();
  const value = asn1.create(
    asn1.Class.UNIVERSAL,
    asn1.Type.SEQUENCE,
    true,
    names.map((n) => {
      if ('dns' in n) return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 2, false, n.dns);
      if ('ip' in n) return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 7, false, ipToBytes(n.ip).toString('binary'));
      return asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
        asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(OID_UPN).getBytes()),
        asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [
          asn1.create(asn1.Class.UNIVERSAL, asn1.Type.UTF8, false, util.encodeUtf8(n.upn)),
        ]),
      ]);
    }),
  );
  return { id: OID_SUBJECT_ALT_NAME, name: 'subjectAltName', critical: false, value };
}

interface Issuer {
  cert: forge.pki.Certificate;
  key: forge.pki.rsa.PrivateKey;
}

interface NewCertificate {
  subjectCn: string;
  organization?: string;
  publicPem: string;
  notBefore: Date;
  notAfter: Date;
  extensions: object[];
}

function signCertificate(spec: NewCertificate, issuer: Issuer | { selfKey: forge.pki.rsa.PrivateKey }): string {
  const { pki, md } = lib();
  const cert = pki.createCertificate();
  cert.publicKey = pki.publicKeyFromPem(spec.publicPem);
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = spec.notBefore;
  cert.validity.notAfter = spec.notAfter;
  // DER order is broad to specific (O before CN), which Windows displays as "CN=..., O=...".
  const subject = [{ shortName: 'CN', value: spec.subjectCn }];
  if (spec.organization) subject.unshift({ shortName: 'O', value: spec.organization });
  cert.setSubject(subject);
  const selfSigned = 'selfKey' in issuer;
  cert.setIssuer(selfSigned ? subject : issuer.cert.subject.attributes);
  const extensions: object[] = [...spec.extensions, { name: 'subjectKeyIdentifier' }];
  if (!selfSigned) {
    extensions.push({ name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() });
  }
  cert.setExtensions(extensions);
  cert.sign(selfSigned ? issuer.selfKey : issuer.key, md.sha256.create());
  return pki.certificateToPem(cert);
}

function writeAtomic(file: string, content: string, mode: number): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

function readPair(certPath: string, keyPath: string): PemPair | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  return { certPem: readFileSync(certPath, 'utf8'), keyPem: readFileSync(keyPath, 'utf8') };
}

/**
 * Whether an existing pair can be reused: it parses, the key matches, it is valid now, it is a CA
 * (for the CA) or was issued by `issuer` (for the others), and it has the required SANs.
 */
function stillFits(pair: PemPair, now: Date, issuer: X509Certificate | 'self', required: GeneralName[]): boolean {
  try {
    const x509 = new X509Certificate(pair.certPem);
    if (!x509.checkPrivateKey(createPrivateKey(pair.keyPem))) return false;
    if (issuer === 'self' ? !x509.ca : x509.ca) return false;
    if (new Date(x509.validFrom) > now || new Date(x509.validTo) <= now) return false;
    if (issuer !== 'self' && !(x509.checkIssued(issuer) && x509.verify(issuer.publicKey))) return false;
    const info = describeCertificate(x509.raw);
    for (const n of required) {
      if ('dns' in n && !info.dnsNames.some((d) => d.toLowerCase() === n.dns.toLowerCase())) return false;
      if ('ip' in n && !info.ipAddresses.includes(canonicalIp(n.ip) ?? n.ip)) return false;
      if ('upn' in n && info.upn !== n.upn) return false;
    }
    return true;
  } catch {
    return false;
  }
}

function hostNames(host: HostCertificateSpec): GeneralName[] {
  const dns = [host.name, host.fqdn, 'localhost'].filter((d): d is string => !!d);
  const ips = ['127.0.0.1', '::1', ...(host.ips ?? [])];
  const seenDns = new Set<string>();
  const seenIp = new Set<string>();
  const names: GeneralName[] = [];
  for (const d of dns) if (!seenDns.has(d.toLowerCase())) names.push({ dns: d }), seenDns.add(d.toLowerCase());
  for (const ip of ips) {
    const c = canonicalIp(ip);
    if (c === undefined) throw new RangeError(`host ${host.name}: "${ip}" is not an IP address`);
    if (!seenIp.has(c)) names.push({ ip: c }), seenIp.add(c);
  }
  return names;
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

// -------------------------------------------------------------------------------- public API --

/** Creates or reuses the CA and one server certificate per host in `dir` (see the module header). */
export function ensureCertificates(dir: string, hosts: readonly HostCertificateSpec[], opts: CertificateOptions = {}): CertificateSet {
  const now = (opts.now ?? (() => new Date()))();
  const bits = opts.keyBits ?? 2048;
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  const save = (file: string, content: string, mode: number): void => {
    writeAtomic(file, content, mode);
    written.push(file);
  };

  const caCertPath = path.join(dir, 'ca.pem');
  const caKeyPath = path.join(dir, 'ca.key');
  let caPair = readPair(caCertPath, caKeyPath);
  if (!caPair || !stillFits(caPair, now, 'self', [])) {
    const keys = newKeyPair(bits);
    const selfKey = lib().pki.privateKeyFromPem(keys.privatePem);
    const notAfter = new Date(now.getTime());
    notAfter.setUTCFullYear(notAfter.getUTCFullYear() + (opts.caValidityYears ?? 10));
    const certPem = signCertificate(
      {
        subjectCn: opts.caCommonName ?? 'vmms-emu Root CA',
        organization: 'vmms-emu',
        publicPem: keys.publicPem,
        notBefore: new Date(now.getTime() - BACKDATE_MS),
        notAfter,
        extensions: [
          { name: 'basicConstraints', cA: true, critical: true },
          { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
        ],
      },
      { selfKey },
    );
    // Key first: a crash between the two writes leaves a key without a cert, which is regenerated.
    save(caKeyPath, keys.privatePem, 0o600);
    save(caCertPath, certPem, 0o644);
    caPair = { certPem, keyPem: keys.privatePem };
  }
  const caX509 = new X509Certificate(caPair.certPem);
  const ca = caPair;
  // parsed with forge only if a host certificate has to be issued
  let issuer: Issuer | undefined;
  const issuerOf = (): Issuer => (issuer ??= { cert: lib().pki.certificateFromPem(ca.certPem), key: lib().pki.privateKeyFromPem(ca.keyPem) });

  const result: Record<string, CertificateFiles> = {};
  for (const host of hosts) {
    if (!SAFE_NAME.test(host.name) || host.name.toLowerCase() === 'ca') {
      throw new RangeError(`host name "${host.name}" cannot be used as a certificate file name`);
    }
    const certPath = path.join(dir, `${host.name}.pem`);
    const keyPath = path.join(dir, `${host.name}.key`);
    const names = hostNames(host);
    let pair = readPair(certPath, keyPath);
    if (!pair || !stillFits(pair, now, caX509, names)) {
      const keys = newKeyPair(bits);
      const certPem = signCertificate(
        {
          subjectCn: host.fqdn ?? host.name,
          publicPem: keys.publicPem,
          notBefore: new Date(now.getTime() - BACKDATE_MS),
          notAfter: new Date(now.getTime() + (opts.serverValidityDays ?? 825) * DAY_MS),
          extensions: [
            { name: 'basicConstraints', cA: false },
            { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
            { name: 'extKeyUsage', serverAuth: true },
            subjectAltName(names),
          ],
        },
        issuerOf(),
      );
      save(keyPath, keys.privatePem, 0o600);
      save(certPath, certPem, 0o644);
      pair = { certPem, keyPem: keys.privatePem };
    }
    result[host.name] = { ...pair, certPath, keyPath };
  }
  return { dir, ca: { ...caPair, certPath: caCertPath, keyPath: caKeyPath }, hosts: result, written };
}

/** Issues a client-authentication certificate signed by `ca` (not written to disk). */
export function issueClientCertificate(ca: PemPair, opts: ClientCertificateOptions): PemPair {
  const keys = newKeyPair(opts.keyBits ?? 2048);
  const issuer: Issuer = { cert: lib().pki.certificateFromPem(ca.certPem), key: lib().pki.privateKeyFromPem(ca.keyPem) };
  const notBefore = opts.notBefore ?? new Date(Date.now() - BACKDATE_MS);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 365 * DAY_MS);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ];
  if (opts.upn) extensions.push(subjectAltName([{ upn: opts.upn }]));
  const certPem = signCertificate({ subjectCn: opts.commonName, publicPem: keys.publicPem, notBefore, notAfter, extensions }, issuer);
  return { certPem, keyPem: keys.privatePem };
}

// ------------------------------------------------------------------------------ describing --

function windowsDn(nodeDn: string): string {
  // Node lists one RDN per line in DER order (C first); Windows shows them most specific first.
  return nodeDn.split('\n').filter((s) => s !== '').reverse().join(', ');
}

interface ParsedSan {
  dnsNames: string[];
  ipAddresses: string[];
  upn?: string;
}

function parseSan(der: Buffer): ParsedSan {
  const raw = readSubjectAltNames(der);
  const out: ParsedSan = { dnsNames: raw.dnsNames, ipAddresses: [] };
  for (const b of raw.ipAddresses) {
    const ip = bytesToIp(b);
    if (ip) out.ipAddresses.push(ip);
  }
  if (raw.upn !== undefined) out.upn = raw.upn;
  return out;
}

/** Describes a certificate given as PEM text, DER bytes, a node X509Certificate or a TLS PeerCertificate ({ raw }). */
export function describeCertificate(input: string | Buffer | X509Certificate | { raw: Buffer }): CertificateInfo {
  let x509: X509Certificate;
  if (input instanceof X509Certificate) x509 = input;
  else if (typeof input === 'string' || Buffer.isBuffer(input)) x509 = new X509Certificate(input);
  else x509 = new X509Certificate(input.raw);
  const der = x509.raw;
  const san = parseSan(der);
  const cn = /^CN=(.*)$/m.exec(x509.subject)?.[1];
  const info: CertificateInfo = {
    subject: windowsDn(x509.subject),
    issuer: windowsDn(x509.issuer),
    thumbprint: createHash('sha1').update(der).digest('hex').toUpperCase(),
    serialNumber: x509.serialNumber.toUpperCase(),
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    dnsNames: san.dnsNames,
    ipAddresses: san.ipAddresses,
    extendedKeyUsage: x509.keyUsage ?? [],
  };
  if (cn !== undefined) info.commonName = cn;
  if (san.upn !== undefined) info.upn = san.upn;
  return info;
}
