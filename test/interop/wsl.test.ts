/**
 * Dell's wsl (bash + curl + xmllint; Basic sent up front, a new connection per request) over plain
 * HTTP against the default world — AllowUnencrypted and Basic are on there — (issue 2: Identify, Get
 * and an Invoke; issue 3 item 7: `wsl enum`, `wslenum`, `-mode epr`, `-mode objepr`, `-filter` with
 * the WQL dialect). Each run gets its own scratch directory as HOME and working directory (wsl
 * writes ~/.wsl-config and request-N.xml / response-N.xml there, real-clients.md §3.2); the test
 * reads every answer wsl received from those files and asserts on their content.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childElements, parseXml, textOf, type XmlElement } from '../../src/xml/dom.js';
import { requireClient, run } from '../helpers/python.js';
import { eprSelectors, propsOf, startLab, V2, VM, type HypervLab } from '../helpers/hyperv.js';
import { find, NS } from '../helpers/wsman-client.js';

const CS = V2 + 'Msvm_ComputerSystem';
const MS = V2 + 'Msvm_VirtualSystemMigrationService';
const WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
/** HV1's Msvm_ComputerSystem instances: the host and its five VMs */
const HV1_SYSTEMS = ['HV1', 'build01', 'db01', 'legacy01', 'test01', 'web01'];
const HV1_VMS = ['build01', 'db01', 'legacy01', 'test01', 'web01'];

let lab: HypervLab;
let endpoint: string;
let files: string;
const scratch: string[] = [];

/** An EPR file as wsl's `-inst` and `Param=FILE:` read it: the lines between the EndpointReference tags. */
function eprFile(name: string, uri: string, selectors: Record<string, string>): string {
  const path = join(files, name);
  writeFileSync(path, [
    '<?xml version="1.0"?>',
    '<wsa:EndpointReference xmlns:wsa="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:wsman="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">',
    '<wsa:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsa:Address>',
    '<wsa:ReferenceParameters>',
    `<wsman:ResourceURI>${uri}</wsman:ResourceURI>`,
    '<wsman:SelectorSet>',
    ...Object.entries(selectors).map(([k, v]) => `<wsman:Selector Name="${k}">${v}</wsman:Selector>`),
    '</wsman:SelectorSet>',
    '</wsa:ReferenceParameters>',
    '</wsa:EndpointReference>',
    '',
  ].join('\n'));
  return path;
}

beforeAll(async () => {
  requireClient({ commands: ['wsl', 'wslenum', 'curl', 'xmllint', 'uuidgen'], install: 'apt-get install -y --no-install-recommends wsl curl libxml2-utils uuid-runtime' });
  lab = await startLab();
  endpoint = new URL(lab.url('HV1')).host;
  files = mkdtempSync(join(tmpdir(), 'vmms-wsl-files-'));
  scratch.push(files);
});
afterAll(async () => {
  await lab?.close();
  for (const d of scratch) rmSync(d, { recursive: true, force: true });
});

interface WslRun {
  code: number | null;
  stdout: string;
  /** every answer wsl received, in order */
  responses: XmlElement[];
  /** every request it sent, in order */
  requests: string[];
}

async function wsl(cmd: 'wsl' | 'wslenum', args: string[]): Promise<WslRun> {
  const cwd = mkdtempSync(join(tmpdir(), 'vmms-wsl-'));
  scratch.push(cwd);
  const r = await run(cmd, args, {
    cwd,
    timeoutMs: 60_000,
    env: { ...process.env, HOME: cwd, WSENDPOINT: endpoint, WSNOSSL: 'true', WSUSER: 'Administrator', WSPASS: 'Passw0rd!', OUTLEVEL: '2', NO_COLOR: '1' },
  });
  const numbered = (prefix: string) => readdirSync(cwd).filter((f) => new RegExp(`^${prefix}-\\d+\\.xml$`).test(f))
    .sort((a, b) => Number(/\d+/.exec(a)![0]) - Number(/\d+/.exec(b)![0]))
    .map((f) => readFileSync(join(cwd, f), 'utf8'));
  return { code: r.code, stdout: r.stdout + r.stderr, responses: numbered('response').map((t) => parseXml(t)), requests: numbered('request') };
}

function action(doc: XmlElement): string {
  const header = childElements(doc).find((e) => e.local === 'Header')!;
  const a = childElements(header).find((e) => e.ns === NS.a && e.local === 'Action');
  return a ? textOf(a).trim() : '';
}

function bodyChild(doc: XmlElement): XmlElement {
  return childElements(childElements(doc).find((e) => e.local === 'Body')!)[0];
}

/** The members of every Items element of an enumeration's answers (w:Items first, then each n:Items). */
function items(run: WslRun): XmlElement[] {
  return run.responses.flatMap((d) => [...find(d, NS.w, 'Items'), ...find(d, NS.n, 'Items')]).flatMap((i) => childElements(i));
}

/** An enumeration ran to its end: no fault, and the last answer says EndOfSequence. */
function expectComplete(r: WslRun): void {
  expect(r.code, r.stdout).toBe(0);
  for (const d of r.responses) expect(action(d), r.stdout).not.toMatch(/fault$/);
  const last = r.responses.at(-1)!;
  expect([...find(last, NS.w, 'EndOfSequence'), ...find(last, NS.n, 'EndOfSequence')]).toHaveLength(1);
}

const names = (els: XmlElement[]) => els.map((e) => propsOf(e).ElementName as string).sort();

describe('wsl over HTTP against the default world', () => {
  test('identify (wsl id check)', async () => {
    const r = await wsl('wsl', ['id', 'check']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.responses).toHaveLength(1);
    const resp = bodyChild(r.responses[0]);
    expect(resp.ns).toBe(NS.wsmid);
    expect(resp.local).toBe('IdentifyResponse');
    const p = Object.fromEntries(childElements(resp).map((c) => [c.local, textOf(c).trim()]));
    expect(p.ProductVendor).toBe('Microsoft Corporation');
    expect(p.ProductVersion).toBe('OS: 10.0.20348 SP: 0.0 Stack: 3.0');
    expect(p.ProtocolVersion).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd');
  });

  test('get Msvm_ComputerSystem of web01', async () => {
    const r = await wsl('wsl', ['get', CS, 'CreationClassName=Msvm_ComputerSystem', `Name=${VM.web01}`]);
    expect(r.code, r.stdout).toBe(0);
    expect(action(r.responses[0])).toBe('http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse');
    const inst = bodyChild(r.responses[0]);
    expect(inst.ns).toBe(CS);
    const p = propsOf(inst);
    expect(p.ElementName).toBe('web01');
    expect(p.Name).toBe(VM.web01);
    expect(p.EnabledState).toBe('2');
    expect(p.Description).toBe('Microsoft Virtual Machine');
  });

  test('invoke CheckVirtualSystemIsMigratableToHost with -inst and a FILE: EPR parameter', async () => {
    const service = eprFile('migration-service.xml', MS, {
      CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: 'HV1',
    });
    const vm = eprFile('web01.xml', CS, { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 });
    // wsl pastes values unescaped: the embedded instance goes in already escaped, as Windows expects it
    const msd = '&lt;INSTANCE CLASSNAME="Msvm_VirtualSystemMigrationSettingData"&gt;&lt;PROPERTY NAME="MigrationType" TYPE="uint16"&gt;&lt;VALUE&gt;32768&lt;/VALUE&gt;&lt;/PROPERTY&gt;&lt;/INSTANCE&gt;';
    const r = await wsl('wsl', ['invoke', MS, 'CheckVirtualSystemIsMigratableToHost', '-inst', service, `ComputerSystem=FILE:${vm}`, 'DestinationHost=HV2', `MigrationSettingData=${msd}`]);
    expect(r.code, r.stdout).toBe(0);
    const doc = r.responses.at(-1)!;
    expect(action(doc)).toBe(`${MS}/CheckVirtualSystemIsMigratableToHostResponse`);
    const out = bodyChild(doc);
    expect(out.local).toBe('CheckVirtualSystemIsMigratableToHost_OUTPUT');
    expect(propsOf(out)).toMatchObject({ IsMigratable: 'true', ReturnValue: '0' });
  });

  test('invoke RequestStateChange (start build01): a job EPR, and the VM starts', async () => {
    const vm = eprFile('build01.xml', CS, { CreationClassName: 'Msvm_ComputerSystem', Name: VM.build01 });
    const r = await wsl('wsl', ['invoke', CS, 'RequestStateChange', '-inst', vm, 'RequestedState=2']);
    expect(r.code, r.stdout).toBe(0);
    const out = bodyChild(r.responses.at(-1)!);
    expect(out.local).toBe('RequestStateChange_OUTPUT');
    expect(propsOf(out).ReturnValue).toBe('4096');
    const job = find(out, CS, 'Job')[0];
    expect(eprSelectors(job).InstanceID).toMatch(/^[0-9A-F-]{36}$/);
    lab.clock.advance(60_000);
    const g = await wsl('wsl', ['get', CS, 'CreationClassName=Msvm_ComputerSystem', `Name=${VM.build01}`]);
    expect(propsOf(bodyChild(g.responses[0])).EnabledState).toBe('2');
  });

  test('wsl enum (optimized, MaxElements 512): every system of HV1 in the first answer', async () => {
    const r = await wsl('wsl', ['enum', CS]);
    expectComplete(r);
    expect(r.requests[0]).toMatch(/<wsman:OptimizeEnumeration\/>\s*<wsman:MaxElements>512<\/wsman:MaxElements>/);
    expect(r.responses).toHaveLength(1);
    expect(names(items(r))).toEqual(HV1_SYSTEMS);
  });

  test('wslenum (plain Enumerate, then Pulls until the end)', async () => {
    const r = await wslenum([CS]);
    expectComplete(r);
    expect(action(r.responses[0])).toBe('http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse');
    expect(find(r.responses[0], NS.w, 'Items')).toHaveLength(0);
    expect(r.responses.length).toBeGreaterThanOrEqual(2);
    expect(names(items(r))).toEqual(HV1_SYSTEMS);
  });

  test('wsl enum -mode epr: one EPR per system, with the class URI and both keys', async () => {
    const r = await wsl('wsl', ['enum', CS, '-mode', 'epr']);
    expectComplete(r);
    expect(r.requests[0]).toContain('<wsman:EnumerationMode>EnumerateEPR</wsman:EnumerationMode>');
    const eprs = items(r);
    expect(eprs.map((e) => `${e.ns === NS.a ? 'a' : e.ns}:${e.local}`)).toEqual(Array(6).fill('a:EndpointReference'));
    for (const e of eprs) expect(textOf(find(e, NS.w, 'ResourceURI')[0]).trim()).toBe(CS);
    const sels = eprs.map(eprSelectors);
    expect(sels.every((s) => Object.keys(s).sort().join() === 'CreationClassName,Name' && s.CreationClassName === 'Msvm_ComputerSystem')).toBe(true);
    expect(sels.map((s) => s.Name).sort()).toEqual(['HV1', VM.build01, VM.db01, VM.legacy01, VM.test01, VM.web01].sort());
  });

  test('wslenum -mode objepr -ns root/virtualization/v2: w:Item = instance then EPR', async () => {
    const r = await wslenum([CS, '-mode', 'objepr', '-ns', 'root/virtualization/v2']);
    expectComplete(r);
    expect(r.requests[0]).toContain('EnumerateObjectAndEPR');
    expect(r.requests[0]).toMatch(/<wsman:Selector Name="__cimnamespace">root\/virtualization\/v2<\/wsman:Selector>/);
    const its = items(r);
    expect(its).toHaveLength(6);
    for (const it of its) {
      expect(`${it.ns === NS.w ? 'w' : it.ns}:${it.local}`).toBe('w:Item');
      const [inst, epr] = childElements(it);
      expect(inst.ns).toBe(CS);
      expect(epr.ns).toBe(NS.a);
      expect(epr.local).toBe('EndpointReference');
      expect(eprSelectors(epr).Name).toBe(propsOf(inst).Name);
    }
    expect(names(its.map((i) => childElements(i)[0]))).toEqual(HV1_SYSTEMS);
  });

  test('wsl enum -filter with the WQL dialect on the `*` URI', async () => {
    const vms = await wsl('wsl', ['enum', V2 + '*', '-dialect', WQL, '-filter', "SELECT * FROM Msvm_ComputerSystem WHERE Description = 'Microsoft Virtual Machine'"]);
    expectComplete(vms);
    expect(vms.requests[0]).toContain(`<wsman:Filter Dialect="${WQL}">`);
    expect(names(items(vms))).toEqual(HV1_VMS);
    const saved = await wsl('wsl', ['enum', V2 + '*', '-dialect', WQL, '-filter', "SELECT * FROM Msvm_ComputerSystem WHERE Description = 'Microsoft Virtual Machine' AND EnabledState = 6"]);
    expectComplete(saved);
    expect(names(items(saved))).toEqual(['legacy01']);
    expect(propsOf(items(saved)[0]).EnabledState).toBe('6');
  });
});

function wslenum(args: string[]): Promise<WslRun> {
  return wsl('wslenum', args);
}
