/**
 * Embedding vmms-emu in your own test suite: start an emulator in-process on free ports, point
 * your WS-Man client at it, stage faults and time from the test, close it.
 *
 * In your project, import from the package: `import { createEmulator, loadWorldFile, FabricClock } from 'vmms-emu';`
 * (here, inside the repository, from ../src/index.js).
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { createEmulator, FabricClock, loadWorldFile, type Emulator } from '../src/index.js';

let emu: Emulator;

beforeAll(async () => {
  emu = await createEmulator({
    world: loadWorldFile(new URL('../worlds/default.yaml', import.meta.url).pathname),
    portBase: 0, // free ports: read the URLs from emu.hosts
    https: false, // HTTP is enough here (HTTPS generates certificates on first use)
    clock: new FabricClock({ mode: 'manual' }), // jobs move only when the test says so
  });
});

afterAll(async () => {
  await emu.close();
});

/** Your client would do this: one SOAP request with Basic authentication. */
async function wsman(url: string, body: string, headers: string): Promise<{ status: number; text: string }> {
  const envelope =
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"' +
    ' xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration">' +
    `<s:Header><a:To>${url}</a:To>${headers}<a:MessageID>uuid:${crypto.randomUUID()}</a:MessageID>` +
    '<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo></s:Header>' +
    `<s:Body>${body}</s:Body></s:Envelope>`;
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8', Authorization: 'Basic ' + btoa('Administrator:Passw0rd!') },
    body: envelope,
  });
  return { status: r.status, text: await r.text() };
}

const CS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem';
const enumerate = (url: string) => wsman(url, '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements></n:Enumerate>',
  `<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate</a:Action><w:ResourceURI>${CS}</w:ResourceURI>`);

test('enumerate the VMs of a host', async () => {
  const hv1 = emu.hosts.find((h) => h.name === 'HV1')!.http.url; // http://127.0.0.1:<port>/wsman
  const r = await enumerate(hv1);
  expect(r.status).toBe(200);
  expect(r.text).toContain('<p:ElementName>web01</p:ElementName>');
});

test('stage a quota fault for the next enumeration, then recover', async () => {
  const hv2 = emu.hosts.find((h) => h.name === 'HV2')!.http.url;
  emu.faults.add({ host: 'HV2', operation: 'Enumerate', count: 1, effect: { kind: 'fault', fault: 'w:QuotaLimit' } });
  const faulted = await enumerate(hv2);
  expect(faulted.status).toBe(500);
  expect(faulted.text).toContain('w:QuotaLimit');
  expect((await enumerate(hv2)).status).toBe(200); // count: 1 — used up
});

test('drive time: a VM powered off through the fabric, seen by the client', async () => {
  const fabric = emu.fabric as import('../src/index.js').HypervFabric;
  const job = fabric.requestState('HV2', '9D8C7B6A-5F4E-4D3C-8B2A-190817263544', 'off');
  expect(job.ok).toBe(true);
  emu.clock.advance(5_000); // the power-off job runs to its end
  expect(fabric.vm('HV2', '9D8C7B6A-5F4E-4D3C-8B2A-190817263544')!.state).toBe('off');
  const r = await enumerate(emu.hosts[1].http.url);
  expect(r.text).toMatch(/<p:ElementName>app02<\/p:ElementName>[\s\S]*?<p:EnabledState>3<\/p:EnabledState>/);
});

test("mount a host's /wsman in your own express app, next to your routes", async () => {
  const express = (await import('express')).default;
  const app = express();
  app.get('/health', (_req, res) => void res.json({ ok: true })); // your routes
  app.use(emu.hosts[0].middleware); // HV1's /wsman: authentication, faults, logging as on its port
  const server = await new Promise<import('node:http').Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  try {
    const { port } = server.address() as import('node:net').AddressInfo;
    const url = `http://127.0.0.1:${port}/wsman`;
    const r = await enumerate(url);
    expect(r.status).toBe(200);
    expect(r.text).toContain('<p:ElementName>web01</p:ElementName>'); // HV1's VMs
    const anonymous = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/soap+xml;charset=UTF-8' }, body: '<x/>' });
    expect(anonymous.status).toBe(401); // the host's authentication applies
    expect(anonymous.headers.get('www-authenticate')).toMatch(/Basic|Negotiate/);
    expect(await (await fetch(`http://127.0.0.1:${port}/health`)).json()).toEqual({ ok: true }); // other paths are yours
    expect((await fetch(`http://127.0.0.1:${port}/elsewhere`)).status).toBe(404); // express's own 404
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
});
