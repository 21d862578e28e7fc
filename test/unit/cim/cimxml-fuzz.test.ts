/**
 * Fuzzing parseEmbeddedInstance with a fixed seed: whatever the text, the only outcomes are a
 * CimInstance (which then also writes and reads back unchanged) or a CimValueError — never another
 * exception, a hang or a stack overflow.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEmbeddedInstance, writeEmbeddedInstance } from '../../../src/cim/cimxml/index.js';
import { CimValueError } from '../../../src/cim/errors.js';
import type { CimInstance } from '../../../src/cim/types.js';
import { isInstance, nameKey } from '../../../src/cim/types.js';
import { checkValue } from '../../../src/cim/values.js';
import { escapeText } from '../../../src/xml/escape.js';
import { CLASSES, classOf, cls, CONCRETE, instanceArb } from './cimxml-fixtures.js';

const SEED = 0x5eed_c1a5;

/** Outcome check shared by every fuzz run. */
function outcome(text: string, expected?: string): 'instance' | 'error' {
  let r: CimInstance;
  try {
    r = parseEmbeddedInstance(text, expected, classOf);
  } catch (e) {
    if (e instanceof CimValueError) return 'error';
    throw e;
  }
  // a successful read is a well-typed instance of a known class …
  expect(isInstance(r)).toBe(true);
  const c = cls(r.className);
  for (const [k, v] of Object.entries(r.props)) checkValue(c.properties.get(nameKey(k))!, v);
  // … that the writer accepts and that reads back the same (the reader only produces what it can take)
  expect(parseEmbeddedInstance(writeEmbeddedInstance(r, c, { classOf }), expected, classOf)).toEqual(r);
  return 'instance';
}

const SEEDS: readonly string[] = [
  '<INSTANCE CLASSNAME="Msvm_VirtualSystemMigrationSettingData"><PROPERTY NAME="MigrationType" TYPE="uint16"><VALUE>32768</VALUE></PROPERTY></INSTANCE>',
  '<?xml version="1.0"?>\n<INSTANCE CLASSNAME="Msvm_VirtualSystemSettingData"><PROPERTY NAME="ElementName" TYPE="string"><VALUE>name</VALUE></PROPERTY><PROPERTY.ARRAY NAME="BootOrder" TYPE="uint16"><VALUE.ARRAY><VALUE>2</VALUE><VALUE>0x1</VALUE></VALUE.ARRAY></PROPERTY.ARRAY></INSTANCE>',
  '<CIM CIMVERSION="2.6.0" DTDVERSION="2.3.1"><DECLARATION><DECLGROUP><VALUE.OBJECT><CLASS NAME="CIM_ManagedElement"></CLASS></VALUE.OBJECT><VALUE.OBJECT><INSTANCE CLASSNAME="Test_AllTypes"><PROPERTY NAME="When" TYPE="datetime"><VALUE>20240131235959.123456+060</VALUE></PROPERTY><PROPERTY NAME="Flag" TYPE="boolean" MODIFIED="TRUE"><VALUE>TRUE</VALUE></PROPERTY><PROPERTY.REFERENCE NAME="NumRef"><VALUE.REFERENCE><INSTANCENAME CLASSNAME="Test_NumKey"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">1</KEYVALUE></KEYBINDING></INSTANCENAME></VALUE.REFERENCE></PROPERTY.REFERENCE></INSTANCE></VALUE.OBJECT></DECLGROUP></DECLARATION></CIM>',
  `<INSTANCE CLASSNAME="Test_AllTypes"><PROPERTY NAME="Vhd" TYPE="string" EmbeddedObject="instance"><VALUE>${escapeText('<INSTANCE CLASSNAME="Msvm_MoveUnmanagedVhd"><PROPERTY NAME="VhdSourcePath" TYPE="string"><VALUE>C:\\a</VALUE></PROPERTY></INSTANCE>')}</VALUE></PROPERTY><PROPERTY NAME="__PATH" CLASSORIGIN="___SYSTEM" TYPE="string"></PROPERTY><PROPERTY NAME="U64" PROPAGATED="true" TYPE="uint64"><VALUE>1</VALUE></PROPERTY></INSTANCE>`,
  'instance of Msvm_VirtualSystemMigrationSettingData { MigrationType = 32771; DestinationIPAddressList = {"10.0.0.1"}; UnmanagedVhds = { instance of Msvm_MoveUnmanagedVhd { VhdSourcePath = "x"; } }; };',
  ...fc.sample(fc.constantFrom(...CONCRETE).chain((c) => instanceArb(c)), { seed: SEED, numRuns: 12 }).map((i) => writeEmbeddedInstance(i, cls(i.className), { classOf })),
];

/** Fragments that provoke the interesting paths (markup, entities, DTDs, odd values, MOF tokens). */
const TOKENS: readonly string[] = [
  '<', '>', '/>', '</', '&', '&amp;', '&lt;', '&#13;', '&#0;', '&#xD800;', '&xxe;', '"', "'", '=', ' ', '\n', '\r\n', '\u0000', '\uD800', '\uFEFF', '😀',
  '<![CDATA[', ']]>', '<!-- c -->', '<?xml version="1.0"?>', '<!DOCTYPE x [<!ENTITY e "x">]>', '<!DOCTYPE x SYSTEM "file:///etc/passwd">',
  '<VALUE>', '</VALUE>', '<VALUE/>', '<VALUE.NULL/>', '<VALUE.ARRAY>', '</VALUE.ARRAY>', '<VALUE.OBJECT>', '</VALUE.OBJECT>', '<QUALIFIER NAME="Key" TYPE="boolean"/>',
  '<PROPERTY NAME="MigrationType" TYPE="uint16">', '<PROPERTY.ARRAY NAME="Texts" TYPE="string">', '</PROPERTY>', '</PROPERTY.ARRAY>', '<PROPERTY.REFERENCE NAME="System">',
  '<INSTANCE CLASSNAME="Test_AllTypes">', '<INSTANCE CLASSNAME="CIM_Error">', '</INSTANCE>', '<CLASS NAME="X">', '<CIM>', '<DECLARATION>', '<DECLGROUP>',
  '<VALUE.REFERENCE>', '<INSTANCENAME CLASSNAME="Msvm_ComputerSystem">', '<KEYBINDING NAME="Name">', '<KEYVALUE VALUETYPE="numeric">', '<LOCALNAMESPACEPATH>', '<NAMESPACE NAME="root"/>',
  'NAME="__PATH"', 'TYPE="string"', 'TYPE="uint64"', 'TYPE="reference"', 'PROPAGATED="true"', 'EmbeddedObject="instance"', 'CLASSNAME="Msvm_Error"', 'CLASSNAME=""',
  '0x', '0xFFFFFFFFFFFFFFFFF', '-', '+', '99999999999999999999', '1e400', 'NaN', 'INF', 'TRUE', 'fAlSe', '20240230000000.000000+000', '99999999235959.999999:000',
  'instance of ', 'Test_AllTypes', '{', '}', ';', '$a', 'NULL', ' as $x', '[Key]', '#pragma namespace("x")', 'class Foo {};', '//', '/*',
];

type Op = { kind: 'insert' | 'replace'; at: number; text: string } | { kind: 'delete' | 'duplicate'; at: number; len: number } | { kind: 'escape' | 'truncate'; at: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('insert' as const, 'replace' as const), at: fc.nat(), text: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 6 }) }) }),
  fc.record({ kind: fc.constantFrom('delete' as const, 'duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constantFrom('escape' as const, 'truncate' as const), at: fc.nat() }),
);

function mutate(doc: string, ops: readonly Op[]): string {
  let s = doc;
  for (const op of ops) {
    const at = op.at % (s.length + 1);
    switch (op.kind) {
      case 'insert':
        s = s.slice(0, at) + op.text + s.slice(at);
        break;
      case 'replace':
        s = s.slice(0, at) + op.text + s.slice(at + op.text.length);
        break;
      case 'delete':
        s = s.slice(0, at) + s.slice(at + op.len);
        break;
      case 'duplicate':
        s = s.slice(0, at + op.len) + s.slice(at, at + op.len) + s.slice(at + op.len);
        break;
      case 'escape': // one more level of escaping from here on: embedded-in-embedded confusion
        s = s.slice(0, at) + escapeText(s.slice(at));
        break;
      case 'truncate':
        s = s.slice(0, at);
        break;
    }
  }
  return s;
}

describe('fuzz: only a CimInstance or a CimValueError ever comes out', () => {
  it('the seeds themselves are valid', () => {
    for (const s of SEEDS) expect(outcome(s)).toBe('instance');
  });

  it('mutated documents (5000 runs, fixed seed)', () => {
    const seen = { instance: 0, error: 0 };
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.array(opArb, { minLength: 1, maxLength: 5 }),
        fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom('Test_AllTypes', 'Msvm_VirtualSystemMigrationSettingData', 'CIM_ManagedElement') }),
        (doc, ops, expected) => {
          seen[outcome(mutate(doc, ops), expected)]++;
        },
      ),
      { seed: SEED, numRuns: 5000 },
    );
    // both outcomes happen: some mutants stay valid (about 2% with this seed), so the fuzzer
    // exercises the typing paths as well as the refusals
    expect(seen.instance).toBeGreaterThan(50);
    expect(seen.error).toBeGreaterThan(1000);
  });

  const names = [...new Set([...CLASSES.values()].flatMap((c) => [...c.properties.values()].map((p) => p.name)))];
  const propArb = fc.record({
    el: fc.constantFrom('PROPERTY', 'PROPERTY.ARRAY', 'PROPERTY.REFERENCE', 'VALUE', 'QUALIFIER'),
    name: fc.oneof(fc.constantFrom(...names, '__PATH', 'Bogus'), fc.constantFrom(...names).map((n) => n.toUpperCase())),
    type: fc.option(fc.constantFrom('string', 'uint8', 'sint64', 'boolean', 'datetime', 'real32', 'char16', 'reference', 'object', 'UINT16', ''), { nil: undefined }),
    propagated: fc.boolean(),
    values: fc.option(
      fc.array(
        fc.oneof(
          fc.constantFrom('1', '-1', '0x10', '256', '65536', '4294967296', '18446744073709551616', 'TRUE', 'no', '1.5', '-0', 'x', '', ' ', '20240131235959.000000+000', '00000001000000.000000:000', '&lt;INSTANCE CLASSNAME="Msvm_MoveUnmanagedVhd"/&gt;'),
          fc.string({ maxLength: 5 }).map(escapeText),
        ),
        { maxLength: 3 },
      ),
      { nil: undefined },
    ),
  });

  it('generated instance documents with random properties (3000 runs, fixed seed)', () => {
    const seen = { instance: 0, error: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...[...CLASSES.values()].map((c) => c.name), 'Nope'), fc.array(propArb, { maxLength: 6 }), (className, props) => {
        const body = props
          .map((p) => {
            const attrs = `NAME="${p.name}"${p.type === undefined ? '' : ` TYPE="${p.type}"`}${p.propagated ? ' PROPAGATED="true"' : ''}`;
            const vals = p.values?.map((v) => `<VALUE>${v}</VALUE>`).join('') ?? '';
            const content = p.el === 'PROPERTY.ARRAY' && p.values ? `<VALUE.ARRAY>${vals}</VALUE.ARRAY>` : vals;
            return `<${p.el} ${attrs}>${content}</${p.el}>`;
          })
          .join('');
        seen[outcome(`<INSTANCE CLASSNAME="${className}">${body}</INSTANCE>`)]++;
      }),
      { seed: SEED + 1, numRuns: 3000 },
    );
    expect(seen.instance).toBeGreaterThan(100);
  });

  it('MOF token soup (3000 runs, fixed seed), including the sequences that used to hang the MOF lexer', () => {
    const toks = ['{', '}', ';', '=', ',', '"', "'", '\\', '$a', '[', ']', '(', ')', ':', '.', '..', '1..2', '..0', '0x', '0b', '1e999', '-', '+', '//', '/*', '*/', '\n', ' ',
      '#pragma', 'class', 'qualifier', 'instance', 'of', 'as', 'NULL', 'TRUE', 'false', '07', '08', '1.', '.5', 'e5', '"x"', "'c'",
      'Msvm_Error', 'Test_AllTypes', 'Msvm_MoveUnmanagedVhd', 'MessageID', 'U8', 'Vhd', 'AnyObject', 'instance of Msvm_MoveUnmanagedVhd {',
      'MessageID = "33012";', 'Message = NULL;', 'MessageArguments = {"a", "b"};', 'PerceivedSeverity = 0x5;', 'CIMStatusCode = 4;'];
    let instances = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...toks), { maxLength: 16 }), (parts) => {
        if (outcome(`instance of Msvm_Error { ${parts.join(' ')} };`) === 'instance') instances++;
      }),
      { seed: SEED + 2, numRuns: 3000 },
    );
    expect(instances).toBeGreaterThan(0);
  });
});
