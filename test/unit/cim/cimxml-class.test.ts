/**
 * Class declarations for Get-CimClass: DTD validity for every fixture class in every option
 * combination, and the MI writer's shape details (flavors, PROPAGATED, LocalOnly, embedded objects).
 */
import { describe, expect, it } from 'vitest';
import { parseXml, type XmlElement } from '../../../src/xml/dom.js';
import { writeClassDeclaration, writeClassForWsman, type ClassWriteOptions } from '../../../src/cim/cimxml/index.js';
import { CLASSES, cimDocument, classOf, cls, DTD, DTD_MI, realSchema, xmllintValidate } from './cimxml-fixtures.js';

const COMBOS: ReadonlyArray<Omit<ClassWriteOptions, 'classOf'>> = [false, true].flatMap((includeQualifiers) =>
  [false, true].flatMap((includeClassOrigin) => [false, true].map((includeInheritedElements) => ({ includeQualifiers, includeClassOrigin, includeInheritedElements }))),
);

const ALL: ClassWriteOptions = { includeQualifiers: true, includeClassOrigin: true, includeInheritedElements: true, classOf };

function tree(xml: string): XmlElement {
  return parseXml(xml);
}

function kids(el: XmlElement, local?: string): XmlElement[] {
  return el.children.filter((c): c is XmlElement => c.kind === 'element' && (local === undefined || c.local === local));
}

function attrOf(el: XmlElement, name: string): string | undefined {
  return el.attrs.find((a) => a.local === name)?.value;
}

function named(el: XmlElement, local: string, name: string): XmlElement {
  const found = kids(el, local).find((c) => attrOf(c, 'NAME') === name);
  if (!found) throw new Error(`no <${local} NAME="${name}"> in <${el.local} NAME="${attrOf(el, 'NAME')}">`);
  return found;
}

function qualifiers(el: XmlElement): Record<string, XmlElement> {
  return Object.fromEntries(kids(el, 'QUALIFIER').map((q) => [attrOf(q, 'NAME')!, q]));
}

describe('writeClassDeclaration: DTD validity (xmllint against DSP0203 2.4.0)', () => {
  it('every fixture class in all 8 option combinations is valid', () => {
    const docs = [...CLASSES.values()].flatMap((c) =>
      COMBOS.map((o) => ({ name: `${c.name}-q${+o.includeQualifiers}o${+o.includeClassOrigin}i${+o.includeInheritedElements}`, xml: cimDocument(writeClassDeclaration(c, { ...o, classOf })) })),
    );
    expect(docs.length).toBe(CLASSES.size * 8);
    expect(xmllintValidate(docs, DTD)).toBe('');
  });

  it('the WS-Man variant with DERIVATION is valid against DSP0203 + the MI attribute, and only that', () => {
    const docs = [...CLASSES.values()].flatMap((c) =>
      COMBOS.map((o) => ({ name: `${c.name}-wsman`, xml: cimDocument(writeClassForWsman(c, { ...o, classOf, includeInheritanceHierarchy: true })) })),
    );
    expect(xmllintValidate(docs, DTD_MI)).toBe('');
    // the plain DTD rejects DERIVATION: proof that the overlay is what makes it pass
    expect(xmllintValidate(docs.slice(0, 1), DTD)).toMatch(/DERIVATION/);
  });

  it('a broken document is reported by the validator (the check is not vacuous)', () => {
    expect(xmllintValidate([{ name: 'bad', xml: cimDocument('<CLASS NAME="X"><PROPERTY NAME="P"></PROPERTY></CLASS>') }], DTD)).toMatch(/TYPE/);
  });

});

describe('the real schema (schemas/*.mof)', () => {
  for (const ns of ['root/virtualization/v2', 'root/cimv2']) {
    it(`every class of ${ns}, all option combinations, plain and WS-Man variants, is DTD-valid`, () => {
      const real = realSchema(ns);
      expect(real.classes.length).toBeGreaterThan(10);
      const plain = real.classes.flatMap((c) => COMBOS.map((o) => ({ name: c.name, xml: cimDocument(writeClassDeclaration(c, { ...o, classOf: real.classOf, qualifierDecl: real.qualifierDecl })) })));
      expect(xmllintValidate(plain, DTD)).toBe('');
      const wsman = real.classes.map((c) => ({ name: c.name, xml: cimDocument(writeClassForWsman(c, { ...ALL, classOf: real.classOf, qualifierDecl: real.qualifierDecl, includeInheritanceHierarchy: true })) }));
      expect(xmllintValidate(wsman, DTD_MI)).toBe('');
    });
  }

  it('Msvm_ConcreteJob.GetError and Msvm_Error as Get-CimClass receives them', () => {
    const real = realSchema();
    const opts = { ...ALL, classOf: real.classOf, qualifierDecl: real.qualifierDecl };
    const job = tree(writeClassDeclaration(real.classOf('Msvm_ConcreteJob')!, opts));
    const err = kids(named(job, 'METHOD', 'GetError'), 'PARAMETER')[0];
    expect(attrOf(err, 'NAME')).toBe('Error');
    expect(attrOf(err, 'TYPE')).toBe('string');
    expect(kids(qualifiers(err).EmbeddedInstance, 'VALUE')[0].children[0]).toMatchObject({ text: 'Msvm_Error' });
    expect(attrOf(qualifiers(err).Out, 'OVERRIDABLE')).toBe('false');
    const e = tree(writeClassDeclaration(real.classOf('Msvm_Error')!, opts));
    expect(attrOf(e, 'SUPERCLASS')).toBe('CIM_Error');
    // Dynamic/Provider are declared Restricted in the schema: written on the class itself, with TOSUBCLASS="false"
    expect(attrOf(qualifiers(e).Dynamic, 'TOSUBCLASS')).toBe('false');
    const cimErr = real.classOf('CIM_Error')!;
    expect(cimErr.isAbstract).toBe(true);
    expect(qualifiers(e).Abstract).toBeUndefined();
  });
});

describe('writeClassDeclaration: shape', () => {
  it('CLASS carries NAME and SUPERCLASS; a root class has no SUPERCLASS', () => {
    const c = tree(writeClassDeclaration(cls('Msvm_Error'), ALL));
    expect(c.local).toBe('CLASS');
    expect(attrOf(c, 'NAME')).toBe('Msvm_Error');
    expect(attrOf(c, 'SUPERCLASS')).toBe('CIM_Error');
    expect(attrOf(tree(writeClassDeclaration(cls('CIM_ManagedElement'), ALL)), 'SUPERCLASS')).toBeUndefined();
  });

  it('order inside CLASS: qualifiers, then properties, then methods', () => {
    const c = tree(writeClassDeclaration(cls('Msvm_ConcreteJob'), ALL));
    const order = kids(c).map((k) => k.local);
    const firstProp = order.findIndex((l) => l.startsWith('PROPERTY'));
    const firstMethod = order.indexOf('METHOD');
    expect(order.lastIndexOf('QUALIFIER')).toBeLessThan(firstProp);
    expect(order.slice(firstProp, firstMethod).every((l) => l.startsWith('PROPERTY'))).toBe(true);
    expect(order.slice(firstMethod).every((l) => l === 'METHOD')).toBe(true);
  });

  it('inherited class qualifiers propagate unless Restricted (Abstract, Version stay behind)', () => {
    const q = qualifiers(tree(writeClassDeclaration(cls('Msvm_Error'), ALL)));
    expect(Object.keys(q)).toEqual(expect.arrayContaining(['Dynamic', 'Provider', 'Indication', 'Exception', 'UMLPackagePath']));
    expect(q.Abstract).toBeUndefined();
    expect(q.Version).toBeUndefined();
    const own = qualifiers(tree(writeClassDeclaration(cls('CIM_Error'), ALL)));
    expect(attrOf(own.Abstract, 'TOSUBCLASS')).toBe('false');
    expect(attrOf(own.Version, 'TOSUBCLASS')).toBe('false');
    expect(attrOf(own.Version, 'TRANSLATABLE')).toBe('true');
    expect(attrOf(own.Indication, 'OVERRIDABLE')).toBe('false');
  });

  it('qualifiers have TYPE and only non-default flavors; values are typed', () => {
    const c = tree(writeClassDeclaration(cls('CIM_ManagedElement'), ALL));
    const caption = qualifiers(named(c, 'PROPERTY', 'Caption'));
    expect(attrOf(caption.MaxLen, 'TYPE')).toBe('uint32');
    expect(kids(caption.MaxLen, 'VALUE')[0].children[0]).toMatchObject({ text: '64' });
    expect(attrOf(caption.Description, 'TYPE')).toBe('string');
    expect(attrOf(caption.Description, 'TRANSLATABLE')).toBe('true');
    expect(attrOf(caption.MaxLen, 'OVERRIDABLE')).toBeUndefined();
    expect(attrOf(caption.MaxLen, 'TOSUBCLASS')).toBeUndefined();
    const key = qualifiers(named(tree(writeClassDeclaration(cls('CIM_SettingData'), ALL)), 'PROPERTY', 'InstanceID')).Key;
    expect(attrOf(key, 'TYPE')).toBe('boolean');
    expect(attrOf(key, 'OVERRIDABLE')).toBe('false');
    expect(kids(key, 'VALUE')[0].children[0]).toMatchObject({ text: 'true' });
    const vm = qualifiers(named(tree(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationSettingData'), ALL)), 'PROPERTY', 'MigrationType')).ValueMap;
    expect(kids(kids(vm, 'VALUE.ARRAY')[0], 'VALUE').map((v) => (v.children[0] as { text: string }).text)).toEqual(['0', '32768', '32769', '32770', '32771', '32772']);
    const locale = qualifiers(tree(writeClassDeclaration(cls('Test_AllTypes'), ALL))).Locale;
    expect(attrOf(locale, 'TYPE')).toBe('sint32');
  });

  it('a qualifier declaration lookup overrides the built-in table', () => {
    const c = tree(writeClassDeclaration(cls('CIM_ManagedElement'), { ...ALL, qualifierDecl: (n) => (n.toLowerCase() === 'maxlen' ? { type: 'uint16', isArray: false, overridable: false } : undefined) }));
    const maxLen = qualifiers(named(c, 'PROPERTY', 'Caption')).MaxLen;
    expect(attrOf(maxLen, 'TYPE')).toBe('uint16');
    expect(attrOf(maxLen, 'OVERRIDABLE')).toBe('false');
  });

  it('CLASSORIGIN only with includeClassOrigin; PROPAGATED="true" on inherited elements either way', () => {
    for (const includeClassOrigin of [false, true]) {
      const c = tree(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationSettingData'), { ...ALL, includeClassOrigin }));
      const caption = named(c, 'PROPERTY', 'Caption');
      const migType = named(c, 'PROPERTY', 'MigrationType');
      const id = named(c, 'PROPERTY', 'InstanceID');
      expect(attrOf(caption, 'PROPAGATED')).toBe('true');
      expect(attrOf(migType, 'PROPAGATED')).toBeUndefined(); // overridden here
      expect(attrOf(caption, 'CLASSORIGIN')).toBe(includeClassOrigin ? 'CIM_ManagedElement' : undefined);
      expect(attrOf(migType, 'CLASSORIGIN')).toBe(includeClassOrigin ? 'CIM_VirtualSystemMigrationSettingData' : undefined);
      expect(attrOf(id, 'CLASSORIGIN')).toBe(includeClassOrigin ? 'CIM_ManagedElement' : undefined);
    }
  });

  it('Restricted qualifiers are not written on inherited properties (Override stays with its class)', () => {
    const sd = qualifiers(named(tree(writeClassDeclaration(cls('CIM_SettingData'), ALL)), 'PROPERTY', 'InstanceID'));
    expect(sd.Override).toBeDefined();
    const vsmsd = qualifiers(named(tree(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationSettingData'), ALL)), 'PROPERTY', 'InstanceID'));
    expect(vsmsd.Override).toBeUndefined();
    expect(vsmsd.Key).toBeDefined();
  });

  it('LocalOnly (includeInheritedElements=false) keeps only what the class declares or overrides', () => {
    const c = tree(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationSettingData'), { ...ALL, includeInheritedElements: false }));
    const props = kids(c).filter((k) => k.local.startsWith('PROPERTY')).map((p) => attrOf(p, 'NAME'));
    expect(props).toContain('MigrationType');
    expect(props).toContain('UnmanagedVhds');
    expect(props).not.toContain('Caption');
    expect(props).not.toContain('Priority');
    const job = tree(writeClassDeclaration(cls('Msvm_ConcreteJob'), { ...ALL, includeInheritedElements: false }));
    expect(kids(job, 'METHOD').map((m) => attrOf(m, 'NAME'))).toEqual(['GetError', 'GetErrorEx']);
    const jobAll = tree(writeClassDeclaration(cls('Msvm_ConcreteJob'), ALL));
    expect(attrOf(named(jobAll, 'METHOD', 'RequestStateChange'), 'PROPAGATED')).toBe('true');
  });

  it('no QUALIFIER anywhere without includeQualifiers', () => {
    const xml = writeClassDeclaration(cls('Test_AllTypes'), { ...ALL, includeQualifiers: false });
    expect(xml).not.toContain('<QUALIFIER');
  });

  it('property kinds: PROPERTY / PROPERTY.ARRAY with ARRAYSIZE / PROPERTY.REFERENCE with REFERENCECLASS', () => {
    const c = tree(writeClassDeclaration(cls('Test_AllTypes'), ALL));
    expect(attrOf(named(c, 'PROPERTY', 'U64'), 'TYPE')).toBe('uint64');
    expect(attrOf(named(c, 'PROPERTY', 'When'), 'TYPE')).toBe('datetime');
    expect(attrOf(named(c, 'PROPERTY.ARRAY', 'Chars'), 'TYPE')).toBe('char16');
    expect(attrOf(named(c, 'PROPERTY.ARRAY', 'Fixed'), 'ARRAYSIZE')).toBe('4');
    expect(attrOf(named(c, 'PROPERTY.ARRAY', 'U8s'), 'ARRAYSIZE')).toBeUndefined();
    expect(attrOf(named(c, 'PROPERTY.REFERENCE', 'System'), 'REFERENCECLASS')).toBe('CIM_ComputerSystem');
  });

  it('embedded objects are TYPE="string" with an EmbeddedInstance / EmbeddedObject qualifier, no attribute', () => {
    const c = tree(writeClassDeclaration(cls('Test_AllTypes'), ALL));
    for (const [local, name, q, v] of [
      ['PROPERTY', 'Vhd', 'EmbeddedInstance', 'Msvm_MoveUnmanagedVhd'],
      ['PROPERTY.ARRAY', 'Vhds', 'EmbeddedInstance', 'Msvm_MoveUnmanagedVhd'],
      ['PROPERTY', 'TypedVhd', 'EmbeddedInstance', 'Msvm_MoveUnmanagedVhd'],
      ['PROPERTY', 'AnyObject', 'EmbeddedObject', 'true'],
    ] as const) {
      const p = named(c, local, name);
      expect(attrOf(p, 'TYPE')).toBe('string');
      expect(attrOf(p, 'EmbeddedObject')).toBeUndefined();
      expect(kids(qualifiers(p)[q], 'VALUE')[0].children[0]).toMatchObject({ text: v });
    }
  });

  it('defaults are written as VALUE / VALUE.ARRAY (datetimes in DMTF form)', () => {
    const c = tree(writeClassDeclaration(cls('Test_AllTypes'), ALL));
    expect(kids(named(c, 'PROPERTY', 'WithDefault'), 'VALUE')[0].children[0]).toMatchObject({ text: '7' });
    expect(kids(named(c, 'PROPERTY', 'DefaultFlag'), 'VALUE')[0].children[0]).toMatchObject({ text: 'true' });
    expect(kids(kids(named(c, 'PROPERTY.ARRAY', 'DefaultTexts'), 'VALUE.ARRAY')[0], 'VALUE').map((v) => (v.children[0] as { text: string }).text)).toEqual(['a', 'b & c']);
    const vssd = tree(writeClassDeclaration(cls('Msvm_VirtualSystemSettingData'), ALL));
    expect(kids(named(vssd, 'PROPERTY', 'AutomaticStartupActionDelay'), 'VALUE')[0].children[0]).toMatchObject({ text: '00000000000000.000000:000' });
    expect(kids(named(c, 'PROPERTY', 'U8'), 'VALUE')).toHaveLength(0);
  });

  it('methods: TYPE, PARAMETER kinds with REFERENCECLASS / ARRAYSIZE, In/Out/EmbeddedInstance qualifiers', () => {
    const c = tree(writeClassDeclaration(cls('Test_AllTypes'), ALL));
    const m = named(c, 'METHOD', 'Everything');
    expect(attrOf(m, 'TYPE')).toBe('uint32');
    expect(qualifiers(m).Static).toBeDefined();
    const params = kids(m).filter((k) => k.local.startsWith('PARAMETER'));
    expect(params.map((p) => [p.local, attrOf(p, 'NAME')])).toEqual([
      ['PARAMETER', 'Scalar'], ['PARAMETER.ARRAY', 'Array'], ['PARAMETER.ARRAY', 'Fixed'], ['PARAMETER.REFERENCE', 'Ref'],
      ['PARAMETER.REFARRAY', 'Refs'], ['PARAMETER', 'Typed'], ['PARAMETER', 'Settings'], ['PARAMETER', 'Result'], ['PARAMETER', 'InOut'],
    ]);
    expect(attrOf(params[2], 'ARRAYSIZE')).toBe('2');
    expect(attrOf(params[4], 'REFERENCECLASS')).toBe('Msvm_ComputerSystem');
    expect(attrOf(params[5], 'TYPE')).toBe('string');
    expect(kids(qualifiers(params[5]).EmbeddedInstance, 'VALUE')[0].children[0]).toMatchObject({ text: 'Msvm_MoveUnmanagedVhd' });
    expect(Object.keys(qualifiers(params[7]))).toEqual(['Out']);
    expect(Object.keys(qualifiers(params[8])).sort()).toEqual(['In', 'Out']);
    expect(attrOf(named(c, 'METHOD', 'ReturnsString'), 'TYPE')).toBe('string');
    expect(attrOf(named(c, 'METHOD', 'ReturnsRef'), 'TYPE')).toBeUndefined();
  });

  it('Hyper-V method signatures come out as Get-CimClass needs them (GetError, MigrateVirtualSystemToHost)', () => {
    const job = tree(writeClassDeclaration(cls('Msvm_ConcreteJob'), ALL));
    const err = kids(named(job, 'METHOD', 'GetError'), 'PARAMETER')[0];
    expect(attrOf(err, 'TYPE')).toBe('string');
    const eq = qualifiers(err);
    expect(Object.keys(eq)).toEqual(['Out', 'EmbeddedInstance']);
    expect(kids(eq.EmbeddedInstance, 'VALUE')[0].children[0]).toMatchObject({ text: 'Msvm_Error' });
    const svc = tree(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationService'), ALL));
    const mig = named(svc, 'METHOD', 'MigrateVirtualSystemToHost');
    expect(attrOf(mig, 'PROPAGATED')).toBeUndefined();
    expect(attrOf(named(mig, 'PARAMETER.REFERENCE', 'Job'), 'REFERENCECLASS')).toBe('CIM_ConcreteJob');
    expect(Object.keys(qualifiers(named(mig, 'PARAMETER.REFERENCE', 'Job')))).toEqual(['Out']);
    expect(attrOf(named(mig, 'PARAMETER.ARRAY', 'NewResourceSettingData'), 'TYPE')).toBe('string');
  });

  it('flag qualifiers missing from the maps are added (Key, Required, Abstract, Static, In, Out, embedded)', () => {
    const c = tree(writeClassDeclaration(cls('Test_Bare'), ALL));
    expect(Object.keys(qualifiers(c))).toEqual(['Abstract']);
    expect(Object.keys(qualifiers(named(c, 'PROPERTY', 'Id')))).toEqual(['Key', 'Required']);
    expect(Object.keys(qualifiers(named(c, 'PROPERTY', 'Payload')))).toEqual(['EmbeddedInstance']);
    expect(Object.keys(qualifiers(named(c, 'PROPERTY', 'Any')))).toEqual(['EmbeddedObject']);
    const go = named(c, 'METHOD', 'Go');
    expect(Object.keys(qualifiers(go))).toEqual(['Static']);
    expect(kids(go).filter((k) => k.local === 'PARAMETER').map((p) => Object.keys(qualifiers(p)))).toEqual([['In'], ['Out'], ['In', 'Out', 'EmbeddedInstance']]);
  });

  it('association classes say so', () => {
    const c = tree(writeClassDeclaration(cls('Test_Assoc'), ALL));
    expect(attrOf(qualifiers(c).Association, 'OVERRIDABLE')).toBe('false');
    expect(kids(c, 'PROPERTY.REFERENCE').map((p) => attrOf(p, 'REFERENCECLASS'))).toEqual(['Msvm_ComputerSystem', 'Test_AllTypes']);
  });

  it('markup special characters in qualifier values are escaped', () => {
    const xml = writeClassDeclaration(cls('Test_AllTypes'), ALL);
    expect(xml).toContain('<VALUE>b &amp; c</VALUE>');
    expect(() => parseXml(xml)).not.toThrow();
  });
});

describe('writeClassForWsman (the GetResponse body / enumeration item)', () => {
  it('is the bare CLASS element; DERIVATION lists the superclass chain only with IncludeInheritanceHierarchy', () => {
    const with_ = writeClassForWsman(cls('Msvm_VirtualSystemMigrationSettingData'), { ...ALL, includeInheritanceHierarchy: true });
    expect(with_.startsWith('<CLASS NAME="Msvm_VirtualSystemMigrationSettingData" SUPERCLASS="CIM_VirtualSystemMigrationSettingData" DERIVATION="CIM_VirtualSystemMigrationSettingData,CIM_SettingData,CIM_ManagedElement">')).toBe(true);
    const without = writeClassForWsman(cls('Msvm_VirtualSystemMigrationSettingData'), { ...ALL, includeInheritanceHierarchy: false });
    expect(without).toBe(writeClassDeclaration(cls('Msvm_VirtualSystemMigrationSettingData'), ALL));
    expect(writeClassForWsman(cls('CIM_ManagedElement'), { ...ALL, includeInheritanceHierarchy: true })).toMatch(/^<CLASS NAME="CIM_ManagedElement" DERIVATION="">/);
  });
});
