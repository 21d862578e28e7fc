import { describe, expect, it } from 'vitest';
import { CimError, CimStatus } from '../../../src/cim/errors.js';
import { MofSchemaError } from '../../../src/cim/mof/errors.js';
import { CimRegistry } from '../../../src/cim/registry.js';
import { compileMem, PRELUDE, registryOf } from '../../fixtures/mof/memory-host.js';

const NS = 'root/test';

const schemaErrors = (body: string): string[] => {
  try {
    registryOf(body);
  } catch (e) {
    // lines relative to `body` (PRELUDE is two lines)
    if (e instanceof MofSchemaError) return e.diagnostics.map((d) => `${d.pos.file}:${d.pos.line - 2}: ${d.message}`);
    throw e;
  }
  throw new Error('expected a MofSchemaError');
};

const BASE = `
[Abstract, Version("1.0.0"), Description("root")]
class T_Root {
  string InstanceID;
  [MaxLen(64), Description("caption")] string Caption;
  string name;
  [ValueMap{"0", "2", ".."}, Values{"Unknown", "OK", "Reserved"}] uint16 Health = 2;
  [Write] string Notes[];
  uint32 Go([In] uint16 Level, [Out] T_Root REF Result, [In, Out] string Both);
  uint32 Stop();
};

[Description("keyed")]
class T_Keyed : T_Root {
  [Key, Override("InstanceID")] string InstanceID;
  [Required] string Must;
  datetime Delay = "00000000000500.000000:000";
  [Override("Go"), Implemented, ValueMap{"0", "4096"}]
  uint32 Go([In] uint16 Level, [Out] T_Keyed REF Result, [In, Out, Description("both ways")] string Both);
};

class T_Leaf : T_Keyed {
  string Zeta;
  string alpha;
  [Override("Health")] uint16 Health = 5;
};

class T_Other : T_Keyed {
};
`;

describe('class registry: inheritance', () => {
  const reg = registryOf(BASE);
  const leaf = reg.requireClass(NS, 't_leaf');

  it('builds the ancestry and superclass links', () => {
    expect(leaf.ancestry).toEqual(['T_Leaf', 'T_Keyed', 'T_Root']);
    expect(leaf.superClass).toBe('T_Keyed');
    expect(reg.requireClass(NS, 'T_Root').superClass).toBeUndefined();
  });

  it('collects own and inherited properties with classOrigin and propagated', () => {
    const p = (n: string) => leaf.properties.get(n.toLowerCase())!;
    expect(p('Caption')).toMatchObject({ classOrigin: 'T_Root', propagated: true });
    // overridden in T_Keyed: origin stays T_Root; in T_Leaf it is propagated unchanged from T_Keyed
    expect(p('InstanceID')).toMatchObject({ classOrigin: 'T_Root', propagated: true, key: true });
    expect(reg.requireClass(NS, 'T_Keyed').properties.get('instanceid')).toMatchObject({ classOrigin: 'T_Root', propagated: false, key: true });
    expect(p('Zeta')).toMatchObject({ classOrigin: 'T_Leaf', propagated: false });
    expect(p('Health')).toMatchObject({ classOrigin: 'T_Root', propagated: false, defaultValue: 5 });
  });

  it('propagates qualifiers by flavor: ToSubclass yes, Restricted (Override, Abstract, Version) no', () => {
    const caption = leaf.properties.get('caption')!;
    expect([...caption.qualifiers.keys()].sort()).toEqual(['description', 'maxlen']);
    const health = leaf.properties.get('health')!;
    expect(health.valueMap).toEqual(['0', '2', '..']);
    expect(health.values).toEqual(['Unknown', 'OK', 'Reserved']);
    expect(health.qualifiers.has('override')).toBe(true); // written on T_Leaf itself
    expect(reg.requireClass(NS, 'T_Other').properties.get('instanceid')!.qualifiers.has('override')).toBe(false);
    expect(reg.requireClass(NS, 'T_Root').isAbstract).toBe(true);
    expect(reg.requireClass(NS, 'T_Keyed').isAbstract).toBe(false);
    // class qualifiers are the class's own
    expect([...reg.requireClass(NS, 'T_Keyed').qualifiers.keys()]).toEqual(['description']);
  });

  it('keeps keys, Required and Write', () => {
    expect(leaf.keys.map((k) => k.name)).toEqual(['InstanceID']);
    expect(leaf.properties.get('must')!.required).toBe(true);
    expect(leaf.properties.get('notes')!.writeable).toBe(true);
    expect(leaf.properties.get('caption')!.writeable).toBe(false);
  });

  it('sorts properties case-insensitively', () => {
    expect(leaf.sortedProperties.map((p) => p.name)).toEqual(['alpha', 'Caption', 'Delay', 'Health', 'InstanceID', 'Must', 'name', 'Notes', 'Zeta']);
  });

  it('types default values with the declared type (datetime through values.ts)', () => {
    expect(leaf.properties.get('delay')!.defaultValue).toEqual({ kind: 'interval', totalMicros: 300_000_000n });
    expect(reg.requireClass(NS, 'T_Root').properties.get('health')!.defaultValue).toBe(2);
  });

  it('resolves methods: override, implemented, parameters, in/out', () => {
    const go = leaf.methods.get('go')!;
    expect(go).toMatchObject({ classOrigin: 'T_Root', propagated: true, implemented: true, returnType: 'uint32', isStatic: false });
    expect(go.valueMap).toEqual(['0', '4096']);
    expect(go.parameters.map((p) => [p.name, p.in, p.out, p.type, p.refClass])).toEqual([
      ['Level', true, false, 'uint16', undefined],
      ['Result', false, true, 'reference', 'T_Keyed'],
      ['Both', true, true, 'string', undefined],
    ]);
    expect(go.parameterMap.get('both')!.qualifiers.get('description')!.value).toBe('both ways');
    const rootGo = reg.requireClass(NS, 'T_Root').methods.get('go')!;
    expect(rootGo).toMatchObject({ implemented: false, propagated: false });
    expect(leaf.methods.get('stop')).toMatchObject({ classOrigin: 'T_Root', implemented: false });
  });
});

describe('class registry: lookups', () => {
  const reg = registryOf(BASE);

  it('normalises namespaces and keeps the repository spelling', () => {
    const r = CimRegistry.fromCompilation(compileMem({ 'main.mof': '#pragma namespace("\\\\\\\\.\\\\ROOT\\\\Mixed\\\\V2")\n#pragma include("qualifiers.mof")\nclass A {};' }));
    expect(r.namespaces()).toEqual(['ROOT/Mixed/V2']);
    expect(r.canonicalNamespace('root\\mixed\\v2')).toBe('ROOT/Mixed/V2');
    expect(r.canonicalNamespace('/root/MIXED/v2/')).toBe('ROOT/Mixed/V2');
    expect(r.hasNamespace('root/mixed/v2')).toBe(true);
    expect(r.hasNamespace('root/mixed')).toBe(false);
    expect(r.canonicalNamespace('root/none')).toBeUndefined();
  });

  it('finds classes case-insensitively and reports CIM errors', () => {
    expect(reg.getClass('ROOT\\TEST', 't_KEYED')!.name).toBe('T_Keyed');
    expect(reg.getClass(NS, 'nope')).toBeUndefined();
    const err = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e as CimError;
      }
      throw new Error('expected an error');
    };
    expect(err(() => reg.requireClass('root/nope', 'T_Keyed'))).toMatchObject({ status: CimStatus.INVALID_NAMESPACE, hresult: 0x8004100e });
    expect(err(() => reg.requireClass(NS, 'T_Nope'))).toMatchObject({ status: CimStatus.INVALID_CLASS, hresult: 0x80041010 });
  });

  it('answers isA', () => {
    expect(reg.isA(NS, 't_leaf', 'T_ROOT')).toBe(true);
    expect(reg.isA(NS, 'T_Leaf', 'T_Leaf')).toBe(true);
    expect(reg.isA(NS, 'T_Other', 'T_Leaf')).toBe(false);
    expect(reg.isA(NS, 'T_Nope', 'T_Root')).toBe(false);
  });

  it('lists subclasses pre-order in declaration order, and caches the answer', () => {
    const deep = reg.subclasses(NS, 'T_Root', { deep: true, includeSelf: true });
    expect(deep.map((c) => c.name)).toEqual(['T_Root', 'T_Keyed', 'T_Leaf', 'T_Other']);
    expect(reg.subclasses(NS, 't_root', { deep: false, includeSelf: false }).map((c) => c.name)).toEqual(['T_Keyed']);
    expect(reg.subclasses(NS, 'T_Keyed', { deep: false, includeSelf: false }).map((c) => c.name)).toEqual(['T_Leaf', 'T_Other']);
    expect(reg.subclasses(NS, 'T_Root', { deep: true, includeSelf: true })).toBe(deep);
    expect(reg.subclasses(NS, 'T_Nope', { deep: true, includeSelf: true })).toEqual([]);
    expect(reg.subclasses('root/nope', 'T_Root', { deep: true, includeSelf: true })).toEqual([]);
  });

  it('lists classes in declaration order and remembers where they were declared', () => {
    expect(reg.classes(NS).map((c) => c.name)).toEqual(['T_Root', 'T_Keyed', 'T_Leaf', 'T_Other']);
    expect(reg.sourceOf(NS, 'T_Keyed')).toMatchObject({ file: 'main.mof', line: 15 });
    expect(reg.qualifierDeclarations(NS).some((q) => q.name === 'Key')).toBe(true);
  });
});

describe('class registry: embedded objects and associations', () => {
  const reg = registryOf(`
    class E_Vector { uint32 VectorId; };
    class E_Setting { [Key] string InstanceID; };
    class E_Service {
      [Key] string Name;
      uint32 Run([In, EmbeddedInstance("E_Setting")] string Settings[], [Out] E_Vector Vectors[], [In] object Anything);
      [EmbeddedObject] string Blob;
    };
    [Association, Aggregation] class E_Link {
      [Key, Aggregate] E_Service REF Group;
      [Key] E_Setting REF Part;
    };
    [Association] class E_SubLink : E_Link {
      [Override("Group")] E_Service REF Group;
    };
  `);

  it('types EmbeddedInstance strings, class-typed and object embedded values', () => {
    const run = reg.requireClass(NS, 'E_Service').methods.get('run')!;
    expect(run.parameterMap.get('settings')).toMatchObject({ type: 'string', isArray: true, embeddedInstance: 'E_Setting' });
    expect(run.parameterMap.get('vectors')).toMatchObject({ type: 'instance', isArray: true, refClass: 'E_Vector', out: true, in: false });
    expect(run.parameterMap.get('anything')).toMatchObject({ type: 'instance', embeddedObject: true });
    expect(reg.requireClass(NS, 'E_Service').properties.get('blob')).toMatchObject({ type: 'string', embeddedObject: true });
  });

  it('marks associations and their references; Association propagates to subclasses', () => {
    const link = reg.requireClass(NS, 'E_Link');
    expect(link.isAssociation).toBe(true);
    expect(link.keys.map((k) => [k.name, k.type, k.refClass])).toEqual([
      ['Group', 'reference', 'E_Service'],
      ['Part', 'reference', 'E_Setting'],
    ]);
    expect(reg.requireClass(NS, 'E_SubLink').isAssociation).toBe(true);
    expect(reg.requireClass(NS, 'E_Service').isAssociation).toBe(false);
  });
});

describe('class registry: instance declarations', () => {
  it('types instance values, fills defaults and turns aliases into references', () => {
    const reg = registryOf(`
      class I_Thing { [Key] string Id; uint16 Count = 3; datetime At; real64 R; };
      [Association] class I_Pair { [Key] I_Thing REF A; [Key] I_Thing REF B; };
      instance of I_Thing as $x { Id = "x"; At = "20240102030405.000000+000"; R = 2; };
      instance of I_Pair { A = $x; B = $x; };
    `);
    const [thing, pair] = reg.declaredInstances(NS);
    expect(thing.props).toMatchObject({ Id: 'x', Count: 3, R: 2 });
    expect(thing.props.At).toMatchObject({ kind: 'timestamp', epochMs: Date.UTC(2024, 0, 2, 3, 4, 5) });
    expect(thing.alias).toBe('x');
    expect(pair.props.A).toEqual({ className: 'I_Thing', namespace: NS, keys: { Id: 'x' } });
  });
});

describe('class registry: schema validation', () => {
  it('reports every problem with file and line', () => {
    const errors = schemaErrors(`
      class V_A : V_Missing { };
      class V_B { V_Nowhere REF R; };
      class V_C { [EmbeddedInstance("V_Ghost")] string S; };
      class V_D { };
      class V_D { };
    `);
    expect(errors).toEqual([
      'main.mof:6: class V_D is already declared in namespace root/test (at main.mof:7)',
      'main.mof:2: class V_A: superclass V_Missing is not declared in namespace root/test',
      'main.mof:3: V_B.R: REF names class V_Nowhere, which is not declared in namespace root/test',
      'main.mof:4: V_C.S: EmbeddedInstance names class V_Ghost, which is not declared in namespace root/test',
    ]);
  });

  it('rejects a key on a non-key override when the superclass already has keys', () => {
    expect(schemaErrors(`
      class K_A { [Key] string Id; string Other; };
      class K_B : K_A { [Key, Override("Other")] string Other; };
    `)).toEqual(['main.mof:3: K_B.Other: Key is declared on an override of a non-key property, but the superclass already has keys']);
  });

  it('rejects a new key when the superclass already has keys, but allows keying an unkeyed hierarchy', () => {
    expect(schemaErrors(`
      class K_A { [Key] string Id; };
      class K_B : K_A { [Key] string Second; };
    `)).toEqual(['main.mof:3: K_B.Second: Key is declared on a new property, but the superclass already has keys']);
    const reg = registryOf('class K_A { string Id; };\nclass K_B : K_A { [Key, Override("Id")] string Id; };');
    expect(reg.requireClass(NS, 'K_B').keys.map((k) => k.name)).toEqual(['Id']);
  });

  it('rejects changing a DisableOverride qualifier', () => {
    expect(schemaErrors(`
      class D_A { [Key] string Id; };
      class D_B : D_A { [Key(false)] string Id; };
    `)).toEqual(['main.mof:3: D_B.Id: qualifier Key cannot be changed (DisableOverride; set in D_A)']);
  });

  it('rejects overrides that change types or name nothing', () => {
    expect(schemaErrors(`
      class O_A { uint16 N; uint32 M([In] uint16 P); };
      class O_B : O_A {
        uint32 N;
        [Override("Q")] string Q;
        uint32 M([In] uint16 P, [In] uint16 Extra);
        [Override("Nope")] uint32 Nope();
      };
    `)).toEqual([
      'main.mof:4: O_B.N: override changes the type from uint16 to uint32',
      'main.mof:5: O_B.Q: Override, but no superclass declares a property Q',
      'main.mof:6: O_B.M(): override changes the parameter list from (P) to (P, Extra)',
      'main.mof:7: O_B.Nope(): Override, but no superclass declares a method Nope',
    ]);
  });

  it('allows a REF override to narrow to a subclass only', () => {
    expect(schemaErrors(`
      class R_X {}; class R_Y : R_X {}; class R_Z {};
      [Association] class R_A { [Key] R_X REF One; [Key] R_X REF Two; };
      [Association] class R_B : R_A { [Override("One")] R_Y REF One; [Override("Two")] R_Z REF Two; };
    `)).toEqual(['main.mof:4: R_B.Two: an override may narrow R_X only to a subclass, and R_Z is not one']);
  });

  it('allows an EmbeddedInstance override to narrow to a subclass only', () => {
    expect(schemaErrors(`
      class X_S {}; class X_T : X_S {}; class X_U {};
      class X_A { uint32 M([In, EmbeddedInstance("X_S")] string P, [In, EmbeddedInstance("X_S")] string Q); };
      class X_B : X_A { uint32 M([In, EmbeddedInstance("X_T")] string P, [In, EmbeddedInstance("X_U")] string Q); };
    `)).toEqual(['main.mof:4: X_B.M(Q): an override may narrow X_S only to a subclass, and X_U is not one']);
  });

  it('rejects undeclared qualifiers, scope violations and badly typed qualifier values', () => {
    expect(schemaErrors(`
      [Frobnicate] class Q_A { [Abstract] string P; [MaxLen("long")] string S; [ValueMap{"1"}, Values{"a", "b"}] uint8 V; };
    `)).toEqual([
      'main.mof:2: qualifier Frobnicate is not declared (add it to the namespace\'s qualifier declarations)',
      'main.mof:2: qualifier Abstract cannot be used on a property (its scope is class, association, indication)',
      'main.mof:2: qualifier MaxLen: string "long" is not a valid uint32 value',
      'main.mof:2: Q_A.V: ValueMap has 1 entries but Values has 2',
    ]);
  });

  it('rejects bad default values and duplicate members', () => {
    expect(schemaErrors(`
      class B_A {
        uint8 Small = 300;
        datetime When = "yesterday";
        uint16 List[] = 5;
        string Twice;
        string twice;
      };
    `)).toEqual([
      'main.mof:3: B_A.Small: default value: 300 is out of range for uint8',
      'main.mof:4: B_A.When: default value: string "yesterday" is not a valid datetime',
      'main.mof:5: B_A.List: default value: an array value must be written as { … }, found number 5',
      'main.mof:7: class B_A: property twice is declared twice',
    ]);
  });

  it('rejects superclass cycles', () => {
    const errors = schemaErrors('class C_A : C_B {};\nclass C_B : C_A {};');
    expect(errors[0]).toMatch(/inherits from itself \(superclass cycle\)/);
  });

  it('rejects associations with fewer than two references', () => {
    expect(schemaErrors('class A_T {};\n[Association] class A_One { [Key] A_T REF Only; };')).toEqual([
      'main.mof:2: association A_One must have at least two REF properties (has 1)',
    ]);
  });

  it('validates instance declarations', () => {
    expect(schemaErrors(`
      [Abstract] class N_Abs { [Key] string Id; };
      class N_C : N_Abs { uint8 V; };
      instance of N_Abs { Id = "a"; };
      instance of N_C { Id = "b"; V = 999; Nope = 1; };
      instance of N_Missing { };
    `)).toEqual([
      'main.mof:4: instance of N_Abs: the class is abstract',
      'main.mof:5: N_C.V: 999 is out of range for uint8',
      'main.mof:5: instance of N_C: class has no property Nope',
      'main.mof:6: instance of N_Missing: class is not declared in namespace root/test',
    ]);
  });

  it('prefixes the prelude consistently (line numbers above assume it is two lines)', () => {
    expect(PRELUDE.split('\n')).toHaveLength(3);
  });
});
