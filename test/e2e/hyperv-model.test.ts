/**
 * The root/virtualization/v2 model of one emulated host over real HTTP, as clients read it
 * (hyperv-model §1–§5, §7): libvirt's queries and associations, the migration service and its
 * satellites, the host/VM distinction, polymorphic enumerations and the values of §3.1.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  associators, enumerateAll, eprXml, get, hostEpr, invoke, MIGRATION_SERVICE, propsOf, serviceSelectors, startLab, V2, VM, vmEpr, VSMS, wql,
  type HypervLab,
} from '../helpers/hyperv.js';

let lab: HypervLab;
let hv1: string;
beforeAll(async () => {
  lab = await startLab();
  hv1 = lab.url('HV1');
});
afterAll(async () => {
  await lab.close();
});

describe('what libvirt asks', () => {
  test('the connect check finds exactly the host', async () => {
    const r = await wql(hv1, 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Hosting Computer System"');
    expect(r).toHaveLength(1);
    expect(r[0]).toMatchObject({ Name: 'HV1', ElementName: 'HV1', Caption: 'Hosting Computer System', EnabledState: '2' });
  });

  test('active and inactive domains, by libvirt\'s EnabledState filters', async () => {
    const active = await wql(hv1, 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState != 0 and EnabledState != 3 and EnabledState != 32769)');
    expect(active.map((v) => [v.ElementName, v.EnabledState])).toEqual([['web01', '2'], ['db01', '2'], ['legacy01', '6'], ['test01', '9']]);
    const inactive = await wql(hv1, 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState = 0 or EnabledState = 3 or EnabledState = 32769)');
    expect(inactive.map((v) => v.ElementName)).toEqual(['build01']);
    const byId = await wql(hv1, `SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND ProcessID = ${String(active[0].ProcessID)}`);
    expect(byId.map((v) => v.Name)).toEqual([VM.web01]);
  });

  test('VM → settings → memory, processor, disks, adapters (the ASSOCIATORS OF strings libvirt sends)', async () => {
    const [vssd] = await wql(hv1, `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${VM.db01}'} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData`);
    expect(vssd).toMatchObject({
      InstanceID: `Microsoft:${VM.db01}`, VirtualSystemIdentifier: VM.db01, VirtualSystemType: 'Microsoft:Hyper-V:System:Realized',
      VirtualSystemSubType: 'Microsoft:Hyper-V:SubType:2', Version: '10.0', ElementName: 'db01', Caption: 'Virtual Machine Settings',
    });
    const q = (cls: string) => wql(hv1, `ASSOCIATORS OF {Msvm_VirtualSystemSettingData.InstanceID='Microsoft:${VM.db01}'} WHERE AssocClass = Msvm_VirtualSystemSettingDataComponent ResultClass = ${cls}`);
    expect((await q('Msvm_MemorySettingData'))[0]).toMatchObject({ ResourceType: '4', ResourceSubType: 'Microsoft:Hyper-V:Memory', VirtualQuantity: '16384', Limit: '16384', AllocationUnits: 'byte * 2^20' });
    expect((await q('Msvm_ProcessorSettingData'))[0]).toMatchObject({ ResourceType: '3', VirtualQuantity: '8', Limit: '100000', Reservation: '0', Weight: '100', LimitProcessorFeatures: 'false' });
    const disks = await q('Msvm_StorageAllocationSettingData');
    expect(disks.map((d) => [d.ResourceType, d.ResourceSubType])).toEqual([['31', 'Microsoft:Hyper-V:Virtual Hard Disk'], ['31', 'Microsoft:Hyper-V:Virtual Hard Disk']]);
    const drives = await q('Msvm_ResourceAllocationSettingData');
    expect(drives.map((d) => d.ResourceType)).toEqual(['17', '17']);
    expect(String(disks[0].Parent)).toContain(`Msvm_ResourceAllocationSettingData.InstanceID="${String(drives[0].InstanceID).replace(/\\/g, '\\\\')}"`);
    const [port] = await q('Msvm_SyntheticEthernetPortSettingData');
    expect(port).toMatchObject({ ResourceType: '10', Address: '00155D000102', StaticMacAddress: 'true' });
    const [conn] = await q('Msvm_EthernetPortAllocationSettingData');
    expect(conn).toMatchObject({ ResourceType: '33', EnabledState: '2', LastKnownSwitchName: 'External' });
    expect(String(conn.HostResource)).toMatch(/^\\\\HV1\\root\\virtualization\\v2:Msvm_VirtualEthernetSwitch\.CreationClassName="Msvm_VirtualEthernetSwitch",Name="[0-9A-F-]{36}"$/);
    expect(String(conn.Parent)).toContain(String(port.InstanceID).replace(/\\/g, '\\\\'));
  });

  test('the keyboard (SystemDevice); the host has no VSSD, each VM exactly one', async () => {
    const kb = await wql(hv1, `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${VM.web01}'} WHERE ResultClass = Msvm_Keyboard`);
    expect(kb).toHaveLength(1);
    const press = await invoke(hv1, 'Msvm_Keyboard', { CreationClassName: 'Msvm_Keyboard', DeviceID: String(kb[0].DeviceID), SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: VM.web01 }, 'TypeCtrlAltDel', '');
    expect(press.returnValue).toBe(0);
    expect(await associators(hv1, hostEpr('HV1'), { resultClass: 'Msvm_VirtualSystemSettingData' })).toHaveLength(0);
    expect(await associators(hv1, vmEpr(VM.test01), { resultClass: 'Msvm_VirtualSystemSettingData' })).toHaveLength(1);
  });

  test('partial selectors on the VSMS (CreationClassName only) address the one service', async () => {
    const r = await invoke(hv1, VSMS, { CreationClassName: VSMS }, 'GetSummaryInformation', '<p:RequestedInformation>0</p:RequestedInformation>');
    expect(r.returnValue).toBe(0);
    expect(r.out.get('SummaryInformation')).toHaveLength(5);
  });
});

describe('the migration service and its satellites', () => {
  test('the service: keys, fixed values, counters, listener addresses', async () => {
    const r = await get(hv1, MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'));
    expect(r.props).toMatchObject({
      CreationClassName: 'Msvm_VirtualSystemMigrationService', Name: 'migrationwmi', SystemCreationClassName: 'Msvm_ComputerSystem', SystemName: 'HV1',
      ElementName: 'Hyper-V Migration Service', EnabledState: '2', RequestedState: '12', HealthState: '5', OperationalStatus: '2',
      StatusDescriptions: 'OK', Started: 'true', ActiveVirtualSystemMigrationCount: '0', ActiveStorageMigrationCount: '0',
      MigrationServiceListenerIPAddressList: '10.0.0.11',
    });
    const wrongName = await get(hv1, MIGRATION_SERVICE, { ...serviceSelectors(MIGRATION_SERVICE, 'HV1'), Name: 'vmms' });
    expect(wrongName.fault?.subcode).toBe('a:DestinationUnreachable');
  });

  test('the host hosts the two services; the service has capabilities, settings', async () => {
    const services = await associators(hv1, hostEpr('HV1'), { assocClass: 'Msvm_HostedService' });
    expect(services.map(([c]) => c).sort()).toEqual([VSMS, MIGRATION_SERVICE].sort());
    const [[, caps]] = await associators(hv1, eprXml(MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1')), { assocClass: 'Msvm_ElementCapabilities' });
    expect(caps).toMatchObject({ Caption: 'Migration Capabilities', DestinationHostFormatsSupported: ['2', '3', '4'], AsynchronousMethodsSupported: ['2', '3', '32768'] });
    const [[, sd]] = await associators(hv1, eprXml(MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1')), { resultClass: 'Msvm_VirtualSystemMigrationServiceSettingData' });
    expect(sd).toMatchObject({ EnableVirtualSystemMigration: 'true', MaximumActiveVirtualSystemMigration: '2', MaximumActiveStorageMigration: '2', AuthenticationType: '1', EnableCompression: 'true', EnableSmbTransport: 'false' });
  });

  test('one Msvm_VirtualSystemMigrationSettingData per MigrationType, enumerable and filterable', async () => {
    const all = (await enumerateAll(hv1, V2 + 'Msvm_VirtualSystemMigrationSettingData')).map(propsOf);
    expect(all.map((t) => t.MigrationType)).toEqual(['32768', '32769', '32770', '32771', '32772']);
    for (const t of all) expect(t).toMatchObject({ Caption: 'Migration Setting Data', Description: 'Virtual System Migration Setting Data', TransportType: '5' });
    expect(await wql(hv1, 'SELECT * FROM Msvm_VirtualSystemMigrationSettingData WHERE MigrationType = 32770')).toHaveLength(1);
  });

  test('windows-defaults: migration disabled, CredSSP, 2 + 2, compression on, SMB off, one listener address', async () => {
    const { worldFile } = await import('../helpers/hyperv.js');
    const w = worldFile('windows-defaults.yaml');
    for (const h of w.hosts) h.listener = { ...h.listener, allowUnencrypted: true, basic: true };
    const other = await startLab(w);
    try {
      const [[, sd]] = await associators(other.url('HV1'), eprXml(MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1')), { resultClass: 'Msvm_VirtualSystemMigrationServiceSettingData' });
      expect(sd).toMatchObject({ EnableVirtualSystemMigration: 'false', MaximumActiveVirtualSystemMigration: '2', MaximumActiveStorageMigration: '2', AuthenticationType: '0', EnableCompression: 'true', EnableSmbTransport: 'false' });
      const svc = await get(other.url('HV1'), MIGRATION_SERVICE, serviceSelectors(MIGRATION_SERVICE, 'HV1'));
      expect(svc.props!.MigrationServiceListenerIPAddressList).toBe('10.0.0.11');
    } finally {
      await other.close();
    }
  });
});

describe('enumerations', () => {
  test('CIM_ComputerSystem is polymorphic: the host, VMs and switches', async () => {
    const items = await enumerateAll(hv1, V2 + 'CIM_ComputerSystem');
    const classes = items.map((i) => i.local);
    expect(classes.filter((c) => c === 'Msvm_ComputerSystem')).toHaveLength(6);
    expect(classes.filter((c) => c === 'Msvm_VirtualEthernetSwitch')).toHaveLength(2);
  });

  test('setting classes list every VM\'s parts; the services are singletons per host', async () => {
    expect(await enumerateAll(hv1, V2 + 'Msvm_VirtualSystemSettingData')).toHaveLength(5);
    expect(await enumerateAll(hv1, V2 + 'Msvm_StorageAllocationSettingData')).toHaveLength(6);
    expect(await enumerateAll(hv1, V2 + 'CIM_ResourceAllocationSettingData')).toHaveLength(5 * 2 + 6 * 2 + 5 * 2);
    expect(await enumerateAll(hv1, V2 + 'Msvm_VirtualSystemMigrationService')).toHaveLength(1);
    expect(await enumerateAll(lab.url('HV2'), V2 + 'Msvm_ComputerSystem')).toHaveLength(2);
  });
});
