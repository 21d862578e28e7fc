/**
 * Regenerates the XSD and WSDL files from schemas/*.mof.
 *
 *   node dist/scripts/generate-schemas.js          write the files, delete stale generated ones
 *   node dist/scripts/generate-schemas.js --check  exit 1 if any file would change (CI)
 *
 * Only files carrying the generated marker are ever deleted, so hand-written files are safe.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { compileSchemaDir, defaultSchemaDir, projectRoot } from '../src/cim/schema-loader.js';
import { CimRegistry } from '../src/cim/registry.js';
import { generateSchemaFiles } from '../src/wsman/schemagen/index.js';
import { GENERATED_MARKER } from '../src/wsman/schemagen/xsd.js';

function listGenerated(dir: string, ext: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listGenerated(p, ext));
    else if (entry.name.endsWith(ext) && readFileSync(p, 'utf8').includes(GENERATED_MARKER)) out.push(p);
  }
  return out;
}

function main(): number {
  const check = process.argv.includes('--check');
  const root = projectRoot();
  const t0 = performance.now();
  const registry = CimRegistry.fromCompilation(compileSchemaDir(defaultSchemaDir()));
  const files = generateSchemaFiles(registry);
  const wanted = new Set(files.map((f) => join(root, f.path)));

  const changed: string[] = [];
  for (const f of files) {
    const abs = join(root, f.path);
    const current = existsSync(abs) ? readFileSync(abs, 'utf8') : undefined;
    if (current === f.content) continue;
    changed.push(f.path);
    if (!check) {
      mkdirSync(dirname(abs), { recursive: true });
      writeFileSync(abs, f.content);
    }
  }
  const stale = [...listGenerated(join(root, 'schemas'), '.xsd'), ...listGenerated(join(root, 'wsdl'), '.wsdl')].filter((p) => !wanted.has(p));
  for (const p of stale) {
    changed.push(`${relative(root, p)} (stale)`);
    if (!check) unlinkSync(p);
  }

  const ms = (performance.now() - t0).toFixed(0);
  if (check) {
    if (changed.length) {
      console.error(`${changed.length} generated schema file(s) are out of date:\n  ${changed.join('\n  ')}\nRun the generate-schemas script.`);
      return 1;
    }
    console.log(`${files.length} generated schema files are up to date (${ms} ms).`);
    return 0;
  }
  console.log(`${files.length} schema files generated, ${changed.length} changed or removed (${ms} ms).`);
  return 0;
}

process.exitCode = main();
