/**
 * pywinrm over HTTPS against the core test host: transport='basic' validating the server against the
 * generated CA (ca_trust_path), and transport='certificate' with client certificates issued by that
 * CA (node-forge) and mapped through users[].certificates. Each session does an Identify, a Get, an
 * Enumerate and an Invoke.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeCertificate, ensureCertificates, issueClientCertificate, type PemPair } from '../../src/server/tls/certs.js';
import { PYWINRM_REQUIREMENT, expectStandardResults, pywinrm, requireClient, standardMessages } from '../helpers/python.js';
import { ADMIN, defaultUsers, startSecureHost, type SecureHost } from '../helpers/secure-host.js';

const DAY = 86_400_000;
let h: SecureHost;
let dir: string;
const files: Record<string, string> = {};

function writePair(name: string, pair: PemPair): void {
  files[`${name}.pem`] = join(dir, `${name}.pem`);
  files[`${name}.key`] = join(dir, `${name}.key`);
  writeFileSync(files[`${name}.pem`], pair.certPem);
  writeFileSync(files[`${name}.key`], pair.keyPem, { mode: 0o600 });
}

beforeAll(async () => {
  requireClient(PYWINRM_REQUIREMENT);
  dir = mkdtempSync(join(tmpdir(), 'vmms-pywinrm-https-'));
  const certDir = join(dir, 'certs');
  const { ca } = ensureCertificates(certDir, [{ name: 'HV1', fqdn: 'hv1.lab.local' }]);
  files.ca = join(dir, 'ca.pem');
  writeFileSync(files.ca, ca.certPem);
  writePair('admin', issueClientCertificate(ca, { commonName: 'Administrator', upn: 'administrator@hv1.lab.local' }));
  writePair('stranger', issueClientCertificate(ca, { commonName: 'stranger' }));
  writePair('expired', issueClientCertificate(ca, { commonName: 'Administrator', upn: 'administrator@hv1.lab.local', notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) }));
  const issuer = describeCertificate(ca.certPem).thumbprint;
  const users = defaultUsers().map((u) => (u.name === ADMIN.name ? { ...u, certificates: [{ issuer, upn: 'administrator@hv1.lab.local' }] } : u));
  h = await startSecureHost({ name: 'HV1', https: true, certificate: true, certDir, users });
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("pywinrm transport='basic' over HTTPS", () => {
  test('server validated against the generated CA (ca_trust_path)', async () => {
    expectStandardResults(await pywinrm({ endpoint: h.httpsUrl!, transport: 'basic', user: ADMIN.name, password: ADMIN.password, ca: files.ca }, standardMessages()));
  });
  test('without the CA, certificate validation fails on the client', async () => {
    const [r] = await pywinrm({ endpoint: h.httpsUrl!, transport: 'basic', user: ADMIN.name, password: ADMIN.password }, standardMessages().slice(0, 1));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toMatch(/CERTIFICATE_VERIFY_FAILED|certificate verify failed/i);
  });
  test('a wrong password → InvalidCredentialsError', async () => {
    const [r] = await pywinrm({ endpoint: h.httpsUrl!, transport: 'basic', user: ADMIN.name, password: 'nope', ca: files.ca }, standardMessages().slice(0, 1));
    expect(r).toMatchObject({ ok: false, error: 'InvalidCredentialsError' });
  });
});

describe("pywinrm transport='certificate'", () => {
  test('a mapped client certificate (issuer thumbprint + UPN)', async () => {
    const before = h.events.length;
    expectStandardResults(await pywinrm({ endpoint: h.httpsUrl!, transport: 'certificate', ca: files.ca, cert: files['admin.pem'], key: files['admin.key'] }, standardMessages()));
    expect(h.events.slice(before).every((e) => e.user === ADMIN.name)).toBe(true);
  });
  test('an unmapped certificate → InvalidCredentialsError (401)', async () => {
    const [r] = await pywinrm({ endpoint: h.httpsUrl!, transport: 'certificate', ca: files.ca, cert: files['stranger.pem'], key: files['stranger.key'] }, standardMessages().slice(0, 1));
    expect(r).toMatchObject({ ok: false, error: 'InvalidCredentialsError' });
  });
  test('an expired certificate → HTTP 403', async () => {
    const [r] = await pywinrm({ endpoint: h.httpsUrl!, transport: 'certificate', ca: files.ca, cert: files['expired.pem'], key: files['expired.key'] }, standardMessages().slice(0, 1));
    expect(r).toMatchObject({ ok: false, error: 'WinRMTransportError' });
    expect(r.ok ? '' : r.message).toContain('403');
  });
});
