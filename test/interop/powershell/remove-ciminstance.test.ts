/**
 * PowerShell:
 *
 *   Get-CimInstance -CimSession $s -Namespace root/test -ClassName T_Thing -Filter "Id='two'" | Remove-CimInstance
 *   $vm = Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem -Filter "ElementName='web01'"
 *   Remove-CimInstance -InputObject $vm
 *
 * On the wire: Delete on the DMTF class URI with `__cimnamespace` + the keys, empty body, the MI
 * options. Where the class's provider deletes instances (the core test schema's T_Thing) the answer
 * is DeleteResponse with an empty body; no Hyper-V class supports DeleteInstance (VMs go through
 * Msvm_VirtualSystemManagementService.DestroySystem), so Remove-CimInstance on one shows WMI's
 * "Not supported" (NotImplemented, HRESULT 0x8004100c).
 */
import { describe, expect, test } from 'vitest';
import { childElements } from '../../../src/xml/dom.js';
import { startCoreHost } from '../../helpers/core-host.js';
import { hasVm, startLab, VM } from '../../helpers/hyperv.js';
import { expectWindowsHeader, MiSession, powershellError } from '../../helpers/mi-client.js';
import { NS } from '../../helpers/wsman-client.js';
import { vmRef } from './lab.js';

describe('Remove-CimInstance', () => {
  test('where the class allows it: Delete answers DeleteResponse with an empty body, and the instance is gone', async () => {
    const h = await startCoreHost();
    try {
      const s = new MiSession(h.url, { namespace: 'root/test' });
      const ex = await s.delete({ className: 'T_Thing', keys: { Id: 'two' } });
      expect(ex.request).toContain('<w:Selector Name="__cimnamespace">root/test</w:Selector><w:Selector Name="Id">two</w:Selector>');
      expect(ex.http.status, ex.http.text).toBe(200);
      expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse');
      const body = childElements(ex.doc).find((c) => c.ns === NS.s && c.local === 'Body')!;
      expect(body.children).toHaveLength(0);
      expect(h.things.map((t) => t.props.Id)).not.toContain('two');
      // again: it is gone
      expect(powershellError(await s.delete({ className: 'T_Thing', keys: { Id: 'two' } }), 'RemoveCimInstance')).toMatchObject({
        message: 'Not found', category: 'ObjectNotFound',
        fullyQualifiedErrorId: 'HRESULT 0x80041002,Microsoft.Management.Infrastructure.CimCmdlets.RemoveCimInstanceCommand',
      });
    } finally {
      await h.close();
    }
  });

  test('a Hyper-V VM: "Not supported", NotImplemented (HRESULT 0x8004100c); the VM stays', async () => {
    const lab = await startLab();
    try {
      const s = new MiSession(lab.url('HV1'));
      const ex = await s.delete(vmRef(VM.web01));
      expect(powershellError(ex, 'RemoveCimInstance')).toEqual({
        message: 'Not supported', category: 'NotImplemented', form: 'MSFT_WmiError',
        fullyQualifiedErrorId: 'HRESULT 0x8004100c,Microsoft.Management.Infrastructure.CimCmdlets.RemoveCimInstanceCommand',
      });
      expect(await hasVm(lab, 'HV1', VM.web01)).toBe(true);
    } finally {
      await lab.close();
    }
  });

  test('the read-only operator: "Access denied", PermissionDenied (HRESULT 0x80041003)', async () => {
    const h = await startCoreHost();
    try {
      const s = new MiSession(h.url, { namespace: 'root/test', user: 'reader', password: 'Read0nly!' });
      expect(powershellError(await s.delete({ className: 'T_Thing', keys: { Id: 'one' } }), 'RemoveCimInstance')).toMatchObject({
        message: 'Access denied', category: 'PermissionDenied',
        fullyQualifiedErrorId: 'HRESULT 0x80041003,Microsoft.Management.Infrastructure.CimCmdlets.RemoveCimInstanceCommand',
      });
      expect(h.things.map((t) => t.props.Id)).toContain('one');
    } finally {
      await h.close();
    }
  });
});
