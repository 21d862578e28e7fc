/**
 * The "done when" flows with a real client: pywinrm (Basic, and NTLM with its default sealing, over
 * HTTP, Protocol.send_message) does
 * what Move-VM does (hyperv-model §7.2) against the emulator running in-process on a manual clock —
 * find the running VM by WQL, read the VirtualSystem migration template, read the destination's
 * listener addresses, invoke MigrateVirtualSystemToHost to HV2 by name, then back by IPv4, then by
 * IPv6, poll the job to Completed (the test advances the clock between polls; nothing sleeps) and
 * find the VM on the destination and gone from the source. Then Compare-VM's staged check with a
 * failing switch: Staged (32770), CheckVirtualSystemIsMigratable into the planned VM, GetErrorEx.
 *
 * pywinrm missing is a failure, not a skip (test/fixtures/hyperv/pywinrm_session.py imports it).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseEmbeddedInstance } from '../../src/cim/cimxml/index.js';
import { loadSchemaRegistry, projectRoot } from '../../src/cim/schema-loader.js';
import { childElements, textOf, type XmlElement } from '../../src/xml/dom.js';
import { FabricClock } from '../../src/fabric/clock.js';
import { cimXml, defaultWorld, esc, MIGRATION_SERVICE, migrationSettings, propsOf, serviceSelectors, startLab, V2, V2_ALL, VM, vmEpr, WQL, type HypervLab, type Props } from '../helpers/hyperv.js';
import { ACTION, envelope, find, findOne, NS, parse } from '../helpers/wsman-client.js';
import { OPENSSL_LEGACY_CONF } from '../helpers/python.js';

const DRIVER = join(projectRoot(), 'test/fixtures/hyperv/pywinrm_session.py');

type Answer = { name: string; ok: true; text: string } | { name: string; ok: false; error: string; message: string };

/** One pywinrm process; each send() is one request and one answer. */
class Pywinrm {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(a: Answer) => void> = [];
  private buf = '';
  private err = '';
  private done = false;
  readonly exited: Promise<number | null>;

  constructor(transport: 'basic' | 'ntlm') {
    // NTLM needs MD4, which Debian's OpenSSL 3 only has with the legacy provider (real-clients.md §2.6)
    const env = { ...process.env, PYTHONDONTWRITEBYTECODE: '1', ...(transport === 'ntlm' ? { OPENSSL_CONF: OPENSSL_LEGACY_CONF } : {}) };
    this.child = spawn('/usr/bin/python3', [DRIVER, '--transport', transport], { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stderr.on('data', (d: Buffer) => (this.err += d.toString()));
    this.child.stdin.on('error', () => undefined); // a driver that died is reported by send()
    this.child.stdout.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (line.trim()) this.waiting.shift()?.(JSON.parse(line) as Answer);
      }
    });
    this.exited = new Promise((r) => this.child.on('close', r));
    void this.exited.then((code) => {
      this.done = true;
      for (const w of this.waiting.splice(0)) w({ name: 'driver', ok: false, error: `DriverExited(${String(code)})`, message: this.err });
    });
  }

  send(name: string, endpoint: string, xml: string): Promise<Answer> {
    if (this.done) return Promise.resolve({ name, ok: false, error: 'DriverExited', message: this.err });
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(JSON.stringify({ name, endpoint, xml }) + '\n');
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}

let lab: HypervLab;
let py: Pywinrm;

async function ok(name: string, host: string, xml: string): Promise<XmlElement> {
  const a = await py.send(name, lab.url(host), xml);
  if (!a.ok) throw new Error(`${name}: pywinrm raised ${a.error}: ${a.message}`);
  return parse(a.text);
}

async function wqlRows(host: string, query: string): Promise<Props[]> {
  const doc = await ok('wql', host, envelope({
    action: ACTION.enumerate, resourceUri: V2_ALL,
    body: `<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements><w:Filter Dialect="${WQL}">${esc(query)}</w:Filter></n:Enumerate>`,
  }).xml);
  expect(find(doc, NS.w, 'EndOfSequence')).toHaveLength(1);
  const items = find(doc, NS.w, 'Items')[0];
  return items ? childElements(items).map(propsOf) : [];
}

async function getProps(host: string, cls: string, selectors: Record<string, string>): Promise<Props> {
  const doc = await ok('get', host, envelope({ action: ACTION.get, resourceUri: V2 + cls, selectors }).xml);
  return propsOf(childElements(findOne(doc, NS.s, 'Body'))[0]);
}

function invokeXml(host: string, cls: string, method: string, selectors: Record<string, string>, params: string): string {
  const uri = V2 + cls;
  return envelope({ action: `${uri}/${method}`, resourceUri: uri, selectors, body: `<p:${method}_INPUT xmlns:p="${uri}">${params}</p:${method}_INPUT>` }).xml;
}

/** MigrateVirtualSystemToHost / CheckVirtualSystemIsMigratable → the job's class and InstanceID (libvirt's XPath). */
async function startMigration(host: string, method: string, vm: string, dest: string, settings: string): Promise<{ cls: string; id: string }> {
  const doc = await ok(method, host, invokeXml(host, MIGRATION_SERVICE, method, serviceSelectors(MIGRATION_SERVICE, host),
    `<p:ComputerSystem>${vmEpr(vm)}</p:ComputerSystem><p:DestinationHost>${esc(dest)}</p:DestinationHost><p:MigrationSettingData>${esc(settings)}</p:MigrationSettingData>`));
  const out = findOne(doc, V2 + MIGRATION_SERVICE, `${method}_OUTPUT`);
  expect(textOf(findOne(out, V2 + MIGRATION_SERVICE, 'ReturnValue'))).toBe('4096');
  const job = findOne(out, V2 + MIGRATION_SERVICE, 'Job');
  const uri = textOf(findOne(job, NS.w, 'ResourceURI'));
  const id = find(job, NS.w, 'Selector').find((s) => s.attrs.some((a) => a.local === 'Name' && a.value === 'InstanceID'))!;
  return { cls: uri.slice(uri.lastIndexOf('/') + 1), id: textOf(id) };
}

/** Poll the job with pywinrm; between polls the test moves the fabric clock. */
async function poll(host: string, job: { cls: string; id: string }): Promise<Props> {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const p = await getProps(host, job.cls, { InstanceID: job.id });
    seen.add(String(p.JobState));
    if (!['2', '3', '4'].includes(String(p.JobState))) {
      expect(seen.has('4')).toBe(true);
      return p;
    }
    lab.clock.advance(700);
  }
  throw new Error('job did not finish');
}

async function vmIsOn(host: string, guid: string): Promise<boolean> {
  const a = await py.send('exists', lab.url(host), envelope({ action: ACTION.get, resourceUri: V2 + 'Msvm_ComputerSystem', selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: guid } }).xml);
  if (a.ok) return true;
  expect(a.error).toBe('WinRMError');
  expect(a.message).toMatch(/DestinationUnreachable|2150858752/);
  return false;
}

/** The locked-down variant: no Basic, no plaintext bodies — only a sealed NTLM session gets through. */
function sealedOnlyWorld() {
  return defaultWorld((w) => {
    for (const h of w.hosts) h.listener = { ...h.listener, allowUnencrypted: false, basic: false, negotiate: true };
  });
}

describe.each([
  ['Basic', 'basic' as const],
  ['NTLM, sealed (pywinrm defaults)', 'ntlm' as const],
])('pywinrm (%s): Move-VM', (_label, transport) => {
  const sealed: boolean[] = [];
  beforeAll(async () => {
    sealed.length = 0;
    lab = transport === 'ntlm'
      ? await startLab(sealedOnlyWorld(), undefined, { onRequest: (e) => { if (e.status === 200 && e.action) sealed.push(e.sealed === true); } })
      : await startLab();
    py = new Pywinrm(transport);
  });
  afterAll(async () => {
    await py?.close();
    await lab?.close();
  });

  test('find, template, migrate by name / IPv4 / IPv6, poll to Completed, found on the destination only', async () => {
    const [vm] = await wqlRows('HV1', "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01' AND Description = 'Microsoft Virtual Machine'");
    expect(vm).toMatchObject({ Name: VM.web01, EnabledState: '2' });
    const [template] = await wqlRows('HV1', 'SELECT * FROM Msvm_VirtualSystemMigrationSettingData WHERE MigrationType = 32768');
    expect(template.InstanceID).toBe('Microsoft:Definition\\VirtualSystemMigrationSettingData\\VirtualSystem');

    const hops: Array<[string, string, string]> = [['HV1', 'HV2', 'HV2'], ['HV2', 'HV1', '10.0.0.11'], ['HV1', 'HV2', 'fd00::12']];
    for (const [from, to, destination] of hops) {
      const dst = await getProps(to, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, to));
      const ips = Array.isArray(dst.MigrationServiceListenerIPAddressList) ? dst.MigrationServiceListenerIPAddressList : [String(dst.MigrationServiceListenerIPAddressList)];
      const settings = cimXml('Msvm_VirtualSystemMigrationSettingData', {
        InstanceID: ['string', String(template.InstanceID)], MigrationType: ['uint16', 32768], TransportType: ['uint16', 5], DestinationIPAddressList: ['string', ips],
      });
      const job = await startMigration(from, 'MigrateVirtualSystemToHost', VM.web01, destination, settings);
      expect(job.cls).toBe('Msvm_MigrationJob');
      const done = await poll(from, job);
      expect(done).toMatchObject({ JobState: '7', ErrorCode: '0', PercentComplete: '100', JobType: '305', VirtualSystemName: VM.web01, DestinationHost: destination });
      expect(await vmIsOn(to, VM.web01)).toBe(true);
      expect(await vmIsOn(from, VM.web01)).toBe(false);
      expect((await getProps(to, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 })).EnabledState).toBe('2');
    }
    if (transport === 'ntlm') {
      // every answered WS-Man request of the flow came sealed (the hosts refuse anything else)
      expect(sealed.length).toBeGreaterThan(10);
      expect(sealed.every(Boolean)).toBe(true);
    }
  });

  test("Compare-VM's staged check with a failing switch", async () => {
    const staged = await startMigration('HV1', 'MigrateVirtualSystemToHost', VM.build01, 'HV2', migrationSettings(32770));
    expect(await poll('HV1', staged)).toMatchObject({ JobState: '7', JobType: '300' });
    expect((await getProps('HV2', 'Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: VM.build01 })).ElementName).toBe('build01');
    const check = await startMigration('HV1', 'CheckVirtualSystemIsMigratable', VM.build01, 'HV2',
      migrationSettings(32768, { DestinationPlannedVirtualSystemId: ['string', VM.build01] }));
    const done = await poll('HV1', check);
    expect(done).toMatchObject({ JobState: '10', JobType: '301', ErrorCode: '32768' });
    const doc = await ok('GetErrorEx', 'HV1', invokeXml('HV1', check.cls, 'GetErrorEx', { InstanceID: check.id }, ''));
    const schema = loadSchemaRegistry();
    const errors = find(doc, V2 + check.cls, 'Errors').map((e) => parseEmbeddedInstance(textOf(e), 'Msvm_Error', (n) => schema.getClass('root/virtualization/v2', n)));
    const incompat = errors.filter((e) => e.props.MessageID !== '21502');
    expect(incompat.map((e) => [e.props.MessageID, e.props.Message])).toEqual([['33012', "Could not find Ethernet switch 'Internal'."]]);
    expect(String(incompat[0].props.ErrorSource)).toMatch(/^\\\\HV2\\root\\virtualization\\v2:Msvm_EthernetPortAllocationSettingData\.InstanceID="Microsoft:0F6C0E63-8C0B-4A4C-9D4E-2B7C8E1F0A11\\\\/);
    expect(await vmIsOn('HV1', VM.build01)).toBe(true);
  });
});

describe('the copy-paste example of the README', () => {
  const EXAMPLE = join(projectRoot(), 'test/fixtures/hyperv/move_vm.py');

  test('the README shows test/fixtures/hyperv/move_vm.py verbatim', () => {
    const doc = readFileSync(join(projectRoot(), 'README.md'), 'utf8');
    const m = /<!-- pywinrm-example:begin -->\n```python\n([\s\S]*?)```\n<!-- pywinrm-example:end -->/.exec(doc);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(readFileSync(EXAMPLE, 'utf8'));
  });

  test('it moves web01 from HV1 to HV2 (real clock at 1000x, the script polls without sleeping)', async () => {
    // at 1000x the job's 5-minute TimeBeforeRemoval would be 0.3 s of wall time: keep jobs a day
    const fast = await startLab(defaultWorld((w) => (w.fabric = { ...w.fabric, jobRetentionSeconds: 86_400 })), new FabricClock({ mode: 'real', scale: 1000 }));
    try {
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn('/usr/bin/python3', [EXAMPLE, fast.url('HV1'), fast.url('HV2'), 'web01', 'HV2', '--poll', '0'], { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (code) => resolve({ code, out }));
      });
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/JobState 7, 100%/);
      expect(r.out).toContain(`web01 (${VM.web01}) is now on the destination, EnabledState 2`);
      expect(fast.fabric.vm('HV2', VM.web01)).toBeDefined();
    } finally {
      await fast.close();
    }
  });
});

