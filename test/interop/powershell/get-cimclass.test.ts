/**
 * PowerShell:
 *
 *   Get-CimClass -CimSession $s -Namespace root/virtualization/v2 -ClassName Msvm_VirtualSystemMigrationService
 *
 * On the wire (climbe capture): Enumerate on `http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*`
 * with `__cimnamespace` and an empty `ClassName` selector, the options IncludeInheritanceHierarchy,
 * IncludeInheritedElements, IncludeQualifiers (xs:boolean true) before the MI options; the cmdlet
 * picks the class (it accepts wildcards) from the CIM-XML `<CLASS>` items. The class fetch the MI
 * client makes before typing Invoke-CimMethod arguments is a Get on the same URI with the class in
 * `ClassName` (OMI's documented GetClass request). Every served `<CLASS>` is checked with xmllint
 * against DSP0203 (test/fixtures/cimxml): plain without IncludeInheritanceHierarchy, DSP0203 plus
 * the MI writer's DERIVATION attribute with it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attr, childElements, parseXml, textOf, type XmlElement } from '../../../src/xml/dom.js';
import { startLab, type HypervLab } from '../../helpers/hyperv.js';
import { boolOption, expectWindowsHeader, MiSession, powershellError, type MiExchange } from '../../helpers/mi-client.js';
import { findOne } from '../../helpers/wsman-client.js';
import { cimDocument, DTD, DTD_MI, xmllintValidate } from '../../unit/cim/cimxml-fixtures.js';
import { bodyChild, capture, fillPlaceholders, sendRaw, V2 } from './lab.js';

let lab: HypervLab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab.close();
});

/** The `<CLASS>` elements exactly as served (raw text out of the answer). */
function servedClasses(...exchanges: MiExchange[]): string[] {
  return exchanges.flatMap((ex) => ex.http.text.match(/<CLASS\b[\s\S]*?<\/CLASS>/g) ?? []);
}

const named = (el: XmlElement, local: string, name: string) =>
  childElements(el).find((c) => c.local === local && attr(c, 'NAME') === name);
const qualifiers = (el: XmlElement) => Object.fromEntries(childElements(el).filter((c) => c.local === 'QUALIFIER').map((q) => [attr(q, 'NAME'), q]));

/** What Invoke-CimMethod needs from the class to type MigrateVirtualSystemToHost's arguments. */
function expectMigrationMethod(cls: XmlElement): void {
  const m = named(cls, 'METHOD', 'MigrateVirtualSystemToHost')!;
  expect(m).toBeDefined();
  expect(attr(m, 'TYPE')).toBe('uint32');
  const cs = named(m, 'PARAMETER.REFERENCE', 'ComputerSystem')!;
  expect(attr(cs, 'REFERENCECLASS')).toBe('CIM_ComputerSystem');
  expect(Object.keys(qualifiers(cs))).toContain('In');
  const dh = named(m, 'PARAMETER', 'DestinationHost')!;
  expect(attr(dh, 'TYPE')).toBe('string');
  const msd = named(m, 'PARAMETER', 'MigrationSettingData')!;
  expect(attr(msd, 'TYPE')).toBe('string');
  expect(textOf(findOne(qualifiers(msd).EmbeddedInstance, '', 'VALUE'))).toBe('Msvm_VirtualSystemMigrationSettingData');
  const rs = named(m, 'PARAMETER.ARRAY', 'NewResourceSettingData')!;
  expect(attr(rs, 'TYPE')).toBe('string');
  const job = named(m, 'PARAMETER.REFERENCE', 'Job')!;
  expect(attr(job, 'REFERENCECLASS')).toBe('CIM_ConcreteJob');
  expect(Object.keys(qualifiers(job))).toContain('Out');
}

describe('Get-CimClass -Namespace root/virtualization/v2 -ClassName Msvm_VirtualSystemMigrationService', () => {
  test('the recorded request lists every class of the namespace as CIM-XML, all DTD-valid', async () => {
    const s = new MiSession(lab.url('HV1'));
    const xml = fillPlaceholders(capture('climbe-powershell-get-cimclass-enumerate-cimxml.request.xml'), [
      lab.url('HV1'), 'uuid:0E2D1C86-3D37-4F6F-9B1F-5C0B6F8B7A11', V2, '',
    ]);
    const first = await sendRaw(s, xml);
    expect(first.http.status, first.http.text).toBe(200);
    expectWindowsHeader(first, 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse');
    // the session helper sends the same thing and follows the Pulls
    const all = await s.getCimClass('');
    const served = servedClasses(...all.exchanges);
    const names = served.map((c) => /NAME="([^"]+)"/.exec(c)![1]);
    expect(names).toEqual(expect.arrayContaining(['Msvm_VirtualSystemMigrationService', 'Msvm_ComputerSystem', 'CIM_ManagedElement', 'Msvm_MigrationJob']));
    expect(new Set(names).size).toBe(names.length);
    // IncludeInheritanceHierarchy: DERIVATION (the MI writer's attribute) → DSP0203 + that attribute
    expect(xmllintValidate(served.map((c, i) => ({ name: `${i}-${names[i]}`, xml: cimDocument(c) })), DTD_MI)).toBe('');
    // the cmdlet's pick: the class with its whole hierarchy, qualifiers and inherited members
    const cls = parseXml(served[names.indexOf('Msvm_VirtualSystemMigrationService')]);
    expect(attr(cls, 'SUPERCLASS')).toBe('CIM_VirtualSystemMigrationService');
    expect(attr(cls, 'DERIVATION')).toBe('CIM_VirtualSystemMigrationService,CIM_Service,CIM_EnabledLogicalElement,CIM_LogicalElement,CIM_ManagedSystemElement,CIM_ManagedElement');
    expectMigrationMethod(cls);
    // inherited keys carry Key and PROPAGATED
    const name = named(cls, 'PROPERTY', 'Name')!;
    expect(attr(name, 'PROPAGATED')).toBe('true');
    expect(Object.keys(qualifiers(name))).toContain('Key');
  });

  test('the class fetch before Invoke-CimMethod (Get with ClassName) answers one CLASS as the body', async () => {
    const s = new MiSession(lab.url('HV1'));
    const ex = await s.getClass('Msvm_VirtualSystemMigrationService');
    expect(ex.http.status, ex.http.text).toBe(200);
    expectWindowsHeader(ex, 'http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse');
    const cls = bodyChild(ex);
    expect([cls.ns, cls.local, attr(cls, 'NAME')]).toEqual(['', 'CLASS', 'Msvm_VirtualSystemMigrationService']);
    expectMigrationMethod(cls);
    expect(xmllintValidate([{ name: 'get', xml: cimDocument(servedClasses(ex)[0]) }], DTD_MI)).toBe('');
  });

  test('the OMI-documented GetClass request (values on their own lines) is served the same way', async () => {
    const s = new MiSession(lab.url('HV1'));
    const raw = capture('omi-doc-get-class-cimxml.request.xml');
    const xml = raw.slice(raw.indexOf('<s:Envelope'))
      .replace('https://172.17.8.52:7779/wsman', lab.url('HV1'))
      .replace('root/cimv2', V2)
      .replace('CIM_VLANEndpoint', 'Msvm_VirtualSystemMigrationSettingData');
    const ex = await sendRaw(s, xml);
    expect(ex.http.status, ex.http.text).toBe(200);
    expect(attr(bodyChild(ex), 'NAME')).toBe('Msvm_VirtualSystemMigrationSettingData');
  });

  test('without IncludeInheritanceHierarchy every Msvm class validates against plain DSP0203 in all option combinations', async () => {
    const s = new MiSession(lab.url('HV1'));
    const docs: Array<{ name: string; xml: string }> = [];
    for (const q of [false, true]) {
      for (const o of [false, true]) {
        for (const i of [false, true]) {
          const r = await s.enumerateClasses('', [boolOption('IncludeQualifiers', q), boolOption('IncludeClassOrigin', o), boolOption('IncludeInheritedElements', i)]);
          const served = servedClasses(...r.exchanges).filter((c) => /NAME="Msvm_/.test(c.slice(0, 80)));
          expect(served.length).toBeGreaterThan(20);
          expect(served.every((c) => !c.includes('DERIVATION='))).toBe(true);
          docs.push(...served.map((c, n) => ({ name: `q${+q}o${+o}i${+i}-${n}`, xml: cimDocument(c) })));
        }
      }
    }
    expect(xmllintValidate(docs, DTD)).toBe('');
  });

  test('IncludeClassOrigin names the declaring class; IncludeInheritedElements=false keeps only the class\'s own members', async () => {
    const s = new MiSession(lab.url('HV1'));
    const withOrigin = bodyChild(await s.getClass('Msvm_VirtualSystemMigrationService', [boolOption('IncludeInheritedElements', true), boolOption('IncludeClassOrigin', true)]));
    expect(attr(named(withOrigin, 'PROPERTY', 'Name')!, 'CLASSORIGIN')).toBe('CIM_ManagedSystemElement');
    const local = bodyChild(await s.getClass('Msvm_VirtualSystemMigrationService', [boolOption('IncludeInheritedElements', false)]));
    expect(named(local, 'PROPERTY', 'Name')).toBeUndefined();
    expect(named(local, 'METHOD', 'MigrateVirtualSystemToHost')).toBeDefined();
    expect(childElements(local).some((c) => c.local === 'QUALIFIER')).toBe(false);
  });

  test('IncludeSubClasses with ExcludeClassSpecification lists only the subclasses', async () => {
    const s = new MiSession(lab.url('HV1'));
    const r = await s.enumerateClasses('CIM_ConcreteJob', [boolOption('IncludeSubClasses', true), boolOption('ExcludeClassSpecification', true)]);
    const names = servedClasses(...r.exchanges).map((c) => /NAME="([^"]+)"/.exec(c)![1]);
    expect(names).toEqual(expect.arrayContaining(['Msvm_ConcreteJob', 'Msvm_MigrationJob']));
    expect(names).not.toContain('CIM_ConcreteJob');
  });

  test('an unknown class: "Invalid class", MetadataError (HRESULT 0x80041010)', async () => {
    const s = new MiSession(lab.url('HV1'));
    expect(powershellError(await s.getClass('Msvm_NoSuchClass'), 'GetCimClass')).toEqual({
      message: 'Invalid class', category: 'MetadataError', form: 'MSFT_WmiError',
      fullyQualifiedErrorId: 'HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimClassCommand',
    });
  });
});
