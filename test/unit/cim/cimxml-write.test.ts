/**
 * writeEmbeddedInstance: the GetText_(1) shape, values of every type, errors, the write → read
 * round trip (explicit and property-based) and DTD validity of what is written.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEmbeddedInstance, writeEmbeddedInstance } from '../../../src/cim/cimxml/index.js';
import { CimValueError } from '../../../src/cim/errors.js';
import type { CimInstance } from '../../../src/cim/types.js';
import { interval, timestamp } from '../../../src/cim/values.js';
import { parseXml } from '../../../src/xml/dom.js';
import { cimDocument, classOf, cls, CONCRETE, DTD, instanceArb, instanceArbIn, NS, realSchema, xmllintValidate } from './cimxml-fixtures.js';

const write = (i: CimInstance, systemProperties?: boolean) => writeEmbeddedInstance(i, cls(i.className), { classOf, systemProperties });
const read = (text: string) => parseEmbeddedInstance(text, undefined, classOf);

const VHD = (src: string): CimInstance => ({ className: 'Msvm_MoveUnmanagedVhd', props: { VhdSourcePath: src, VhdDestinationPath: 'D:\\b.vhdx' } });

/** One instance of Test_AllTypes with every property set. */
const EVERYTHING: CimInstance = {
  className: 'Test_AllTypes',
  props: {
    InstanceID: 'Test:1',
    U8: 255, S8: -128, U16: 65535, S16: -32768, U32: 4294967295, S32: -2147483648,
    U64: 18446744073709551615n, S64: -9223372036854775808n,
    R32: 1.5, R64: -1.2345678901234567e-300, Flag: true, Text: ' <a & "b">\r\n\tü 😀 ', Char: '&',
    When: timestamp(Date.UTC(2024, 1, 29, 12, 0, 0, 250), 999, -300),
    U8s: [0, 1], S8s: [-1], U16s: [], S16s: [7], U32s: [1, 2, 3], S32s: [-5], U64s: [9007199254740993n, 0], S64s: [-1, 9007199254740991],
    R32s: [0, -0, Infinity], R64s: [NaN, -Infinity, 5e-324], Flags: [false, true], Texts: ['', 'x', ']]>'], Chars: ['a', ' ', '\n'],
    Whens: [interval(0), interval(86_400_000_000n * 99_999_998n + 1n), timestamp(0, 0, 0)],
    Fixed: [1, 2, 3, 4],
    System: { className: 'Msvm_ComputerSystem', namespace: NS, host: 'HV1', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: 'VM-GUID' } },
    NumRef: { className: 'Test_NumKey', keys: { Id: 42, Enabled: false } },
    Vhd: VHD('C:\\a & <b>.vhdx'),
    Vhds: [VHD('1'), VHD('2')],
    TypedVhd: VHD('3'),
    AnyObject: { className: 'Msvm_Error', props: { MessageID: '33012', MessageArguments: ['Production'] } },
    WithDefault: 8, DefaultTexts: null, DefaultFlag: false,
  },
};

describe('writeEmbeddedInstance: the GetText_(1) shape', () => {
  const err: CimInstance = { className: 'Msvm_Error', props: { MessageID: '33012', Message: "Could not find Ethernet switch 'Production'.", MessageArguments: ['Production'], PerceivedSeverity: 5, ErrorSource: null } };

  it('INSTANCE, system properties, then every property alphabetically with NAME CLASSORIGIN [PROPAGATED] TYPE', () => {
    const xml = write(err);
    expect(xml).toBe(
      '<INSTANCE CLASSNAME="Msvm_Error">' +
        '<PROPERTY NAME="__PATH" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="__NAMESPACE" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="__SERVER" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY>' +
        '<PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE.ARRAY><VALUE>CIM_Error</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>' +
        '<PROPERTY NAME="__PROPERTY_COUNT" CLASSORIGIN="___SYSTEM" TYPE="sint32"><VALUE>15</VALUE></PROPERTY>' +
        '<PROPERTY NAME="__RELPATH" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="__DYNASTY" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE>CIM_Error</VALUE></PROPERTY>' +
        '<PROPERTY NAME="__SUPERCLASS" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE>CIM_Error</VALUE></PROPERTY>' +
        '<PROPERTY NAME="__CLASS" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE>Msvm_Error</VALUE></PROPERTY>' +
        '<PROPERTY NAME="__GENUS" CLASSORIGIN="___SYSTEM" TYPE="sint32"><VALUE>2</VALUE></PROPERTY>' +
        '<PROPERTY NAME="CIMStatusCode" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="uint32"></PROPERTY>' +
        '<PROPERTY NAME="CIMStatusCodeDescription" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="ErrorSource" CLASSORIGIN="CIM_Error" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="ErrorSourceFormat" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="uint16"><VALUE>0</VALUE></PROPERTY>' +
        '<PROPERTY NAME="ErrorType" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="uint16"></PROPERTY>' +
        '<PROPERTY NAME="Message" CLASSORIGIN="CIM_Error" TYPE="string"><VALUE>Could not find Ethernet switch \'Production\'.</VALUE></PROPERTY>' +
        '<PROPERTY.ARRAY NAME="MessageArguments" CLASSORIGIN="CIM_Error" TYPE="string"><VALUE.ARRAY><VALUE>Production</VALUE></VALUE.ARRAY></PROPERTY.ARRAY>' +
        '<PROPERTY NAME="MessageID" CLASSORIGIN="CIM_Error" TYPE="string"><VALUE>33012</VALUE></PROPERTY>' +
        '<PROPERTY NAME="OtherErrorSourceFormat" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="OtherErrorType" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="OwningEntity" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY>' +
        '<PROPERTY NAME="PerceivedSeverity" CLASSORIGIN="CIM_Error" TYPE="uint16"><VALUE>5</VALUE></PROPERTY>' +
        '<PROPERTY NAME="ProbableCause" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="uint16"></PROPERTY>' +
        '<PROPERTY NAME="ProbableCauseDescription" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY>' +
        '<PROPERTY.ARRAY NAME="RecommendedActions" CLASSORIGIN="CIM_Error" PROPAGATED="true" TYPE="string"></PROPERTY.ARRAY>' +
        '</INSTANCE>',
    );
    // what the caller gave comes back; the class default does not (PROPAGATED), so defaults stay the caller's
    expect(read(xml)).toEqual(err);
  });

  it('system properties can be left out', () => {
    const xml = write(err, false);
    expect(xml.startsWith('<INSTANCE CLASSNAME="Msvm_Error"><PROPERTY NAME="CIMStatusCode"')).toBe(true);
    expect(xml).not.toContain('__');
    expect(read(xml)).toEqual(err);
  });

  it('a root class has no __SUPERCLASS and an empty __DERIVATION', () => {
    const xml = write({ className: 'Msvm_MoveUnmanagedVhd', props: {} });
    expect(xml).toContain('<PROPERTY.ARRAY NAME="__DERIVATION" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE.ARRAY></VALUE.ARRAY></PROPERTY.ARRAY>');
    expect(xml).toContain('<PROPERTY NAME="__SUPERCLASS" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY>');
    expect(xml).toContain('<PROPERTY NAME="__DYNASTY" CLASSORIGIN="___SYSTEM" TYPE="string"><VALUE>Msvm_MoveUnmanagedVhd</VALUE></PROPERTY>');
  });

  it('values: TRUE/FALSE, DMTF datetimes, references, escaped embedded instances with EmbeddedObject', () => {
    const xml = write(EVERYTHING, false);
    expect(xml).toContain('<PROPERTY NAME="Flag" CLASSORIGIN="Test_AllTypes" TYPE="boolean"><VALUE>TRUE</VALUE></PROPERTY>');
    expect(xml).toContain('<VALUE.ARRAY><VALUE>FALSE</VALUE><VALUE>TRUE</VALUE></VALUE.ARRAY>');
    expect(xml).toContain('<PROPERTY NAME="When" CLASSORIGIN="Test_AllTypes" TYPE="datetime"><VALUE>20240229070000.250999-300</VALUE></PROPERTY>');
    expect(xml).toContain('<VALUE>00000000000000.000000:000</VALUE>');
    expect(xml).toContain('<PROPERTY NAME="U64" CLASSORIGIN="Test_AllTypes" TYPE="uint64"><VALUE>18446744073709551615</VALUE></PROPERTY>');
    expect(xml).toContain('<PROPERTY.ARRAY NAME="Fixed" CLASSORIGIN="Test_AllTypes" TYPE="uint16" ARRAYSIZE="4">');
    expect(xml).toContain(
      '<PROPERTY.REFERENCE NAME="System" CLASSORIGIN="Test_AllTypes" REFERENCECLASS="CIM_ComputerSystem"><VALUE.REFERENCE><INSTANCEPATH><NAMESPACEPATH><HOST>HV1</HOST>' +
        '<LOCALNAMESPACEPATH><NAMESPACE NAME="root"></NAMESPACE><NAMESPACE NAME="virtualization"></NAMESPACE><NAMESPACE NAME="v2"></NAMESPACE></LOCALNAMESPACEPATH></NAMESPACEPATH>' +
        '<INSTANCENAME CLASSNAME="Msvm_ComputerSystem"><KEYBINDING NAME="CreationClassName"><KEYVALUE VALUETYPE="string" TYPE="string">Msvm_ComputerSystem</KEYVALUE></KEYBINDING>' +
        '<KEYBINDING NAME="Name"><KEYVALUE VALUETYPE="string" TYPE="string">VM-GUID</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH></VALUE.REFERENCE></PROPERTY.REFERENCE>',
    );
    expect(xml).toContain('<KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">42</KEYVALUE></KEYBINDING><KEYBINDING NAME="Enabled"><KEYVALUE VALUETYPE="boolean" TYPE="boolean">false</KEYVALUE></KEYBINDING>');
    expect(xml).toContain('<PROPERTY NAME="Vhd" CLASSORIGIN="Test_AllTypes" TYPE="string" EmbeddedObject="instance"><VALUE>&lt;INSTANCE CLASSNAME="Msvm_MoveUnmanagedVhd"&gt;');
    expect(xml).toContain('C:\\a &amp;amp; &amp;lt;b&amp;gt;.vhdx');
    expect(xml).toContain('<PROPERTY NAME="AnyObject" CLASSORIGIN="Test_AllTypes" TYPE="string" EmbeddedObject="object">');
    expect(xml).toContain('<PROPERTY NAME="Text" CLASSORIGIN="Test_AllTypes" TYPE="string"><VALUE> &lt;a &amp; "b"&gt;&#13;\n\tü 😀 </VALUE></PROPERTY>');
    expect(() => parseXml(xml)).not.toThrow();
  });

  it("characters XML cannot carry become '?', as Windows writes them", () => {
    const xml = write({ className: 'Msvm_Error', props: { Message: 'a\u0001b\u001fc' } }, false);
    expect(read(xml).props.Message).toBe('a?b?c');
  });

  it('errors are CimValueErrors naming the property', () => {
    const bad = (i: CimInstance, re: RegExp, opts = { classOf }) => expect(() => writeEmbeddedInstance(i, cls('Test_AllTypes'), opts)).toThrow(re);
    bad({ className: 'Test_AllTypes', props: { Bogus: 1 } }, /Test_AllTypes has no property 'Bogus'/);
    bad({ className: 'Test_AllTypes', props: { U8: 256 } }, /'U8' is out of range for uint8/);
    bad({ className: 'Test_AllTypes', props: { U8: '1' } }, /'U8' does not match its type uint8/);
    bad({ className: 'Test_AllTypes', props: { U8s: 1 } }, /'U8s' must be an array/);
    bad({ className: 'Msvm_Error', props: {} }, /of class Msvm_Error, not Test_AllTypes/);
    bad({ className: 'Test_AllTypes', props: { Vhd: { className: 'Msvm_Error', props: {} } } }, /'Vhd' holds an instance of Msvm_Error, which is not a Msvm_MoveUnmanagedVhd/);
    bad({ className: 'Test_AllTypes', props: { Vhd: VHD('x') } }, /not known to the writer/, { classOf: undefined as never });
    bad({ className: 'Test_AllTypes', props: { NumRef: { className: 'Test_NumKey', keys: { Bogus: 1 } } } }, /names the key 'Bogus'/);
    bad({ className: 'Test_AllTypes', props: { NumRef: { className: 'Test_NumKey', keys: { Id: 'x' } } } }, /'Id' does not match its type uint32/);
    bad({ className: 'Test_AllTypes', props: { System: { className: 'Win32_ComputerSystem', host: 'h', keys: { Name: 'x' } } } }, /names host 'h' but no namespace/);
    let e: unknown;
    try {
      write({ className: 'Test_AllTypes', props: { S16: 1e6 } });
    } catch (x) {
      e = x;
    }
    expect(e).toBeInstanceOf(CimValueError);
    expect((e as CimValueError).element).toBe('S16');
  });
});

describe('round trip: write → read gives the same instance', () => {
  it('every CIM type, scalar and array, references, embedded instances, nulls', () => {
    expect(read(write(EVERYTHING))).toEqual(EVERYTHING);
    const nulls: CimInstance = { className: 'Test_AllTypes', props: Object.fromEntries(cls('Test_AllTypes').sortedProperties.map((p) => [p.name, null])) };
    expect(read(write(nulls))).toEqual(nulls);
    expect(read(write({ className: 'Test_AllTypes', props: {} }))).toEqual({ className: 'Test_AllTypes', props: {} });
  });

  it('unknown-class references keep keys whose type is inferred', () => {
    const i: CimInstance = { className: 'Test_AllTypes', props: { System: { className: 'Win32_ComputerSystem', namespace: 'root/cimv2', keys: { Name: 'HV1', N: -5, B: true, Big: 18446744073709551615n, R: 2.5 } } } };
    expect(read(write(i))).toEqual(i);
  });

  it('property-based, for every concrete fixture class (fixed seed)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CONCRETE).chain((c) => instanceArb(c)), (i) => {
        expect(read(write(i))).toEqual(i);
        expect(read(write(i, false))).toEqual(i);
      }),
      { seed: 20240611, numRuns: 600 },
    );
  });
});

describe('the real schema (schemas/*.mof)', () => {
  const real = realSchema();
  const concrete = real.classes.filter((c) => !c.isAbstract);

  it('round trip for random instances of every concrete class of root/virtualization/v2 (fixed seed)', () => {
    expect(concrete.length).toBeGreaterThan(20);
    fc.assert(
      fc.property(fc.constantFrom(...concrete).chain((c) => instanceArbIn(real, c)), (i) => {
        const text = writeEmbeddedInstance(i, real.classOf(i.className)!, { classOf: real.classOf });
        expect(parseEmbeddedInstance(text, i.className, real.classOf)).toEqual(i);
      }),
      { seed: 4242, numRuns: 400 },
    );
  });

  it('a GetError-style Msvm_Error reads back, and every written instance is DTD-valid', () => {
    const err: CimInstance = { className: 'Msvm_Error', props: { MessageID: '33012', Message: "Could not find Ethernet switch 'Production'.", MessageArguments: ['Production'], ErrorSource: null, CIMStatusCode: 1 } };
    const text = writeEmbeddedInstance(err, real.classOf('Msvm_Error')!, { classOf: real.classOf });
    expect(parseEmbeddedInstance(text, 'Msvm_Error', real.classOf)).toEqual(err);
    const samples = fc.sample(fc.constantFrom(...concrete).chain((c) => instanceArbIn(real, c)), { seed: 99, numRuns: 200 });
    const docs = [err, ...samples].map((i, n) => ({ name: `${i.className}-${n}`, xml: cimDocument(writeEmbeddedInstance(i, real.classOf(i.className)!, { classOf: real.classOf })) }));
    expect(xmllintValidate(docs, DTD)).toBe('');
  });
});

describe('DTD validity of written instances (xmllint against DSP0203 2.4.0)', () => {
  it('explicit and random instances, with and without system properties, and the instances embedded in them', () => {
    const samples = fc.sample(fc.constantFrom(...CONCRETE).chain((c) => instanceArb(c)), { seed: 7, numRuns: 150 });
    const instances = [EVERYTHING, VHD('x'), ...samples];
    const nested = instances.flatMap((i) => Object.values(i.props).flatMap((v) => (Array.isArray(v) ? v : [v])).filter((v): v is CimInstance => typeof v === 'object' && v !== null && 'props' in v));
    const docs = [...instances, ...nested].flatMap((i, n) => [
      { name: `${i.className}-${n}`, xml: cimDocument(write(i)) },
      { name: `${i.className}-${n}-nosys`, xml: cimDocument(write(i, false)) },
    ]);
    expect(docs.length).toBeGreaterThan(300);
    expect(xmllintValidate(docs, DTD)).toBe('');
  });
});
