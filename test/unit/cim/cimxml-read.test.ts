/**
 * parseEmbeddedInstance: the forms real clients send (pywinrm capture, libvirt CDATA, PowerShell's
 * CimSerializer, WMI GetText_), typing by the class declaration, null vs absent, references,
 * nested embedded instances, the MOF form, and every kind of error.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { parseEmbeddedInstance } from '../../../src/cim/cimxml/index.js';
import { CimValueError } from '../../../src/cim/errors.js';
import type { CimInstance } from '../../../src/cim/types.js';
import { interval, timestamp } from '../../../src/cim/values.js';
import { firstChild, parseXml, textOf, type XmlElement } from '../../../src/xml/dom.js';
import { escapeText } from '../../../src/xml/escape.js';
import { classOf, realSchema } from './cimxml-fixtures.js';

const VSMSD = 'Msvm_VirtualSystemMigrationSettingData';
const P_NS = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_VirtualSystemMigrationService';

const read = (text: string, expected: string | undefined = undefined): CimInstance => parseEmbeddedInstance(text, expected, classOf);

/** Assert a CimValueError whose message matches and, when given, whose element is the property. */
function fails(text: string, message: RegExp, element?: string, expected?: string): CimValueError {
  let err: unknown;
  try {
    parseEmbeddedInstance(text, expected, classOf);
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(CimValueError);
  const e = err as CimValueError;
  expect(e.message).toMatch(message);
  if (element !== undefined) expect(e.element).toBe(element);
  return e;
}

const inst = (cls: string, body: string) => `<INSTANCE CLASSNAME="${cls}">${body}</INSTANCE>`;
const prop = (name: string, type: string, value?: string) => `<PROPERTY NAME="${name}" TYPE="${type}">${value === undefined ? '' : `<VALUE>${value}</VALUE>`}</PROPERTY>`;
const arr = (name: string, type: string, values?: string[]) =>
  `<PROPERTY.ARRAY NAME="${name}" TYPE="${type}">${values === undefined ? '' : `<VALUE.ARRAY>${values.map((v) => `<VALUE>${v}</VALUE>`).join('')}</VALUE.ARRAY>`}</PROPERTY.ARRAY>`;
const all = (body: string) => inst('Test_AllTypes', body);

describe('forms sent by real clients', () => {
  it('pywinrm capture: escaped INSTANCE as the text of p:MigrationSettingData', () => {
    const envelope = parseXml(readFileSync(new URL('../../fixtures/cimxml/pywinrm-migrate-request.xml', import.meta.url), 'utf8'));
    const body = envelope.children.find((c): c is XmlElement => c.kind === 'element' && c.local === 'Body')!;
    const input = firstChild(body, P_NS, 'MigrateVirtualSystemToHost_INPUT')!;
    const text = textOf(firstChild(input, P_NS, 'MigrationSettingData')!);
    expect(text.startsWith('<INSTANCE CLASSNAME="Msvm_VirtualSystemMigrationSettingData">')).toBe(true);
    expect(parseEmbeddedInstance(text, VSMSD, classOf)).toEqual({ className: VSMSD, props: { MigrationType: 32768 } });
    // and against the project's real schema
    expect(parseEmbeddedInstance(text, VSMSD, realSchema().classOf)).toEqual({ className: VSMSD, props: { MigrationType: 32768 } });
  });

  it('libvirt: the INSTANCE in a CDATA section (hypervSerializeEmbeddedParam), with or without an XML declaration', () => {
    const instance = '<INSTANCE CLASSNAME="Msvm_VirtualSystemSettingData"><PROPERTY NAME="ElementName" TYPE="string"><VALUE>name</VALUE></PROPERTY></INSTANCE>';
    for (const cdata of [instance, `<?xml version="1.0"?>\n${instance}\n`]) {
      const param = parseXml(`<p:SystemSettings xmlns:p="urn:x"><![CDATA[${cdata}]]></p:SystemSettings>`);
      const text = textOf(param);
      expect(read(text, 'Msvm_VirtualSystemSettingData')).toEqual({ className: 'Msvm_VirtualSystemSettingData', props: { ElementName: 'name' } });
      // an EmbeddedInstance("CIM_VirtualSystemSettingData") parameter takes the subclass
      expect(read(text, 'CIM_VirtualSystemSettingData').className).toBe('Msvm_VirtualSystemSettingData');
      expect(parseEmbeddedInstance(text, 'CIM_VirtualSystemSettingData', realSchema().classOf)).toEqual({ className: 'Msvm_VirtualSystemSettingData', props: { ElementName: 'name' } });
    }
  });

  it("libvirt's ModifySystemSettings and array form", () => {
    const text = inst('Msvm_VirtualSystemSettingData', prop('InstanceID', 'string', 'Microsoft:GUID') + prop('AutomaticStartupAction', 'uint16', '4') + arr('BootOrder', 'uint16', ['2', '1', '0', '3']));
    expect(read(text, 'Msvm_VirtualSystemSettingData').props).toEqual({ InstanceID: 'Microsoft:GUID', AutomaticStartupAction: 4, BootOrder: [2, 1, 0, 3] });
  });

  it("PowerShell CimSerializer: XML declaration, CIM/DECLARATION/DECLGROUP wrapper, class declarations first, MI's MODIFIED attribute", () => {
    const text = `<?xml version="1.0" encoding="utf-16"?>
      <CIM CIMVERSION="2.6.0" DTDVERSION="2.3.1">
        <DECLARATION>
          <DECLGROUP>
            <LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH>
            <VALUE.OBJECT><CLASS NAME="CIM_ManagedElement"><PROPERTY NAME="Caption" TYPE="string"></PROPERTY></CLASS></VALUE.OBJECT>
            <VALUE.OBJECT><CLASS NAME="${VSMSD}" SUPERCLASS="CIM_VirtualSystemMigrationSettingData"></CLASS></VALUE.OBJECT>
            <VALUE.OBJECT>
              <INSTANCE CLASSNAME="${VSMSD}">
                <PROPERTY NAME="Caption" TYPE="string"><VALUE>Migration Setting Data</VALUE></PROPERTY>
                <PROPERTY NAME="MigrationType" TYPE="uint16" MODIFIED="TRUE"><VALUE>32771</VALUE></PROPERTY>
                <PROPERTY.ARRAY NAME="DestinationIPAddressList" TYPE="string" MODIFIED="TRUE"><VALUE.ARRAY><VALUE>192.0.2.10</VALUE><VALUE>2001:db8::10</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>
                <PROPERTY NAME="EnableCompression" TYPE="boolean"><VALUE>true</VALUE></PROPERTY>
                <PROPERTY NAME="DestinationPlannedVirtualSystemId" TYPE="string"></PROPERTY>
              </INSTANCE>
            </VALUE.OBJECT>
          </DECLGROUP>
        </DECLARATION>
      </CIM>
    `;
    expect(read(text, VSMSD)).toEqual({
      className: VSMSD,
      props: { Caption: 'Migration Setting Data', MigrationType: 32771, DestinationIPAddressList: ['192.0.2.10', '2001:db8::10'], EnableCompression: true, DestinationPlannedVirtualSystemId: null },
    });
  });

  it('WMI GetText_(1) of a spawned instance: system properties skipped, PROPAGATED ones left to the caller', () => {
    const sys = (n: string, t: string, v?: string) => `<PROPERTY NAME="${n}" CLASSORIGIN="___SYSTEM" TYPE="${t}">${v === undefined ? '' : `<VALUE>${v}</VALUE>`}</PROPERTY>`;
    const text = inst(
      VSMSD,
      sys('__PATH', 'string') + sys('__NAMESPACE', 'string') + sys('__SERVER', 'string') +
        '<PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE.ARRAY><VALUE>CIM_VirtualSystemMigrationSettingData</VALUE><VALUE>CIM_SettingData</VALUE><VALUE>CIM_ManagedElement</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>' +
        sys('__PROPERTY_COUNT', 'sint32', '23') + sys('__CLASS', 'string', VSMSD) + sys('__GENUS', 'sint32', '2') +
        '<PROPERTY NAME="Bandwidth" CLASSORIGIN="CIM_VirtualSystemMigrationSettingData" PROPAGATED="true" TYPE="uint16"></PROPERTY>' +
        '<PROPERTY NAME="Caption" CLASSORIGIN="CIM_ManagedElement" PROPAGATED="true" TYPE="string"><VALUE>Migration Setting Data</VALUE></PROPERTY>' +
        '<PROPERTY.ARRAY NAME="DestinationIPAddressList" CLASSORIGIN="Msvm_VirtualSystemMigrationSettingData" TYPE="string"><VALUE.ARRAY><VALUE>10.0.0.2</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>' +
        '<PROPERTY NAME="MigrationType" CLASSORIGIN="Msvm_VirtualSystemMigrationSettingData" TYPE="uint16"><VALUE>32768</VALUE></PROPERTY>' +
        '<PROPERTY NAME="RetainVhdCopiesOnSource" CLASSORIGIN="Msvm_VirtualSystemMigrationSettingData" TYPE="boolean"><VALUE>FALSE</VALUE></PROPERTY>',
    );
    expect(read(text, VSMSD).props).toEqual({ DestinationIPAddressList: ['10.0.0.2'], MigrationType: 32768, RetainVhdCopiesOnSource: false });
  });

  it('GetText_ PathLevel wrappers and VALUE.NAMEDINSTANCE', () => {
    const body = inst(VSMSD, prop('MigrationType', 'uint16', '32769'));
    const name = `<INSTANCENAME CLASSNAME="${VSMSD}"><KEYBINDING NAME="InstanceID"><KEYVALUE VALUETYPE="string" TYPE="string">x</KEYVALUE></KEYBINDING></INSTANCENAME>`;
    const nsPath = '<LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/></LOCALNAMESPACEPATH>';
    for (const doc of [
      `<VALUE.OBJECT>${body}</VALUE.OBJECT>`,
      `<VALUE.NAMEDINSTANCE>${name}${body}</VALUE.NAMEDINSTANCE>`,
      `<VALUE.NAMEDOBJECT>${name}${body}</VALUE.NAMEDOBJECT>`,
      `<VALUE.OBJECTWITHLOCALPATH><LOCALINSTANCEPATH>${nsPath}${name}</LOCALINSTANCEPATH>${body}</VALUE.OBJECTWITHLOCALPATH>`,
      `<VALUE.OBJECTWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>hv1</HOST>${nsPath}</NAMESPACEPATH>${name}</INSTANCEPATH>${body}</VALUE.OBJECTWITHPATH>`,
      `<CIM CIMVERSION="2.0" DTDVERSION="2.0"><DECLARATION><DECLGROUP.WITHNAME><VALUE.NAMEDOBJECT>${name}${body}</VALUE.NAMEDOBJECT></DECLGROUP.WITHNAME></DECLARATION></CIM>`,
    ]) {
      expect(read(doc, VSMSD)).toEqual({ className: VSMSD, props: { MigrationType: 32769 } });
    }
  });

  it('QUALIFIER elements are ignored, at instance and property level; surrounding whitespace and a BOM are fine', () => {
    const text = `\uFEFF \n\t${inst(VSMSD, '<QUALIFIER NAME="Description" TYPE="string"><VALUE>x</VALUE></QUALIFIER><PROPERTY NAME="Priority" TYPE="uint16"><QUALIFIER NAME="Write" TYPE="boolean"><VALUE>true</VALUE></QUALIFIER><VALUE>3</VALUE></PROPERTY>')}\r\n  `;
    expect(read(text).props).toEqual({ Priority: 3 });
  });

  it('class and property names are matched case-insensitively and returned in their declared spelling', () => {
    expect(read('<INSTANCE CLASSNAME="msvm_virtualsystemmigrationsettingdata"><PROPERTY NAME="migrationtype" TYPE="UINT16"><VALUE>32768</VALUE></PROPERTY></INSTANCE>', 'MSVM_VIRTUALSYSTEMMIGRATIONSETTINGDATA')).toEqual({
      className: VSMSD,
      props: { MigrationType: 32768 },
    });
  });
});

describe('values are typed by the declaration', () => {
  it('integers: decimal, signed, hexadecimal (DSP0201), 64-bit beyond 2^53 as bigint', () => {
    const r = read(all(prop('U8', 'uint8', '0xFF') + prop('S8', 'sint8', '-0x80') + prop('U16', 'uint16', ' 65535 ') + prop('S32', 'sint32', '-2147483648') + prop('U64', 'uint64', '18446744073709551615') + prop('S64', 'sint64', '-9007199254740993') + prop('U32', 'uint32', '+7')));
    expect(r.props).toEqual({ U8: 255, S8: -128, U16: 65535, S32: -2147483648, U64: 18446744073709551615n, S64: -9007199254740993n, U32: 7 });
  });

  it('reals, booleans in any case, char16 as a character or as MI writes it (code unit)', () => {
    const r = read(all(prop('R32', 'real32', '1.5000000e+00') + prop('R64', 'real64', '-2.5E-3') + prop('Flag', 'boolean', 'TRUE') + arr('Flags', 'boolean', ['true', 'False', '1', '0']) + prop('Char', 'char16', 'x') + arr('Chars', 'char16', ['65', ' ', '9'])));
    expect(r.props).toEqual({ R32: 1.5, R64: -0.0025, Flag: true, Flags: [true, false, true, false], Char: 'x', Chars: ['A', ' ', '9'] });
    expect(read(all(prop('R64', 'real64', 'INF') + prop('R32', 'real32', 'NaN'))).props).toEqual({ R64: Infinity, R32: NaN });
  });

  it('datetimes: DMTF timestamps and intervals (the CIM-XML form); xs:dateTime tolerated', () => {
    const r = read(all(prop('When', 'datetime', '20240131235959.123456+060') + arr('Whens', 'datetime', ['00000000000500.000000:000', '2024-01-31T22:59:59.5Z'])));
    expect(r.props.When).toEqual(timestamp(Date.UTC(2024, 0, 31, 22, 59, 59, 123), 456, 60));
    expect(r.props.Whens).toEqual([interval(300_000_000n), timestamp(Date.UTC(2024, 0, 31, 22, 59, 59, 500), 0, 0)]);
  });

  it('strings are kept verbatim: whitespace, entities, CDATA, non-ASCII', () => {
    const r = read(all(prop('Text', 'string', '  a &amp; b &lt;c&gt; "d" \'e\' <![CDATA[<x/>]]> ünï 😀\n')));
    expect(r.props.Text).toBe('  a & b <c> "d" \'e\' <x/> ünï 😀\n');
    expect(read(all(prop('Text', 'string', ''))).props.Text).toBe('');
  });

  it('null, empty and absent are three different things', () => {
    const r = read(all(prop('Text', 'string') + arr('Texts', 'string') + arr('U8s', 'uint8', []) + '<PROPERTY NAME="U16" TYPE="uint16"><VALUE.NULL/></PROPERTY>'));
    expect(r.props).toEqual({ Text: null, Texts: null, U8s: [], U16: null });
    expect('U32' in r.props).toBe(false);
  });

  it('TYPE may be omitted: the declaration decides', () => {
    expect(read(all('<PROPERTY NAME="U16"><VALUE>12</VALUE></PROPERTY><PROPERTY.ARRAY NAME="Texts"><VALUE.ARRAY><VALUE>q</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>')).props).toEqual({ U16: 12, Texts: ['q'] });
  });

  it('a fixed-size array may hold up to its size', () => {
    expect(read(all(arr('Fixed', 'uint16', ['1', '2', '3', '4']))).props.Fixed).toEqual([1, 2, 3, 4]);
  });
});

describe('references', () => {
  const sysName = (kb: string) => `<INSTANCENAME CLASSNAME="Msvm_ComputerSystem">${kb}</INSTANCENAME>`;
  const keys = '<KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string">Msvm_ComputerSystem</KEYVALUE></KEYBINDING><KEYBINDING NAME="name"><KEYVALUE>8A4E1A2C-0000-4E0B-9F3B-1234567890AB</KEYVALUE></KEYBINDING>';
  const ref = (path: string) => all(`<PROPERTY.REFERENCE NAME="System" REFERENCECLASS="CIM_ComputerSystem"><VALUE.REFERENCE>${path}</VALUE.REFERENCE></PROPERTY.REFERENCE>`);
  const keyObj = { CreationClassName: 'Msvm_ComputerSystem', Name: '8A4E1A2C-0000-4E0B-9F3B-1234567890AB' };

  it('INSTANCENAME, LOCALINSTANCEPATH and INSTANCEPATH; key names in declared spelling', () => {
    expect(read(ref(sysName(keys))).props.System).toEqual({ className: 'Msvm_ComputerSystem', keys: keyObj });
    expect(read(ref(`<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH>${sysName(keys)}</LOCALINSTANCEPATH>`)).props.System).toEqual({
      className: 'Msvm_ComputerSystem', namespace: 'root/virtualization/v2', keys: keyObj,
    });
    expect(read(ref(`<INSTANCEPATH><NAMESPACEPATH><HOST> HV1 </HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="virtualization"/><NAMESPACE NAME="v2"/></LOCALNAMESPACEPATH></NAMESPACEPATH>${sysName(keys)}</INSTANCEPATH>`)).props.System).toEqual({
      className: 'Msvm_ComputerSystem', namespace: 'root/virtualization/v2', host: 'HV1', keys: keyObj,
    });
  });

  it('key values are typed by the referenced class, whatever VALUETYPE says', () => {
    const r = read(all('<PROPERTY.REFERENCE NAME="NumRef"><VALUE.REFERENCE><INSTANCENAME CLASSNAME="Test_NumKey"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">0x10</KEYVALUE></KEYBINDING><KEYBINDING NAME="Enabled"><KEYVALUE>TRUE</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE></PROPERTY.REFERENCE>'));
    expect(r.props.NumRef).toEqual({ className: 'Test_NumKey', keys: { Id: 16, Enabled: true } });
  });

  it('a reference into a class this namespace does not know is typed by TYPE / VALUETYPE', () => {
    const r = read(ref('<INSTANCENAME CLASSNAME="Win32_ComputerSystem"><KEYBINDING NAME="Name"><KEYVALUE>HV1</KEYVALUE></KEYBINDING><KEYBINDING NAME="N"><KEYVALUE VALUETYPE="numeric">-5</KEYVALUE></KEYBINDING><KEYBINDING NAME="B"><KEYVALUE VALUETYPE="boolean">false</KEYVALUE></KEYBINDING><KEYBINDING NAME="T"><KEYVALUE VALUETYPE="numeric" TYPE="uint8">7</KEYVALUE></KEYBINDING></INSTANCENAME>'));
    expect(r.props.System).toEqual({ className: 'Win32_ComputerSystem', keys: { Name: 'HV1', N: -5, B: false, T: 7 } });
  });

  it("a lone KEYVALUE names the class's only key; a key may itself be a reference", () => {
    const all1 = '<INSTANCENAME CLASSNAME="Test_AllTypes"><KEYVALUE>id-1</KEYVALUE></INSTANCENAME>';
    const r = read(inst('Test_Assoc', `<PROPERTY.REFERENCE NAME="Dependent"><VALUE.REFERENCE>${all1}</VALUE.REFERENCE></PROPERTY.REFERENCE><PROPERTY.REFERENCE NAME="Antecedent"></PROPERTY.REFERENCE>`));
    expect(r.props).toEqual({ Dependent: { className: 'Test_AllTypes', keys: { InstanceID: 'id-1' } }, Antecedent: null });
  });
});

describe('embedded instances inside embedded instances', () => {
  const vhd = (src: string) => inst('Msvm_MoveUnmanagedVhd', prop('VhdSourcePath', 'string', escapeText(src)) + prop('VhdDestinationPath', 'string', 'D:\\vm\\a.vhdx'));
  const nested = (src: string) => ({ className: 'Msvm_MoveUnmanagedVhd', props: { VhdSourcePath: src, VhdDestinationPath: 'D:\\vm\\a.vhdx' } });

  it('escaped CIM-XML in VALUE (EmbeddedObject="instance"), scalar, array, class-typed and EmbeddedObject properties', () => {
    const text = all(
      `<PROPERTY NAME="Vhd" TYPE="string" EmbeddedObject="instance"><VALUE>${escapeText(vhd('C:\\a & b.vhdx'))}</VALUE></PROPERTY>` +
        `<PROPERTY.ARRAY NAME="Vhds" TYPE="string" EmbeddedObject="instance"><VALUE.ARRAY><VALUE>${escapeText(vhd('1'))}</VALUE><VALUE>${escapeText(vhd('2'))}</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>` +
        `<PROPERTY NAME="TypedVhd" TYPE="string"><VALUE>${escapeText(vhd('3'))}</VALUE></PROPERTY>` +
        `<PROPERTY NAME="AnyObject" TYPE="string" EmbeddedObject="object"><VALUE>${escapeText(inst('Msvm_Error', prop('MessageID', 'string', '1')))}</VALUE></PROPERTY>`,
    );
    expect(read(text).props).toEqual({
      Vhd: nested('C:\\a & b.vhdx'),
      Vhds: [nested('1'), nested('2')],
      TypedVhd: nested('3'),
      AnyObject: { className: 'Msvm_Error', props: { MessageID: '1' } },
    });
  });

  it('the embedded class must fit the EmbeddedInstance qualifier', () => {
    fails(all(`<PROPERTY NAME="Vhd" TYPE="string"><VALUE>${escapeText(inst('Msvm_Error', ''))}</VALUE></PROPERTY>`), /Test_AllTypes\.Vhd \(embedded\).*Msvm_Error is not Msvm_MoveUnmanagedVhd/);
  });

  it('nesting is limited', () => {
    let doc = inst('Msvm_Error', prop('MessageID', 'string', 'x'));
    for (let i = 0; i < 12; i++) doc = all(`<PROPERTY NAME="AnyObject" TYPE="string"><VALUE>${escapeText(doc)}</VALUE></PROPERTY>`);
    fails(doc, /nest more than 8 levels/);
    expect(() => parseEmbeddedInstance(doc, undefined, classOf, { maxNesting: 20 })).not.toThrow();
  });
});

describe('MOF text form (src/cim/mof/parser.ts)', () => {
  it('instance of … with scalars, arrays, nested instances, comments', () => {
    const text = `// from a script
      instance of Msvm_VirtualSystemMigrationSettingData
      {
        MigrationType = 32771;
        DestinationIPAddressList = {"192.0.2.10", "2001:db8::10"};
        EnableCompression = TRUE;
        Caption = NULL;
        UnmanagedVhds = { instance of Msvm_MoveUnmanagedVhd { VhdSourcePath = "C:\\\\a.vhdx"; } };
      };`;
    expect(read(text, VSMSD)).toEqual({
      className: VSMSD,
      props: { MigrationType: 32771, DestinationIPAddressList: ['192.0.2.10', '2001:db8::10'], EnableCompression: true, Caption: null, UnmanagedVhds: [{ className: 'Msvm_MoveUnmanagedVhd', props: { VhdSourcePath: 'C:\\a.vhdx' } }] },
    });
    expect(read('instance of Test_AllTypes { When = "20240131235959.000000+000"; Char = \'q\'; R64 = 2.5; S8 = -3; };').props).toEqual({
      When: timestamp(Date.UTC(2024, 0, 31, 23, 59, 59), 0, 0), Char: 'q', R64: 2.5, S8: -3,
    });
  });

  it('the same rules as CIM-XML, and MOF-specific refusals', () => {
    fails('instance of Msvm_VirtualSystemMigrationSettingData { Bogus = 1; };', /has no property 'Bogus'/, 'Bogus');
    fails('instance of Msvm_VirtualSystemMigrationSettingData { MigrationType = "x"; };', /MigrationType: .*not a valid uint16/, 'MigrationType');
    fails('instance of Msvm_VirtualSystemMigrationSettingData { MigrationType = 70000; };', /MigrationType: .*out of range/, 'MigrationType');
    fails('instance of Msvm_VirtualSystemMigrationSettingData { MigrationType = 1; migrationtype = 2; };', /given twice/, 'MigrationType');
    fails('instance of Msvm_VirtualSystemMigrationSettingData { DestinationIPAddressList = "a"; };', /DestinationIPAddressList/, 'DestinationIPAddressList');
    fails('instance of Msvm_VirtualSystemMigrationSettingData { MigrationType = 1 }', /does not parse/);
    fails('instance of Msvm_Error { }; instance of Msvm_Error { };', /2 instances/);
    fails('class Foo { };', /only an instance declaration/);
    fails('instance of Test_AllTypes { System = "\\\\\\\\HV1\\\\root:Msvm_ComputerSystem.Name=\\"x\\""; };', /reference properties cannot be given in MOF/, 'System');
    fails('instance of Test_AllTypes { U8 = $alias; };', /aliases/, 'U8');
    fails('instance of Nope { };', /class 'Nope' does not exist/);
    fails(`instance of Test_AllTypes { AnyObject = ${'instance of Test_AllTypes { AnyObject = '.repeat(40)}NULL${' };'.repeat(40)} };`, /more than 32 instances/);
    // text that sends the MOF lexer into an endless loop (see read-mof-instance.ts) is refused up front
    fails('instance of Test_AllTypes { R64 = 1..2; };', /does not parse/);
    fails('instance of Test_AllTypes { U8 = ..0; };', /does not parse/);
  });
});

describe('errors: always CimValueError, with a message naming the property', () => {
  it('text that is neither CIM-XML nor MOF', () => {
    fails('hello', /expected CIM-XML .* or MOF/);
    fails('   ', /expected CIM-XML/);
    fails(42 as unknown as string, /not a string/);
  });

  it('characters XML cannot carry, raw or from MOF escapes', () => {
    fails(inst('Msvm_Error', prop('Message', 'string', 'a\uDB7A\uD800\uDC00\uDD50b')), /contains U\+DB7A, which XML cannot carry/);
    fails('instance of Msvm_Error { Message = "a\\x0001b"; };', /Msvm_Error\.Message: the value contains U\+0001/, 'Message');
  });

  it('XML that is not well formed, or has undeclared entities', () => {
    fails('<INSTANCE CLASSNAME="Msvm_Error">', /not well-formed XML/);
    fails('<INSTANCE CLASSNAME="Msvm_Error"></INSTANCE><INSTANCE CLASSNAME="Msvm_Error"></INSTANCE>', /not well-formed/);
    fails(inst('Msvm_Error', prop('Message', 'string', '&xxe;')), /not well-formed/);
  });

  it('XXE: a DOCTYPE is refused before anything is read, also inside an embedded value', () => {
    const lookups = vi.fn(classOf);
    const xxe = '<?xml version="1.0"?><!DOCTYPE INSTANCE [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><INSTANCE CLASSNAME="Msvm_Error"><PROPERTY NAME="Message" TYPE="string"><VALUE>&xxe;</VALUE></PROPERTY></INSTANCE>';
    expect(() => parseEmbeddedInstance(xxe, 'Msvm_Error', lookups)).toThrow(/DTDs and entity declarations are not allowed/);
    expect(lookups).not.toHaveBeenCalled();
    const billion = '<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><INSTANCE CLASSNAME="Msvm_Error"/>';
    fails(billion, /DTDs/);
    fails(all(`<PROPERTY NAME="AnyObject" TYPE="string"><VALUE>${escapeText(xxe)}</VALUE></PROPERTY>`), /AnyObject \(embedded\): DTDs and entity declarations are not allowed/);
  });

  it('size and depth limits', () => {
    fails('<VALUE.OBJECT>'.repeat(100) + '</VALUE.OBJECT>'.repeat(100), /too large or nested too deeply/);
    expect(() => parseEmbeddedInstance(inst('Msvm_Error', prop('Message', 'string', 'x'.repeat(200))), undefined, classOf, { maxLength: 100 })).toThrow(/exceed the limit of 100/);
  });

  it('documents without exactly one instance', () => {
    fails('<CLASS NAME="Msvm_Error"></CLASS>', /class declaration, not an instance/);
    fails('<FOO/>', /expected an <INSTANCE> element, found <FOO>/);
    fails('<CIM CIMVERSION="2.0" DTDVERSION="2.0"><MESSAGE ID="1" PROTOCOLVERSION="1.0"/></CIM>', /unexpected <MESSAGE>/);
    fails('<CIM><DECLARATION><DECLGROUP><VALUE.OBJECT><CLASS NAME="X"/></VALUE.OBJECT></DECLGROUP></DECLARATION></CIM>', /class declarations but no instance/);
    fails(`<VALUE.NAMEDINSTANCE>${inst('Msvm_Error', '')}${inst('Msvm_Error', '')}</VALUE.NAMEDINSTANCE>`, /2 instances/);
  });

  it('class: missing, unknown, not the expected class, abstract', () => {
    fails('<INSTANCE></INSTANCE>', /no CLASSNAME attribute/);
    fails(inst('Msvm_Nope', ''), /the class 'Msvm_Nope' does not exist/);
    fails(inst('Msvm_VirtualSystemSettingData', ''), /an instance of Msvm_VirtualSystemMigrationSettingData is required, but Msvm_VirtualSystemSettingData is not/, undefined, VSMSD);
    fails(inst('CIM_VirtualSystemMigrationSettingData', ''), /is not Msvm_VirtualSystemMigrationSettingData or a subclass/, undefined, VSMSD);
    fails(inst('CIM_Error', ''), /CIM_Error is abstract/, undefined, 'CIM_Error');
  });

  it('properties: unknown, duplicate, unnamed, unexpected content', () => {
    fails(inst(VSMSD, prop('Bogus', 'string', 'x')), /Msvm_VirtualSystemMigrationSettingData has no property 'Bogus'/, 'Bogus');
    fails(inst(VSMSD, prop('MigrationType', 'uint16', '1') + prop('MIGRATIONTYPE', 'uint16', '2')), /'MigrationType' is given twice/, 'MigrationType');
    fails(inst(VSMSD, '<PROPERTY TYPE="uint16"><VALUE>1</VALUE></PROPERTY>'), /no NAME attribute/);
    fails(inst(VSMSD, '<VALUE>1</VALUE>'), /unexpected <VALUE> in the instance/);
    fails(inst(VSMSD, 'stray text'), /unexpected text inside <INSTANCE>/);
    fails(inst(VSMSD, '<PROPERTY NAME="MigrationType" TYPE="uint16"><VALUE>1</VALUE><VALUE>2</VALUE></PROPERTY>'), /MigrationType: more than one value/, 'MigrationType');
    fails(inst(VSMSD, '<PROPERTY NAME="MigrationType" TYPE="uint16"><VALUE><b>1</b></VALUE></PROPERTY>'), /MigrationType: <VALUE> must contain text only/);
    fails(inst(VSMSD, '<PROPERTY NAME="MigrationType" TYPE="uint16"><VALUE.ARRAY/></PROPERTY>'), /MigrationType: unexpected <VALUE.ARRAY>/, 'MigrationType');
  });

  it('wrong arity and wrong element kind', () => {
    fails(inst(VSMSD, prop('DestinationIPAddressList', 'string', '10.0.0.1')), /DestinationIPAddressList: the property is an array of string but is given as <PROPERTY>/, 'DestinationIPAddressList');
    fails(inst(VSMSD, arr('MigrationType', 'uint16', ['1'])), /MigrationType: the property is a scalar uint16 but is given as <PROPERTY.ARRAY>/, 'MigrationType');
    fails(all(prop('System', 'string', 'x')), /System: the property is a reference but is given as <PROPERTY>/, 'System');
    fails(all('<PROPERTY.REFERENCE NAME="U8"></PROPERTY.REFERENCE>'), /U8: the property is a scalar uint8 but is given as <PROPERTY.REFERENCE>/, 'U8');
  });

  it('a TYPE that contradicts the declaration', () => {
    fails(inst(VSMSD, prop('MigrationType', 'uint32', '32768')), /MigrationType: TYPE="uint32" contradicts the declared type uint16/, 'MigrationType');
    fails(inst(VSMSD, prop('MigrationType', 'string', '32768')), /TYPE="string" contradicts/, 'MigrationType');
    fails(inst(VSMSD, arr('DestinationIPAddressList', 'uint8', ['1'])), /TYPE="uint8" contradicts the declared type string\[\]/, 'DestinationIPAddressList');
    fails(all(prop('Vhd', 'instance', 'x')), /TYPE="instance" contradicts/, 'Vhd');
  });

  it('bad values', () => {
    fails(inst(VSMSD, prop('MigrationType', 'uint16', '65536')), /Msvm_VirtualSystemMigrationSettingData\.MigrationType: The value '65536' is out of range for uint16/, 'MigrationType');
    fails(inst(VSMSD, prop('MigrationType', 'uint16', 'abc')), /MigrationType: The value 'abc' is not a valid uint16/, 'MigrationType');
    fails(inst(VSMSD, prop('MigrationType', 'uint16', '-1')), /out of range/, 'MigrationType');
    fails(inst(VSMSD, prop('MigrationType', 'uint16', '1.5')), /not a valid uint16/, 'MigrationType');
    fails(inst(VSMSD, prop('MigrationType', 'uint16', '')), /not a valid uint16/, 'MigrationType');
    fails(inst(VSMSD, prop('EnableCompression', 'boolean', 'yes')), /EnableCompression: The value 'yes' is not a valid boolean/, 'EnableCompression');
    fails(all(prop('When', 'datetime', '20241332000000.000000+000')), /When: .*not a valid datetime/, 'When');
    fails(all(prop('Char', 'char16', 'ab')), /Char: The value 'ab' is not a valid char16/, 'Char');
    fails(all(prop('R32', 'real32', '1e39')), /R32: .*out of range for real32/, 'R32');
    fails(all(arr('U8s', 'uint8', ['1', 'x'])), /U8s: The value 'x' is not a valid uint8/, 'U8s');
    fails(all('<PROPERTY.ARRAY NAME="U8s" TYPE="uint8"><VALUE.ARRAY><VALUE>1</VALUE><VALUE.NULL/></VALUE.ARRAY></PROPERTY.ARRAY>'), /U8s: element 1 of the array is null/, 'U8s');
    fails(all(arr('Fixed', 'uint16', ['1', '2', '3', '4', '5'])), /Fixed: 5 elements exceed the declared array size 4/, 'Fixed');
    fails(all(prop('Vhd', 'string', 'not xml')), /Vhd \(embedded\): expected CIM-XML/);
  });

  it('bad references', () => {
    const r = (path: string) => all(`<PROPERTY.REFERENCE NAME="System"><VALUE.REFERENCE>${path}</VALUE.REFERENCE></PROPERTY.REFERENCE>`);
    fails(r('<CLASSNAME NAME="Msvm_ComputerSystem"/>'), /System: a class reference/);
    fails(r('<INSTANCENAME CLASSNAME="Msvm_Error"/>'), /points to Msvm_Error, which is not a CIM_ComputerSystem/);
    fails(r('<INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYBINDING NAME="Bogus"><KEYVALUE>x</KEYVALUE></KEYBINDING></INSTANCENAME>'), /Msvm_ComputerSystem has no property 'Bogus'/, 'Bogus');
    fails(r('<INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYBINDING NAME="Name"><KEYVALUE>x</KEYVALUE></KEYBINDING><KEYBINDING NAME="NAME"><KEYVALUE>y</KEYVALUE></KEYBINDING></INSTANCENAME>'), /key 'NAME' is given twice/);
    fails(r('<INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYVALUE>x</KEYVALUE></INSTANCENAME>'), /has 2 keys; name them/);
    fails(all('<PROPERTY.REFERENCE NAME="NumRef"><VALUE.REFERENCE><INSTANCENAME CLASSNAME="Test_NumKey"><KEYBINDING NAME="Id"><KEYVALUE>x</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE></PROPERTY.REFERENCE>'), /not a valid uint32/, 'Id');
    fails(r('<INSTANCENAME CLASSNAME="Win32_X"><KEYBINDING NAME="N"><KEYVALUE VALUETYPE="numeric">abc</KEYVALUE></KEYBINDING></INSTANCENAME>'), /not a valid real64/);
    fails(r('<INSTANCEPATH><INSTANCENAME CLASSNAME="Msvm_ComputerSystem"/></INSTANCEPATH>'), /INSTANCEPATH> must hold NAMESPACEPATH then INSTANCENAME/);
    fails(r('<LOCALINSTANCEPATH><LOCALNAMESPACEPATH></LOCALNAMESPACEPATH><INSTANCENAME CLASSNAME="Msvm_ComputerSystem"/></LOCALINSTANCEPATH>'), /namespace path is empty/);
    fails(r(''), /must hold exactly one path/);
    fails(r('<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME=""/></LOCALNAMESPACEPATH><INSTANCENAME CLASSNAME="Msvm_ComputerSystem"/></LOCALINSTANCEPATH>'), /'' is not a valid namespace name/);
    fails(r('<LOCALINSTANCEPATH><LOCALNAMESPACEPATH><NAMESPACE NAME="root/x"/></LOCALNAMESPACEPATH><INSTANCENAME CLASSNAME="Msvm_ComputerSystem"/></LOCALINSTANCEPATH>'), /'root\/x' is not a valid namespace name/);
  });

  it('errors carry the class and property even when the property is deep inside', () => {
    const e = fails(all(`<PROPERTY NAME="Vhd" TYPE="string"><VALUE>${escapeText(inst('Msvm_MoveUnmanagedVhd', prop('VhdSourcePath', 'uint8', '1')))}</VALUE></PROPERTY>`), /Test_AllTypes\.Vhd \(embedded\): Msvm_MoveUnmanagedVhd\.VhdSourcePath: TYPE="uint8"/);
    expect(e.element).toBe('VhdSourcePath');
  });
});
