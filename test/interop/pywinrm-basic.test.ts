/**
 * pywinrm (python3-winrm) with Basic over plain HTTP against the default world (issue 2: Identify,
 * Get and an Invoke; issue 3 item 7: Enumerate + Pull loop through Protocol.send_message). One
 * pywinrm Protocol drives every message (test/fixtures/pywinrm/drive.py --interactive), so each Pull
 * is built from the previous answer's context, as a script using pywinrm does; the loop runs until
 * n:EndOfSequence and collects every item.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childElements, parseXml, textOf, type XmlElement } from '../../src/xml/dom.js';
import { PywinrmSession, requireClient, type PywinrmResult } from '../helpers/python.js';
import { esc, eprSelectors, migrationSettings, propsOf, serviceSelectors, startLab, V2, VM, vmEpr, type HypervLab } from '../helpers/hyperv.js';
import { ACTION, envelope, find, IDENTIFY, NS } from '../helpers/wsman-client.js';

const CS = V2 + 'Msvm_ComputerSystem';
const MS = V2 + 'Msvm_VirtualSystemMigrationService';
const WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL';
const HV1_SYSTEMS = ['HV1', 'build01', 'db01', 'legacy01', 'test01', 'web01'];

let lab: HypervLab;
let p: PywinrmSession;

beforeAll(async () => {
  requireClient({ modules: ['winrm'], install: 'apt-get install -y --no-install-recommends python3-winrm' });
  lab = await startLab();
  p = new PywinrmSession({ endpoint: lab.url('HV1'), transport: 'basic', user: 'Administrator', password: 'Passw0rd!' });
});
afterAll(async () => {
  await p?.close();
  await lab?.close();
});

/** send_message's answer, parsed; a pywinrm exception fails the test with its message. */
async function send(name: string, xml: string): Promise<XmlElement> {
  const r: PywinrmResult = await p.send(name, xml);
  if (!r.ok) throw new Error(`${name}: pywinrm raised ${r.error}: ${r.message}`);
  return parseXml(r.text);
}

function bodyChild(doc: XmlElement): XmlElement {
  return childElements(childElements(doc).find((e) => e.local === 'Body')!)[0];
}

function action(doc: XmlElement): string {
  const header = childElements(doc).find((e) => e.local === 'Header')!;
  return textOf(childElements(header).find((e) => e.ns === NS.a && e.local === 'Action')!).trim();
}

interface Enumeration {
  items: XmlElement[];
  /** answers received: the EnumerateResponse, then one per Pull */
  answers: number;
}

/** Enumerate, then Pull with the latest context until n:EndOfSequence, collecting every item. */
async function enumerateAll(resourceUri: string, enumerateBody: string, pullMax?: number): Promise<Enumeration> {
  const first = await send('enumerate', envelope({ action: ACTION.enumerate, resourceUri, body: `<n:Enumerate>${enumerateBody}</n:Enumerate>` }).xml);
  expect(action(first)).toBe(ACTION.enumerate + 'Response');
  const items = [...find(first, NS.w, 'Items').flatMap((i) => childElements(i))];
  let done = find(first, NS.w, 'EndOfSequence').length > 0;
  let ctx = textOf(find(first, NS.n, 'EnumerationContext')[0]).trim();
  let answers = 1;
  while (!done) {
    expect(ctx).toMatch(/^uuid:[0-9A-F-]{36}$/);
    const pull = await send('pull', envelope({
      action: ACTION.pull, resourceUri,
      body: `<n:Pull><n:EnumerationContext>${ctx}</n:EnumerationContext>${pullMax ? `<n:MaxElements>${pullMax}</n:MaxElements>` : ''}</n:Pull>`,
    }).xml);
    answers++;
    expect(action(pull)).toBe(ACTION.pull + 'Response');
    const batch = find(pull, NS.n, 'Items').flatMap((i) => childElements(i));
    if (pullMax) expect(batch.length).toBeLessThanOrEqual(pullMax);
    items.push(...batch);
    done = find(pull, NS.n, 'EndOfSequence').length > 0;
    const next = find(pull, NS.n, 'EnumerationContext');
    // the last PullResponse carries no context (wire notes §4.2)
    expect(next.length).toBe(done ? 0 : 1);
    if (!done) ctx = textOf(next[0]).trim();
    expect(answers, 'the loop ends').toBeLessThan(50);
  }
  return { items, answers };
}

const names = (els: XmlElement[]) => els.map((e) => propsOf(e).ElementName as string).sort();

describe('pywinrm Basic over HTTP against the default world', () => {
  test('Identify', async () => {
    const doc = await send('identify', IDENTIFY);
    const resp = bodyChild(doc);
    expect(resp.local).toBe('IdentifyResponse');
    const v = Object.fromEntries(childElements(resp).map((c) => [c.local, textOf(c).trim()]));
    expect(v.ProductVendor).toBe('Microsoft Corporation');
    expect(v.ProductVersion).toBe('OS: 10.0.20348 SP: 0.0 Stack: 3.0');
  });

  test('Get Msvm_ComputerSystem of web01', async () => {
    const doc = await send('get', envelope({ action: ACTION.get, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 } }).xml);
    expect(action(doc)).toBe(ACTION.get + 'Response');
    const props = propsOf(bodyChild(doc));
    expect(props).toMatchObject({ ElementName: 'web01', Name: VM.web01, EnabledState: '2', Description: 'Microsoft Virtual Machine' });
  });

  test('Invoke CheckVirtualSystemIsMigratableToHost (web01 → HV2)', async () => {
    const params = `<p:ComputerSystem>${vmEpr(VM.web01)}</p:ComputerSystem><p:DestinationHost>HV2</p:DestinationHost>` +
      `<p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`;
    const doc = await send('invoke', envelope({
      action: `${MS}/CheckVirtualSystemIsMigratableToHost`, resourceUri: MS, selectors: serviceSelectors('Msvm_VirtualSystemMigrationService', 'HV1'),
      body: `<p:CheckVirtualSystemIsMigratableToHost_INPUT xmlns:p="${MS}">${params}</p:CheckVirtualSystemIsMigratableToHost_INPUT>`,
    }).xml);
    expect(action(doc)).toBe(`${MS}/CheckVirtualSystemIsMigratableToHostResponse`);
    expect(propsOf(bodyChild(doc))).toMatchObject({ IsMigratable: 'true', ReturnValue: '0' });
  });

  test('Invoke RequestStateChange (pause web01): a job, then the VM is paused', async () => {
    const doc = await send('rsc', envelope({
      action: `${CS}/RequestStateChange`, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 },
      body: `<p:RequestStateChange_INPUT xmlns:p="${CS}"><p:RequestedState>9</p:RequestedState></p:RequestStateChange_INPUT>`,
    }).xml);
    const out = bodyChild(doc);
    expect(propsOf(out).ReturnValue).toBe('4096');
    expect(eprSelectors(find(out, CS, 'Job')[0]).InstanceID).toMatch(/^[0-9A-F-]{36}$/);
    lab.clock.advance(60_000);
    const after = await send('get', envelope({ action: ACTION.get, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 } }).xml);
    expect(propsOf(bodyChild(after)).EnabledState).toBe('9');
  });

  test('Enumerate + Pull loop (plain Enumerate, Pulls of 2): every system of HV1, across several Pulls', async () => {
    const e = await enumerateAll(CS, '', 2);
    expect(names(e.items)).toEqual(HV1_SYSTEMS);
    expect(e.answers).toBe(1 + 3);
    for (const i of e.items) expect(i.ns).toBe(CS);
  });

  test('Enumerate + Pull loop (optimized, MaxElements 4): first batch in the EnumerateResponse, the rest by Pull', async () => {
    const e = await enumerateAll(CS, '<w:OptimizeEnumeration/><w:MaxElements>4</w:MaxElements>', 4);
    expect(names(e.items)).toEqual(HV1_SYSTEMS);
    expect(e.answers).toBe(2);
  });

  test('Enumerate + Pull loop in EnumerateEPR mode: one EPR per system', async () => {
    const e = await enumerateAll(CS, '<w:EnumerationMode>EnumerateEPR</w:EnumerationMode>', 5);
    expect(e.items.every((i) => i.ns === NS.a && i.local === 'EndpointReference')).toBe(true);
    expect(e.items.map((i) => eprSelectors(i).Name).sort()).toEqual(['HV1', VM.build01, VM.db01, VM.legacy01, VM.test01, VM.web01].sort());
  });

  test('WQL Enumerate on the `*` URI + Pull loop: the VMs only', async () => {
    const e = await enumerateAll(V2 + '*', `<w:Filter Dialect="${WQL}">SELECT * FROM Msvm_ComputerSystem WHERE Description = 'Microsoft Virtual Machine'</w:Filter>`, 2);
    expect(names(e.items)).toEqual(['build01', 'db01', 'legacy01', 'test01', 'web01']);
  });

  test('a fault reaches pywinrm as WinRMError with the WSManFault code', async () => {
    const r = await p.send('missing', envelope({ action: ACTION.get, resourceUri: CS, selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: 'no-such-vm' } }).xml);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error).toBe('WinRMError');
      expect(r.message).toContain('2150858752');
    }
  });
});
