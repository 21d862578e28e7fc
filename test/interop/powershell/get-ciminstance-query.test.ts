/**
 * PowerShell:
 *
 *   Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 `
 *     -Query "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'"
 *   Get-CimInstance -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_ComputerSystem -Filter "ElementName='web01'"
 *
 * On the wire (omi test1 capture of the Windows MI client): Enumerate on
 * `http://schemas.dmtf.org/wbem/wscim/1/*` with `__cimnamespace`, `w:Filter Dialect=WQL`,
 * EnumerateObjectAndEPR, MaxElements 32000. -Filter is turned into the same WQL by the cmdlet.
 * Each instance is written in the DMTF namespace of its own class (polymorphic queries mix
 * classes), with its EPR.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { childElements } from '../../../src/xml/dom.js';
import { startLab, VM, type HypervLab } from '../../helpers/hyperv.js';
import { expectDmtfEpr, expectDmtfInstance, expectWindowsHeader, instanceValues, MiSession, objectAndEpr } from '../../helpers/mi-client.js';
import { findOne, NS } from '../../helpers/wsman-client.js';
import { capture, sendRaw, V2 } from './lab.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

describe('Get-CimInstance -Query', () => {
  test("the recorded MI-client query request (wscim/1/*, WQL, ActivityId, OperationID) selects web01", async () => {
    const s = new MiSession(lab.url('HV1'));
    const xml = capture('omi-mi-client-enumerate-wql-wscim-star.request.xml')
      .replace('https://157.59.84.237:7779/wsman', lab.url('HV1'))
      .replace('<w:Selector Name="__cimnamespace">root/OMI</w:Selector>', `<w:Selector Name="__cimnamespace">${V2}</w:Selector>`)
      .replace('select * from OMI_Identify', "SELECT * FROM Msvm_ComputerSystem WHERE ElementName = 'web01'");
    const ex = await sendRaw(s, xml);
    expect(ex.http.status, ex.http.text).toBe(200);
    expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse');
    const items = childElements(findOne(ex.doc, NS.w, 'Items'));
    expect(items).toHaveLength(1);
    const { instance, epr } = objectAndEpr(items[0]);
    expectDmtfInstance(instance, 'Msvm_ComputerSystem');
    expectDmtfEpr(epr, 'Msvm_ComputerSystem', V2);
    expect(epr.selectors).toEqual([['__cimnamespace', V2], ['CreationClassName', 'Msvm_ComputerSystem'], ['Name', VM.web01]]);
  });

  test('-Filter becomes the same WQL; a WHERE on numbers and AND works as on Windows', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.query("SELECT * FROM Msvm_ComputerSystem WHERE Description = 'Microsoft Virtual Machine' AND EnabledState = 2");
    expect(r.fault).toBeUndefined();
    expect(r.items.map((i) => instanceValues(objectAndEpr(i).instance).ElementName).sort()).toEqual(['db01', 'web01']);
  });

  test('a query over a base class answers each instance in its own class namespace', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.query('SELECT * FROM CIM_ComputerSystem');
    const classes = new Set(r.items.map((i) => objectAndEpr(i).instance.local));
    expect(classes.has('Msvm_ComputerSystem')).toBe(true);
    for (const item of r.items) {
      const { instance, epr } = objectAndEpr(item);
      expectDmtfInstance(instance, instance.local);
      expectDmtfEpr(epr, instance.local, V2);
    }
  });

  test('a select list answers w:XmlFragment items (note <58>)', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.query("SELECT ElementName, EnabledState FROM Msvm_ComputerSystem WHERE Name = '" + VM.web01 + "'");
    expect(r.items).toHaveLength(1);
    const { instance } = objectAndEpr(r.items[0]);
    expect(instance.local).toBe('XmlFragment');
    expect(childElements(instance).map((c) => [c.ns, c.local])).toEqual([['', 'ElementName'], ['', 'EnabledState']]);
  });
});
