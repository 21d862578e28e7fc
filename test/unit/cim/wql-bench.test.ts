/**
 * The evaluation cost of a compiled query, counted as work rather than time: running `matches`
 * over 100 000 instances must not lex, parse, compile or build LIKE matchers again, and must use the
 * one predicate built at compile time. The measured ns/instance is printed for the record (no
 * assertion on time: CI machines vary).
 */
import { describe, expect, it } from 'vitest';
import type { CimInstance } from '../../../src/cim/types.js';
import { timestamp } from '../../../src/cim/values.js';
import { compileQuery, wqlStats } from '../../../src/cim/wql/index.js';
import { CTX, makeSchema } from './wql-fixtures.js';

const schema = makeSchema();
const N = 100_000;
const STATES = [2, 3, 32768, 32769, 0, 32770];

const instances: CimInstance[] = Array.from({ length: N }, (_, i) => ({
  className: i % 50 === 0 ? 'Msvm_PlannedComputerSystem' : 'Msvm_ComputerSystem',
  props: {
    CreationClassName: 'Msvm_ComputerSystem',
    Name: `VM-${String(i).padStart(6, '0')}`,
    ElementName: `vm-${i}`,
    Description: i === 0 ? 'Microsoft Hosting Computer System' : 'Microsoft Virtual Machine',
    EnabledState: i % 97 === 0 ? null : STATES[i % STATES.length],
    ProcessID: i % 3 === 0 ? null : 1000 + i,
    InstallDate: timestamp(Date.UTC(2020, 0, 1) + i * 60_000),
    Dedicated: [],
  },
}));
const classes = instances.map((inst) => schema.classOf(inst));

interface BenchCase {
  name: string;
  query: string;
  expected: (inst: CimInstance, i: number) => boolean;
}

const isMsvm = (i: number) => i % 50 !== 0;
const CASES: BenchCase[] = [
  {
    name: "libvirt's active-domain query",
    query:
      'SELECT * FROM Msvm_ComputerSystem WHERE Description = "Microsoft Virtual Machine" AND (EnabledState != 0 and EnabledState != 3 and EnabledState != 32769) ',
    expected: (inst, i) => {
      const es = inst.props.EnabledState;
      return isMsvm(i) && i !== 0 && es !== null && es !== 0 && es !== 3 && es !== 32769;
    },
  },
  {
    name: 'name lookup',
    query: "SELECT * FROM Msvm_ComputerSystem WHERE Name = 'vm-012345'",
    expected: (_inst, i) => i === 12345,
  },
  {
    name: 'LIKE',
    query: "SELECT * FROM Msvm_ComputerSystem WHERE ElementName LIKE 'VM-1%[05]'",
    expected: (inst, i) => isMsvm(i) && /^vm-1.*[05]$/.test(inst.props.ElementName as string),
  },
  {
    name: 'datetime range and NULL',
    query: 'SELECT * FROM Msvm_ComputerSystem WHERE InstallDate >= "20200102000000.000000+000" AND ProcessID IS NOT NULL',
    expected: (inst, i) => isMsvm(i) && i * 60_000 >= 86_400_000 && inst.props.ProcessID !== null,
  },
  {
    name: 'polymorphic __CLASS ISA',
    query: 'SELECT * FROM CIM_ComputerSystem WHERE NOT __CLASS ISA "Msvm_ComputerSystem"',
    expected: (_inst, i) => !isMsvm(i),
  },
];

describe('compiled WQL over 100 000 instances', () => {
  it.each(CASES)('$name: no re-parsing, one predicate, exact result', ({ name, query, expected }) => {
    const q = compileQuery(query, schema);
    const predicate = q.predicate;
    const before = wqlStats();

    let warm = 0;
    for (let i = 0; i < N; i++) if (q.matches(instances[i], classes[i], CTX)) warm++;

    const started = process.hrtime.bigint();
    let count = 0;
    for (let i = 0; i < N; i++) if (q.matches(instances[i], classes[i], CTX)) count++;
    const elapsed = Number(process.hrtime.bigint() - started);

    // work counters: evaluating never lexes, parses, compiles or builds matchers
    expect(wqlStats()).toEqual(before);
    expect(q.predicate).toBe(predicate);
    expect(count).toBe(warm);
    expect(count).toBe(instances.filter((inst, i) => expected(inst, i)).length);

    console.log(`[wql bench] ${name}: ${(elapsed / N).toFixed(1)} ns/instance, ${count} of ${N} matched`);
  });
});
