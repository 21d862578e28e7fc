/**
 * WQL data queries, table-driven: each valid query lists the instances it must return, each
 * invalid one the CimStatus and a fragment of the message that names the problem.
 */
import { describe, expect, it } from 'vitest';
import { CimError, CimStatus, type CimStatusCode } from '../../../src/cim/errors.js';
import type { CimInstance } from '../../../src/cim/types.js';
import { checkQueryLanguage, compileQuery, prepareQuery, parseWql } from '../../../src/cim/wql/index.js';
import { CTX, makeSchema, PROBES, SYSTEMS, VM_GUID } from './wql-fixtures.js';

const schema = makeSchema();

function run(query: string, instances: readonly CimInstance[] = SYSTEMS, id = 'Name'): string[] {
  const q = compileQuery(query, schema);
  return instances.filter((inst) => q.matches(inst, schema.classOf(inst), CTX)).map((inst) => String(inst.props[id]));
}

const probes = (query: string) => run(query, PROBES, 'Id');

function failure(query: string): CimError {
  try {
    compileQuery(query, schema);
  } catch (e) {
    if (e instanceof CimError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(query)} to fail`);
}

const MSVM = ['HV-HOST-01', VM_GUID, 'VM-DB', 'VM-SAVED', 'VM-PAUSED', 'VM-PCT', 'VM-BACKSLASH', 'VM-NULL', 'VM-WEB2'];
const ALL = [...MSVM, 'PLANNED-01'];
const except = (...ids: string[]) => MSVM.filter((n) => !ids.includes(n));

interface MatchCase {
  q: string;
  expect: string[];
}

const CS = 'SELECT * FROM Msvm_ComputerSystem WHERE ';

/** Valid queries over the computer systems, expected matches in fixture order. */
const SYSTEM_CASES: MatchCase[] = [
  // libvirt's exact queries (hyperv-model.md §7.1; hyperv_wmi_classes.h builds them with trailing spaces)
  { q: 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Hosting Computer System" ', expect: ['HV-HOST-01'] },
  {
    q: 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState != 0 and EnabledState != 3 and EnabledState != 32769) ',
    expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT', 'VM-WEB2'],
  },
  {
    q: 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState = 0 or EnabledState = 3 or EnabledState = 32769) ',
    expect: ['VM-DB', 'VM-SAVED', 'VM-BACKSLASH'],
  },
  { q: 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND ProcessID = 4242', expect: [VM_GUID] },
  { q: `SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND Name = "${VM_GUID.toLowerCase()}"`, expect: [VM_GUID] },
  { q: 'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND ElementName = "web_01"', expect: [VM_GUID] },
  { q: `SELECT * FROM Msvm_ComputerSystem WHERE Name='${VM_GUID}'`, expect: [VM_GUID] },
  // case-insensitive keywords, class, property and value; both quoting styles
  { q: "select * from msvm_computersystem where elementname = 'WEB_01'", expect: [VM_GUID] },
  { q: 'SeLeCt * FrOm MSVM_COMPUTERSYSTEM wHeRe ELEMENTNAME="Web_01"', expect: [VM_GUID] },
  { q: 'SELECT * FROM Msvm_ComputerSystem', expect: MSVM },
  { q: 'SELECT*FROM Msvm_ComputerSystem WHERE(EnabledState=3)', expect: ['VM-DB'] },
  { q: '\n\tSELECT *\r\n  FROM Msvm_ComputerSystem\n  WHERE EnabledState = 32768\n', expect: ['VM-PAUSED'] },
  // polymorphism and system properties
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE EnabledState = 3', expect: ['VM-DB', 'PLANNED-01'] },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE __CLASS = "Msvm_PlannedComputerSystem"', expect: ['PLANNED-01'] },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE __CLASS ISA "Msvm_ComputerSystem"', expect: MSVM },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE NOT __CLASS ISA "msvm_computersystem"', expect: ['PLANNED-01'] },
  { q: "SELECT * FROM CIM_ComputerSystem WHERE __THIS ISA 'CIM_System'", expect: ALL },
  { q: "SELECT * FROM CIM_ComputerSystem WHERE __SUPERCLASS = 'CIM_ComputerSystem'", expect: ALL },
  { q: "SELECT * FROM CIM_ComputerSystem WHERE __DYNASTY = 'CIM_ManagedElement' AND __GENUS = 2", expect: ALL },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE __PROPERTY_COUNT > 17', expect: MSVM },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE __DERIVATION IS NOT NULL', expect: ALL },
  { q: CS + `__RELPATH = 'Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="VM-DB"'`, expect: ['VM-DB'] },
  { q: CS + `__PATH LIKE '\\\\\\\\HV-HOST-01\\\\root\\\\virtualization\\\\v2:%Name="VM-DB"'`, expect: ['VM-DB'] },
  { q: CS + "__SERVER = 'hv-host-01' AND __NAMESPACE = 'ROOT\\\\virtualization\\\\V2'", expect: MSVM },
  // numeric comparisons, both directions, literal forms
  { q: CS + 'ProcessID > 5000', expect: ['VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'ProcessID >= 5120', expect: ['VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'ProcessID < 5120', expect: [VM_GUID] },
  { q: CS + 'ProcessID <= 5120', expect: [VM_GUID, 'VM-PAUSED'] },
  { q: CS + '5000 < ProcessID', expect: ['VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + '6000 >= ProcessID', expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT'] },
  { q: CS + '4242 = ProcessID', expect: [VM_GUID] },
  { q: CS + 'EnabledState <> 2', expect: ['VM-DB', 'VM-SAVED', 'VM-PAUSED', 'VM-BACKSLASH', 'VM-WEB2'] },
  { q: CS + 'EnabledState = "32769"', expect: ['VM-SAVED'] },
  { q: CS + 'EnabledState = 0x8001', expect: ['VM-SAVED'] },
  { q: CS + 'ProcessID = 4242.0', expect: [VM_GUID] },
  { q: CS + 'ProcessID > 4242.5', expect: ['VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'ProcessID = -1', expect: [] },
  { q: CS + 'ProcessID > -1', expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'OnTimeInMilliseconds > 9007199254740992', expect: ['HV-HOST-01'] },
  { q: CS + 'OnTimeInMilliseconds = 9007199254740993', expect: ['HV-HOST-01'] },
  { q: CS + 'OnTimeInMilliseconds < 1', expect: ['VM-DB'] },
  // NULL
  { q: CS + 'ProcessID IS NULL', expect: ['HV-HOST-01', 'VM-DB', 'VM-SAVED', 'VM-BACKSLASH', 'VM-NULL'] },
  { q: CS + 'ProcessID IS NOT NULL', expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'ProcessID = NULL', expect: ['HV-HOST-01', 'VM-DB', 'VM-SAVED', 'VM-BACKSLASH', 'VM-NULL'] },
  { q: CS + 'NULL <> ProcessID', expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'NOT ProcessID IS NULL', expect: [VM_GUID, 'VM-PAUSED', 'VM-PCT', 'VM-WEB2'] },
  { q: CS + 'ElementName IS NULL', expect: ['VM-NULL'] },
  // a NULL EnabledState matches neither the comparison nor its negation
  { q: CS + 'NOT EnabledState = 2', expect: ['VM-DB', 'VM-SAVED', 'VM-PAUSED', 'VM-BACKSLASH', 'VM-WEB2'] },
  { q: CS + 'NOT (EnabledState = 2 OR EnabledState = 3)', expect: ['VM-SAVED', 'VM-PAUSED', 'VM-BACKSLASH', 'VM-WEB2'] },
  { q: CS + 'NOT NOT EnabledState = 3', expect: ['VM-DB'] },
  { q: CS + 'NOT (EnabledState = 2 AND ProcessID IS NULL)', expect: [VM_GUID, 'VM-DB', 'VM-SAVED', 'VM-PAUSED', 'VM-PCT', 'VM-BACKSLASH', 'VM-WEB2'] },
  // AND binds tighter than OR
  { q: CS + 'EnabledState = 2 OR EnabledState = 3 AND ProcessID IS NULL', expect: ['HV-HOST-01', VM_GUID, 'VM-DB', 'VM-PCT'] },
  { q: CS + '(EnabledState = 2 OR EnabledState = 3) AND ProcessID IS NULL', expect: ['HV-HOST-01', 'VM-DB'] },
  { q: CS + '((EnabledState = 2)) AND (((ProcessID > 5000)))', expect: ['VM-PCT'] },
  // LIKE
  { q: CS + 'ElementName LIKE "web%"', expect: [VM_GUID, 'VM-WEB2'] },
  { q: CS + 'ElementName LIKE "web[_]01"', expect: [VM_GUID] },
  { q: CS + 'ElementName LIKE "__-primary"', expect: ['VM-DB'] },
  { q: CS + 'ElementName LIKE "%[%]%"', expect: ['VM-PCT'] },
  { q: CS + 'ElementName LIKE "%[[]old]"', expect: ['VM-SAVED'] },
  { q: CS + 'ElementName LIKE "[a-c]%"', expect: ['VM-BACKSLASH'] },
  { q: CS + 'ElementName LIKE "[A-C]%"', expect: ['VM-BACKSLASH'] },
  { q: CS + 'ElementName LIKE "[^a-w]%"', expect: ['VM-PCT'] },
  { q: CS + 'ElementName LIKE "[dhx]%"', expect: ['HV-HOST-01', 'VM-DB'] },
  { q: CS + 'ElementName LIKE "%\\\\%"', expect: ['VM-BACKSLASH'] },
  { q: CS + "ElementName LIKE 'O\\'Brien%'", expect: ['VM-PAUSED'] },
  { q: CS + 'ElementName LIKE "%"', expect: except('VM-NULL') },
  { q: CS + 'ElementName LIKE "%v%m%"', expect: ['VM-SAVED', 'VM-PAUSED'] },
  { q: CS + 'NOT ElementName LIKE "%e%"', expect: ['HV-HOST-01', 'VM-DB', 'VM-BACKSLASH'] },
  { q: CS + 'ElementName LIKE "WEB_0_"', expect: [VM_GUID, 'VM-WEB2'] },
  // string equality and ordering (case-insensitive; '_' sorts before letters)
  { q: CS + `ElementName = "O'Brien's VM"`, expect: ['VM-PAUSED'] },
  { q: CS + "ElementName = 'back\\\\slash'", expect: ['VM-BACKSLASH'] },
  { q: CS + 'ElementName = "Back\\\\Slash"', expect: ['VM-BACKSLASH'] },
  { q: CS + 'ElementName < "c"', expect: ['VM-PCT', 'VM-BACKSLASH'] },
  { q: CS + 'ElementName >= "web" AND ElementName < "weba"', expect: [VM_GUID, 'VM-WEB2'] },
  { q: CS + 'ElementName = 42', expect: [] },
  // datetime
  { q: CS + 'InstallDate > "20230101000000.000000+000"', expect: [VM_GUID, 'VM-DB', 'VM-PAUSED', 'VM-WEB2'] },
  { q: CS + 'InstallDate = "20230510123000.000000+000"', expect: [VM_GUID] },
  { q: CS + 'InstallDate = "20230510143000.000000+120"', expect: [VM_GUID] },
  { q: CS + 'InstallDate = "2022-11-30T23:00:00Z"', expect: ['VM-SAVED'] },
  { q: CS + 'InstallDate < "2020-01-01"', expect: ['HV-HOST-01'] },
  { q: CS + "InstallDate >= '20240101'", expect: ['VM-DB', 'VM-WEB2'] },
  { q: CS + 'InstallDate LIKE "2023%"', expect: [VM_GUID, 'VM-PAUSED'] },
  // arrays: only IS [NOT] NULL
  { q: CS + 'Dedicated IS NULL', expect: ['VM-NULL'] },
  { q: CS + 'Dedicated IS NOT NULL', expect: except('VM-NULL') },
];

const TYPE_CASES: MatchCase[] = [
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag = TRUE', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag = 1', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag <> FALSE', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag != 1', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag = "false"', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag = 0', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Ratio > 1', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Ratio = 0.5', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Ratio < 1e0', expect: ['P1'] },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Letter = 'A'", expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Letter = 90', expect: ['P2'] },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Letter > 'm'", expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Big = 18446744073709551615', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Big > 100', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Big < 0x100', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Small < 0', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Small >= -5', expect: ['P1', 'P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE When > "20240601000000.000000+000"', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Uptime > "00000000000100.000000:000"', expect: ['P1', 'P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Uptime < "PT2M"', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE When = "00000000000100.000000:000"', expect: [] },
  {
    q: `SELECT * FROM Emu_TypeProbe WHERE Owner = 'Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="${VM_GUID.toLowerCase()}"'`,
    expect: ['P1'],
  },
  {
    q: `SELECT * FROM Emu_TypeProbe WHERE Owner = "\\\\\\\\HV-HOST-01\\\\root\\\\virtualization\\\\v2:Msvm_ComputerSystem.Name='VM-DB',CreationClassName='Msvm_ComputerSystem'"`,
    expect: ['P2'],
  },
  { q: `SELECT * FROM Emu_TypeProbe WHERE Owner = 'Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="VM-DB"'`, expect: ['P2'] },
  { q: `SELECT * FROM Emu_TypeProbe WHERE Owner <> 'Msvm_ComputerSystem.CreationClassName="Msvm_ComputerSystem",Name="VM-DB"'`, expect: ['P1'] },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Owner LIKE '%VM-DB%'", expect: ['P2'] },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Owner LIKE '\\\\\\\\HV-HOST-01\\\\%'", expect: ['P1', 'P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Owner ISA "Msvm_ComputerSystem"', expect: ['P1', 'P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings ISA "CIM_SettingData"', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings ISA "Msvm_ComputerSystem"', expect: [] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings IS NULL', expect: ['P2', 'P3'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings.ElementName = "WEB_01"', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings.Version > "8"', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Settings.NoSuchProperty = 70011', expect: [] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE AnyObject ISA "CIM_ComputerSystem"', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE NOT AnyObject ISA "CIM_ComputerSystem"', expect: ['P2'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE AnyObject.EnabledState = 2', expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE AnyObject.version = "10.0"', expect: ['P2'] },
  { q: "SELECT * FROM Emu_TypeProbe WHERE AnyObject.Name LIKE 'inn%'", expect: ['P1'] },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Tags IS NULL', expect: ['P3'] },
];

interface ErrorCase {
  q: string;
  status: CimStatusCode;
  message: RegExp;
}

const ERROR_CASES: ErrorCase[] = [
  { q: '', status: CimStatus.INVALID_QUERY, message: /empty/ },
  { q: '   \n ', status: CimStatus.INVALID_QUERY, message: /empty/ },
  { q: 'SELECT * FROM Msvm_Nope', status: CimStatus.INVALID_CLASS, message: /'Msvm_Nope' does not exist/ },
  { q: "SELECT * FROM Msvm_ConcreteJob WHERE InstanceID = 'x'", status: CimStatus.INVALID_CLASS, message: /Msvm_ConcreteJob/ },
  { q: CS + 'Foo = 1', status: CimStatus.INVALID_QUERY, message: /'Foo' is not a property of class 'Msvm_ComputerSystem'/ },
  { q: 'SELECT Foo FROM Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /'Foo' is not a property/ },
  { q: 'SELECT * FROM CIM_ComputerSystem WHERE ProcessID = 1', status: CimStatus.INVALID_QUERY, message: /'ProcessID' is not a property of class 'CIM_ComputerSystem'/ },
  { q: CS + 'EnabledState = 2 garbage', status: CimStatus.INVALID_QUERY, message: /Unexpected 'garbage' \(column 58\)/ },
  { q: 'SELECT * FROM Msvm_ComputerSystem extra', status: CimStatus.INVALID_QUERY, message: /Unexpected 'extra'/ },
  { q: CS + '(EnabledState = 2', status: CimStatus.INVALID_QUERY, message: /missing '\)' for the '\('/ },
  { q: CS + 'EnabledState = 2)', status: CimStatus.INVALID_QUERY, message: /no matching '\('/ },
  { q: CS + '()', status: CimStatus.INVALID_QUERY, message: /Empty parentheses/ },
  { q: CS + 'ElementName = "abc', status: CimStatus.INVALID_QUERY, message: /Unterminated string literal/ },
  { q: CS + 'ProcessID = 12abc', status: CimStatus.INVALID_QUERY, message: /Invalid numeric literal '12abc'/ },
  { q: CS + 'ProcessID = 0x', status: CimStatus.INVALID_QUERY, message: /hexadecimal/ },
  { q: CS + 'ElementName = "C:\\Windows"', status: CimStatus.INVALID_QUERY, message: /escape sequence '\\W'/ },
  { q: CS + 'EnabledState = "abc"', status: CimStatus.INVALID_QUERY, message: /Type mismatch: 'EnabledState' is uint16/ },
  { q: CS + 'EnabledState = TRUE', status: CimStatus.INVALID_QUERY, message: /Type mismatch/ },
  { q: CS + 'InstallDate > "yesterday"', status: CimStatus.INVALID_QUERY, message: /'InstallDate' is datetime/ },
  { q: CS + 'InstallDate > 5', status: CimStatus.INVALID_QUERY, message: /'InstallDate' is datetime/ },
  { q: CS + 'ProcessID IS 5', status: CimStatus.INVALID_QUERY, message: /IS must be followed by NULL/ },
  { q: CS + "ElementName IS NOT 'x'", status: CimStatus.INVALID_QUERY, message: /IS NOT must be followed by NULL/ },
  { q: CS + 'EnabledState >= NULL', status: CimStatus.INVALID_QUERY, message: /NULL can only be tested/ },
  { q: CS + 'ElementName NOT LIKE "a%"', status: CimStatus.INVALID_QUERY, message: /put NOT before the property/ },
  { q: CS + 'ElementName LIKE 5', status: CimStatus.INVALID_QUERY, message: /LIKE must be followed by a quoted pattern/ },
  { q: CS + 'ElementName LIKE "[abc"', status: CimStatus.INVALID_QUERY, message: /unclosed '\['/ },
  { q: CS + 'ElementName LIKE "[z-a]"', status: CimStatus.INVALID_QUERY, message: /invalid range 'z-a'/ },
  { q: CS + 'EnabledState LIKE "2%"', status: CimStatus.INVALID_QUERY, message: /LIKE compares strings; 'EnabledState' is uint16/ },
  { q: CS + '"web%" LIKE ElementName', status: CimStatus.INVALID_QUERY, message: /LIKE needs a property on its left/ },
  { q: CS + 'ProcessID = EnabledState', status: CimStatus.INVALID_QUERY, message: /both sides/ },
  { q: CS + '1 = 1', status: CimStatus.INVALID_QUERY, message: /compares two constants/ },
  { q: CS + 'Dedicated = 2', status: CimStatus.INVALID_QUERY, message: /'Dedicated' is an array property/ },
  { q: CS + 'OperationalStatus LIKE "2"', status: CimStatus.INVALID_QUERY, message: /array/ },
  { q: 'SELECT FROM Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /Expected a property name in the select list, found 'FROM/ },
  { q: 'SELECT * Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /Expected FROM after the select list/ },
  { q: 'SELECT * FROM', status: CimStatus.INVALID_QUERY, message: /Expected a class name after FROM, found the end of the query/ },
  { q: 'SELECT * FROM WHERE', status: CimStatus.INVALID_QUERY, message: /Expected a class name after FROM/ },
  { q: CS.trimEnd(), status: CimStatus.INVALID_QUERY, message: /Expected a condition after WHERE/ },
  { q: CS + 'EnabledState = 2 AND', status: CimStatus.INVALID_QUERY, message: /Expected a property, a constant, NOT or '\(' .*end of the query/ },
  { q: CS + 'EnabledState == 2', status: CimStatus.INVALID_QUERY, message: /Expected a constant or a property after '='/ },
  { q: CS + 'EnabledState 2', status: CimStatus.INVALID_QUERY, message: /Expected an operator .* after 'EnabledState'/ },
  { q: CS + "ElementName = 'x';", status: CimStatus.INVALID_QUERY, message: /Unexpected character ';'/ },
  { q: 'SELECT *, Name FROM Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /'\*' cannot be combined/ },
  { q: 'SELECT Name, FROM Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /Expected a property name in the select list/ },
  { q: 'DELETE FROM Msvm_ComputerSystem', status: CimStatus.INVALID_QUERY, message: /starts with SELECT, ASSOCIATORS OF or REFERENCES OF/ },
  { q: 'SELECT * FROM Msvm_ComputerSystem WITHIN 5', status: CimStatus.INVALID_QUERY, message: /Event query clauses are not supported/ },
  { q: 'SELECT * FROM meta_class', status: CimStatus.NOT_SUPPORTED, message: /Schema queries/ },
  { q: CS + '__FOO = 1', status: CimStatus.INVALID_QUERY, message: /'__FOO' is not a WMI system property/ },
  { q: CS + '__CLASS ISA "Nope"', status: CimStatus.INVALID_CLASS, message: /'Nope'/ },
  { q: CS + 'ElementName ISA "CIM_System"', status: CimStatus.INVALID_QUERY, message: /ISA tests __CLASS, __THIS, embedded objects and references; 'ElementName' is string/ },
  { q: CS + 'ElementName ISA CIM_System', status: CimStatus.INVALID_QUERY, message: /ISA must be followed by a quoted class name/ },
  { q: CS + '__THIS = 1', status: CimStatus.INVALID_QUERY, message: /__THIS can only be used with ISA/ },
  { q: CS + '__CLASS.Foo = 1', status: CimStatus.INVALID_QUERY, message: /has no members/ },
  { q: CS + 'ElementName.Foo = 1', status: CimStatus.INVALID_QUERY, message: /'ElementName' is not an embedded object/ },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag <= TRUE', status: CimStatus.INVALID_QUERY, message: /only =, <> and != apply/ },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Flag = 2', status: CimStatus.INVALID_QUERY, message: /Type mismatch: 'Flag' is boolean/ },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Letter = 'ab'", status: CimStatus.INVALID_QUERY, message: /char16 takes one character/ },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Owner > 'x'", status: CimStatus.INVALID_QUERY, message: /'Owner' is a reference; only =, <> and != apply/ },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Owner = 'not a path'", status: CimStatus.INVALID_QUERY, message: /Type mismatch: 'Owner' is reference/ },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Settings = 'x'", status: CimStatus.INVALID_QUERY, message: /'Settings' is an embedded object/ },
  { q: "SELECT * FROM Emu_TypeProbe WHERE Tags = 'x'", status: CimStatus.INVALID_QUERY, message: /'Tags' is an array property/ },
  { q: 'SELECT * FROM Emu_TypeProbe WHERE Tags.Length = 1', status: CimStatus.INVALID_QUERY, message: /'Tags' is an array/ },
  { q: 'SELECT Settings.Version FROM Emu_TypeProbe', status: CimStatus.INVALID_QUERY, message: /Members of embedded objects cannot be selected/ },
  { q: CS + '('.repeat(300) + 'EnabledState = 2' + ')'.repeat(300), status: CimStatus.INVALID_QUERY, message: /nested more than 200 levels/ },
  { q: CS + 'NOT '.repeat(300) + 'EnabledState = 2', status: CimStatus.INVALID_QUERY, message: /nested more than 200 levels/ },
];

describe('WQL SELECT: matches', () => {
  it.each(SYSTEM_CASES)('$q', ({ q, expect: expected }) => {
    expect(run(q)).toEqual(expected);
  });
  it.each(TYPE_CASES)('$q', ({ q, expect: expected }) => {
    expect(probes(q)).toEqual(expected);
  });
  it('has a table of at least 60 queries', () => {
    expect(SYSTEM_CASES.length + TYPE_CASES.length + ERROR_CASES.length).toBeGreaterThanOrEqual(60);
  });
});

describe('WQL SELECT: errors', () => {
  it.each(ERROR_CASES)('$q', ({ q, status, message }) => {
    const err = failure(q);
    expect(err.status).toBe(status);
    expect(err.message).toMatch(message);
    // Windows reports the query and ExecQuery in __ExtendedStatus
    expect(err.parameterInfo).toBe(q);
    expect(err.operation).toBe('ExecQuery');
  });

  it('maps the statuses to WBEM HRESULTs', () => {
    expect(failure(CS + 'Foo = 1').hresult).toBe(0x80041017);
    expect(failure('SELECT * FROM Msvm_Nope').hresult).toBe(0x80041010);
  });

  it('rejects other query languages', () => {
    expect(() => checkQueryLanguage('CQL', 'SELECT * FROM X')).toThrowError(/'CQL' is not supported/);
    try {
      prepareQuery('SELECT * FROM Msvm_ComputerSystem', schema, 'CQL');
    } catch (e) {
      expect((e as CimError).status).toBe(CimStatus.QUERY_LANGUAGE_NOT_SUPPORTED);
    }
    expect(() => checkQueryLanguage('wql')).not.toThrow();
  });
});

describe('WQL SELECT: parsed structure', () => {
  it('names the properties a WHERE reads (declared spelling), none without one, undefined with a system property', () => {
    expect(compileQuery('SELECT * FROM Msvm_ComputerSystem', schema).whereProperties).toEqual([]);
    const q = compileQuery("SELECT Name FROM Msvm_ComputerSystem WHERE elementname = 'a' OR (NOT EnabledState = 2 AND elementNAME LIKE 'b%')", schema);
    expect([...q.whereProperties!].sort()).toEqual(['ElementName', 'EnabledState']);
    expect(compileQuery("SELECT * FROM Msvm_ComputerSystem WHERE __CLASS = 'Msvm_ComputerSystem'", schema).whereProperties).toBeUndefined();
    expect(compileQuery("SELECT * FROM Msvm_ComputerSystem WHERE Name = 'x' AND __PATH IS NOT NULL", schema).whereProperties).toBeUndefined();
  });

  it('exposes the class, select list and WHERE tree', () => {
    const stmt = parseWql('SELECT Name, ElementName FROM msvm_computersystem WHERE 5 < ProcessID AND NOT Name = NULL');
    expect(stmt.kind).toBe('select');
    if (stmt.kind !== 'select') return;
    expect(stmt.className).toBe('msvm_computersystem');
    expect(stmt.properties).toEqual([
      { path: ['Name'], pos: 7 },
      { path: ['ElementName'], pos: 13 },
    ]);
    expect(stmt.where).toEqual({
      kind: 'and',
      operands: [
        { kind: 'compare', op: '>', property: { path: ['ProcessID'], pos: 60 }, value: { kind: 'integer', value: 5n, text: '5' }, pos: 58 },
        { kind: 'not', operand: { kind: 'isNull', property: { path: ['Name'], pos: 78 }, negated: false, pos: 83 } },
      ],
    });
    const q = compileQuery('SELECT * FROM msvm_computersystem', schema);
    expect(q.className).toBe('Msvm_ComputerSystem');
    expect(q.properties).toBe('*');
    expect(q.where).toBeNull();
  });

  it('normalises != to <> and keeps literals exact', () => {
    const stmt = parseWql("SELECT * FROM X WHERE A != 0x10 OR B <> -2.5e1 OR C = 'it''s'".replace("'it''s'", '"it\'s"'));
    if (stmt.kind !== 'select' || !stmt.where || stmt.where.kind !== 'or') throw new Error('shape');
    const [a, b, c] = stmt.where.operands;
    expect(a).toMatchObject({ kind: 'compare', op: '<>', value: { kind: 'integer', value: 16n } });
    expect(b).toMatchObject({ kind: 'compare', op: '<>', value: { kind: 'real', value: -25 } });
    expect(c).toMatchObject({ kind: 'compare', op: '=', value: { kind: 'string', value: "it's" } });
  });
});

describe('WQL SELECT: select lists and projection', () => {
  const web = SYSTEMS[1];
  const cls = schema.classOf(web);

  it('lists selected properties once, in declared spelling, alphabetically', () => {
    const q = compileQuery('SELECT name, ElementName, NAME, EnabledState FROM Msvm_ComputerSystem', schema);
    expect(q.properties).toEqual(['ElementName', 'EnabledState', 'Name']);
    expect(q.keysSelected).toBe(false);
    expect(q.project(web, cls)).toEqual({
      className: 'Msvm_ComputerSystem',
      namespace: 'root/virtualization/v2',
      props: { ElementName: 'web_01', EnabledState: 2, Name: VM_GUID },
    });
  });

  it('returns the instance itself for SELECT *', () => {
    const q = compileQuery('SELECT * FROM Msvm_ComputerSystem', schema);
    expect(q.project(web, cls)).toBe(web);
    expect(q.keysSelected).toBe(true);
  });

  it('keeps system properties apart and reports whether keys are selected', () => {
    const q = compileQuery('SELECT __PATH, Name, __class, CreationClassName FROM Msvm_ComputerSystem', schema);
    expect(q.systemProperties).toEqual(['__PATH', '__CLASS']);
    expect(q.properties).toEqual(['CreationClassName', 'Name']);
    expect(q.keysSelected).toBe(true);
  });

  it('fills absent selected properties with NULL', () => {
    const q = compileQuery('SELECT Name, NameFormat FROM Msvm_ComputerSystem', schema);
    expect(q.project({ className: 'Msvm_ComputerSystem', props: { Name: 'x' } }, cls).props).toEqual({ Name: 'x', NameFormat: null });
  });

  it('does not match instances of classes outside the FROM class', () => {
    const q = compileQuery('SELECT * FROM Msvm_ComputerSystem', schema);
    const planned = SYSTEMS.find((s) => s.className === 'Msvm_PlannedComputerSystem')!;
    expect(q.matches(planned, schema.classOf(planned), CTX)).toBe(false);
  });
});
