/**
 * Test classes and instances for the WQL and object-path tests. The class builder produces objects
 * satisfying src/cim/types.ts the way the MOF compiler would (inherited properties propagated,
 * properties keyed by lower-case name, sortedProperties / keys sorted case-insensitively,
 * ancestry from the class to the root), without depending on the class registry.
 */
import type {
  CimClass,
  CimInstance,
  CimPropertyDecl,
  CimQualifier,
  CimType,
  CimValue,
  QualifierValue,
} from '../../../src/cim/types.js';
import { timestamp, interval, parseDateTime } from '../../../src/cim/values.js';
import type { WqlSchema } from '../../../src/cim/wql/index.js';

export const NAMESPACE = 'root/virtualization/v2';
export const HOST = 'HV-HOST-01';
export const CTX = { host: HOST, namespace: NAMESPACE } as const;

export interface PropSpec {
  name: string;
  type: CimType;
  isArray?: boolean;
  key?: boolean;
  refClass?: string;
  embeddedInstance?: string;
  embeddedObject?: boolean;
}

export interface ClassSpec {
  name: string;
  superClass?: string;
  props?: PropSpec[];
  qualifiers?: Record<string, QualifierValue>;
  abstract?: boolean;
  association?: boolean;
}

const lower = (s: string) => s.toLowerCase();
const byName = (a: { name: string }, b: { name: string }) => {
  const x = lower(a.name);
  const y = lower(b.name);
  return x < y ? -1 : x > y ? 1 : 0;
};

function qualifierMap(q: Record<string, QualifierValue> = {}): ReadonlyMap<string, CimQualifier> {
  return new Map(Object.entries(q).map(([name, value]) => [lower(name), { name, value }]));
}

export function buildClass(spec: ClassSpec, parent: CimClass | undefined, namespace = NAMESPACE): CimClass {
  const properties = new Map<string, CimPropertyDecl>();
  if (parent) {
    for (const [k, p] of parent.properties) properties.set(k, { ...p, propagated: true });
  }
  for (const p of spec.props ?? []) {
    const inherited = properties.get(lower(p.name));
    properties.set(lower(p.name), {
      name: inherited?.name ?? p.name,
      type: p.type,
      isArray: p.isArray ?? false,
      ...(p.refClass ? { refClass: p.refClass } : {}),
      ...(p.embeddedInstance ? { embeddedInstance: p.embeddedInstance } : {}),
      ...(p.embeddedObject ? { embeddedObject: true } : {}),
      qualifiers: qualifierMap(p.key ? { Key: true } : {}),
      classOrigin: inherited?.classOrigin ?? spec.name,
      propagated: false,
      key: p.key ?? inherited?.key ?? false,
      required: false,
      writeable: false,
    });
  }
  const sortedProperties = [...properties.values()].sort(byName);
  return {
    name: spec.name,
    ...(spec.superClass ? { superClass: spec.superClass } : {}),
    namespace,
    qualifiers: qualifierMap({ ...(spec.association ? { Association: true } : {}), ...spec.qualifiers }),
    properties,
    sortedProperties,
    keys: sortedProperties.filter((p) => p.key),
    methods: new Map(),
    isAbstract: spec.abstract ?? false,
    isAssociation: spec.association ?? false,
    isIndication: false,
    ancestry: [spec.name, ...(parent?.ancestry ?? [])],
  };
}

export class TestSchema implements WqlSchema {
  readonly classes = new Map<string, CimClass>();

  constructor(specs: ClassSpec[], namespace = NAMESPACE) {
    for (const spec of specs) {
      const parent = spec.superClass ? this.classes.get(lower(spec.superClass)) : undefined;
      if (spec.superClass && !parent) throw new Error(`fixture: ${spec.name} before its superclass ${spec.superClass}`);
      this.classes.set(lower(spec.name), buildClass(spec, parent, namespace));
    }
  }

  getClass(className: string): CimClass | undefined {
    return this.classes.get(lower(className));
  }

  isA(className: string, ancestor: string): boolean {
    const cls = this.getClass(className);
    return !!cls && cls.ancestry.some((a) => lower(a) === lower(ancestor));
  }

  /** the class of an instance, for `matches(inst, classOf(inst), ctx)` */
  classOf(inst: CimInstance): CimClass {
    const cls = this.getClass(inst.className);
    if (!cls) throw new Error(`fixture: no class ${inst.className}`);
    return cls;
  }
}

// ---- the schema -----------------------------------------------------------------------------------

export const CLASS_SPECS: ClassSpec[] = [
  {
    name: 'CIM_ManagedElement',
    abstract: true,
    props: [
      { name: 'Caption', type: 'string' },
      { name: 'Description', type: 'string' },
      { name: 'ElementName', type: 'string' },
      { name: 'InstanceID', type: 'string' },
    ],
  },
  {
    name: 'CIM_ManagedSystemElement',
    superClass: 'CIM_ManagedElement',
    abstract: true,
    props: [
      { name: 'InstallDate', type: 'datetime' },
      { name: 'Name', type: 'string' },
      { name: 'OperationalStatus', type: 'uint16', isArray: true },
      { name: 'Status', type: 'string' },
      { name: 'HealthState', type: 'uint16' },
    ],
  },
  { name: 'CIM_LogicalElement', superClass: 'CIM_ManagedSystemElement', abstract: true },
  {
    name: 'CIM_EnabledLogicalElement',
    superClass: 'CIM_LogicalElement',
    abstract: true,
    props: [
      { name: 'EnabledState', type: 'uint16' },
      { name: 'RequestedState', type: 'uint16' },
      { name: 'TimeOfLastStateChange', type: 'datetime' },
    ],
  },
  {
    name: 'CIM_System',
    superClass: 'CIM_EnabledLogicalElement',
    abstract: true,
    props: [
      { name: 'CreationClassName', type: 'string', key: true },
      { name: 'Name', type: 'string', key: true },
      { name: 'NameFormat', type: 'string' },
      { name: 'PrimaryOwnerName', type: 'string' },
    ],
  },
  { name: 'CIM_ComputerSystem', superClass: 'CIM_System', props: [{ name: 'Dedicated', type: 'uint16', isArray: true }] },
  {
    name: 'Msvm_ComputerSystem',
    superClass: 'CIM_ComputerSystem',
    props: [
      { name: 'ProcessID', type: 'uint32' },
      { name: 'OnTimeInMilliseconds', type: 'uint64' },
      { name: 'NumberOfNumaNodes', type: 'uint16' },
    ],
  },
  { name: 'Msvm_PlannedComputerSystem', superClass: 'CIM_ComputerSystem' },
  {
    name: 'CIM_SettingData',
    superClass: 'CIM_ManagedElement',
    abstract: true,
    props: [{ name: 'InstanceID', type: 'string', key: true }],
  },
  {
    name: 'Msvm_VirtualSystemSettingData',
    superClass: 'CIM_SettingData',
    props: [
      { name: 'VirtualSystemIdentifier', type: 'string' },
      { name: 'Version', type: 'string' },
    ],
  },
  {
    name: 'CIM_LogicalDevice',
    superClass: 'CIM_EnabledLogicalElement',
    abstract: true,
    props: [
      { name: 'SystemCreationClassName', type: 'string', key: true },
      { name: 'SystemName', type: 'string', key: true },
      { name: 'CreationClassName', type: 'string', key: true },
      { name: 'DeviceID', type: 'string', key: true },
    ],
  },
  { name: 'Msvm_Keyboard', superClass: 'CIM_LogicalDevice' },
  {
    name: 'Msvm_SettingsDefineState',
    association: true,
    props: [
      { name: 'ManagedElement', type: 'reference', refClass: 'CIM_ManagedElement', key: true },
      { name: 'SettingData', type: 'reference', refClass: 'CIM_SettingData', key: true },
    ],
  },
  {
    name: 'Msvm_VirtualSystemSettingDataComponent',
    association: true,
    props: [
      { name: 'GroupComponent', type: 'reference', refClass: 'CIM_ManagedElement', key: true },
      { name: 'PartComponent', type: 'reference', refClass: 'CIM_ManagedElement', key: true },
    ],
  },
  { name: 'Msvm_MemorySettingData', superClass: 'CIM_SettingData', props: [{ name: 'VirtualQuantity', type: 'uint64' }] },
  {
    name: 'Emu_ServiceSettings',
    qualifiers: { Singleton: true },
    props: [{ name: 'MaximumActiveMigrations', type: 'uint32' }],
  },
  {
    // A class that only exists to exercise every CIM type in WHERE.
    name: 'Emu_TypeProbe',
    props: [
      { name: 'Id', type: 'string', key: true },
      { name: 'Flag', type: 'boolean' },
      { name: 'Ratio', type: 'real64' },
      { name: 'Letter', type: 'char16' },
      { name: 'Big', type: 'uint64' },
      { name: 'Small', type: 'sint8' },
      { name: 'When', type: 'datetime' },
      { name: 'Uptime', type: 'datetime' },
      { name: 'Owner', type: 'reference', refClass: 'CIM_ComputerSystem' },
      { name: 'Settings', type: 'instance', refClass: 'Msvm_VirtualSystemSettingData' },
      { name: 'AnyObject', type: 'string', embeddedObject: true },
      { name: 'Tags', type: 'string', isArray: true },
    ],
  },
];

export function makeSchema(): TestSchema {
  return new TestSchema(CLASS_SPECS);
}

// ---- instances ------------------------------------------------------------------------------------

const dt = (text: string) => parseDateTime(text);

export const VM_GUID = '3471A56F-8B2D-4E1B-9C0A-1F2E3D4C5B6A';

interface VmSpec {
  name: string;
  elementName: string | null;
  description?: string;
  enabledState: number | null;
  processId?: number | null;
  installDate?: string | null;
  onTime?: number | bigint | null;
  dedicated?: number[] | null;
  className?: string;
}

function vm(s: VmSpec): CimInstance {
  const props: Record<string, CimValue> = {
    Caption: 'Virtual Machine',
    CreationClassName: s.className ?? 'Msvm_ComputerSystem',
    Dedicated: s.dedicated === undefined ? [] : s.dedicated,
    Description: s.description ?? 'Microsoft Virtual Machine',
    ElementName: s.elementName,
    EnabledState: s.enabledState,
    HealthState: 5,
    InstallDate: s.installDate ? dt(s.installDate) : null,
    InstanceID: null,
    Name: s.name,
    NameFormat: null,
    OperationalStatus: [2],
    PrimaryOwnerName: null,
    RequestedState: 12,
    Status: 'OK',
    TimeOfLastStateChange: null,
  };
  if ((s.className ?? 'Msvm_ComputerSystem') === 'Msvm_ComputerSystem') {
    props.ProcessID = s.processId ?? null;
    props.OnTimeInMilliseconds = s.onTime ?? null;
    props.NumberOfNumaNodes = 1;
  }
  return { className: s.className ?? 'Msvm_ComputerSystem', namespace: NAMESPACE, props };
}

/** Computer systems, identified in the tests by Name. */
export const SYSTEMS: readonly CimInstance[] = [
  vm({
    name: 'HV-HOST-01',
    elementName: 'HV-HOST-01',
    description: 'Microsoft Hosting Computer System',
    enabledState: 2,
    processId: null,
    installDate: '20190301080000.000000+000',
    onTime: 9007199254740993n, // beyond 2^53: held as bigint
    dedicated: [2, 29],
  }),
  vm({ name: VM_GUID, elementName: 'web_01', enabledState: 2, processId: 4242, installDate: '20230510123000.000000+000', onTime: 3600000 }),
  vm({ name: 'VM-DB', elementName: 'db-primary', enabledState: 3, processId: null, installDate: '20240115000000.000000+000', onTime: 0 }),
  vm({ name: 'VM-SAVED', elementName: 'Saved VM [old]', enabledState: 32769, processId: null, installDate: '20221201000000.000000+060' }),
  vm({ name: 'VM-PAUSED', elementName: "O'Brien's VM", enabledState: 32768, processId: 5120, installDate: '20230510123000.000001+000' }),
  vm({ name: 'VM-PCT', elementName: '50% done', enabledState: 2, processId: 6000 }),
  vm({ name: 'VM-BACKSLASH', elementName: 'back\\slash', enabledState: 0, processId: null }),
  vm({ name: 'VM-NULL', elementName: null, enabledState: null, processId: null, dedicated: null }),
  vm({ name: 'VM-WEB2', elementName: 'WEB_02', enabledState: 32770, processId: 7001, installDate: '20240301000000.000000+000' }),
  vm({
    name: 'PLANNED-01',
    elementName: 'planned-01',
    description: 'Microsoft Planned Virtual Machine',
    enabledState: 3,
    className: 'Msvm_PlannedComputerSystem',
  }),
];

export const SETTINGS: readonly CimInstance[] = [
  {
    className: 'Msvm_VirtualSystemSettingData',
    namespace: NAMESPACE,
    props: {
      Caption: null,
      Description: 'Active settings for the virtual machine.',
      ElementName: 'web_01',
      InstanceID: `Microsoft:${VM_GUID}`,
      VirtualSystemIdentifier: VM_GUID,
      Version: '9.0',
    },
  },
];

const vssd = SETTINGS[0];

/** Instances of Emu_TypeProbe, identified by Id. */
export const PROBES: readonly CimInstance[] = [
  {
    className: 'Emu_TypeProbe',
    props: {
      Id: 'P1',
      Flag: true,
      Ratio: 0.5,
      Letter: 'a',
      Big: 18446744073709551615n,
      Small: -5,
      When: dt('20240101000000.000000+000'),
      Uptime: interval(90_000_000n), // 90 s
      Owner: { className: 'Msvm_ComputerSystem', keys: { CreationClassName: 'Msvm_ComputerSystem', Name: VM_GUID } },
      Settings: vssd,
      AnyObject: { className: 'Msvm_ComputerSystem', props: { Name: 'inner', EnabledState: 2 } },
      Tags: ['x', 'y'],
    },
  },
  {
    className: 'Emu_TypeProbe',
    props: {
      Id: 'P2',
      Flag: false,
      Ratio: 2.25,
      Letter: 'Z',
      Big: 42,
      Small: 7,
      When: timestamp(Date.UTC(2025, 5, 1, 12, 0, 0)),
      Uptime: interval(3_600_000_000n), // 1 h
      Owner: {
        className: 'Msvm_ComputerSystem',
        namespace: NAMESPACE,
        host: HOST,
        keys: { CreationClassName: 'Msvm_ComputerSystem', Name: 'VM-DB' },
      },
      Settings: null,
      AnyObject: { className: 'Msvm_VirtualSystemSettingData', props: { InstanceID: 'Microsoft:X', Version: '10.0' } },
      Tags: [],
    },
  },
  {
    className: 'Emu_TypeProbe',
    props: {
      Id: 'P3',
      Flag: null,
      Ratio: null,
      Letter: null,
      Big: null,
      Small: null,
      When: null,
      Uptime: null,
      Owner: null,
      Settings: null,
      AnyObject: null,
      Tags: null,
    },
  },
];
