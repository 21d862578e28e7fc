/**
 * The security wiring of the assembled emulator (createEmulator): listener settings and users from
 * world files — the shipped windows-defaults world, the default world, client certificate mappings
 * from users[].certificates, and the user's own TLS certificate from listener.tlsCert/tlsKey.
 * No Hyper-V providers are needed: Identify and the transport are enough.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { projectRoot } from '../../src/cim/schema-loader.js';
import { createEmulator, type Emulator, type EmulatorOptions } from '../../src/emulator.js';
import { loadWorldFile } from '../../src/fabric/world-file.js';
import type { WorldSpec } from '../../src/fabric/world.js';
import { MUTUAL_AUTH_URI } from '../../src/server/auth/certificate-scheme.js';
import { describeCertificate, ensureCertificates, issueClientCertificate } from '../../src/server/tls/certs.js';
import { ADMIN, NtlmHttpClient, SOAP_UTF8, headerValues, request } from '../helpers/secure-host.js';
import { IDENTIFY, basic } from '../helpers/wsman-client.js';


function start(world: WorldSpec, certDir: string): Promise<Emulator> {
  const opts: EmulatorOptions = {
    world,
    fabric: () => ({ providers: () => new Map() }),
    embedded: { parse: () => { throw new Error('no embedded instances here'); }, write: () => '' },
    portBase: 0,
    certDir,
  };
  return createEmulator(opts);
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vmms-auth-world-'));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('worlds/windows-defaults.yaml', () => {
  let emu: Emulator;
  beforeAll(async () => {
    emu = await start(loadWorldFile(join(projectRoot(), 'worlds/windows-defaults.yaml')), join(dir, 'certs-defaults'));
  });
  afterAll(async () => {
    await emu.close();
  });

  test('loads, and both hosts offer only Negotiate, over HTTP and HTTPS', async () => {
    expect(emu.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2']);
    const ca = readFileSync(join(dir, 'certs-defaults', 'ca.pem'), 'utf8');
    for (const h of emu.hosts) {
      const http = await request(h.http.url, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false });
      expect(headerValues(http, 'www-authenticate')).toEqual(['Negotiate']);
      const https = await request(h.https!.url, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false, ca });
      expect(headerValues(https, 'www-authenticate')).toEqual(['Negotiate']);
    }
  });
  test('Basic is refused everywhere; sealed NTLM works on HTTP; plaintext after NTLM is refused', async () => {
    const h = emu.hosts[0];
    const ca = readFileSync(join(dir, 'certs-defaults', 'ca.pem'), 'utf8');
    expect((await request(h.http.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false })).status).toBe(401);
    expect((await request(h.https!.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false, ca })).status).toBe(401);
    const c = new NtlmHttpClient(h.http.url, { user: 'HV1\\Administrator', password: ADMIN.password });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      const r = await c.sealed(IDENTIFY);
      expect(r.status).toBe(200);
      expect(r.plain!.toString()).toContain('OS: 10.0.20348 SP: 0.0 Stack: 3.0');
      expect((await c.plain(IDENTIFY)).status).toBe(500);
    } finally {
      c.close();
    }
  });
  test('the host certificate was generated into certs/ with the host names and loopback addresses', () => {
    const info = describeCertificate(readFileSync(join(dir, 'certs-defaults', 'HV2.pem'), 'utf8'));
    expect(info.dnsNames).toEqual(expect.arrayContaining(['HV2', 'hv2.lab.local']));
    expect(info.ipAddresses).toEqual(expect.arrayContaining(['127.0.0.1', '::1', '10.0.0.12']));
  });
});

describe('worlds/default.yaml with certificate mappings and the user’s own TLS certificate', () => {
  let emu: Emulator;
  let ownCa: string;
  let clientCert: { certPem: string; keyPem: string };
  beforeAll(async () => {
    const world = loadWorldFile(join(projectRoot(), 'worlds/default.yaml'));
    // HV2 brings its own certificate, issued by a CA of the user's
    const own = ensureCertificates(join(dir, 'own'), [{ name: 'HV2', fqdn: 'hv2.lab.local' }]);
    ownCa = own.ca.certPem;
    const hv2 = world.hosts.find((h) => h.name === 'HV2')!;
    hv2.listener = { ...hv2.listener, tlsCert: own.hosts.HV2.certPath, tlsKey: own.hosts.HV2.keyPath };
    // Administrator may log on with a client certificate issued by the emulator's CA
    const certDir = join(dir, 'certs-default');
    const generated = ensureCertificates(certDir, []);
    clientCert = issueClientCertificate(generated.ca, { commonName: 'Administrator', upn: 'administrator@lab.local' });
    world.users[0].certificates = [{ issuer: describeCertificate(generated.ca.certPem).thumbprint, upn: 'administrator@lab.local' }];
    emu = await start(world, certDir);
  });
  afterAll(async () => {
    await emu.close();
  });

  test('Basic works over plain HTTP (AllowUnencrypted + Basic), Negotiate is offered too', async () => {
    const h = emu.hosts[0];
    expect((await request(h.http.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false })).status).toBe(200);
    const bare = await request(h.http.url, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false });
    expect(headerValues(bare, 'www-authenticate')).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
  });
  test('a client certificate mapped in users[].certificates authenticates over HTTPS', async () => {
    const h = emu.hosts[0];
    const ca = readFileSync(join(dir, 'certs-default', 'ca.pem'), 'utf8');
    const r = await request(h.https!.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: MUTUAL_AUTH_URI }, {
      agent: false, ca, cert: clientCert.certPem, key: clientCert.keyPem,
    });
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('secprofile/https/mutual');
  });
  test('a host with listener.tlsCert/tlsKey serves that certificate', async () => {
    const h = emu.hosts.find((x) => x.name === 'HV2')!;
    const r = await request(h.https!.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false, ca: ownCa });
    expect(r.status).toBe(200);
    await expect(request(h.https!.url, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, {
      agent: false, ca: readFileSync(join(dir, 'certs-default', 'ca.pem'), 'utf8'),
    })).rejects.toThrow();
  });
});

describe('world file validation of certificate mappings', () => {
  test('an empty mapping and a malformed thumbprint are refused', async () => {
    const { parseWorld } = await import('../../src/fabric/world-file.js');
    const base = 'hosts: [{ name: HV1 }]\nusers:\n  - name: a\n    password: b\n    certificates: ';
    expect(() => parseWorld(base + '[{}]')).toThrow(/certificates/);
    expect(() => parseWorld(base + '[{ issuer: "XYZ" }]')).toThrow(/issuer/);
    expect(parseWorld(base + '[{ issuer: "aa bb cc dd ee ff 00 11 22 33 44 55 66 77 88 99 aa bb cc dd", subject: "*" }]').users[0].certificates).toHaveLength(1);
  });
});
