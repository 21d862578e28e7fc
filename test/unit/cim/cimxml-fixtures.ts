/**
 * Hand-built CimClass fixtures for the CIM-XML tests, shaped like the real root/virtualization/v2
 * schema (class chain, keys, EmbeddedInstance parameters, Msvm_Error) plus test classes that cover
 * every CIM type. The builder applies the inheritance rules of src/cim/mof/resolver.ts (propagated
 * copies, overrides keep classOrigin, Restricted qualifiers are not inherited, effective qualifier
 * maps on features, own-only class qualifiers) so the fixtures look like what the schema loader
 * produces. The tests also run on the real schema: see {@link realSchema}.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import type {
  CimClass,
  CimInstance,
  CimMethodDecl,
  CimParameterDecl,
  CimPropertyDecl,
  CimQualifier,
  CimRef,
  CimScalar,
  CimType,
  CimValue,
  QualifierValue,
} from '../../../src/cim/types.js';
import { nameKey } from '../../../src/cim/types.js';
import { interval, timestamp } from '../../../src/cim/values.js';
import { qualifierDeclLookup, type QualifierDeclLookup } from '../../../src/cim/cimxml/index.js';
import { loadSchemaRegistry } from '../../../src/cim/schema-loader.js';

export const NS = 'root/virtualization/v2';

type Quals = Readonly<Record<string, QualifierValue>>;

interface PropSpec {
  name: string;
  type: CimType;
  /** true for `[]`, a number for `[n]` */
  array?: true | number;
  ref?: string;
  ei?: string;
  eo?: true;
  key?: true;
  required?: true;
  write?: true;
  default?: CimValue;
  q?: Quals;
}

interface ParamSpec {
  name: string;
  type: CimType;
  array?: true | number;
  ref?: string;
  ei?: string;
  in?: boolean;
  out?: boolean;
  q?: Quals;
}

interface MethodSpec {
  name: string;
  returns?: CimType;
  params?: ParamSpec[];
  static?: true;
  q?: Quals;
}

export interface ClassSpec {
  name: string;
  super?: string;
  abstract?: true;
  association?: true;
  indication?: true;
  q?: Quals;
  props?: PropSpec[];
  methods?: MethodSpec[];
  /** leave flag qualifiers (Key, In, Out …) out of the maps, to test that writers add them */
  bare?: true;
}

const RESTRICTED = new Set(['abstract', 'override', 'version', 'deprecated', 'experimental', 'revision']);

function qmap(q: Quals | undefined, implied: ReadonlyArray<readonly [string, QualifierValue]> = []): Map<string, CimQualifier> {
  const m = new Map<string, CimQualifier>();
  for (const [name, value] of implied) m.set(nameKey(name), { name, value });
  for (const [name, value] of Object.entries(q ?? {})) m.set(nameKey(name), { name, value });
  return m;
}

/** Inherited qualifiers overlaid with local ones (ToSubclass only), as the resolver does for features. */
function merge(inherited: ReadonlyMap<string, CimQualifier> | undefined, local: Map<string, CimQualifier>): Map<string, CimQualifier> {
  const m = new Map<string, CimQualifier>();
  for (const [k, q] of inherited ?? []) if (!RESTRICTED.has(k)) m.set(k, q);
  for (const [k, q] of local) m.set(k, q);
  return m;
}

function inheritedOnly(m: ReadonlyMap<string, CimQualifier>): Map<string, CimQualifier> {
  return merge(m, new Map());
}

function typed(spec: { type: CimType; array?: true | number; ref?: string; ei?: string; eo?: true }) {
  return {
    type: spec.type,
    isArray: spec.array !== undefined,
    ...(typeof spec.array === 'number' ? { arraySize: spec.array } : {}),
    ...(spec.ref !== undefined ? { refClass: spec.ref } : {}),
    ...(spec.ei !== undefined ? { embeddedInstance: spec.ei } : {}),
    ...(spec.eo ? { embeddedObject: true } : {}),
  };
}

function strs(v: QualifierValue | undefined): string[] | undefined {
  return Array.isArray(v) ? v.map(String) : undefined;
}

function buildParam(p: ParamSpec, inherited: CimParameterDecl | undefined, bare: boolean): CimParameterDecl {
  const isIn = p.in ?? !p.out;
  const implied: Array<readonly [string, QualifierValue]> = [];
  if (!bare) {
    if (isIn) implied.push(['In', true]);
    if (p.out) implied.push(['Out', true]);
    if (p.ei) implied.push(['EmbeddedInstance', p.ei]);
  }
  return { name: p.name, ...typed(p), qualifiers: merge(inherited?.qualifiers, qmap(p.q, implied)), in: isIn, out: p.out ?? false, required: false };
}

export function buildClasses(specs: readonly ClassSpec[], namespace = NS): Map<string, CimClass> {
  const out = new Map<string, CimClass>();
  for (const s of specs) {
    const sup = s.super ? out.get(nameKey(s.super)) : undefined;
    if (s.super && !sup) throw new Error(`fixture ${s.name}: superclass ${s.super} must come first`);
    const properties = new Map<string, CimPropertyDecl>();
    for (const [k, p] of sup?.properties ?? []) properties.set(k, { ...p, propagated: true, qualifiers: inheritedOnly(p.qualifiers) });
    for (const p of s.props ?? []) {
      const prev = properties.get(nameKey(p.name));
      const implied: Array<readonly [string, QualifierValue]> = [];
      if (!s.bare) {
        if (p.key) implied.push(['Key', true]);
        if (p.required) implied.push(['Required', true]);
        if (p.write) implied.push(['Write', true]);
        if (p.ei) implied.push(['EmbeddedInstance', p.ei]);
        if (p.eo) implied.push(['EmbeddedObject', true]);
      }
      const qualifiers = merge(prev?.qualifiers, qmap(p.q, implied));
      const decl: CimPropertyDecl = {
        name: p.name,
        ...typed(p),
        qualifiers,
        classOrigin: prev?.classOrigin ?? s.name,
        propagated: false,
        key: (prev?.key ?? false) || p.key === true,
        required: (prev?.required ?? false) || p.required === true,
        writeable: p.write === true || (prev?.writeable ?? false),
        ...(strs(qualifiers.get('valuemap')?.value) ? { valueMap: strs(qualifiers.get('valuemap')?.value) } : {}),
        ...(strs(qualifiers.get('values')?.value) ? { values: strs(qualifiers.get('values')?.value) } : {}),
        ...(p.default !== undefined ? { defaultValue: p.default } : prev?.defaultValue !== undefined ? { defaultValue: prev.defaultValue } : {}),
      };
      properties.set(nameKey(p.name), decl);
    }
    const methods = new Map<string, CimMethodDecl>();
    for (const [k, m] of sup?.methods ?? []) methods.set(k, { ...m, propagated: true, qualifiers: inheritedOnly(m.qualifiers) });
    for (const m of s.methods ?? []) {
      const prev = methods.get(nameKey(m.name));
      const parameters = (m.params ?? []).map((p) => buildParam(p, prev?.parameterMap.get(nameKey(p.name)), s.bare === true));
      methods.set(nameKey(m.name), {
        name: m.name,
        returnType: m.returns ?? 'uint32',
        parameters,
        parameterMap: new Map(parameters.map((p) => [nameKey(p.name), p])),
        qualifiers: merge(prev?.qualifiers, qmap(m.q, m.static && !s.bare ? [['Static', true]] : [])),
        classOrigin: prev?.classOrigin ?? s.name,
        propagated: false,
        isStatic: m.static === true || (prev?.isStatic ?? false),
        implemented: true,
      });
    }
    const sorted = [...properties.values()].sort((a, b) => (a.name.toUpperCase() < b.name.toUpperCase() ? -1 : a.name.toUpperCase() > b.name.toUpperCase() ? 1 : 0));
    const implied: Array<readonly [string, QualifierValue]> = [];
    if (!s.bare) {
      if (s.abstract) implied.push(['Abstract', true]);
      if (s.association) implied.push(['Association', true]);
      if (s.indication) implied.push(['Indication', true]);
    }
    out.set(nameKey(s.name), {
      name: s.name,
      ...(s.super ? { superClass: sup!.name } : {}),
      namespace,
      qualifiers: qmap(s.q, implied),
      properties,
      sortedProperties: sorted,
      keys: sorted.filter((p) => p.key),
      methods,
      isAbstract: s.abstract === true,
      isAssociation: s.association === true || (sup?.isAssociation ?? false),
      isIndication: s.indication === true || (sup?.isIndication ?? false),
      ancestry: [s.name, ...(sup?.ancestry ?? [])],
    });
  }
  return out;
}

const VER = (v: string) => ({ Version: v });

export const SPECS: readonly ClassSpec[] = [
  {
    name: 'CIM_ManagedElement', abstract: true, q: { ...VER('2.19.0'), UMLPackagePath: 'CIM::Core::CoreElements', Description: 'ManagedElement is an abstract class.' },
    props: [
      { name: 'InstanceID', type: 'string', q: { Description: 'Opaque identity.' } },
      { name: 'Caption', type: 'string', q: { MaxLen: 64, Description: 'A short description.' } },
      { name: 'Description', type: 'string' },
      { name: 'ElementName', type: 'string' },
    ],
  },
  {
    name: 'CIM_SettingData', super: 'CIM_ManagedElement', abstract: true, q: { ...VER('2.19.0'), UMLPackagePath: 'CIM::Core::Settings' },
    props: [
      { name: 'InstanceID', type: 'string', key: true, q: { Override: 'InstanceID' } },
      { name: 'ElementName', type: 'string', required: true, q: { Override: 'ElementName' } },
      { name: 'ChangeableType', type: 'uint16', q: { ValueMap: ['0', '1', '2', '3'], Values: ['Not Changeable - Persistent', 'Changeable - Transient', 'Changeable - Persistent', 'Not Changeable - Transient'] } },
      { name: 'ConfigurationName', type: 'string' },
    ],
  },
  {
    name: 'CIM_VirtualSystemMigrationSettingData', super: 'CIM_SettingData', q: VER('2.22.0'),
    props: [
      { name: 'MigrationType', type: 'uint16', write: true, q: { ValueMap: ['0', '1', '2', '3', '4', '..', '32768..65535'], Values: ['Unknown', 'Other', 'Live', 'Resume', 'Restart', 'DMTF Reserved', 'Vendor Specific'] } },
      { name: 'Priority', type: 'uint16', write: true },
      { name: 'Bandwidth', type: 'uint16' },
      { name: 'BandwidthUnit', type: 'string', q: { Units: 'percent' } },
    ],
  },
  {
    name: 'Msvm_MoveUnmanagedVhd', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' },
    props: [
      { name: 'VhdSourcePath', type: 'string' },
      { name: 'VhdDestinationPath', type: 'string' },
    ],
  },
  {
    name: 'Msvm_VirtualSystemMigrationSettingData', super: 'CIM_VirtualSystemMigrationSettingData',
    q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider', Description: 'Virtual System Migration Setting Data' },
    props: [
      { name: 'MigrationType', type: 'uint16', write: true, q: { ValueMap: ['0', '32768', '32769', '32770', '32771', '32772'], Values: ['Unknown', 'VirtualSystem', 'Storage', 'Staged', 'VirtualSystemAndStorage', 'StorageDeepCheck'] } },
      { name: 'TransportType', type: 'uint16', write: true, q: { ValueMap: ['5', '32768'], Values: ['TCP', 'SMB'] } },
      { name: 'OtherTransportType', type: 'string' },
      { name: 'DestinationPlannedVirtualSystemId', type: 'string', write: true },
      { name: 'DestinationIPAddressList', type: 'string', array: true, write: true },
      { name: 'RetainVhdCopiesOnSource', type: 'boolean', write: true },
      { name: 'EnableCompression', type: 'boolean', write: true },
      { name: 'UnmanagedVhds', type: 'string', array: true, ei: 'Msvm_MoveUnmanagedVhd', write: true },
      { name: 'RemoveSourceUnmanagedVhds', type: 'boolean', write: true },
      { name: 'CPUCappingMagnitude', type: 'uint16', write: true },
    ],
  },
  {
    name: 'CIM_VirtualSystemSettingData', super: 'CIM_SettingData', q: VER('2.44.0'),
    props: [
      { name: 'VirtualSystemIdentifier', type: 'string' },
      { name: 'VirtualSystemType', type: 'string' },
      { name: 'Notes', type: 'string', array: true },
      { name: 'CreationTime', type: 'datetime' },
      { name: 'AutomaticStartupAction', type: 'uint16', q: { ValueMap: ['0', '1', '2', '3', '..', '32768..65535'] } },
      { name: 'AutomaticStartupActionDelay', type: 'datetime', default: interval(0) },
      { name: 'AutomaticShutdownAction', type: 'uint16' },
      { name: 'ConfigurationDataRoot', type: 'string' },
    ],
  },
  {
    name: 'Msvm_VirtualSystemSettingData', super: 'CIM_VirtualSystemSettingData', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' },
    props: [
      { name: 'Version', type: 'string' },
      { name: 'IsSaved', type: 'boolean' },
      { name: 'BootOrder', type: 'uint16', array: true },
      { name: 'SecureBootEnabled', type: 'boolean', write: true },
    ],
  },
  {
    name: 'CIM_Error', abstract: true, indication: true, q: { Exception: true, ...VER('2.22.1'), UMLPackagePath: 'CIM::Interop' },
    props: [
      { name: 'ErrorType', type: 'uint16', q: { ValueMap: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '..'], Values: ['Unknown', 'Other', 'Communications Error', 'Quality of Service Error', 'Software Error', 'Hardware Error', 'Environmental Error', 'Security Error', 'Oversubscription Error', 'Unavailable Resource Error', 'Unsupported Operation Error', 'DMTF Reserved'] } },
      { name: 'OtherErrorType', type: 'string' },
      { name: 'OwningEntity', type: 'string' },
      { name: 'MessageID', type: 'string', required: true },
      { name: 'Message', type: 'string' },
      { name: 'MessageArguments', type: 'string', array: true },
      { name: 'PerceivedSeverity', type: 'uint16' },
      { name: 'ProbableCause', type: 'uint16' },
      { name: 'ProbableCauseDescription', type: 'string' },
      { name: 'RecommendedActions', type: 'string', array: true },
      { name: 'ErrorSource', type: 'string' },
      { name: 'ErrorSourceFormat', type: 'uint16', default: 0 },
      { name: 'OtherErrorSourceFormat', type: 'string' },
      { name: 'CIMStatusCode', type: 'uint32' },
      { name: 'CIMStatusCodeDescription', type: 'string' },
    ],
  },
  { name: 'Msvm_Error', super: 'CIM_Error', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' } },
  {
    name: 'CIM_System', super: 'CIM_ManagedElement', abstract: true, q: VER('2.15.0'),
    props: [
      { name: 'CreationClassName', type: 'string', key: true, q: { MaxLen: 256 } },
      { name: 'Name', type: 'string', key: true, q: { MaxLen: 256, Override: 'Name' } },
    ],
  },
  { name: 'CIM_ComputerSystem', super: 'CIM_System', q: VER('2.36.0'), props: [{ name: 'Dedicated', type: 'uint16', array: true }] },
  {
    name: 'Msvm_ComputerSystem', super: 'CIM_ComputerSystem', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' },
    props: [
      { name: 'EnabledState', type: 'uint16' },
      { name: 'ProcessID', type: 'uint32' },
      { name: 'TimeOfLastStateChange', type: 'datetime' },
    ],
    methods: [{ name: 'RequestStateChange', params: [{ name: 'RequestedState', type: 'uint16' }, { name: 'Job', type: 'reference', ref: 'CIM_ConcreteJob', out: true }, { name: 'TimeoutPeriod', type: 'datetime' }] }],
  },
  { name: 'CIM_Job', super: 'CIM_ManagedElement', abstract: true, q: VER('2.31.1'), props: [{ name: 'TimeSubmitted', type: 'datetime' }, { name: 'ElapsedTime', type: 'datetime' }, { name: 'ErrorCode', type: 'uint16' }] },
  {
    name: 'CIM_ConcreteJob', super: 'CIM_Job', q: VER('2.31.1'),
    props: [
      { name: 'InstanceID', type: 'string', key: true, q: { Override: 'InstanceID' } },
      { name: 'Name', type: 'string', required: true },
      { name: 'JobState', type: 'uint16' },
      { name: 'PercentComplete', type: 'uint16', q: { Units: 'Percent', MinValue: 0, MaxValue: 101 } },
      { name: 'Cancellable', type: 'boolean' },
    ],
    methods: [
      { name: 'RequestStateChange', params: [{ name: 'RequestedState', type: 'uint16' }, { name: 'TimeoutPeriod', type: 'datetime' }] },
      { name: 'GetError', params: [{ name: 'Error', type: 'string', ei: 'CIM_Error', out: true }] },
    ],
  },
  {
    name: 'Msvm_ConcreteJob', super: 'CIM_ConcreteJob', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' },
    props: [{ name: 'JobType', type: 'uint16' }],
    methods: [
      { name: 'GetError', params: [{ name: 'Error', type: 'string', ei: 'Msvm_Error', out: true }], q: { Implemented: true } },
      { name: 'GetErrorEx', params: [{ name: 'Errors', type: 'string', array: true, ei: 'Msvm_Error', out: true }], q: { Implemented: true } },
    ],
  },
  {
    name: 'CIM_Service', super: 'CIM_ManagedElement', abstract: true, q: VER('2.19.0'),
    props: [
      { name: 'SystemCreationClassName', type: 'string', key: true, q: { MaxLen: 256 } },
      { name: 'SystemName', type: 'string', key: true, q: { MaxLen: 256 } },
      { name: 'CreationClassName', type: 'string', key: true, q: { MaxLen: 256 } },
      { name: 'Name', type: 'string', key: true, q: { MaxLen: 256 } },
    ],
  },
  {
    name: 'CIM_VirtualSystemMigrationService', super: 'CIM_Service', q: VER('2.22.0'),
    methods: [
      {
        name: 'MigrateVirtualSystemToHost',
        params: [
          { name: 'ComputerSystem', type: 'reference', ref: 'CIM_ComputerSystem' },
          { name: 'DestinationHost', type: 'string' },
          { name: 'MigrationSettingData', type: 'string', ei: 'CIM_VirtualSystemMigrationSettingData' },
          { name: 'NewSystemSettingData', type: 'string', ei: 'CIM_VirtualSystemSettingData' },
          { name: 'NewResourceSettingData', type: 'string', array: true, ei: 'CIM_ResourceAllocationSettingData' },
          { name: 'Job', type: 'reference', ref: 'CIM_ConcreteJob', out: true, in: false },
        ],
      },
    ],
  },
  {
    name: 'Msvm_VirtualSystemMigrationService', super: 'CIM_VirtualSystemMigrationService', q: { Dynamic: true, Provider: 'VmmsWmiInstanceAndMethodProvider' },
    props: [{ name: 'MigrationServiceListenerIPAddressList', type: 'string', array: true }],
    methods: [
      {
        name: 'MigrateVirtualSystemToHost', q: { Implemented: true },
        params: [
          { name: 'ComputerSystem', type: 'reference', ref: 'Msvm_ComputerSystem' },
          { name: 'DestinationHost', type: 'string' },
          { name: 'MigrationSettingData', type: 'string', ei: 'Msvm_VirtualSystemMigrationSettingData' },
          { name: 'NewSystemSettingData', type: 'string', ei: 'Msvm_VirtualSystemSettingData' },
          { name: 'NewResourceSettingData', type: 'string', array: true, ei: 'CIM_ResourceAllocationSettingData' },
          { name: 'Job', type: 'reference', ref: 'CIM_ConcreteJob', out: true, in: false },
        ],
      },
      {
        name: 'CheckVirtualSystemIsMigratable', q: { Implemented: true },
        params: [
          { name: 'ComputerSystem', type: 'reference', ref: 'Msvm_ComputerSystem' },
          { name: 'DestinationHost', type: 'string' },
          { name: 'MigrationSettingData', type: 'string', ei: 'Msvm_VirtualSystemMigrationSettingData' },
          { name: 'Job', type: 'reference', ref: 'CIM_ConcreteJob', out: true, in: false },
          { name: 'IsMigratable', type: 'boolean', out: true, in: false },
        ],
      },
    ],
  },
  {
    name: 'Test_NumKey',
    props: [
      { name: 'Id', type: 'uint32', key: true },
      { name: 'Enabled', type: 'boolean', key: true },
      { name: 'Label', type: 'string' },
    ],
  },
  {
    // every CIM type as scalar and array, references, embedded objects, fixed-size arrays, defaults
    name: 'Test_AllTypes', q: { Description: 'Covers every CIM type.', Locale: 1033 },
    props: [
      { name: 'InstanceID', type: 'string', key: true },
      { name: 'U8', type: 'uint8' }, { name: 'S8', type: 'sint8' }, { name: 'U16', type: 'uint16' }, { name: 'S16', type: 'sint16' },
      { name: 'U32', type: 'uint32' }, { name: 'S32', type: 'sint32' }, { name: 'U64', type: 'uint64' }, { name: 'S64', type: 'sint64' },
      { name: 'R32', type: 'real32' }, { name: 'R64', type: 'real64' }, { name: 'Flag', type: 'boolean' }, { name: 'Text', type: 'string' },
      { name: 'Char', type: 'char16' }, { name: 'When', type: 'datetime' },
      { name: 'U8s', type: 'uint8', array: true }, { name: 'S8s', type: 'sint8', array: true }, { name: 'U16s', type: 'uint16', array: true },
      { name: 'S16s', type: 'sint16', array: true }, { name: 'U32s', type: 'uint32', array: true }, { name: 'S32s', type: 'sint32', array: true },
      { name: 'U64s', type: 'uint64', array: true }, { name: 'S64s', type: 'sint64', array: true }, { name: 'R32s', type: 'real32', array: true },
      { name: 'R64s', type: 'real64', array: true }, { name: 'Flags', type: 'boolean', array: true }, { name: 'Texts', type: 'string', array: true },
      { name: 'Chars', type: 'char16', array: true }, { name: 'Whens', type: 'datetime', array: true },
      { name: 'Fixed', type: 'uint16', array: 4 },
      { name: 'System', type: 'reference', ref: 'CIM_ComputerSystem' },
      { name: 'NumRef', type: 'reference', ref: 'Test_NumKey' },
      { name: 'Vhd', type: 'string', ei: 'Msvm_MoveUnmanagedVhd' },
      { name: 'Vhds', type: 'string', array: true, ei: 'Msvm_MoveUnmanagedVhd' },
      { name: 'TypedVhd', type: 'instance', ref: 'Msvm_MoveUnmanagedVhd' },
      { name: 'AnyObject', type: 'string', eo: true },
      { name: 'WithDefault', type: 'uint32', default: 7, q: { Description: 'Has a default of 7.' } },
      { name: 'DefaultTexts', type: 'string', array: true, default: ['a', 'b & c'] },
      { name: 'DefaultFlag', type: 'boolean', default: true },
    ],
    methods: [
      {
        name: 'Everything', static: true, returns: 'uint32', q: { Description: 'A static method with every parameter kind.' },
        params: [
          { name: 'Scalar', type: 'uint64' },
          { name: 'Array', type: 'string', array: true },
          { name: 'Fixed', type: 'uint8', array: 2 },
          { name: 'Ref', type: 'reference', ref: 'Msvm_ComputerSystem' },
          { name: 'Refs', type: 'reference', ref: 'Msvm_ComputerSystem', array: true },
          { name: 'Typed', type: 'instance', ref: 'Msvm_MoveUnmanagedVhd' },
          { name: 'Settings', type: 'string', ei: 'Msvm_VirtualSystemSettingData' },
          { name: 'Result', type: 'datetime', out: true, in: false },
          { name: 'InOut', type: 'sint32', in: true, out: true },
        ],
      },
      { name: 'ReturnsString', returns: 'string' },
      { name: 'ReturnsRef', returns: 'reference' },
    ],
  },
  {
    name: 'Test_Assoc', association: true, q: { Description: 'An association.' },
    props: [
      { name: 'Antecedent', type: 'reference', ref: 'Msvm_ComputerSystem', key: true },
      { name: 'Dependent', type: 'reference', ref: 'Test_AllTypes', key: true },
    ],
  },
  {
    // a class whose maps lack the flag qualifiers: the class writer must add Key, In, Out, Static …
    name: 'Test_Bare', bare: true, abstract: true,
    props: [
      { name: 'Id', type: 'string', key: true, required: true },
      { name: 'Payload', type: 'string', ei: 'Msvm_MoveUnmanagedVhd' },
      { name: 'Any', type: 'string', eo: true },
    ],
    methods: [{ name: 'Go', static: true, params: [{ name: 'A', type: 'string' }, { name: 'B', type: 'uint8', out: true, in: false }, { name: 'C', type: 'instance', ref: 'Msvm_MoveUnmanagedVhd', in: true, out: true }] }],
  },
];

export const CLASSES: ReadonlyMap<string, CimClass> = buildClasses(SPECS);

export const classOf = (name: string): CimClass | undefined => CLASSES.get(nameKey(name));

export function cls(name: string): CimClass {
  const c = classOf(name);
  if (!c) throw new Error(`no fixture class ${name}`);
  return c;
}

export interface RealSchema extends World {
  readonly namespace: string;
  readonly qualifierDecl: QualifierDeclLookup;
}

/** The project's real schema (schemas/*.mof through src/cim/schema-loader.ts), per namespace. */
export function realSchema(namespace = NS): RealSchema {
  const reg = loadSchemaRegistry();
  return {
    namespace,
    classes: reg.classes(namespace),
    classOf: (name) => reg.getClass(namespace, name),
    qualifierDecl: qualifierDeclLookup(reg.qualifierDeclarations(namespace)),
  };
}

// ---- DTD validation with xmllint ----------------------------------------------------------------

export const DTD = fileURLToPath(new URL('../../fixtures/cimxml/DSP0203_2.4.0.dtd', import.meta.url));
/** DSP0203 plus the DERIVATION attribute of Microsoft's MI class writer (see the file's comment). */
export const DTD_MI = fileURLToPath(new URL('../../fixtures/cimxml/DSP0203_2.4.0-mi-derivation.dtd', import.meta.url));

/** The smallest DTD-valid document around one CLASS or INSTANCE: CIM > DECLARATION > DECLGROUP > VALUE.OBJECT. */
export function cimDocument(object: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<CIM CIMVERSION="2.0" DTDVERSION="2.4"><DECLARATION><DECLGROUP><VALUE.OBJECT>${object}</VALUE.OBJECT></DECLGROUP></DECLARATION></CIM>\n`;
}

/**
 * Run `xmllint --noout --dtdvalid DTD` over documents; returns xmllint's complaints ('' when all
 * are valid). A missing xmllint is an error, never a skip: CI installs libxml2-utils.
 */
export function xmllintValidate(docs: ReadonlyArray<{ readonly name: string; readonly xml: string }>, dtd: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cimxml-dtd-'));
  try {
    const files = docs.map((d, i) => {
      const f = join(dir, `${String(i).padStart(4, '0')}-${d.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.xml`);
      writeFileSync(f, d.xml);
      return f;
    });
    let complaints = '';
    for (let i = 0; i < files.length; i += 200) {
      const r = spawnSync('xmllint', ['--noout', '--nonet', '--dtdvalid', dtd, ...files.slice(i, i + 200)], { encoding: 'utf8' });
      if (r.error) throw new Error(`xmllint could not be run (${r.error.message}); install libxml2-utils`);
      if (r.status !== 0) complaints += r.stderr || `xmllint exited with ${r.status}\n`;
    }
    return complaints;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- arbitraries: valid instances of a set of classes --------------------------------------------

/** Characters XML 1.0 can carry (the writer turns the others into '?', as Windows does). */
const XML_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/u;

const xmlString = fc.string({ unit: 'binary', maxLength: 12 }).filter((s) => !XML_UNSAFE.test(s));
const xmlChar = fc
  .oneof(fc.constantFrom(9, 10, 13, 0x20, 0x30, 0x3c, 0x26), fc.integer({ min: 0x20, max: 0xd7ff }), fc.integer({ min: 0xe000, max: 0xfffd }))
  .map((c) => String.fromCharCode(c));

const safeNumber = (b: bigint): number | bigint => (b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b);

const dateTimeArb: fc.Arbitrary<CimScalar> = fc.oneof(
  fc
    .record({ ms: fc.integer({ min: Date.UTC(1601, 0, 2), max: Date.UTC(9999, 11, 30) }), micros: fc.integer({ min: 0, max: 999 }), off: fc.integer({ min: -720, max: 840 }) })
    .map((r) => timestamp(r.ms, r.micros, r.off)),
  fc.bigInt({ min: 0n, max: 99_999_999n * 86_400_000_000n - 1n }).map((m) => interval(m)),
);

function intrinsicArb(type: CimType): fc.Arbitrary<CimScalar> {
  switch (type) {
    case 'uint8': return fc.integer({ min: 0, max: 255 });
    case 'sint8': return fc.integer({ min: -128, max: 127 });
    case 'uint16': return fc.integer({ min: 0, max: 65535 });
    case 'sint16': return fc.integer({ min: -32768, max: 32767 });
    case 'uint32': return fc.integer({ min: 0, max: 4294967295 });
    case 'sint32': return fc.integer({ min: -2147483648, max: 2147483647 });
    case 'uint64': return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(safeNumber);
    case 'sint64': return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(safeNumber);
    case 'real32': return fc.float();
    case 'real64': return fc.double();
    case 'boolean': return fc.boolean();
    case 'string': return xmlString;
    case 'char16': return xmlChar;
    case 'datetime': return dateTimeArb;
    default: throw new Error(`no arbitrary for ${type}`);
  }
}

/** A set of classes to generate instances of: the fixtures or the real schema. */
export interface World {
  readonly classes: readonly CimClass[];
  readonly classOf: (name: string) => CimClass | undefined;
}

function concreteSubclasses(world: World, base: string | undefined): CimClass[] {
  return world.classes.filter((c) => !c.isAbstract && (!base || c.ancestry.some((a) => nameKey(a) === nameKey(base))));
}

function refArb(world: World, refClass: string | undefined): fc.Arbitrary<CimScalar> | undefined {
  const targets = concreteSubclasses(world, refClass).filter((c) => c.keys.length > 0 && c.keys.every((k) => k.type !== 'reference' && k.type !== 'instance'));
  if (targets.length === 0) return undefined;
  return fc.constantFrom(...targets).chain((t) =>
    fc
      .record({
        keys: fc.record(Object.fromEntries(t.keys.map((k) => [k.name, intrinsicArb(k.type)]))),
        where: fc.constantFrom<Array<{ namespace?: string; host?: string }>>({}, { namespace: NS }, { namespace: 'root/cimv2', host: 'HV2.example.com' }),
      })
      .map(({ keys, where }): CimRef => ({ className: t.name, ...where, keys })),
  );
}

function scalarArb(world: World, p: CimPropertyDecl, depth: number): fc.Arbitrary<CimScalar> | undefined {
  if (p.type === 'reference') return refArb(world, p.refClass);
  if (p.type === 'instance' || p.embeddedInstance || p.embeddedObject) {
    if (depth > 0) return undefined; // one level of embedding is enough to cover the paths
    const name = p.embeddedInstance ?? (p.type === 'instance' ? p.refClass : undefined);
    const flat = (c: CimClass) => c.sortedProperties.every((q) => q.type !== 'instance' && !q.embeddedInstance && !q.embeddedObject);
    const choices = concreteSubclasses(world, name).filter(flat).slice(0, 6);
    if (choices.length === 0) return undefined;
    return fc.constantFrom(...choices).chain((c) => instanceArbIn(world, c, depth + 1));
  }
  return intrinsicArb(p.type);
}

/** Random valid instances of `c`: each property absent, null or a value that fits its declaration. */
export function instanceArbIn(world: World, c: CimClass, depth = 0): fc.Arbitrary<CimInstance> {
  const fields: Record<string, fc.Arbitrary<CimValue>> = {};
  for (const p of c.sortedProperties) {
    const one = scalarArb(world, p, depth);
    if (!one) continue;
    const value: fc.Arbitrary<CimValue> = p.isArray ? fc.array(one, { maxLength: p.arraySize ?? 3 }) : one;
    fields[p.name] = fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 4, arbitrary: value });
  }
  return fc.record(fields, { requiredKeys: [] }).map((props) => ({ className: c.name, props: props as Record<string, CimValue> }));
}

export const FIXTURES: World = { classes: [...CLASSES.values()], classOf };

export function instanceArb(c: CimClass): fc.Arbitrary<CimInstance> {
  return instanceArbIn(FIXTURES, c);
}

/** Fixture classes that can have instances. */
export const CONCRETE: readonly CimClass[] = [...CLASSES.values()].filter((c) => !c.isAbstract);
