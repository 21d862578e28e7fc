/**
 * The VM lifecycle over real HTTP (hyperv-model §3.1, §4): Msvm_ComputerSystem.RequestStateChange
 * through every transition with its job and transitional state, the refused transitions per
 * profile, and the management service's DefineSystem / ModifySystemSettings /
 * ModifyResourceSettings / Add/RemoveResourceSettings / DestroySystem and helpers.
 */
import { afterEach, describe, expect, test } from 'vitest';
import {
  associators, cimXml, defaultWorld, eprSelectors, eprXml, esc, get, invoke, jobOf, jobProps, runJob, serviceSelectors, startLab, V2, VM, vmEpr, VSMS,
  wql, type HypervLab,
} from '../helpers/hyperv.js';
import { ACTION, basic, envelope, post } from '../helpers/wsman-client.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

const CS = 'Msvm_ComputerSystem';
const sel = (g: string) => ({ Name: g, CreationClassName: CS }); // libvirt's selector order
const rsc = (host: string, g: string, state: number) => invoke(lab.url(host), CS, sel(g), 'RequestStateChange', `<p:RequestedState>${state}</p:RequestedState>`);
const vmProps = async (host: string, g: string) => (await get(lab.url(host), CS, { CreationClassName: CS, Name: g })).props!;

describe('RequestStateChange', () => {
  test('start, pause, resume, save, restore, reset, turn off: a job each, transitional states on the way', async () => {
    lab = await startLab();
    const steps: Array<[number, string, string, string]> = [
      // [RequestedState, JobType, EnabledState while running, EnabledState after]
      [2, '12', '10', '2'],
      [9, '26', '32776', '9'],
      [32777, '27', '32777', '2'],
      [6, '14', '32773', '6'],
      [2, '15', '10', '2'],
      [11, '28', '11', '2'],
      [3, '13', '4', '3'],
    ];
    for (const [state, jobType, during, after] of steps) {
      const a = await rsc('HV1', VM.build01, state);
      const job = jobOf(a);
      expect(job.cls).toBe('Msvm_ConcreteJob');
      const p = await jobProps(lab.url('HV1'), job);
      expect(p).toMatchObject({ JobState: '4', JobType: jobType, Cancellable: 'false' });
      expect((await vmProps('HV1', VM.build01)).EnabledState, `during ${state}`).toBe(during);
      expect((await runJob(lab, 'HV1', job, 100)).JobState).toBe('7');
      const v = await vmProps('HV1', VM.build01);
      expect(v.EnabledState, `after ${state}`).toBe(after);
      expect(v.RequestedState).toBe('12');
      if (after === '2') expect(Number(v.ProcessID)).toBeGreaterThan(0);
      if (after === '3') expect(v.ProcessID).toBeNull();
    }
  });

  test('OnTimeInMilliseconds counts fabric time while running; the job links back to the VM', async () => {
    lab = await startLab();
    const job = jobOf(await rsc('HV1', VM.build01, 2));
    const owner = await associators(lab.url('HV1'), eprXml('Msvm_ConcreteJob', { InstanceID: job.id }), { assocClass: 'Msvm_OwningJobElement' });
    expect(owner.map(([c, p]) => [c, p.Name])).toEqual([[CS, VM.build01]]);
    const affected = await associators(lab.url('HV1'), eprXml('Msvm_ConcreteJob', { InstanceID: job.id }), { assocClass: 'Msvm_AffectedJobElement' });
    expect(affected.map(([, p]) => p.Name)).toEqual([VM.build01]);
    await runJob(lab, 'HV1', job);
    lab.clock.advance(60_000);
    expect(Number((await vmProps('HV1', VM.build01)).OnTimeInMilliseconds)).toBe(60_000);
    // paused time does not count
    await runJob(lab, 'HV1', jobOf(await rsc('HV1', VM.build01, 9)));
    const paused = Number((await vmProps('HV1', VM.build01)).OnTimeInMilliseconds);
    lab.clock.advance(30_000);
    expect(Number((await vmProps('HV1', VM.build01)).OnTimeInMilliseconds)).toBe(paused);
    await runJob(lab, 'HV1', jobOf(await rsc('HV1', VM.build01, 2)));
    lab.clock.advance(10_000);
    expect(Number((await vmProps('HV1', VM.build01)).OnTimeInMilliseconds)).toBeGreaterThanOrEqual(paused + 10_000);
    expect(Number((await vmProps('HV1', VM.build01)).OnTimeInMilliseconds)).toBeLessThan(paused + 11_000);
  });

  for (const profile of ['hyperv', 'dmtf'] as const) {
    test(`refused transitions (${profile})`, async () => {
      lab = await startLab(defaultWorld((w) => w.hosts.forEach((h) => (h.profile = profile))));
      const d = profile === 'dmtf';
      expect((await rsc('HV1', VM.web01, 2)).returnValue).toBe(d ? 4097 : 32775); // already running
      expect((await rsc('HV1', VM.build01, 32769)).returnValue).toBe(d ? 1 : 32775); // v1 "Saved" on an off VM, as on a real host
      expect((await rsc('HV1', VM.build01, 9)).returnValue).toBe(d ? 4097 : 32775); // pause an off VM
      expect((await rsc('HV1', VM.build01, 32777)).returnValue).toBe(d ? 4097 : 32775); // resume an off VM
      expect((await rsc('HV1', VM.build01, 7)).returnValue).toBe(d ? 1 : 32775); // Test: not supported
      expect(jobOf(await rsc('HV1', VM.build01, 2)).cls).toBe('Msvm_ConcreteJob');
      expect((await rsc('HV1', VM.build01, 3)).returnValue).toBe(d ? 4099 : 32774); // busy starting
      expect((await rsc('HV1', 'HV1', 3)).returnValue).toBe(d ? 1 : 32770); // the host
    });
  }

  test('Put on a job: TimeBeforeRemoval and DeleteOnCompletion are honoured, other properties refused', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const put = (id: string, inner: string) => post(hv1, envelope({
      action: ACTION.put, resourceUri: V2 + 'Msvm_ConcreteJob', selectors: { InstanceID: id },
      body: `<p:Msvm_ConcreteJob xmlns:p="${V2}Msvm_ConcreteJob">${inner}</p:Msvm_ConcreteJob>`,
    }).xml);
    const a = jobOf(await rsc('HV1', VM.build01, 2));
    const r = await put(a.id, '<p:TimeBeforeRemoval><cim:Interval xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">P0DT0H0M10S</cim:Interval></p:TimeBeforeRemoval>');
    expect(r.status, r.text).toBe(200);
    expect(r.text).toContain('P0DT0H0M10S');
    expect((await put(a.id, '<p:Priority>3</p:Priority>')).status).toBe(500);
    await runJob(lab, 'HV1', a);
    lab.clock.advance(10_000);
    expect((await get(hv1, 'Msvm_ConcreteJob', { InstanceID: a.id })).fault?.subcode).toBe('a:DestinationUnreachable');
    const b = jobOf(await rsc('HV1', VM.build01, 9));
    expect((await put(b.id, '<p:DeleteOnCompletion>true</p:DeleteOnCompletion>')).status).toBe(200);
    lab.clock.advance(1000);
    expect((await get(hv1, 'Msvm_ConcreteJob', { InstanceID: b.id })).fault?.subcode).toBe('a:DestinationUnreachable');
    expect((await vmProps('HV1', VM.build01)).EnabledState).toBe('9');
  });

  test('a read-only user cannot change anything', async () => {
    lab = await startLab();
    const r = await invoke(lab.url('HV1'), CS, sel(VM.build01), 'RequestStateChange', '<p:RequestedState>2</p:RequestedState>', 'operator:Operat0r!');
    expect(r.fault?.subcode).toBe('w:AccessDenied');
    expect(basic()).toContain('Basic ');
  });
});

describe('Msvm_VirtualSystemManagementService', () => {
  const vsms = (host: string) => serviceSelectors(VSMS, host);

  test('DefineSystem as libvirt calls it (ElementName only, partial selectors), then find, modify, destroy', async () => {
    lab = await startLab();
    const hv2 = lab.url('HV2');
    const vssd = cimXml('Msvm_VirtualSystemSettingData', { ElementName: ['string', 'libvirt-dom'] });
    const a = await invoke(hv2, VSMS, { CreationClassName: VSMS }, 'DefineSystem', `<p:SystemSettings>${esc(vssd)}</p:SystemSettings>`);
    expect(a.returnValue).toBe(0);
    const guid = eprSelectors(a.out.get('ResultingSystem')![0]).Name;
    const [found] = await wql(hv2, "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'libvirt-dom'");
    expect(found).toMatchObject({ Name: guid, EnabledState: '3' });
    const [settings] = await wql(hv2, `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${guid}'} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData`);
    expect(settings).toMatchObject({ VirtualSystemSubType: 'Microsoft:Hyper-V:SubType:1', Version: '10.0', AutomaticStartupAction: '3' });
    // libvirt's autostart: ModifySystemSettings with InstanceID and AutomaticStartupAction 4
    const mod = cimXml('Msvm_VirtualSystemSettingData', { InstanceID: ['string', `Microsoft:${guid}`], AutomaticStartupAction: ['uint16', 4], ElementName: ['string', 'renamed'] });
    expect((await invoke(hv2, VSMS, { CreationClassName: VSMS }, 'ModifySystemSettings', `<p:SystemSettings>${esc(mod)}</p:SystemSettings>`)).returnValue).toBe(0);
    expect((await get(hv2, 'Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${guid}` })).props).toMatchObject({ AutomaticStartupAction: '4', ElementName: 'renamed' });
    const gone = cimXml('Msvm_VirtualSystemSettingData', { InstanceID: ['string', 'Microsoft:00000000-0000-4000-8000-00000000DEAD'] });
    expect((await invoke(hv2, VSMS, vsms('HV2'), 'ModifySystemSettings', `<p:SystemSettings>${esc(gone)}</p:SystemSettings>`)).returnValue).toBe(32773);
    const destroy = await invoke(hv2, VSMS, vsms('HV2'), 'DestroySystem', `<p:AffectedSystem>${vmEpr(guid)}</p:AffectedSystem>`);
    const job = jobOf(destroy);
    expect((await jobProps(hv2, job)).JobType).toBe('3');
    await runJob(lab, 'HV2', job);
    expect((await get(hv2, CS, { CreationClassName: CS, Name: guid })).fault?.subcode).toBe('a:DestinationUnreachable');
  });

  test('DefineSystem with resources; ModifyResourceSettings; Add/RemoveResourceSettings; running VMs are protected', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const sw = (await wql(hv1, "SELECT * FROM Msvm_VirtualEthernetSwitch WHERE ElementName = 'External'"))[0];
    const switchPath = `\\\\HV1\\root\\virtualization\\v2:Msvm_VirtualEthernetSwitch.CreationClassName="Msvm_VirtualEthernetSwitch",Name="${String(sw.Name)}"`;
    const params =
      `<p:SystemSettings>${esc(cimXml('Msvm_VirtualSystemSettingData', { ElementName: ['string', 'full'], VirtualSystemSubType: ['string', 'Microsoft:Hyper-V:SubType:2'] }))}</p:SystemSettings>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_MemorySettingData', { VirtualQuantity: ['uint64', 3072] }))}</p:ResourceSettings>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_ProcessorSettingData', { VirtualQuantity: ['uint64', 3] }))}</p:ResourceSettings>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_StorageAllocationSettingData', { HostResource: ['string', ['C:\\VMs\\full.vhdx']] }))}</p:ResourceSettings>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_EthernetPortAllocationSettingData', { HostResource: ['string', [switchPath]] }))}</p:ResourceSettings>`;
    const a = await invoke(hv1, VSMS, vsms('HV1'), 'DefineSystem', params);
    expect(a.returnValue, a.http.text).toBe(0);
    const guid = eprSelectors(a.out.get('ResultingSystem')![0]).Name;
    const parts = await associators(hv1, eprXml('Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${guid}` }), { assocClass: 'Msvm_VirtualSystemSettingDataComponent' });
    const byClass = Object.fromEntries(parts.map(([c, p]) => [c, p]));
    expect(byClass.Msvm_MemorySettingData.VirtualQuantity).toBe('3072');
    expect(byClass.Msvm_ProcessorSettingData.VirtualQuantity).toBe('3');
    expect(byClass.Msvm_StorageAllocationSettingData.HostResource).toBe('C:\\VMs\\full.vhdx');
    expect(byClass.Msvm_EthernetPortAllocationSettingData).toMatchObject({ HostResource: switchPath, EnabledState: '2', LastKnownSwitchName: 'External' });
    const badSwitch = await invoke(hv1, VSMS, vsms('HV1'), 'DefineSystem',
      `<p:SystemSettings>${esc(cimXml('Msvm_VirtualSystemSettingData', { ElementName: ['string', 'x'] }))}</p:SystemSettings>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_EthernetPortAllocationSettingData', { HostResource: ['string', ['Nowhere']] }))}</p:ResourceSettings>`);
    expect(badSwitch.returnValue).toBe(32773);
    // memory of an off VM can change; of a running VM it cannot
    const mem = (g: string, q: number) => esc(cimXml('Msvm_MemorySettingData', { InstanceID: ['string', `Microsoft:${g}\\4764334D-E001-4176-82EE-5594EC9B530E`], VirtualQuantity: ['uint64', q] }));
    const ok = await invoke(hv1, VSMS, vsms('HV1'), 'ModifyResourceSettings', `<p:ResourceSettings>${mem(guid, 6144)}</p:ResourceSettings>`);
    expect(ok.returnValue).toBe(0);
    expect(eprSelectors(ok.out.get('ResultingResourceSettings')![0]).InstanceID).toContain('4764334D');
    expect((await invoke(hv1, VSMS, vsms('HV1'), 'ModifyResourceSettings', `<p:ResourceSettings>${mem(VM.web01, 6144)}</p:ResourceSettings>`)).returnValue).toBe(32775);
    // a second disk, then remove it again
    const add = await invoke(hv1, VSMS, vsms('HV1'), 'AddResourceSettings',
      `<p:AffectedConfiguration>${eprXml('Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${guid}` })}</p:AffectedConfiguration>` +
      `<p:ResourceSettings>${esc(cimXml('Msvm_StorageAllocationSettingData', { HostResource: ['string', ['C:\\VMs\\data.vhdx']] }))}</p:ResourceSettings>`);
    expect(add.returnValue).toBe(0);
    const newDisk = eprSelectors(add.out.get('ResultingResourceSettings')![0]).InstanceID;
    expect((await get(hv1, 'Msvm_StorageAllocationSettingData', { InstanceID: newDisk })).props!.HostResource).toBe('C:\\VMs\\data.vhdx');
    const rm = await invoke(hv1, VSMS, vsms('HV1'), 'RemoveResourceSettings', `<p:ResourceSettings>${eprXml('Msvm_StorageAllocationSettingData', { InstanceID: newDisk })}</p:ResourceSettings>`);
    expect(rm.returnValue).toBe(0);
    expect((await get(hv1, 'Msvm_StorageAllocationSettingData', { InstanceID: newDisk })).fault).toBeDefined();
  });

  test('DestroySystem refuses a running VM (profile codes); planned VMs: DefinePlannedSystem, ValidatePlannedSystem, RealizePlannedSystem', async () => {
    lab = await startLab(defaultWorld((w) => (w.hosts[1].profile = 'dmtf')));
    expect((await invoke(lab.url('HV1'), VSMS, vsms('HV1'), 'DestroySystem', `<p:AffectedSystem>${vmEpr(VM.web01)}</p:AffectedSystem>`)).returnValue).toBe(32775);
    expect((await invoke(lab.url('HV2'), VSMS, vsms('HV2'), 'DestroySystem', `<p:AffectedSystem>${vmEpr(VM.app02)}</p:AffectedSystem>`)).returnValue).toBe(5);
    expect((await invoke(lab.url('HV2'), VSMS, vsms('HV2'), 'DestroySystem', `<p:AffectedSystem>${vmEpr('00000000-0000-4000-8000-00000000DEAD')}</p:AffectedSystem>`)).returnValue).toBe(4);
    const hv1 = lab.url('HV1');
    const def = await invoke(hv1, VSMS, vsms('HV1'), 'DefinePlannedSystem',
      `<p:SystemSettings>${esc(cimXml('Msvm_VirtualSystemSettingData', { ElementName: ['string', 'plan'] }))}</p:SystemSettings>`);
    expect(def.returnValue).toBe(0);
    const planned = def.out.get('ResultingSystem')![0];
    expect(eprSelectors(planned).CreationClassName).toBe('Msvm_PlannedComputerSystem');
    const pref = eprXml('Msvm_PlannedComputerSystem', eprSelectors(planned));
    expect((await runJob(lab, 'HV1', jobOf(await invoke(hv1, VSMS, vsms('HV1'), 'ValidatePlannedSystem', `<p:PlannedSystem>${pref}</p:PlannedSystem>`)))).JobType).toBe('140');
    const realize = await invoke(hv1, VSMS, vsms('HV1'), 'RealizePlannedSystem', `<p:PlannedSystem>${pref}</p:PlannedSystem>`);
    expect((await runJob(lab, 'HV1', jobOf(realize))).JobState).toBe('7');
    expect((await get(hv1, CS, { CreationClassName: CS, Name: eprSelectors(planned).Name })).props!.ElementName).toBe('plan');
  });

  test('GetSummaryInformation, FormatError, GetVirtualSystemThumbnailImage; the settings singleton', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const sum = await invoke(hv1, VSMS, vsms('HV1'), 'GetSummaryInformation',
      `<p:SettingData>${eprXml('Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${VM.db01}` })}</p:SettingData><p:RequestedInformation>1</p:RequestedInformation><p:RequestedInformation>100</p:RequestedInformation><p:RequestedInformation>4</p:RequestedInformation>`);
    expect(sum.returnValue).toBe(0);
    const s = sum.out.get('SummaryInformation')!;
    expect(s).toHaveLength(1);
    expect(sum.http.text).toContain('<q:ElementName>db01</q:ElementName>');
    expect(sum.http.text).toContain('<q:EnabledState>2</q:EnabledState>');
    expect(sum.http.text).toContain('<q:NumberOfProcessors>8</q:NumberOfProcessors>');
    const err = cimXml('Msvm_Error', { Message: ['string', 'first'], MessageID: ['string', '1'] });
    const fmt = await invoke(hv1, VSMS, vsms('HV1'), 'FormatError', `<p:Errors>${esc(err)}</p:Errors>`);
    expect(fmt.http.text).toContain('<p:ErrorMessage>first</p:ErrorMessage>');
    const thumb = await invoke(hv1, VSMS, vsms('HV1'), 'GetVirtualSystemThumbnailImage',
      `<p:TargetSystem>${eprXml('Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${VM.web01}` })}</p:TargetSystem><p:WidthPixels>4</p:WidthPixels><p:HeightPixels>2</p:HeightPixels>`);
    expect(thumb.out.get('ImageData')).toHaveLength(16);
    const [settings] = await associators(hv1, eprXml(VSMS, vsms('HV1')), { assocClass: 'Msvm_ElementSettingData' });
    expect(settings[1]).toMatchObject({ InstanceID: 'Microsoft:HV1', DefaultExternalDataRoot: 'C:\\ClusterStorage\\Volume1\\Hyper-V' });
  });
});
