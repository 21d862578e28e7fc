/** ASSOCIATORS OF / REFERENCES OF: parsing into typed structures, and validation. */
import { describe, expect, it } from 'vitest';
import { CimError, CimStatus, type CimStatusCode } from '../../../src/cim/errors.js';
import { compileQuery, parseWql, prepareQuery } from '../../../src/cim/wql/index.js';
import { makeSchema, VM_GUID } from './wql-fixtures.js';

const schema = makeSchema();

function failure(fn: () => unknown): CimError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CimError) return e;
    throw e;
  }
  throw new Error('expected a CimError');
}

describe('ASSOCIATORS OF', () => {
  it("parses libvirt's VM → VSSD query", () => {
    const q = `ASSOCIATORS OF {Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${VM_GUID}'} WHERE AssocClass = Msvm_SettingsDefineState ResultClass = Msvm_VirtualSystemSettingData`;
    expect(parseWql(q)).toEqual({
      kind: 'associators',
      text: q,
      objectPathText: `Msvm_ComputerSystem.CreationClassName='Msvm_ComputerSystem',Name='${VM_GUID}'`,
      objectKind: 'instance',
      object: { className: 'Msvm_ComputerSystem', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: VM_GUID } },
      assocClass: 'Msvm_SettingsDefineState',
      resultClass: 'Msvm_VirtualSystemSettingData',
      classDefsOnly: false,
      schemaOnly: false,
      keysOnly: false,
    });
  });

  it("parses libvirt's lower-case VSSD → memory query and binds it to the schema", () => {
    const q = `associators of {Msvm_VirtualSystemSettingData.InstanceID="Microsoft:${VM_GUID}"} where AssocClass = Msvm_VirtualSystemSettingDataComponent ResultClass = Msvm_MemorySettingData`;
    const p = prepareQuery(q, schema);
    expect(p).toMatchObject({
      kind: 'associators',
      object: { className: 'Msvm_VirtualSystemSettingData', keys: { InstanceID: `Microsoft:${VM_GUID}` } },
      assocClass: 'Msvm_VirtualSystemSettingDataComponent',
      resultClass: 'Msvm_MemorySettingData',
    });
  });

  it('types the source keys and takes the schema spelling of class names', () => {
    const p = prepareQuery(
      'ASSOCIATORS OF {msvm_computersystem.name="x",creationclassname="Msvm_ComputerSystem"} WHERE resultclass=msvm_keyboard',
      schema,
    );
    expect(p).toMatchObject({
      object: { className: 'Msvm_ComputerSystem', keys: { Name: 'x', CreationClassName: 'Msvm_ComputerSystem' } },
      resultClass: 'Msvm_Keyboard',
    });
  });

  it('takes every keyword, in any order and case, without spaces around =', () => {
    const p = parseWql(
      'ASSOCIATORS OF {Win32_LogicalDisk.DeviceID="C:"} WHERE keysonly ResultRole=PartComponent Role = GroupComponent ' +
        'RequiredQualifier = Dynamic AssocClass=Win32_SystemDevices RequiredAssocQualifier = Association ResultClass = Cim_Directory',
    );
    expect(p).toMatchObject({
      assocClass: 'Win32_SystemDevices',
      resultClass: 'Cim_Directory',
      role: 'GroupComponent',
      resultRole: 'PartComponent',
      requiredQualifier: 'Dynamic',
      requiredAssocQualifier: 'Association',
      keysOnly: true,
      classDefsOnly: false,
    });
  });

  it('accepts class paths with ClassDefsOnly / SchemaOnly and unnamed single keys', () => {
    expect(parseWql('ASSOCIATORS OF {myClass} WHERE SchemaOnly')).toMatchObject({ objectKind: 'class', schemaOnly: true, object: { className: 'myClass', keys: {} } });
    expect(parseWql('ASSOCIATORS OF {myClass.keyVal="Value1"} WHERE ClassDefsOnly')).toMatchObject({ objectKind: 'instance', classDefsOnly: true });
    expect(parseWql('ASSOCIATORS OF {win32_LogicalDisk="C:"} WHERE resultClass = Win32_Directory requiredQualifier = Dynamic')).toMatchObject({
      object: { className: 'win32_LogicalDisk', keys: { '': 'C:' } },
      resultClass: 'Win32_Directory',
      requiredQualifier: 'Dynamic',
    });
    expect(parseWql('ASSOCIATORS OF { Emu_ServiceSettings=@ }')).toMatchObject({ objectKind: 'singleton', object: { className: 'Emu_ServiceSettings' } });
  });
});

describe('REFERENCES OF', () => {
  it('parses the filters it allows', () => {
    expect(parseWql('REFERENCES OF {Adapter="AHA-294X"} WHERE ResultClass = AdapterDriver Role = parent RequiredQualifier = AdapterTag')).toMatchObject({
      kind: 'references',
      object: { className: 'Adapter', keys: { '': 'AHA-294X' } },
      resultClass: 'AdapterDriver',
      role: 'parent',
      requiredQualifier: 'AdapterTag',
    });
    expect(parseWql('REFERENCES OF {Adapter="AHA-294X"}')).toMatchObject({ kind: 'references', classDefsOnly: false });
  });

  it('types an association path whose keys are references', () => {
    const vm = `\\\\\\\\HV-HOST-01\\\\root\\\\virtualization\\\\v2:Msvm_ComputerSystem.CreationClassName=\\"Msvm_ComputerSystem\\",Name=\\"${VM_GUID}\\"`;
    const vssd = `\\\\\\\\HV-HOST-01\\\\root\\\\virtualization\\\\v2:Msvm_VirtualSystemSettingData.InstanceID=\\"Microsoft:${VM_GUID}\\"`;
    const q = `REFERENCES OF {Msvm_SettingsDefineState.ManagedElement="${vm}",SettingData="${vssd}"} WHERE Role = ManagedElement`;
    const untyped = parseWql(q);
    expect(untyped.kind === 'references' && typeof untyped.object.keys.ManagedElement).toBe('string');
    const typed = prepareQuery(q, schema);
    expect(typed).toMatchObject({
      kind: 'references',
      role: 'ManagedElement',
      object: {
        className: 'Msvm_SettingsDefineState',
        keys: {
          ManagedElement: {
            className: 'Msvm_ComputerSystem',
            host: 'HV-HOST-01',
            namespace: 'root/virtualization/v2',
            keys: { CreationClassName: 'Msvm_ComputerSystem', Name: VM_GUID },
          },
          SettingData: { className: 'Msvm_VirtualSystemSettingData', keys: { InstanceID: `Microsoft:${VM_GUID}` } },
        },
      },
    });
  });
});

interface AssocError {
  q: string;
  status: CimStatusCode;
  message: RegExp;
  schema?: boolean;
}

const P = '{Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="x"}';

const ERRORS: AssocError[] = [
  { q: 'ASSOCIATORS {X.K=1}', status: CimStatus.INVALID_QUERY, message: /Expected OF after ASSOCIATORS/ },
  { q: 'ASSOCIATORS OF X.K=1', status: CimStatus.INVALID_QUERY, message: /Expected an object path in braces after ASSOCIATORS OF/ },
  { q: 'ASSOCIATORS OF {X.K=1', status: CimStatus.INVALID_QUERY, message: /Unterminated object path/ },
  { q: 'ASSOCIATORS OF {X.K=}', status: CimStatus.INVALID_QUERY, message: /Invalid object path in ASSOCIATORS OF.*missing key value/ },
  { q: 'ASSOCIATORS OF {X.K = 1}', status: CimStatus.INVALID_QUERY, message: /white space is not allowed/ },
  { q: 'ASSOCIATORS OF {}', status: CimStatus.INVALID_QUERY, message: /the path is empty/ },
  { q: `ASSOCIATORS OF ${P} WHERE Bogus = X`, status: CimStatus.INVALID_QUERY, message: /Unknown ASSOCIATORS OF keyword 'Bogus/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = A AND Role = B`, status: CimStatus.INVALID_QUERY, message: /separated by spaces, not AND/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = A OR Role = B`, status: CimStatus.INVALID_QUERY, message: /not OR/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass <> A`, status: CimStatus.INVALID_QUERY, message: /ResultClass must be followed by '='/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = "A"`, status: CimStatus.INVALID_QUERY, message: /written without quotes/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass =`, status: CimStatus.INVALID_QUERY, message: /Expected a name after ResultClass =/ },
  { q: `ASSOCIATORS OF ${P} WHERE ClassDefsOnly ResultClass = A`, status: CimStatus.INVALID_QUERY, message: /ClassDefsOnly and ResultClass cannot be used together/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = A resultclass = B`, status: CimStatus.INVALID_QUERY, message: /ResultClass appears twice/ },
  { q: `ASSOCIATORS OF ${P} WHERE`, status: CimStatus.INVALID_QUERY, message: /keywords after WHERE/ },
  { q: `ASSOCIATORS OF ${P} garbage`, status: CimStatus.INVALID_QUERY, message: /Expected WHERE or the end of the query/ },
  { q: `ASSOCIATORS OF ${P} WHERE SchemaOnly`, status: CimStatus.INVALID_QUERY, message: /SchemaOnly needs a class path/ },
  { q: 'ASSOCIATORS OF {X} WHERE ClassDefsOnly SchemaOnly', status: CimStatus.INVALID_QUERY, message: /ClassDefsOnly and SchemaOnly/ },
  { q: `ASSOCIATORS OF ${P} WHERE KeysOnly ClassDefsOnly`, status: CimStatus.INVALID_QUERY, message: /KeysOnly .* ClassDefsOnly/ },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = A.B`, status: CimStatus.INVALID_QUERY, message: /Expected an ASSOCIATORS OF keyword, found '\.B'/ },
  { q: `REFERENCES OF ${P} WHERE AssocClass = A`, status: CimStatus.INVALID_QUERY, message: /AssocClass is not valid in REFERENCES OF/ },
  { q: `REFERENCES OF ${P} WHERE ResultRole = A`, status: CimStatus.INVALID_QUERY, message: /ResultRole is not valid in REFERENCES OF/ },
  { q: `REFERENCES OF ${P} WHERE Foo`, status: CimStatus.INVALID_QUERY, message: /Unknown REFERENCES OF keyword 'Foo'.*expected one of ResultClass, Role, RequiredQualifier, ClassDefsOnly, SchemaOnly, KeysOnly/ },
  { q: 'REFERENCES {X.K=1}', status: CimStatus.INVALID_QUERY, message: /Expected OF after REFERENCES/ },
  // bound to the schema
  { q: 'ASSOCIATORS OF {Msvm_Nope.Name="x"}', status: CimStatus.INVALID_CLASS, message: /'Msvm_Nope'/, schema: true },
  { q: `ASSOCIATORS OF ${P} WHERE ResultClass = Msvm_Nope`, status: CimStatus.INVALID_CLASS, message: /'Msvm_Nope'/, schema: true },
  { q: `ASSOCIATORS OF ${P} WHERE AssocClass = Msvm_Nope`, status: CimStatus.INVALID_CLASS, message: /'Msvm_Nope'/, schema: true },
  { q: 'ASSOCIATORS OF {Msvm_ComputerSystem.Bogus="x"}', status: CimStatus.INVALID_QUERY, message: /'Bogus' is not a property of 'Msvm_ComputerSystem'/, schema: true },
  { q: 'ASSOCIATORS OF {Msvm_ComputerSystem.ElementName="x"}', status: CimStatus.INVALID_QUERY, message: /'ElementName' is not a key/, schema: true },
];

describe('ASSOCIATORS OF / REFERENCES OF: errors', () => {
  it.each(ERRORS)('$q', ({ q, status, message, schema: bound }) => {
    const err = failure(() => (bound ? prepareQuery(q, schema) : parseWql(q)));
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
    expect(err.parameterInfo).toBe(q);
  });

  it('is not a SELECT', () => {
    const err = failure(() => compileQuery(`ASSOCIATORS OF ${P}`, schema));
    expect(err.status).toBe(CimStatus.INVALID_QUERY);
    expect(err.message).toMatch(/Expected a SELECT query, found ASSOCIATORS OF/);
  });
});
