/**
 * The CIM cmdlets' error records, case by case (wire notes §5.3). The MI client builds
 * PowerShell's CimException from the fault detail: with an MSFT_WmiError it prints Message, takes
 * CategoryInfo from error_Category and FullyQualifiedErrorId from error_Code
 * (`HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand`);
 * without one it shows a ProtocolError with the WinRM code. The emulator answers WMI errors to the
 * MI client with MSFT_WmiError details (src/faults/cim-mapping.ts WMI_ERROR_DETAIL_FORM); other
 * clients keep the ProviderFault/__ExtendedStatus form Windows was captured sending them.
 *
 * Cases in the other scripts: Not found (Get-CimInstance -InputObject, Get-CimAssociatedInstance,
 * Remove-CimInstance), Invalid class (Get-CimClass, Get-CimAssociatedInstance), Access denied
 * (Invoke-CimMethod, Remove-CimInstance), Not supported (Set-CimInstance, Remove-CimInstance),
 * SchemaValidationError (Invoke-CimMethod).
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { defaultWorld, startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import { miParam, MiSession, powershellError } from '../../helpers/mi-client.js';
import { envelope, faultOf, find, NS, parse, post } from '../../helpers/wsman-client.js';
import { migrationServiceRef, vmRef } from './lab.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab(defaultWorld((w) => {
    w.hosts[0].profile = 'hyperv-strict';
  }));
});
afterAll(async () => {
  await lab.close();
});

const id = (cmdlet: string, hresult: string) => `HRESULT ${hresult},Microsoft.Management.Infrastructure.CimCmdlets.${cmdlet}Command`;

describe('PowerShell error records', () => {
  test('Get-CimInstance -ClassName Msvm_NoSuchClass: "Invalid class", MetadataError, 0x80041010 (a:DestinationUnreachable)', async () => {
    const r = await new MiSession(lab.url('HV1')).getCimInstance('Msvm_NoSuchClass');
    expect(powershellError(r.fault!, 'GetCimInstance')).toEqual({
      message: 'Invalid class', category: 'MetadataError', fullyQualifiedErrorId: id('GetCimInstance', '0x80041010'), form: 'MSFT_WmiError',
    });
    expect(faultOf(r.fault!.http).subcode).toBe('a:DestinationUnreachable');
  });

  test('Get-CimInstance -Namespace root/virtualization/v3: "Invalid namespace", MetadataError, 0x8004100e', async () => {
    const r = await new MiSession(lab.url('HV1'), { namespace: 'root/virtualization/v3' }).getCimInstance('Msvm_ComputerSystem');
    expect(powershellError(r.fault!, 'GetCimInstance')).toEqual({
      message: 'Invalid namespace', category: 'MetadataError', fullyQualifiedErrorId: id('GetCimInstance', '0x8004100e'), form: 'MSFT_WmiError',
    });
  });

  test('Get-CimInstance -Query with a syntax error: "Invalid query", InvalidArgument, 0x80041017 (n:CannotProcessFilter)', async () => {
    const r = await new MiSession(lab.url('HV1')).query('SELEC * FROM Msvm_ComputerSystem');
    expect(powershellError(r.fault!, 'GetCimInstance')).toEqual({
      message: 'Invalid query', category: 'InvalidArgument', fullyQualifiedErrorId: id('GetCimInstance', '0x80041017'), form: 'MSFT_WmiError',
    });
    expect(faultOf(r.fault!.http)).toMatchObject({ subcode: 'n:CannotProcessFilter', action: 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/fault' });
  });

  test('Get-CimInstance -Query on a class that does not exist: "Invalid class", MetadataError, 0x80041010', async () => {
    const r = await new MiSession(lab.url('HV1')).query('SELECT * FROM Msvm_NoSuchClass');
    expect(powershellError(r.fault!, 'GetCimInstance')).toMatchObject({ message: 'Invalid class', category: 'MetadataError', fullyQualifiedErrorId: id('GetCimInstance', '0x80041010') });
  });

  test('Invoke-CimMethod on a VM that is not there: "Not found", ObjectNotFound, 0x80041002', async () => {
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(vmRef('11111111-2222-3333-4444-555555555555'), 'RequestStateChange', miParam.uint16('RequestedState', 2));
    expect(powershellError(ex, 'InvokeCimMethod')).toEqual({
      message: 'Not found', category: 'ObjectNotFound', fullyQualifiedErrorId: id('InvokeCimMethod', '0x80041002'), form: 'MSFT_WmiError',
    });
  });

  test('a method the host does not implement (hyperv-strict: CheckVirtualSystemIsMigratableToHost): NotImplemented, 0x80041055', async () => {
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.invoke(migrationServiceRef('HV1'), 'CheckVirtualSystemIsMigratableToHost',
      miParam.ref(s, 'ComputerSystem', vmRef(VM.web01)) + miParam.string('DestinationHost', 'HV2'));
    expect(powershellError(ex, 'InvokeCimMethod')).toEqual({
      message: 'This method is not implemented in any class', category: 'NotImplemented', fullyQualifiedErrorId: id('InvokeCimMethod', '0x80041055'), form: 'MSFT_WmiError',
    });
    expect(faultOf(ex.http)).toMatchObject({ code: 's:Receiver', subcode: 'w:InternalError' });
  });

  test('the same errors to a plain WS-Man client keep the ProviderFault + __ExtendedStatus form (the detail-form choice is per client)', async () => {
    const r = await post(lab.url('HV1'), envelope({
      action: 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get',
      resourceUri: 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_ComputerSystem',
      selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: 'nope' },
    }).xml);
    const doc = parse(r.text);
    expect(find(doc, NS.f, 'ProviderFault')).toHaveLength(1);
    expect(r.text).toContain('__ExtendedStatus');
    expect(r.text).not.toContain('MSFT_WmiError');
    expect(faultOf(r)).toMatchObject({ subcode: 'a:DestinationUnreachable', wsmanCode: '2150858752' });
  });
});
