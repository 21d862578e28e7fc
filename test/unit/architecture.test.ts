/**
 * The layering of src/ (README "Development"): a request flows transport → soap → wsman → cim →
 * providers → fabric, and a module imports only from its own layer or from those it is allowed to
 * know. Providers implement the CIM layer's interfaces, so they import cim; xml is the base every
 * parser shares; the fault catalogue maps CIM errors, and the world schema names its faults. The
 * assembly (emulator, control plane, capture, command line) may import anything, and nothing below
 * it imports the assembly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src');

const ALLOWED: Readonly<Record<string, readonly string[]>> = {
  xml: [],
  cim: ['xml'],
  faults: ['cim'],
  fabric: ['faults'],
  providers: ['cim', 'fabric'],
  wsman: ['cim', 'faults', 'xml'],
  soap: ['wsman', 'cim', 'faults', 'xml'],
  server: ['soap', 'wsman', 'cim', 'faults', 'xml'],
};
/** the assembly: free to import any layer */
const ASSEMBLY = new Set(['emulator', 'index', 'cli', 'bin', 'control', 'capture']);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `server`, `soap`, … for a folder; the file's own name for a module at the top of src/. */
function layerOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0].replace(/\.[jt]s$/, '');
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport\s*\(?)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => resolve(dirname(file), m[1]));
}

/** The imports of `file` (absolute paths) that its layer may not make. */
function violations(file: string, targets: readonly string[]): string[] {
  const from = layerOf(file);
  if (ASSEMBLY.has(from)) return [];
  return targets.filter((t) => {
    const to = layerOf(t);
    return to !== from && !ALLOWED[from].includes(to);
  }).map((t) => `${relative(SRC, file)} → ${relative(SRC, t)}`);
}

describe('layering of src/', () => {
  const files = sources(SRC);

  test('every folder of src/ is a known layer or part of the assembly', () => {
    const layers = new Set(files.map(layerOf));
    for (const l of layers) expect(l in ALLOWED || ASSEMBLY.has(l), l).toBe(true);
  });

  test('no module imports from a layer it may not know', () => {
    expect(files.flatMap((f) => violations(f, imports(f)))).toEqual([]);
  });

  test('the check reads imports and catches a reach upwards', () => {
    expect(imports(join(SRC, 'soap', 'envelope.ts')).map(layerOf)).toEqual(expect.arrayContaining(['wsman', 'xml', 'faults']));
    expect(violations(join(SRC, 'providers', 'hyperv', 'x.ts'), [join(SRC, 'emulator.ts')])).toHaveLength(1);
    expect(violations(join(SRC, 'wsman', 'ops', 'x.ts'), [join(SRC, 'soap', 'envelope.ts')])).toHaveLength(1);
    expect(violations(join(SRC, 'soap', 'x.ts'), [join(SRC, 'wsman', 'epr.ts')])).toEqual([]);
  });
});
