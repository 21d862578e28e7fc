import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CertificateSet,
  EKU_CLIENT_AUTH,
  EKU_SERVER_AUTH,
  canonicalIp,
  describeCertificate,
  ensureCertificates,
  issueClientCertificate,
} from '../../../src/server/tls/certs.js';

const HOSTS = [
  { name: 'HV1', fqdn: 'hv1.contoso.test', ips: ['10.0.0.11', 'fd00::11'] },
  { name: 'HV2', ips: ['10.0.0.12'] },
];

let dir: string;
let first: CertificateSet;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vmms-certs-'));
  first = ensureCertificates(dir, HOSTS);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const serial = (pem: string): string => new X509Certificate(pem).serialNumber;

describe('ensureCertificates', () => {
  it('creates a CA and one server certificate per host as PEM files', () => {
    expect(first.written.map((f) => path.basename(f)).sort()).toEqual(['HV1.key', 'HV1.pem', 'HV2.key', 'HV2.pem', 'ca.key', 'ca.pem']);
    expect(readFileSync(path.join(dir, 'ca.pem'), 'utf8')).toBe(first.ca.certPem);
    expect(first.ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(statSync(path.join(dir, 'HV1.key')).mode & 0o777).toBe(0o600);
  });

  it('makes a 10-year RSA-2048 SHA-256 CA with basicConstraints CA', () => {
    const ca = new X509Certificate(first.ca.certPem);
    expect(ca.ca).toBe(true);
    expect(ca.publicKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const years = (new Date(ca.validTo).getTime() - Date.now()) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(ca.toLegacyObject().asn1Curve).toBeUndefined();
    expect(describeCertificate(ca).subject).toBe('CN=vmms-emu Root CA, O=vmms-emu');
  });

  it('issues server certificates with serverAuth, the host names, localhost and loopback + host IPs', () => {
    const info = describeCertificate(first.hosts.HV1.certPem);
    expect(info.subject).toBe('CN=hv1.contoso.test');
    expect(info.issuer).toBe('CN=vmms-emu Root CA, O=vmms-emu');
    expect(info.extendedKeyUsage).toEqual([EKU_SERVER_AUTH]);
    expect(info.dnsNames).toEqual(['HV1', 'hv1.contoso.test', 'localhost']);
    expect(info.ipAddresses).toEqual(['127.0.0.1', '::1', '10.0.0.11', 'fd00::11']);
    const x509 = new X509Certificate(first.hosts.HV1.certPem);
    expect(x509.ca).toBe(false);
    expect(x509.checkIssued(new X509Certificate(first.ca.certPem))).toBe(true);
    expect(x509.verify(new X509Certificate(first.ca.certPem).publicKey)).toBe(true);
    expect(x509.checkHost('hv1.contoso.test')).toBe('hv1.contoso.test');
    expect(x509.checkIP('10.0.0.11')).toBe('10.0.0.11');
    expect(describeCertificate(first.hosts.HV2.certPem).dnsNames).toEqual(['HV2', 'localhost']);
  });

  it('reuses everything on a second call (same files, same serials)', () => {
    const again = ensureCertificates(dir, HOSTS);
    expect(again.written).toEqual([]);
    expect(serial(again.ca.certPem)).toBe(serial(first.ca.certPem));
    expect(again.hosts.HV1.certPem).toBe(first.hosts.HV1.certPem);
    expect(again.hosts.HV2.keyPem).toBe(first.hosts.HV2.keyPem);
  });

  it('regenerates only a missing file\'s certificate', () => {
    unlinkSync(path.join(dir, 'HV2.key'));
    const again = ensureCertificates(dir, HOSTS);
    expect(again.written.map((f) => path.basename(f)).sort()).toEqual(['HV2.key', 'HV2.pem']);
    expect(serial(again.hosts.HV2.certPem)).not.toBe(serial(first.hosts.HV2.certPem));
    expect(again.hosts.HV1.certPem).toBe(first.hosts.HV1.certPem);
  });

  it('re-issues a certificate that lacks a newly required SAN', () => {
    const hosts = [HOSTS[0], { ...HOSTS[1], ips: ['10.0.0.12', '10.0.0.99'] }];
    const again = ensureCertificates(dir, hosts);
    expect(again.written.map((f) => path.basename(f)).sort()).toEqual(['HV2.key', 'HV2.pem']);
    expect(describeCertificate(again.hosts.HV2.certPem).ipAddresses).toContain('10.0.0.99');
  });

  it('re-issues an expired certificate (clock moved past notAfter)', () => {
    const later = new Date(Date.now() + 900 * 86_400_000);
    const again = ensureCertificates(dir, [HOSTS[0]], { now: () => later });
    expect(again.written.map((f) => path.basename(f)).sort()).toEqual(['HV1.key', 'HV1.pem']);
    expect(describeCertificate(again.hosts.HV1.certPem).notAfter.getTime()).toBeGreaterThan(later.getTime());
  });

  it('a new CA re-issues every host certificate; garbage files and a non-CA ca.pem are replaced', () => {
    const other = mkdtempSync(path.join(os.tmpdir(), 'vmms-certs-'));
    try {
      const a = ensureCertificates(other, [HOSTS[1]]);
      unlinkSync(path.join(other, 'ca.key'));
      const b = ensureCertificates(other, [HOSTS[1]]);
      expect(b.written.map((f) => path.basename(f)).sort()).toEqual(['HV2.key', 'HV2.pem', 'ca.key', 'ca.pem']);
      expect(serial(b.ca.certPem)).not.toBe(serial(a.ca.certPem));
      writeFileSync(path.join(other, 'HV2.pem'), 'not a certificate');
      const c = ensureCertificates(other, [HOSTS[1]]);
      expect(c.written.map((f) => path.basename(f)).sort()).toEqual(['HV2.key', 'HV2.pem']);
      // A non-CA certificate in ca.pem/ca.key is not taken as the CA.
      writeFileSync(path.join(other, 'ca.pem'), c.hosts.HV2.certPem);
      writeFileSync(path.join(other, 'ca.key'), c.hosts.HV2.keyPem);
      const d = ensureCertificates(other, [HOSTS[1]]);
      expect(d.written.map((f) => path.basename(f)).sort()).toEqual(['HV2.key', 'HV2.pem', 'ca.key', 'ca.pem']);
      expect(new X509Certificate(d.ca.certPem).ca).toBe(true);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  it('refuses host names that are not safe file names', () => {
    expect(() => ensureCertificates(dir, [{ name: '../evil' }])).toThrow(RangeError);
    expect(() => ensureCertificates(dir, [{ name: 'CA' }])).toThrow(RangeError);
    expect(() => ensureCertificates(dir, [{ name: 'HV9', ips: ['not-an-ip'] }])).toThrow(RangeError);
  });
});

describe('client certificates', () => {
  it('carries clientAuth and the UPN as otherName 1.3.6.1.4.1.311.20.2.3', () => {
    const client = issueClientCertificate(first.ca, { commonName: 'alice', upn: 'alice@contoso.test' });
    const info = describeCertificate(client.certPem);
    expect(info).toMatchObject({ subject: 'CN=alice', commonName: 'alice', upn: 'alice@contoso.test', issuer: 'CN=vmms-emu Root CA, O=vmms-emu' });
    expect(info.extendedKeyUsage).toEqual([EKU_CLIENT_AUTH]);
    expect(info.thumbprint).toMatch(/^[0-9A-F]{40}$/);
    expect(info.thumbprint).toBe(new X509Certificate(client.certPem).fingerprint.replace(/:/g, ''));
    // OpenSSL agrees on how the otherName is encoded.
    expect(new X509Certificate(client.certPem).subjectAltName).toContain('alice@contoso.test');
  });

  it('honours notBefore / notAfter', () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2020-02-01T00:00:00Z');
    const info = describeCertificate(issueClientCertificate(first.ca, { commonName: 'old', notBefore, notAfter }).certPem);
    expect(info.notBefore.toISOString()).toBe(notBefore.toISOString());
    expect(info.notAfter.toISOString()).toBe(notAfter.toISOString());
    expect(info.upn).toBeUndefined();
  });
});

describe('canonicalIp', () => {
  it('normalises IPv6 and rejects non-addresses', () => {
    expect(canonicalIp('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIp('FD00:0::11')).toBe('fd00::11');
    expect(canonicalIp('10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalIp('hv1')).toBeUndefined();
  });
});

describe('a real TLS 1.2+ server with client-certificate authentication', () => {
  it('the client trusts the CA, the server sees the client certificate (subject, UPN, thumbprint)', async () => {
    const host = first.hosts.HV1;
    const client = issueClientCertificate(first.ca, { commonName: 'alice', upn: 'alice@contoso.test' });
    const server = https.createServer(
      { key: host.keyPem, cert: host.certPem, ca: first.ca.certPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2' },
      (req, res) => {
        const socket = req.socket as TLSSocket;
        const peer = socket.getPeerCertificate(true);
        const info = describeCertificate(peer);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ authorized: socket.authorized, protocol: socket.getProtocol(), upn: info.upn, subject: info.subject, thumbprint: info.thumbprint }));
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const get = (servername: string) =>
        new Promise<{ body: Record<string, unknown>; serverCert: string }>((resolve, reject) => {
          const req = https.request(
            { host: '127.0.0.1', port, path: '/wsman', servername, agent: false, ca: first.ca.certPem, key: client.keyPem, cert: client.certPem, minVersion: 'TLSv1.2' },
            (res) => {
              const serverCert = describeCertificate((res.socket as TLSSocket).getPeerCertificate(true)).subject;
              let data = '';
              res.on('data', (d: Buffer) => (data += d.toString()));
              res.on('end', () => resolve({ body: JSON.parse(data) as Record<string, unknown>, serverCert }));
            },
          );
          req.on('error', reject);
          req.end();
        });
      for (const name of ['localhost', 'hv1.contoso.test']) {
        const { body, serverCert } = await get(name);
        expect(serverCert).toBe('CN=hv1.contoso.test');
        expect(body).toEqual({
          authorized: true,
          protocol: expect.stringMatching(/^TLSv1\.[23]$/),
          upn: 'alice@contoso.test',
          subject: 'CN=alice',
          thumbprint: describeCertificate(client.certPem).thumbprint,
        });
      }
      // A name outside the SANs fails server verification.
      await expect(get('hv2.contoso.test')).rejects.toThrow(/altnames|Hostname/i);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
