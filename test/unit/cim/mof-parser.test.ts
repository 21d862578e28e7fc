import { describe, expect, it } from 'vitest';
import { parseMof } from '../../../src/cim/mof/parser.js';
import { MofSyntaxError } from '../../../src/cim/mof/errors.js';
import type { MofClassDecl, MofInstanceDecl, MofQualifierTypeDecl } from '../../../src/cim/mof/ast.js';

const parseError = (text: string): MofSyntaxError => {
  try {
    parseMof(text, 'p.mof');
  } catch (e) {
    if (e instanceof MofSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a MofSyntaxError');
};
const firstClass = (text: string) => parseMof(text, 'p.mof').productions.find((p) => p.kind === 'class') as MofClassDecl;

describe('MOF parser', () => {
  it('parses pragmas with string, number and identifier arguments', () => {
    const f = parseMof('#pragma namespace("\\\\\\\\.\\\\root\\\\x")\n#pragma classflags("forceupdate", 64)\n#pragma deleteclass("A", NOFAIL)\n#pragma autorecover', 'p.mof');
    expect(f.productions.map((p) => p.kind === 'pragma' && p.name)).toEqual(['namespace', 'classflags', 'deleteclass', 'autorecover']);
    const ns = f.productions[0];
    expect(ns.kind === 'pragma' && ns.args[0]).toEqual({ kind: 'string', value: '\\\\.\\root\\x' });
    const del = f.productions[2];
    expect(del.kind === 'pragma' && del.args[1]).toEqual({ kind: 'identifier', name: 'NOFAIL' });
  });

  it('parses qualifier type declarations (DSP0221 with and without commas)', () => {
    const f = parseMof(
      'Qualifier Key : boolean = false, Scope(property, reference), Flavor(DisableOverride, ToSubclass);\n' +
        'qualifier ValueMap : string[] Scope(property, method, parameter);',
      'p.mof',
    );
    const [key, vm] = f.productions as MofQualifierTypeDecl[];
    expect(key).toMatchObject({ kind: 'qualifier', name: 'Key', type: 'boolean', defaultValue: { kind: 'boolean', value: false }, scopes: ['property', 'reference'], flavors: ['disableoverride', 'tosubclass'] });
    expect(vm).toMatchObject({ name: 'ValueMap', type: 'string', array: {}, scopes: ['property', 'method', 'parameter'], flavors: [] });
  });

  it('parses a class with qualifiers, superclass, arrays, defaults and concatenated strings', () => {
    const c = firstClass(`
      [Abstract, Version("2.22.0"), Description("one " "two")]
      class X_A : X_Base {
        [Key] string Id;
        uint16 List[] = {1, 0x2, 3};
        uint8 Fixed[4];
        datetime When = "00000000000500.000000:000";
        real64 R = -1.5e2;
        boolean B = TRUE;
        string N = NULL;
        char16 C = 'z';
      };`);
    expect(c.name).toBe('X_A');
    expect(c.superClass).toBe('X_Base');
    expect(c.qualifiers.map((q) => q.name)).toEqual(['Abstract', 'Version', 'Description']);
    expect(c.qualifiers[2].value).toEqual({ kind: 'string', value: 'one two' });
    expect(c.qualifiers[0].value).toBeUndefined();
    const byName = Object.fromEntries(c.properties.map((p) => [p.name, p]));
    expect(byName.List.array).toEqual({});
    expect(byName.List.defaultValue).toEqual({ kind: 'array', items: [{ kind: 'integer', value: 1n, raw: '1' }, { kind: 'integer', value: 2n, raw: '0x2' }, { kind: 'integer', value: 3n, raw: '3' }] });
    expect(byName.Fixed.array).toEqual({ size: 4 });
    expect(byName.When.type).toEqual({ kind: 'intrinsic', name: 'datetime' });
    expect(byName.R.defaultValue).toEqual({ kind: 'real', value: -150, raw: '-1.5e2' });
    expect(byName.B.defaultValue).toEqual({ kind: 'boolean', value: true });
    expect(byName.N.defaultValue).toEqual({ kind: 'null' });
    expect(byName.C.defaultValue).toEqual({ kind: 'char', value: 'z' });
    expect(byName.Id.pos).toEqual({ file: 'p.mof', line: 4, column: 22 });
  });

  it('parses references, class-typed embedded objects and object', () => {
    const c = firstClass('[Association] class A { X_Thing REF Left; X_Vector Vectors[]; object Any; DateTime D; };');
    expect(c.properties.map((p) => p.type)).toEqual([
      { kind: 'ref', className: 'X_Thing' },
      { kind: 'class', className: 'X_Vector' },
      { kind: 'object' },
      { kind: 'intrinsic', name: 'datetime' },
    ]);
    expect(c.properties[1].array).toEqual({});
  });

  it('parses methods with qualified parameters', () => {
    const c = firstClass(`class S {
      [Implemented, ValueMap{"0", "4096", ".."}, Values{"OK", "Job", "Reserved"}]
      uint32 Go(
        [IN] CIM_ComputerSystem REF ComputerSystem,
        [IN, EmbeddedInstance("X_Setting")] string Settings[],
        [IN, OUT, EmbeddedInstance("Msvm_Error")] string Errors[],
        [OUT] CIM_ConcreteJob REF Job);
      uint32 Nothing();
    };`);
    expect(c.methods.map((m) => m.name)).toEqual(['Go', 'Nothing']);
    const go = c.methods[0];
    expect(go.returnType).toEqual({ kind: 'intrinsic', name: 'uint32' });
    expect(go.parameters.map((p) => p.name)).toEqual(['ComputerSystem', 'Settings', 'Errors', 'Job']);
    expect(go.parameters[2].qualifiers.map((q) => q.name)).toEqual(['IN', 'OUT', 'EmbeddedInstance']);
    expect(go.parameters[1].array).toEqual({});
    expect(go.qualifiers[1].value).toMatchObject({ kind: 'array' });
  });

  it('parses qualifier flavors written after a value (WMI style)', () => {
    const c = firstClass('[Description("d") : Amended ToSubclass, Abstract] class A {};');
    expect(c.qualifiers[0].flavors).toEqual(['amended', 'tosubclass']);
    expect(c.qualifiers[1].flavors).toEqual([]);
  });

  it('parses instance declarations with aliases, arrays and embedded instances', () => {
    const f = parseMof('instance of X_A as $one { Id = "1"; List = {1, 2}; Ref = $two; Inner = instance of X_B { V = 5; }; };', 'p.mof');
    const i = f.productions[0] as MofInstanceDecl;
    expect(i).toMatchObject({ kind: 'instance', className: 'X_A', alias: 'one' });
    expect(i.properties.map((p) => p.name)).toEqual(['Id', 'List', 'Ref', 'Inner']);
    expect(i.properties[2].value).toEqual({ kind: 'alias', name: 'two' });
    expect(i.properties[3].value).toMatchObject({ kind: 'instance', instance: { className: 'X_B' } });
  });

  describe('errors carry file:line:column', () => {
    it('missing semicolon after a property', () => {
      const e = parseError('class A {\n  string S\n  string T;\n};');
      expect([e.line, e.column]).toEqual([3, 3]);
      expect(e.detail).toBe("expected ';' after property S but found 'string'");
    });
    it('missing closing brace', () => {
      expect(parseError('class A {\n string S;\n').detail).toBe('missing \'}\' to close class A');
    });
    it('garbage at top level', () => {
      const e = parseError('\n\n   foo bar;');
      expect([e.line, e.column, e.detail]).toEqual([3, 4, "expected 'class', 'instance of', 'qualifier' or '#pragma' but found 'foo'"]);
    });
    it('REF to an intrinsic type', () => {
      expect(parseError('class A { string REF X; };').detail).toMatch(/only a class can be referenced/);
    });
    it('qualifier declaration without scope', () => {
      expect(parseError('Qualifier Q : boolean = false;').detail).toMatch(/needs a Scope/);
    });
    it('unknown flavor', () => {
      expect(parseError('[Key : Sticky] class A {};').detail).toBe("unknown flavor 'Sticky'");
    });
    it('bad array size', () => {
      expect(parseError('class A { uint8 B[0]; };').detail).toMatch(/positive array size/);
    });
    it('nested arrays', () => {
      expect(parseError('class A { uint8 B[] = {{1}}; };').detail).toBe('arrays cannot be nested');
    });
  });
});
