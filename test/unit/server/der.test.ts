import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureCertificates, issueClientCertificate } from '../../../src/server/tls/certs.js';
import { readSubjectAltNames, signatureAlgorithmOid } from '../../../src/server/tls/der.js';

/** What the SAN reader replaced: forge's generic ASN.1 parser over the same DER. */
function forgeSan(der: Buffer): { dnsNames: string[]; ipAddresses: string[]; upn?: string } {
  const { asn1 } = forge;
  const out: { dnsNames: string[]; ipAddresses: string[]; upn?: string } = { dnsNames: [], ipAddresses: [] };
  const cert = asn1.fromDer(der.toString('binary'));
  const tbs = (cert.value as forge.asn1.Asn1[])[0];
  const extsWrapper = (tbs.value as forge.asn1.Asn1[]).find((c) => c.tagClass === asn1.Class.CONTEXT_SPECIFIC && c.type === 3);
  if (!extsWrapper) return out;
  for (const ext of (extsWrapper.value as forge.asn1.Asn1[])[0].value as forge.asn1.Asn1[]) {
    const parts = ext.value as forge.asn1.Asn1[];
    if (asn1.derToOid(forge.util.createBuffer(parts[0].value as string)) !== '2.5.29.17') continue;
    for (const n of asn1.fromDer(parts[parts.length - 1].value as string).value as forge.asn1.Asn1[]) {
      if (n.tagClass !== asn1.Class.CONTEXT_SPECIFIC) continue;
      if (n.type === 2) out.dnsNames.push(n.value as string);
      else if (n.type === 7) out.ipAddresses.push(Buffer.from(n.value as string, 'binary').toString('hex'));
      else if (n.type === 0) {
        const [typeId, explicitValue] = n.value as forge.asn1.Asn1[];
        if (asn1.derToOid(forge.util.createBuffer(typeId.value as string)) !== '1.3.6.1.4.1.311.20.2.3') continue;
        out.upn = forge.util.decodeUtf8(((explicitValue.value as forge.asn1.Asn1[])[0].value as string));
      }
    }
  }
  return out;
}

function ours(der: Buffer) {
  const r = readSubjectAltNames(der);
  const out: { dnsNames: string[]; ipAddresses: string[]; upn?: string } = { dnsNames: r.dnsNames, ipAddresses: r.ipAddresses.map((b) => b.toString('hex')) };
  if (r.upn !== undefined) out.upn = r.upn;
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'vmms-der-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSubjectAltNames (DER, without forge)', () => {
  const set = ensureCertificates(dir, [{ name: 'HV1', fqdn: 'hv1.example.test', ips: ['10.0.0.5', 'fe80::1'] }], { keyBits: 1024 });
  const client = issueClientCertificate(set.ca, { commonName: 'alice', upn: 'alice@example.test', keyBits: 1024 });
  const plainClient = issueClientCertificate(set.ca, { commonName: 'bob', keyBits: 1024 });
  const ders = [set.ca.certPem, set.hosts.HV1.certPem, client.certPem, plainClient.certPem].map((p) => new X509Certificate(p).raw);

  it('reads what forge read: DNS names, IP addresses, the UPN; nothing for a certificate without SAN', () => {
    for (const der of ders) expect(ours(der)).toEqual(forgeSan(der));
    expect(ours(ders[1]).dnsNames).toEqual(['HV1', 'hv1.example.test', 'localhost']);
    expect(ours(ders[2]).upn).toBe('alice@example.test');
    expect(ours(ders[0])).toEqual({ dnsNames: [], ipAddresses: [] });
  });

  it('reads the signature algorithm OID as forge did', () => {
    for (const der of ders) {
      const cert = forge.asn1.fromDer(der.toString('binary'));
      const oid = ((cert.value as forge.asn1.Asn1[])[1].value as forge.asn1.Asn1[])[0];
      expect(signatureAlgorithmOid(der)).toBe(forge.asn1.derToOid(forge.util.createBuffer(oid.value as string)));
    }
    expect(signatureAlgorithmOid(ders[0])).toBe('1.2.840.113549.1.1.11');
  });

  it('throws on truncated or corrupted DER where forge did, and agrees where both parse', () => {
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
    for (let k = 0; k < 400; k++) {
      const der = Buffer.from(ders[k % ders.length]);
      if (k % 4 === 0) {
        const cut = der.subarray(0, rnd(der.length));
        expect(() => ours(cut)).toThrow();
        continue;
      }
      der[rnd(der.length)] = rnd(256);
      let theirs: unknown;
      try {
        theirs = forgeSan(der);
      } catch {
        theirs = 'threw';
      }
      let mine: unknown;
      try {
        mine = ours(der);
      } catch {
        mine = 'threw';
      }
      if (theirs !== 'threw' && mine !== 'threw') expect(mine).toEqual(theirs);
    }
  });
});
