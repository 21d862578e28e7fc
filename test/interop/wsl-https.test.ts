/**
 * Dell's wsl (bash + curl + xmllint, Basic only, a new connection per request) over HTTPS against the
 * core test host. wsl validates the server with `curl --cacert <WSENDPOINT>.crt` when that file is in
 * its working directory and falls back to `--insecure` otherwise, so the test puts the generated CA
 * there: the server certificate is really checked (with a wrong CA the exchange fails).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureCertificates } from '../../src/server/tls/certs.js';
import { requireClient, run } from '../helpers/python.js';
import { ADMIN, WMI_THING, startSecureHost, type SecureHost } from '../helpers/secure-host.js';

let h: SecureHost;
let dir: string;
let endpoint: string;

beforeAll(async () => {
  requireClient({ commands: ['wsl', 'curl', 'xmllint', 'uuidgen'], install: 'apt-get install -y --no-install-recommends wsl curl libxml2-utils uuid-runtime' });
  h = await startSecureHost({ name: 'HV1', https: true });
  dir = mkdtempSync(join(tmpdir(), 'vmms-wsl-'));
  endpoint = `127.0.0.1:${h.https!.port}`;
  writeFileSync(join(dir, `${endpoint}.crt`), h.certs!.ca.certPem);
  writeFileSync(join(dir, 'thing-epr.xml'), [
    '<?xml version="1.0"?>',
    '<wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">',
    '<wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address>',
    '<wsa:ReferenceParameters>',
    `<wsman:ResourceURI>${WMI_THING}</wsman:ResourceURI>`,
    '<wsman:SelectorSet>',
    '<wsman:Selector Name="Id">two</wsman:Selector>',
    '</wsman:SelectorSet>',
    '</wsa:ReferenceParameters>',
    '</wsa:EndpointReference>',
    '',
  ].join('\n'));
});
afterAll(async () => {
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function wsl(args: string[], o: { cwd?: string; password?: string } = {}) {
  const cwd = o.cwd ?? dir;
  const r = await run('wsl', args, {
    cwd,
    timeoutMs: 60_000,
    env: {
      ...process.env, HOME: cwd, WSENDPOINT: endpoint, WSUSER: ADMIN.name, WSPASS: o.password ?? ADMIN.password, OUTLEVEL: '2',
      WSNOSSL: '', NO_COLOR: '1',
    },
  });
  // every answer wsl received, in order (it keeps response-N.xml in its working directory)
  const responses = readdirSync(cwd).filter((f) => /^response-\d+\.xml$/.test(f)).sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0]))
    .map((f) => readFileSync(join(cwd, f), 'utf8'));
  return { ...r, responses, last: responses.at(-1) ?? '' };
}

describe('wsl over HTTPS (Basic, curl --cacert)', () => {
  test('identify', async () => {
    const r = await wsl(['id', 'check']);
    expect(r.code).toBe(0);
    expect(r.last).toContain('Microsoft Corporation');
    expect(r.last).toContain('OS: 10.0.20348 SP: 0.0 Stack: 3.0');
  });
  test('get', async () => {
    const r = await wsl(['get', WMI_THING, 'Id=one']);
    expect(r.code).toBe(0);
    expect(r.last).toContain('<p:Label>First</p:Label>');
  });
  test('enum (optimized, then pulls until the end)', async () => {
    const r = await wsl(['enum', WMI_THING]);
    expect(r.code).toBe(0);
    const all = r.responses.join('\n');
    expect(all).toContain('<p:Id>one</p:Id>');
    expect(all).toContain('EndOfSequence');
  });
  test('invoke with -inst', async () => {
    const r = await wsl(['invoke', WMI_THING, 'Add', '-inst', join(dir, 'thing-epr.xml'), 'A=20', 'B=22']);
    expect(r.code).toBe(0);
    expect(r.last).toContain('<p:Sum>42</p:Sum>');
    expect(h.things.find((t) => t.props.Id === 'two')?.props.Count).toBe(42);
  });
  test('a wrong password gets nothing', async () => {
    const r = await wsl(['get', WMI_THING, 'Id=one'], { password: 'wrong' });
    expect(r.last).not.toContain('<p:Label>');
    expect(h.events.at(-1)?.status).toBe(401);
  });
  test('the server certificate is really validated: a different CA in <endpoint>.crt fails the exchange', async () => {
    const other = mkdtempSync(join(tmpdir(), 'vmms-wsl-other-'));
    try {
      writeFileSync(join(other, `${endpoint}.crt`), ensureCertificates(join(other, 'ca'), []).ca.certPem);
      const before = h.events.length;
      const r = await wsl(['id', 'check'], { cwd: other });
      expect(r.last).not.toContain('Microsoft Corporation');
      expect(h.events.length).toBe(before);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
