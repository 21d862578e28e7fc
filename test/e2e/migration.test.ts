/**
 * Migrations over real HTTP as clients drive them (hyperv-model §6.1, §7): Move-VM by name, IPv4
 * and IPv6; what the VM, the destination and the job look like while it runs; the job's life
 * (associations, enumeration, removal); MigrateVirtualSystemToSystem; storage moves; Compare-VM's
 * staged check; queueing; the service's settings, networks and compatibility information; and a
 * hammer test of the one-host-at-a-time invariant.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { CimInstance } from '../../src/cim/types.js';
import { parseInstancePath } from '../../src/cim/objectpath.js';
import { textOf } from '../../src/xml/dom.js';
import {
  associators, cimXml, defaultWorld, enumerateAll, eprAddress, eprResourceUri, eprSelectors, eprXml, esc, get, hasVm, hostEpr, invoke, jobErrors,
  jobOf, jobProps, migrate, MIGRATION_SERVICE, migrationSettings, propsOf, runJob, serviceSelectors, startLab, V2, V2_ALL, VM, vmEpr, VSMS,
  wql, ASSOC_DIALECT, ANONYMOUS, type HypervLab, type Props,
} from '../helpers/hyperv.js';
import { find } from '../helpers/wsman-client.js';

let lab: HypervLab;
afterEach(async () => {
  await lab?.close();
});

/** The migration settings a client builds from the template (hyperv-model §6.1 step 2). */
function fromTemplate(t: Props, destinationIps: string[], extra: Record<string, [string, string | number]> = {}): string {
  return cimXml('Msvm_VirtualSystemMigrationSettingData', {
    InstanceID: ['string', String(t.InstanceID)],
    MigrationType: ['uint16', Number(t.MigrationType)],
    TransportType: ['uint16', Number(t.TransportType)],
    EnableCompression: ['boolean', String(t.EnableCompression)],
    DestinationIPAddressList: ['string', destinationIps],
    ...extra,
  });
}

function list(v: string | string[] | null | undefined): string[] {
  return v === null || v === undefined ? [] : Array.isArray(v) ? v : [v];
}

describe('Move-VM', () => {
  test('by name, then back by IPv4, then again by IPv6 — the VM moves with its GUID, state and settings', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const hv2 = lab.url('HV2');
    // find the running VM by WQL, as Move-VM -Name does
    const [vm] = await wql(hv1, "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'");
    expect(vm).toMatchObject({ Name: VM.web01, EnabledState: '2', Description: 'Microsoft Virtual Machine' });
    // the VirtualSystem template: one per MigrationType, found by WQL (os-win) …
    const templates = await wql(hv1, 'SELECT * FROM Msvm_VirtualSystemMigrationSettingData WHERE MigrationType = 32768');
    expect(templates).toHaveLength(1);
    // … and through the capabilities of the service (PowerShell)
    const caps = await associators(hv1, eprXml(MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1')), { resultClass: 'Msvm_VirtualSystemMigrationCapabilities' });
    expect(caps).toHaveLength(1);
    const viaCaps = await associators(hv1, eprXml('Msvm_VirtualSystemMigrationCapabilities', { InstanceID: String(caps[0][1].InstanceID) }), { assocClass: 'Msvm_SettingsDefineCapabilities' });
    expect(viaCaps.map(([, p]) => p.MigrationType).sort()).toEqual(['32768', '32769', '32770', '32771', '32772']);
    expect(viaCaps.find(([, p]) => p.MigrationType === '32768')![1]).toEqual(templates[0]);
    // the destination's listener addresses (os-win reads them from the destination's service)
    const dst = await get(hv2, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV2'));
    expect(list(dst.props!.MigrationServiceListenerIPAddressList)).toEqual(['10.0.0.12']);

    const hops: Array<[string, string, string, string]> = [['HV1', 'HV2', 'HV2', hv2], ['HV2', 'HV1', '10.0.0.11', hv1], ['HV1', 'HV2', 'fd00:0:0::12', hv2]];
    for (const [from, to, destination] of hops) {
      const settings = fromTemplate(templates[0], ['10.0.0.12']);
      const a = await migrate(lab, from, VM.web01, destination, 32768, { settings });
      const job = jobOf(a);
      expect(job.cls).toBe('Msvm_MigrationJob');
      expect(job.id).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
      const epr = a.out.get('Job')![0];
      expect(eprAddress(epr)).toBe(ANONYMOUS);
      expect(eprResourceUri(epr)).toBe(V2 + 'Msvm_MigrationJob');
      const done = await runJob(lab, from, job, 300);
      expect(done).toMatchObject({ JobState: '7', ErrorCode: '0', PercentComplete: '100', JobType: '305', MigrationType: '32768', VirtualSystemName: VM.web01, DestinationHost: destination });
      expect(await hasVm(lab, to, VM.web01)).toBe(true);
      expect(await hasVm(lab, from, VM.web01)).toBe(false);
      const moved = await get(lab.url(to), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 });
      expect(moved.props).toMatchObject({ ElementName: 'web01', EnabledState: '2', OperationalStatus: '2' });
      // its settings came along: VSSD → memory through the association libvirt uses
      const mem = await wql(lab.url(to), `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='Microsoft:${VM.web01}'} WHERE AssocClass = Msvm_VirtualSystemSettingDataComponent ResultClass = Msvm_MemorySettingData`);
      expect(mem[0]).toMatchObject({ VirtualQuantity: '4096', InstanceID: `Microsoft:${VM.web01}\\4764334D-E001-4176-82EE-5594EC9B530E` });
    }
  });

  test('while it runs: Running + Migrating on the source, a planned VM on the destination, a job with rising progress', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const job = jobOf(await migrate(lab, 'HV1', VM.db01, 'HV2'));
    const p0 = await jobProps(hv1, job);
    expect(p0).toMatchObject({ JobState: '4', PercentComplete: '0', Cancellable: 'true', JobType: '305', ElapsedTime: 'P0DT0H0M0S', Owner: 'Administrator' });
    expect(p0.TimeSubmitted).toBe('2025-01-06T09:00:00Z');
    expect(p0.StartTime).toBe('2025-01-06T09:00:00Z');
    lab.clock.advance(1500); // validated: the planned VM exists on HV2
    const planned = await get(lab.url('HV2'), 'Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: VM.db01 });
    expect(planned.props).toMatchObject({ ElementName: 'db01', EnabledState: '3' });
    const svc = await get(hv1, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'));
    expect(svc.props!.ActiveVirtualSystemMigrationCount).toBe('1');
    let last = -1;
    for (let i = 0; i < 10; i++) {
      lab.clock.advance(1000);
      const src = await get(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.db01 });
      expect(src.props).toMatchObject({ EnabledState: '2', OperationalStatus: ['2', '32774'], StatusDescriptions: ['Operating normally', 'Migrating Virtual Machine'] });
      expect(await hasVm(lab, 'HV2', VM.db01)).toBe(false);
      const p = await jobProps(hv1, job);
      expect(Number(p.PercentComplete)).toBeGreaterThanOrEqual(last);
      last = Number(p.PercentComplete);
    }
    expect(last).toBeGreaterThan(50);
    const done = await runJob(lab, 'HV1', job);
    expect(done.ElapsedTime).toBe('P0DT0H0M15.6072S'); // 2 s setup + 16 GiB at 10 Gbit/s + 0.5 s cut-over
    expect(done.TimeOfLastStateChange).toBe('2025-01-06T09:00:15.6072Z');
    expect((await get(lab.url('HV2'), 'Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: VM.db01 })).fault?.subcode).toBe('a:DestinationUnreachable');
  });

  test('the job afterwards: enumerations, AffectedJobElement/OwningJobElement, removal after 5 minutes', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    const start = await invoke(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.build01 }, 'RequestStateChange', '<p:RequestedState>2</p:RequestedState>');
    const startJob = jobOf(start);
    expect(startJob.cls).toBe('Msvm_ConcreteJob');
    // jobs are linked to the VM they affect while it is still here
    const affecting = await associators(hv1, vmEpr(VM.web01), { assocClass: 'Msvm_AffectedJobElement' });
    expect(affecting.map(([c, p]) => [c, p.InstanceID])).toEqual([['Msvm_MigrationJob', job.id]]);
    const owner = await associators(hv1, eprXml('Msvm_MigrationJob', { InstanceID: job.id }), { assocClass: 'Msvm_OwningJobElement' });
    expect(owner.map(([c]) => c)).toEqual(['Msvm_VirtualSystemMigrationService']);
    await runJob(lab, 'HV1', job);
    // polymorphism: CIM_ConcreteJob has both; Msvm_ConcreteJob does not return migration jobs
    const all = await enumerateAll(hv1, V2 + 'CIM_ConcreteJob');
    expect(all.map((i) => i.local).sort()).toEqual(['Msvm_ConcreteJob', 'Msvm_MigrationJob']);
    expect((await enumerateAll(hv1, V2 + 'Msvm_ConcreteJob')).map((i) => propsOf(i).InstanceID)).toEqual([startJob.id]);
    expect((await enumerateAll(hv1, V2 + 'Msvm_MigrationJob')).map((i) => propsOf(i).InstanceID)).toEqual([job.id]);
    // libvirt's poll: WQL on Msvm_ConcreteJob by InstanceID
    expect(await wql(hv1, `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '${startJob.id}'`)).toHaveLength(1);
    expect(await wql(hv1, `SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = '${job.id}'`)).toHaveLength(0);
    // the finished job still names the VM, now on HV2: the association's EPR carries HV2's address
    const refs = await enumerateAll(hv1, V2_ALL, `<w:Filter Dialect="${ASSOC_DIALECT}"><b:AssociationInstances><b:Object>${eprXml('Msvm_MigrationJob', { InstanceID: job.id })}</b:Object><b:ResultClassName>Msvm_AffectedJobElement</b:ResultClassName></b:AssociationInstances></w:Filter>`);
    expect(refs).toHaveLength(1);
    const affected = find(refs[0], refs[0].ns, 'AffectedElement')[0];
    expect(eprAddress(affected)).toBe(lab.url('HV2'));
    expect(eprSelectors(affected).Name).toBe(VM.web01);
    // TimeBeforeRemoval: 5 minutes after it finished, the job is gone
    lab.clock.advance(5 * 60_000);
    expect((await get(hv1, 'Msvm_MigrationJob', { InstanceID: job.id })).fault?.subcode).toBe('a:DestinationUnreachable');
    expect(await enumerateAll(hv1, V2 + 'CIM_ConcreteJob')).toHaveLength(0);
  });

  test('MigrateVirtualSystemToSystem: NewComputerSystem is an EPR at the destination endpoint', async () => {
    lab = await startLab();
    const settings = `<p:MigrationSettingData>${esc(migrationSettings(32768))}</p:MigrationSettingData>`;
    const a = await invoke(lab.url('HV1'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'), 'MigrateVirtualSystemToSystem',
      `<p:ComputerSystem>${vmEpr(VM.test01)}</p:ComputerSystem><p:DestinationSystem>${hostEpr('HV2')}</p:DestinationSystem>${settings}`);
    const job = jobOf(a);
    const ncs = a.out.get('NewComputerSystem')![0];
    expect(eprAddress(ncs)).toBe(lab.url('HV2'));
    expect(eprSelectors(ncs)).toEqual({ CreationClassName: 'Msvm_ComputerSystem', Name: VM.test01 });
    expect((await runJob(lab, 'HV1', job)).JobState).toBe('7');
    expect((await get(eprAddress(ncs), 'Msvm_ComputerSystem', eprSelectors(ncs))).props).toMatchObject({ ElementName: 'test01', EnabledState: '9' });
  });
});

describe('storage', () => {
  test('Storage (32769): NewResourceSettingData SASDs with new paths; the VM stays; DestinationHost NULL', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const sasds = await wql(hv1, `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='Microsoft:${VM.db01}'} WHERE ResultClass = Msvm_StorageAllocationSettingData`);
    expect(sasds.map((s) => s.HostResource)).toEqual(['C:\\ClusterStorage\\Volume1\\Hyper-V\\db01\\os.vhdx', 'C:\\ClusterStorage\\Volume1\\Hyper-V\\db01\\data.vhdx']);
    const data = sasds[1];
    const newSasd = cimXml('Msvm_StorageAllocationSettingData', { InstanceID: ['string', String(data.InstanceID)], HostResource: ['string', ['E:\\Fast\\db01\\data.vhdx']] });
    const newVssd = cimXml('Msvm_VirtualSystemSettingData', { InstanceID: ['string', `Microsoft:${VM.db01}`], ConfigurationDataRoot: ['string', 'E:\\Fast\\db01'] });
    const a = await migrate(lab, 'HV1', VM.db01, null, 32769, {
      extra: `<p:NewSystemSettingData>${esc(newVssd)}</p:NewSystemSettingData><p:NewResourceSettingData>${esc(newSasd)}</p:NewResourceSettingData>`,
    });
    const job = jobOf(a);
    const running = await jobProps(hv1, job);
    expect(running).toMatchObject({ JobType: '307', MigrationType: '32769', DestinationHost: null });
    expect(running.NewResourceSettingData).toContain('E:\\Fast\\db01\\data.vhdx');
    expect(running.NewSystemSettingData).toContain('<INSTANCE CLASSNAME="Msvm_VirtualSystemSettingData">');
    const svc = await get(hv1, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'));
    expect([svc.props!.ActiveStorageMigrationCount, svc.props!.ActiveVirtualSystemMigrationCount]).toEqual(['1', '0']);
    expect((await runJob(lab, 'HV1', job, 5000)).JobState).toBe('7');
    const after = await get(hv1, 'Msvm_StorageAllocationSettingData', { InstanceID: String(data.InstanceID) });
    expect(after.props!.HostResource).toBe('E:\\Fast\\db01\\data.vhdx');
    expect((await get(hv1, 'Msvm_VirtualSystemSettingData', { InstanceID: `Microsoft:${VM.db01}` })).props!.ConfigurationDataRoot).toBe('E:\\Fast\\db01');
  });

  test('VirtualSystemAndStorage (32771) to the destination FQDN', async () => {
    lab = await startLab();
    const [sasd] = await wql(lab.url('HV1'), `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='Microsoft:${VM.legacy01}'} WHERE ResultClass = Msvm_StorageAllocationSettingData`);
    const newSasd = cimXml('Msvm_StorageAllocationSettingData', { InstanceID: ['string', String(sasd.InstanceID)], HostResource: ['string', ['D:\\Hyper-V\\legacy01\\legacy01.vhdx']] });
    const job = jobOf(await migrate(lab, 'HV1', VM.legacy01, 'hv2.lab.local', 32771, { extra: `<p:NewResourceSettingData>${esc(newSasd)}</p:NewResourceSettingData>` }));
    expect((await runJob(lab, 'HV1', job, 5000))).toMatchObject({ JobState: '7', JobType: '306' });
    const moved = await wql(lab.url('HV2'), `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='Microsoft:${VM.legacy01}'} WHERE ResultClass = Msvm_StorageAllocationSettingData`);
    expect(moved[0].HostResource).toBe('D:\\Hyper-V\\legacy01\\legacy01.vhdx');
    expect((await get(lab.url('HV2'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.legacy01 })).props!.EnabledState).toBe('6');
  });
});

describe('Compare-VM', () => {
  /** Stage (32770), then CheckVirtualSystemIsMigratable into the planned VM (hyperv-model §6.1). */
  async function compare(vm: string): Promise<{ job: { cls: string; id: string }; props: Props; errors: CimInstance[] }> {
    const staged = jobOf(await migrate(lab, 'HV1', vm, 'HV2', 32770));
    expect((await runJob(lab, 'HV1', staged))).toMatchObject({ JobState: '7', JobType: '300', MigrationType: '32770' });
    const planned = await get(lab.url('HV2'), 'Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: vm });
    expect(planned.props!.Name).toBe(vm);
    const settings = migrationSettings(32768, { DestinationPlannedVirtualSystemId: ['string', vm] });
    const check = jobOf(await migrate(lab, 'HV1', vm, 'HV2', 32768, { method: 'CheckVirtualSystemIsMigratable', settings }));
    const props = await runJob(lab, 'HV1', check);
    expect(props.JobType).toBe('301');
    return { job: check, props, errors: props.JobState === '10' ? await jobErrors(lab.url('HV1'), check) : [] };
  }

  test('a failing switch: the incompatibility names the planned VM\'s adapter on the destination; DestroySystem cleans up', async () => {
    lab = await startLab();
    const r = await compare(VM.build01);
    expect(r.props.JobState).toBe('10');
    const incompat = r.errors.filter((e) => e.props.MessageID !== '21502');
    expect(incompat.map((e) => [e.props.MessageID, e.props.Message])).toEqual([['33012', "Could not find Ethernet switch 'Internal'."]]);
    // PowerShell resolves ErrorSource to the planned VM's network adapter on the destination
    const source = parseInstancePath(String(incompat[0].props.ErrorSource));
    expect(source.host).toBe('HV2');
    expect(source.className).toBe('Msvm_EthernetPortAllocationSettingData');
    const port = await get(lab.url('HV2'), source.className, source.keys as Record<string, string>);
    expect(port.props).toMatchObject({ LastKnownSwitchName: 'Internal', EnabledState: '3' });
    const vssd = await associators(lab.url('HV2'), eprXml('Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: VM.build01 }), { resultClass: 'Msvm_VirtualSystemSettingData' });
    expect(vssd.map(([, p]) => p.VirtualSystemType)).toEqual(['Microsoft:Hyper-V:System:Planned']);
    // the VM itself never moved
    expect(await hasVm(lab, 'HV1', VM.build01)).toBe(true);
    // remove the planned VM (PowerShell's cleanup)
    const destroy = await invoke(lab.url('HV2'), VSMS, serviceSelectors(VSMS, 'HV2'), 'DestroySystem',
      `<p:AffectedSystem>${eprXml('Msvm_PlannedComputerSystem', { CreationClassName: 'Msvm_PlannedComputerSystem', Name: VM.build01 })}</p:AffectedSystem>`);
    expect((await runJob(lab, 'HV2', jobOf(destroy))).JobState).toBe('7');
    expect((await enumerateAll(lab.url('HV2'), V2 + 'Msvm_PlannedComputerSystem'))).toHaveLength(0);
  });

  test('a compatible VM: the check completes with no errors; migrating into the planned VM replaces it', async () => {
    lab = await startLab();
    const r = await compare(VM.web01);
    expect(r.props).toMatchObject({ JobState: '7', ErrorCode: '0' });
    const none = await invoke(lab.url('HV1'), r.job.cls, { InstanceID: r.job.id }, 'GetErrorEx', '');
    expect([none.returnValue, none.out.get('Errors')]).toEqual([0, undefined]);
    const settings = migrationSettings(32768, { DestinationPlannedVirtualSystemId: ['string', VM.web01] });
    const move = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2', 32768, { settings }));
    expect((await runJob(lab, 'HV1', move)).JobState).toBe('7');
    expect(await enumerateAll(lab.url('HV2'), V2 + 'Msvm_PlannedComputerSystem')).toHaveLength(0);
    expect(await hasVm(lab, 'HV2', VM.web01)).toBe(true);
  });
});

describe('the service', () => {
  test('MaximumActiveVirtualSystemMigration: the third migration waits in New until a slot frees', async () => {
    lab = await startLab();
    const hv1 = lab.url('HV1');
    const jobs = [];
    for (const vm of [VM.db01, VM.web01, VM.test01]) jobs.push(jobOf(await migrate(lab, 'HV1', vm, 'HV2')));
    const states = await Promise.all(jobs.map((j) => jobProps(hv1, j)));
    expect(states.map((p) => p.JobState)).toEqual(['4', '4', '2']);
    expect(states[2].JobStatus).toMatch(/Waiting for a migration slot/);
    expect(states[2].StartTime).toBeNull();
    expect((await get(hv1, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'))).props!.ActiveVirtualSystemMigrationCount).toBe('2');
    lab.clock.advance(6000); // web01 finishes, test01 starts
    expect((await jobProps(hv1, jobs[2])).JobState).toBe('4');
    for (const j of jobs) expect((await runJob(lab, 'HV1', j)).JobState).toBe('7');
  });

  test('ModifyServiceSettings and the migration networks', async () => {
    lab = await startLab();
    const hv2 = lab.url('HV2');
    const svc = serviceSelectors(MIGRATION_SERVICE, 'HV2');
    const settingsId = 'Microsoft:HV2\\MigrationServiceSettings';
    const [sd] = await associators(hv2, eprXml(MIGRATION_SERVICE, svc), { assocClass: 'Msvm_ElementSettingData' });
    expect(sd[1]).toMatchObject({ InstanceID: settingsId, EnableVirtualSystemMigration: 'true', MaximumActiveVirtualSystemMigration: '2', AuthenticationType: '1' });
    const mod = cimXml('Msvm_VirtualSystemMigrationServiceSettingData', {
      InstanceID: ['string', settingsId], EnableVirtualSystemMigration: ['boolean', 'false'], MaximumActiveVirtualSystemMigration: ['uint32', 5], AuthenticationType: ['uint32', 0],
    });
    expect((await invoke(hv2, MIGRATION_SERVICE, svc, 'ModifyServiceSettings', `<p:ServiceSettingData>${esc(mod)}</p:ServiceSettingData>`)).returnValue).toBe(0);
    expect((await get(hv2, 'Msvm_VirtualSystemMigrationServiceSettingData', { InstanceID: settingsId })).props).toMatchObject({
      EnableVirtualSystemMigration: 'false', MaximumActiveVirtualSystemMigration: '5', AuthenticationType: '0',
    });
    const badAuth = cimXml('Msvm_VirtualSystemMigrationServiceSettingData', { AuthenticationType: ['uint32', 7] });
    expect((await invoke(hv2, MIGRATION_SERVICE, svc, 'ModifyServiceSettings', `<p:ServiceSettingData>${esc(badAuth)}</p:ServiceSettingData>`)).returnValue).toBe(32773);
    // networks: add, see (instance, association, listener list), modify, remove by REF
    const net = cimXml('Msvm_VirtualSystemMigrationNetworkSettingData', { SubnetNumber: ['string', 'fd00::'], PrefixLength: ['uint8', 64], Metric: ['uint32', 10] });
    expect((await invoke(hv2, MIGRATION_SERVICE, svc, 'AddNetworkSettings', `<p:NetworkSettings>${esc(net)}</p:NetworkSettings>`)).returnValue).toBe(0);
    expect((await invoke(hv2, MIGRATION_SERVICE, svc, 'AddNetworkSettings', `<p:NetworkSettings>${esc(net)}</p:NetworkSettings>`)).returnValue).toBe(32773);
    const nets = await associators(hv2, eprXml('Msvm_VirtualSystemMigrationServiceSettingData', { InstanceID: settingsId }), { resultClass: 'Msvm_VirtualSystemMigrationNetworkSettingData' });
    expect(nets.map(([, p]) => `${String(p.SubnetNumber)}/${String(p.PrefixLength)}`).sort()).toEqual(['10.0.0.0/24', 'fd00::/64']);
    expect(list((await get(hv2, MIGRATION_SERVICE, svc)).props!.MigrationServiceListenerIPAddressList)).toEqual(['10.0.0.12', 'fd00::12']);
    const v6 = nets.find(([, p]) => p.SubnetNumber === 'fd00::')![1];
    const change = cimXml('Msvm_VirtualSystemMigrationNetworkSettingData', { InstanceID: ['string', String(v6.InstanceID)], Metric: ['uint32', 1] });
    expect((await invoke(hv2, MIGRATION_SERVICE, svc, 'ModifyNetworkSettings', `<p:NetworkSettings>${esc(change)}</p:NetworkSettings>`)).returnValue).toBe(0);
    expect((await get(hv2, 'Msvm_VirtualSystemMigrationNetworkSettingData', { InstanceID: String(v6.InstanceID) })).props!.Metric).toBe('1');
    const rm = await invoke(hv2, MIGRATION_SERVICE, svc, 'RemoveNetworkSettings',
      `<p:NetworkSettings>${eprXml('Msvm_VirtualSystemMigrationNetworkSettingData', { InstanceID: String(v6.InstanceID) })}</p:NetworkSettings>`);
    expect(rm.returnValue).toBe(0);
    expect(await enumerateAll(hv2, V2 + 'Msvm_VirtualSystemMigrationNetworkSettingData')).toHaveLength(1);
  });

  test('GetSystemCompatibilityInfo / CheckSystemCompatibilityInfo: 0, or 32784 with Msvm_Error reasons', async () => {
    lab = await startLab(defaultWorld((w) => w.hosts.push({ ...structuredClone(w.hosts[1]), name: 'HV3', fqdn: 'hv3.lab.local', addresses: ['10.0.0.13'], vms: [], processor: { vendor: 'AuthenticAMD', model: 'AMD EPYC', features: ['sse4_2', 'avx'], logicalProcessors: 32 } })));
    const info = await invoke(lab.url('HV1'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'), 'GetSystemCompatibilityInfo', `<p:ComputerSystem>${vmEpr(VM.web01)}</p:ComputerSystem>`);
    expect(info.returnValue).toBe(0);
    const bytes = info.out.get('CompatibilityInfo')!.map((e) => `<p:CompatibilityInfo>${textOf(e)}</p:CompatibilityInfo>`).join('');
    expect(info.out.get('CompatibilityInfo')!.length).toBeGreaterThan(20);
    const ok = await invoke(lab.url('HV2'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV2'), 'CheckSystemCompatibilityInfo', bytes);
    expect([ok.returnValue, ok.out.get('Reasons')]).toEqual([0, undefined]);
    const no = await invoke(lab.url('HV3'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV3'), 'CheckSystemCompatibilityInfo', bytes);
    expect(no.returnValue).toBe(32784);
    expect(no.out.get('Reasons')).toHaveLength(1);
    expect(textOf(no.out.get('Reasons')![0])).toContain('<PROPERTY NAME="MessageID" CLASSORIGIN="CIM_Error" TYPE="string"><VALUE>24006</VALUE></PROPERTY>');
    const junk = await invoke(lab.url('HV2'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV2'), 'CheckSystemCompatibilityInfo', '<p:CompatibilityInfo>1</p:CompatibilityInfo><p:CompatibilityInfo>2</p:CompatibilityInfo>');
    expect(junk.returnValue).toBe(32773);
    const vectors = await invoke(lab.url('HV1'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'), 'GetSystemCompatibilityVectors', `<p:ComputerSystem>${hostEpr('HV1')}</p:ComputerSystem>`);
    expect(vectors.returnValue).toBe(0);
    expect(vectors.out.get('CompatibilityVectors')).toHaveLength(2);
  });
});

describe('consistency under load', () => {
  test('during many concurrent migrations, every read sees each VM on exactly one host', async () => {
    lab = await startLab(defaultWorld((w) => {
      for (const h of w.hosts) h.migration!.maxActiveVirtualSystemMigrations = 3;
      w.fabric = { bandwidthMbps: 40_000 };
    }));
    const guids = Object.values(VM);
    const hosts = ['HV1', 'HV2'];
    let seed = 7;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    // the one-line switch build01 needs, so every VM can move both ways
    lab.fabric.requireHost('HV2').switches.push({ id: 'A1B2C3D4-0000-4000-8000-000000000001', name: 'Internal', type: 'Internal' });
    let moves = 0;
    lab.fabric.events.on('vm-moved', () => moves++);
    for (let round = 0; round < 40; round++) {
      // start migrations of random VMs to the other host (refusals are fine: busy VMs)
      await Promise.all(guids.slice(0, 1 + rnd(guids.length)).map((g) => {
        const v = lab.fabric.findVm(g)!;
        return migrate(lab, v.host, g, v.host === 'HV1' ? 'HV2' : '10.0.0.11');
      }));
      lab.clock.advance(rnd(3000));
      // the clock only moves between reads: each round is one instant of the fabric
      const seen = new Map<string, string[]>();
      await Promise.all(hosts.flatMap((h) => [
        enumerateAll(lab.url(h), V2 + 'Msvm_ComputerSystem').then((items) => {
          for (const i of items) {
            const p = propsOf(i);
            if (p.Description === 'Microsoft Virtual Machine') seen.set(String(p.Name), [...(seen.get(String(p.Name)) ?? []), h]);
          }
        }),
        ...guids.map(async (g) => {
          const r = await get(lab.url(h), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: g });
          if (r.props) seen.set(g + '/get', [...(seen.get(g + '/get') ?? []), h]);
        }),
      ]));
      for (const g of guids) {
        expect(seen.get(g), `${g} by enumeration in round ${round}`).toHaveLength(1);
        expect(seen.get(g + '/get'), `${g} by Get in round ${round}`).toEqual(seen.get(g));
      }
    }
    lab.clock.advance(10 * 60_000);
    expect(moves).toBeGreaterThan(30);
    expect(lab.fabric.activeMigrations()).toHaveLength(0);
  });
});
