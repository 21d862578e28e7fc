/**
 * PowerShell:
 *
 *   $hostCs = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem -Filter "Name='HV1'"
 *   Get-CimAssociatedInstance -InputObject $hostCs -ResultClassName Msvm_VirtualSystemMigrationService
 *
 * On the wire (climbe capture): Enumerate on `wscim/1/*` + `__cimnamespace`, EnumerateObjectAndEPR,
 * association filter `b:AssociatedInstances` whose `b:Object` is the host's EPR in the DMTF form,
 * then ResultClassName. The host reaches its services through Msvm_HostedService.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startLab, type HypervLab } from '../../helpers/hyperv.js';
import { expectDmtfInstance, instanceValues, MiSession, objectAndEpr } from '../../helpers/mi-client.js';
import { hostRef, V2 } from './lab.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('Get-CimAssociatedInstance from the host to the migration service', () => {
  test('Msvm_HostedService leads from the host computer system to Msvm_VirtualSystemMigrationService', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(hostRef('HV1'), { resultClass: 'Msvm_VirtualSystemMigrationService' });
    expect(r.fault).toBeUndefined();
    expect(r.items).toHaveLength(1);
    const { instance, epr } = objectAndEpr(r.items[0]);
    expectDmtfInstance(instance, 'Msvm_VirtualSystemMigrationService');
    expect(epr.selectors).toEqual([
      ['__cimnamespace', V2], ['CreationClassName', 'Msvm_VirtualSystemMigrationService'], ['Name', 'migrationwmi'],
      ['SystemCreationClassName', 'Msvm_ComputerSystem'], ['SystemName', 'HV1'],
    ]);
    const v = instanceValues(instance);
    expect(v.MigrationServiceListenerIPAddressList).toBe('10.0.0.11');
  });

  test('naming the association explicitly (-Association Msvm_HostedService) gives the same answer', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.associated(hostRef('HV1'), { association: 'Msvm_HostedService', resultClass: 'Msvm_VirtualSystemMigrationService' });
    expect(r.items.map((i) => objectAndEpr(i).instance.local)).toEqual(['Msvm_VirtualSystemMigrationService']);
  });
});
