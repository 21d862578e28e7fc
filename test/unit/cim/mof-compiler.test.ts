import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { compileMofFiles, compileMofText, decodeMofBytes, normaliseNamespace } from '../../../src/cim/mof/compiler.js';
import { MofSyntaxError } from '../../../src/cim/mof/errors.js';
import { CimRegistry } from '../../../src/cim/registry.js';
import { compileMem, memoryHost } from '../../fixtures/mof/memory-host.js';

const syntaxError = (f: () => unknown): MofSyntaxError => {
  try {
    f();
  } catch (e) {
    if (e instanceof MofSyntaxError) return e;
    throw e;
  }
  throw new Error('expected a MofSyntaxError');
};

describe('MOF compiler driver', () => {
  it('normalises namespace names', () => {
    expect(normaliseNamespace('\\\\.\\root\\virtualization\\v2')).toBe('root/virtualization/v2');
    expect(normaliseNamespace('//HOST/root/cimv2/')).toBe('root/cimv2');
    expect(normaliseNamespace('root\\\\x')).toBe('root/x');
  });

  it('assigns namespaces from #pragma namespace, absolute and relative', () => {
    const comp = compileMem({
      'main.mof': [
        'class A_Default {};',
        '#pragma namespace("\\\\\\\\.\\\\root\\\\x")',
        'class A_X {};',
        '#pragma namespace("sub")',
        'class A_Sub {};',
        '#pragma namespace("root/y")',
        'class A_Y {};',
      ].join('\n'),
    });
    expect(comp.classes.map((c) => `${c.namespace}:${c.decl.name}`)).toEqual([
      'root/default:A_Default',
      'root/x:A_X',
      'root/x/sub:A_Sub',
      'root/y:A_Y',
    ]);
  });

  it('resolves includes relative to the including file and scopes namespace pragmas to their file', () => {
    const comp = compileMem({
      'main.mof': '#pragma namespace("root/a")\n#pragma include("lib/one.mof")\nclass After {};',
      'lib/one.mof': 'class One {};\n#pragma include("two.mof")\n#pragma namespace("root/b")\nclass OneB {};',
      'lib/two.mof': 'class Two {};',
    });
    expect(comp.classes.map((c) => `${c.namespace}:${c.decl.name}`)).toEqual(['root/a:One', 'root/a:Two', 'root/b:OneB', 'root/a:After']);
    expect(comp.files).toEqual(['main.mof', 'lib/one.mof', 'lib/two.mof']);
    expect(comp.classes[1].decl.pos.file).toBe('lib/two.mof');
  });

  it('reports a missing include at the pragma', () => {
    const e = syntaxError(() => compileMem({ 'main.mof': 'class A {};\n  #pragma include("nope.mof")' }));
    expect([e.file, e.line, e.column]).toEqual(['main.mof', 2, 3]);
    expect(e.detail).toMatch(/^cannot read MOF file nope\.mof/);
  });

  it('rejects include cycles', () => {
    const e = syntaxError(() => compileMem({ 'main.mof': '#pragma include("b.mof")', 'b.mof': '#pragma include("main.mof")' }));
    expect(e.detail).toBe('include cycle: main.mof -> b.mof -> main.mof');
    expect(e.file).toBe('b.mof');
  });

  it('reports syntax errors in included files with their own position', () => {
    const e = syntaxError(() => compileMem({ 'main.mof': '#pragma include("bad.mof")', 'bad.mof': '\nclass A {\n  uint8 X = ;\n};' }));
    expect([e.file, e.line, e.column]).toEqual(['bad.mof', 3, 13]);
  });

  it('compiles text held in memory, reading its includes through the host', () => {
    const comp = compileMofText('#pragma include("inc.mof")\nclass Main {};', '/mem/virtual.mof', {
      host: memoryHost({ 'inc.mof': 'class Inc {};' }),
      defaultNamespace: 'root/virtual',
    });
    expect(comp.classes.map((c) => `${c.namespace}:${c.decl.name}`)).toEqual(['root/virtual:Inc', 'root/virtual:Main']);
  });

  it('ignores known WMI pragmas and warns about unknown ones', () => {
    const comp = compileMem({ 'main.mof': '#pragma locale("en-US")\n#pragma classflags("forceupdate")\n#pragma frobnicate("x")' });
    expect(comp.warnings.map((w) => `${w.pos.line}: ${w.message}`)).toEqual(['3: unknown #pragma frobnicate ignored']);
  });

  it('decodes UTF-16 files (what WMI tools write)', () => {
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('class A {};', 'utf16le')]);
    expect(decodeMofBytes(le)).toBe('class A {};');
    const be = Buffer.from(le);
    be.swap16();
    expect(decodeMofBytes(be)).toBe('class A {};');
    expect(decodeMofBytes(Buffer.from('class B {};'))).toBe('class B {};');
  });

  it('compiles the on-disk fixture schema through the node host', () => {
    const dir = fileURLToPath(new URL('../../fixtures/mof/basic/', import.meta.url));
    const comp = compileMofFiles([dir + 'root_test.mof'], { displayRoot: dir });
    // files outside the display root are shown with their absolute path
    expect(comp.files[0]).toBe('root_test.mof');
    expect(comp.files[1]).toMatch(/^\/.*schemas\/cim\/qualifiers\.mof$/);
    expect(comp.files[2]).toBe('classes/things.mof');
    const reg = CimRegistry.fromCompilation(comp);
    expect(reg.namespaces()).toEqual(['root/Test']);
    expect(reg.classes('ROOT\\test').map((c) => c.name)).toEqual(['Fx_Base', 'Fx_Thing', 'Fx_Link']);
    expect(reg.declaredInstances('root/test')).toHaveLength(2);
  });
});
