/**
 * Generated XSD/WSDL files: committed copies must equal a fresh generation byte for byte, every
 * file must be well-formed, and (when xmllint is installed; CI installs it) every class schema
 * must compile and validate sample documents.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { loadSchemaRegistry, projectRoot } from '../../../src/cim/schema-loader.js';
import { wmiClassUri } from '../../../src/wsman/uris.js';
import { generateSchemaFiles, type GeneratedFile } from '../../../src/wsman/schemagen/index.js';
import { CIM_COMMON_TYPES, commonXsdTypeNames, GENERATED_MARKER } from '../../../src/wsman/schemagen/xsd.js';

const ROOT = projectRoot();
const REGEN_HINT = 'Generated schema files are out of date: run `npx tsc -p . && node dist/scripts/generate-schemas.js` (the "schemas" npm script) and commit the result.';
const registry = loadSchemaRegistry();
const files = generateSchemaFiles(registry);
const byPath = new Map(files.map((f) => [f.path, f]));

function listGenerated(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listGenerated(p, ext));
    else if (e.name.endsWith(ext) && readFileSync(p, 'utf8').includes(GENERATED_MARKER)) out.push(posix.relative(ROOT, p.split('\\').join('/')));
  }
  return out;
}

function wellFormedErrors(f: GeneratedFile): string[] {
  const errors: string[] = [];
  const parser = new SaxesParser({ xmlns: true, fileName: f.path });
  parser.on('error', (e) => errors.push(e.message));
  parser.write(f.content).close();
  return errors;
}

function hasXmllint(): boolean {
  try {
    execFileSync('xmllint', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('schema generation', () => {
  it('is deterministic', () => {
    const again = generateSchemaFiles(registry);
    expect(again.map((f) => f.path)).toEqual(files.map((f) => f.path));
    expect(again.every((f, i) => f.content === files[i].content)).toBe(true);
  });

  it('matches the committed files byte for byte', () => {
    const problems: string[] = [];
    for (const f of files) {
      const abs = join(ROOT, f.path);
      if (!existsSync(abs)) problems.push(`missing: ${f.path}`);
      else if (readFileSync(abs, 'utf8') !== f.content) problems.push(`differs: ${f.path}`);
    }
    const onDisk = [...listGenerated(join(ROOT, 'schemas'), '.xsd'), ...listGenerated(join(ROOT, 'wsdl'), '.wsdl')];
    for (const p of onDisk) if (!byPath.has(p)) problems.push(`stale: ${p}`);
    expect(problems, REGEN_HINT).toEqual([]);
  });

  it('produces one XSD per class and one WSDL per class with methods', () => {
    for (const ns of registry.namespaces()) {
      const sub = ns === 'root/virtualization/v2' ? '' : ns.replace(/\//g, '_') + '/';
      for (const c of registry.classes(ns)) {
        expect(byPath.has(`schemas/${sub}${c.name}.xsd`)).toBe(true);
        expect([c.name, byPath.has(`wsdl/${sub}${c.name}.wsdl`)]).toEqual([c.name, c.methods.size > 0]);
      }
    }
  });

  it('writes well-formed XML', () => {
    const problems = files.flatMap((f) => wellFormedErrors(f).map((e) => `${f.path}: ${e}`));
    expect(problems).toEqual([]);
  });

  it('declares every cim: type the class schemas use in the common schema', () => {
    const declared = new Set(commonXsdTypeNames());
    for (const t of CIM_COMMON_TYPES) expect(declared.has(t)).toBe(true);
    for (const f of files.filter((x) => x.path.endsWith('.xsd'))) {
      for (const m of f.content.matchAll(/(?:type|base)="cim:(\w+)"/g)) expect([f.path, declared.has(m[1])]).toEqual([f.path, true]);
    }
  });

  it('follows DSP0230 for a class: target namespace, _Type, sorted properties, keys, methods', () => {
    const xsd = byPath.get('schemas/Msvm_VirtualSystemMigrationService.xsd')!.content;
    const uri = wmiClassUri('root/virtualization/v2', 'Msvm_VirtualSystemMigrationService');
    expect(xsd).toContain(`targetNamespace="${uri}"`);
    expect(xsd).toContain('<xs:element name="Msvm_VirtualSystemMigrationService" type="class:Msvm_VirtualSystemMigrationService_Type"/>');
    expect(xsd).toContain('<xs:element name="MigrationServiceListenerIPAddressList" nillable="true" type="cim:cimString"/>');
    expect(xsd).toContain('<xs:element ref="class:MigrationServiceListenerIPAddressList" minOccurs="0" maxOccurs="unbounded"/>');
    expect(xsd).toContain('<xs:element ref="class:SystemName" minOccurs="0" cim:Key="true"/>');
    expect(xsd).toContain('<xs:element ref="class:InstanceID" minOccurs="0"/>');
    const refs = [...xsd.matchAll(/<xs:element ref="class:(\w+)"/g)].map((m) => m[1]);
    expect(refs).toEqual(registry.requireClass('root/virtualization/v2', 'Msvm_VirtualSystemMigrationService').sortedProperties.map((p) => p.name));
    expect(xsd).toContain('<xs:element name="MigrateVirtualSystemToHost_INPUT" type="class:MigrateVirtualSystemToHost_INPUT_Type"/>');
    expect(xsd).toContain('<xs:element name="NewResourceSettingData" type="xs:anyType" minOccurs="0" maxOccurs="unbounded" nillable="true"/>');
    expect(xsd).toContain('<xs:element name="ReturnValue" type="cim:cimUnsignedInt" minOccurs="1" maxOccurs="1"/>');
  });

  it('writes WSDL operations with WS-Management actions, a SOAP 1.2 binding and a resolvable XSD import', () => {
    for (const f of files.filter((x) => x.path.endsWith('.wsdl'))) {
      const tns = /targetNamespace="([^"]+)"/.exec(f.content)![1];
      const loc = /schemaLocation="([^"]+)"/.exec(f.content)![1];
      const xsdPath = posix.normalize(posix.join(posix.dirname(f.path), loc));
      expect([f.path, byPath.has(xsdPath)]).toEqual([f.path, true]);
      const xsd = byPath.get(xsdPath)!.content;
      expect(f.content).toContain('<soap12:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>');
      for (const m of f.content.matchAll(/<wsdl:input message="tns:(\w+)_INPUT" wsa:Action="([^"]+)" wsam:Action="([^"]+)"\/>/g)) {
        expect(m[2]).toBe(`${tns}/${m[1]}`);
        expect(m[3]).toBe(m[2]);
        expect(f.content).toContain(`wsa:Action="${tns}/${m[1]}Response"`);
        expect(xsd).toContain(`<xs:element name="${m[1]}_INPUT" `);
        expect(xsd).toContain(`<xs:element name="${m[1]}_OUTPUT" `);
      }
    }
    const wsdl = byPath.get('wsdl/Msvm_VirtualSystemMigrationService.wsdl')!.content;
    const uri = wmiClassUri('root/virtualization/v2', 'Msvm_VirtualSystemMigrationService');
    expect(wsdl).toContain(`wsa:Action="${uri}/MigrateVirtualSystemToHost"`);
    expect(wsdl).toContain(`wsa:Action="${uri}/MigrateVirtualSystemToHostResponse"`);
    expect(wsdl).toContain('schemaLocation="../schemas/Msvm_VirtualSystemMigrationService.xsd"');
    expect(byPath.get('wsdl/root_cimv2/Win32_ComputerSystem.wsdl')!.content).toContain('schemaLocation="../../schemas/root_cimv2/Win32_ComputerSystem.xsd"');
  });

  describe.skipIf(!hasXmllint())('with xmllint', () => {
    const lint = (schema: string, doc: string): { ok: boolean; out: string } => {
      const r = spawnSync('xmllint', ['--noout', '--schema', schema, doc], { encoding: 'utf8' });
      return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
    };

    it('compiles every class schema (one driver schema importing them all)', () => {
      const tmp = mkdtempSync(join(tmpdir(), 'vmms-xsd-'));
      try {
        const imports = files
          .filter((f) => f.path.endsWith('.xsd') && !f.path.endsWith('dsp8004-common.xsd'))
          .map((f) => `<xs:import namespace="${/targetNamespace="([^"]+)"/.exec(f.content)![1]}" schemaLocation="${join(ROOT, f.path)}"/>`);
        const driver = join(tmp, 'driver.xsd');
        writeFileSync(driver, `<?xml version="1.0"?>\n<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n${imports.join('\n')}\n<xs:element name="root"/>\n</xs:schema>\n`);
        const doc = join(tmp, 'doc.xml');
        writeFileSync(doc, '<root/>\n');
        const r = lint(driver, doc);
        expect(r.out).toContain('validates');
        expect(r.ok).toBe(true);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });

    it('validates an instance and a method output, and rejects a bad one', () => {
      const tmp = mkdtempSync(join(tmpdir(), 'vmms-xsd-'));
      const uri = wmiClassUri('root/virtualization/v2', 'Msvm_VirtualSystemMigrationService');
      const schema = join(ROOT, 'schemas/Msvm_VirtualSystemMigrationService.xsd');
      const ns = `xmlns:p="${uri}" xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;
      try {
        const write = (name: string, text: string) => {
          const p = join(tmp, name);
          writeFileSync(p, text);
          return p;
        };
        const instance = write('instance.xml', `<p:Msvm_VirtualSystemMigrationService ${ns}>
  <p:ActiveVirtualSystemMigrationCount>0</p:ActiveVirtualSystemMigrationCount>
  <p:CreationClassName>Msvm_VirtualSystemMigrationService</p:CreationClassName>
  <p:InstallDate xsi:nil="true"/>
  <p:MigrationServiceListenerIPAddressList>10.0.0.1</p:MigrationServiceListenerIPAddressList>
  <p:MigrationServiceListenerIPAddressList>fe80::1</p:MigrationServiceListenerIPAddressList>
  <p:Name>migrationwmi</p:Name>
  <p:TimeOfLastStateChange><cim:Datetime>2024-05-01T10:00:00.5Z</cim:Datetime></p:TimeOfLastStateChange>
</p:Msvm_VirtualSystemMigrationService>
`);
        expect(lint(schema, instance)).toMatchObject({ ok: true });
        const output = write('output.xml', `<p:MigrateVirtualSystemToHost_OUTPUT ${ns} xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd">
  <p:Job>
    <a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address>
    <a:ReferenceParameters>
      <w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/virtualization/v2/Msvm_MigrationJob</w:ResourceURI>
      <w:SelectorSet><w:Selector Name="InstanceID">5B2A8D1E-0000-0000-0000-000000000000</w:Selector></w:SelectorSet>
    </a:ReferenceParameters>
  </p:Job>
  <p:ReturnValue>4096</p:ReturnValue>
</p:MigrateVirtualSystemToHost_OUTPUT>
`);
        expect(lint(schema, output)).toMatchObject({ ok: true });
        const bad = write('bad.xml', `<p:Msvm_VirtualSystemMigrationService ${ns}><p:ActiveVirtualSystemMigrationCount>many</p:ActiveVirtualSystemMigrationCount></p:Msvm_VirtualSystemMigrationService>\n`);
        const r = lint(schema, bad);
        expect(r.ok).toBe(false);
        expect(r.out).toMatch(/ActiveVirtualSystemMigrationCount/);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
});

// keep the helper honest about where files live
it('keeps generated paths inside the project', () => {
  for (const f of files) expect(dirname(join(ROOT, f.path)).startsWith(ROOT)).toBe(true);
});
