/**
 * HTTPS: the generated CA and host certificates (TLS 1.2+), Basic and Negotiate over TLS, and client
 * certificate authentication mapped through users[].certificates (issuer thumbprint, subject, UPN).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { MUTUAL_AUTH_URI } from '../../src/server/auth/certificate-scheme.js';
import { describeCertificate, ensureCertificates, issueClientCertificate, type PemPair } from '../../src/server/tls/certs.js';
import {
  ADMIN, ENUMERATE, GET_ONE, INVOKE_ADD, SOAP_UTF8, defaultUsers, headerValues, request, startSecureHost, type SecureHost,
} from '../helpers/secure-host.js';
import { IDENTIFY, basic } from '../helpers/wsman-client.js';


const DAY = 86_400_000;
let dir: string;
let otherDir: string;
let h: SecureHost;
let ca: PemPair;
let caThumbprint: string;
const certs: Record<string, PemPair> = {};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vmms-tls-test-'));
  otherDir = mkdtempSync(join(tmpdir(), 'vmms-tls-other-'));
  const set = ensureCertificates(dir, [{ name: 'HV1', fqdn: 'hv1.lab.local' }]);
  ca = set.ca;
  caThumbprint = describeCertificate(ca.certPem).thumbprint;
  const foreignCa = ensureCertificates(otherDir, []).ca;
  certs.admin = issueClientCertificate(ca, { commonName: 'admin-cert' });
  certs.operator = issueClientCertificate(ca, { commonName: 'whatever', upn: 'operator@hv1.lab.local' });
  certs.stranger = issueClientCertificate(ca, { commonName: 'stranger' });
  certs.expired = issueClientCertificate(ca, { commonName: 'admin-cert', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
  certs.future = issueClientCertificate(ca, { commonName: 'admin-cert', notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });
  certs.foreign = issueClientCertificate(foreignCa, { commonName: 'admin-cert' });
  const users = defaultUsers().map((u) => {
    if (u.name === 'Administrator') return { ...u, certificates: [{ issuer: caThumbprint.match(/../g)!.join(' '), subject: 'admin-cert' }] };
    if (u.name === 'operator') return { ...u, certificates: [{ upn: 'OPERATOR@hv1.lab.local' }] };
    return u;
  });
  h = await startSecureHost({ https: true, certificate: true, name: 'HV1', certDir: dir, users });
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(otherDir, { recursive: true, force: true });
});

const mutual = (xml: string, cert?: PemPair, url = h.httpsUrl!) =>
  request(url, xml, { 'Content-Type': SOAP_UTF8, Authorization: MUTUAL_AUTH_URI }, { agent: false, ca: ca.certPem, cert: cert?.certPem, key: cert?.keyPem });

describe('the HTTPS listener', () => {
  test('its certificate chains to the generated CA and names the host, 127.0.0.1 and ::1', async () => {
    const info = describeCertificate(h.certs!.hosts.HV1.certPem);
    expect(info.dnsNames).toEqual(expect.arrayContaining(['HV1', 'hv1.lab.local', 'localhost']));
    expect(info.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '::1']));
    const r = await request(h.httpsUrl!, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false, ca: ca.certPem });
    expect(r.status).toBe(200);
  });
  test('later starts reuse the certificates as they are', () => {
    const again = ensureCertificates(dir, [{ name: 'HV1', fqdn: 'hv1.lab.local' }]);
    expect(again.written).toEqual([]);
    expect(again.hosts.HV1.certPem).toBe(h.certs!.hosts.HV1.certPem);
  });
  test('TLS 1.2 and 1.3 are accepted, TLS 1.1 is refused', async () => {
    const port = h.https!.port;
    const handshake = (minVersion: tls.SecureVersion, maxVersion: tls.SecureVersion) =>
      new Promise<string>((resolve, reject) => {
        const s = tls.connect({ host: '127.0.0.1', port, ca: ca.certPem, minVersion, maxVersion }, () => {
          const v = s.getProtocol() ?? '';
          s.end();
          resolve(v);
        });
        s.on('error', reject);
      });
    expect(await handshake('TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
    await expect(handshake('TLSv1', 'TLSv1.1')).rejects.toThrow();
  });
  test('the 401 lists Negotiate and Basic; client certificates are not advertised (clients send the mutual URI unprompted)', async () => {
    const r = await request(h.httpsUrl!, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false, ca: ca.certPem });
    expect(r.status).toBe(401);
    expect(headerValues(r, 'www-authenticate')).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
  });
});

describe('client certificate authentication', () => {
  test('a certificate mapped by issuer thumbprint + subject: Identify, Get, Enumerate, Invoke', async () => {
    for (const xml of [IDENTIFY, GET_ONE(), ENUMERATE(), INVOKE_ADD()]) {
      const r = await mutual(xml, certs.admin);
      expect(r.status, xml.slice(0, 120)).toBe(200);
    }
    expect(h.events.at(-1)?.user).toBe(ADMIN.name);
  });
  test('a certificate mapped by UPN to a read-only user: reads, but Invoke → w:AccessDenied', async () => {
    expect((await mutual(GET_ONE(), certs.operator)).status).toBe(200);
    const r = await mutual(INVOKE_ADD(), certs.operator);
    expect(r.status).toBe(500);
    expect(r.body.toString()).toContain('<s:Value>w:AccessDenied</s:Value>');
  });
  test('an unmapped certificate → 401', async () => {
    const r = await mutual(IDENTIFY, certs.stranger);
    expect(r.status).toBe(401);
    expect(r.headers.connection).toBe('close');
  });
  test('no certificate with the mutual header → 401', async () => {
    expect((await mutual(IDENTIFY)).status).toBe(401);
  });
  test('expired, not yet valid, or from an untrusted CA → 403', async () => {
    for (const name of ['expired', 'future', 'foreign']) {
      const r = await mutual(IDENTIFY, certs[name]);
      expect(r.status, name).toBe(403);
      expect(r.body.length).toBe(0);
    }
  });
  test('a certificate without the client-authentication EKU → 403', async () => {
    const server = h.certs!.hosts.HV1;
    expect((await mutual(IDENTIFY, { certPem: server.certPem, keyPem: server.keyPem })).status).toBe(403);
  });
  test('authentication is per request: the certificate alone (no mutual header) is not enough', async () => {
    const r = await request(h.httpsUrl!, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false, ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem });
    expect(r.status).toBe(401);
  });
  test('the mutual scheme on plain HTTP → 401', async () => {
    const r = await request(h.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: MUTUAL_AUTH_URI }, { agent: false });
    expect(r.status).toBe(401);
  });
  test('a listener with certificate auth off ignores client certificates → 401', async () => {
    const off = await startSecureHost({ https: true, name: 'HV1', certDir: dir });
    try {
      const r = await request(off.httpsUrl!, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: MUTUAL_AUTH_URI }, {
        agent: false, ca: ca.certPem, cert: certs.admin.certPem, key: certs.admin.keyPem,
      });
      expect(r.status).toBe(401);
    } finally {
      await off.close();
    }
  });
});
