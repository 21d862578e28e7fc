/**
 * Loads the project's schema (schemas/*.mof) into a {@link CimRegistry}, once per process.
 *
 * The schema directory is found relative to this module, not the working directory: walk up from
 * the module file to the folder that holds package.json (works from src/ under vitest and from
 * dist/src/ after tsc), then take its `schemas/`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileMofFiles, type MofCompilation } from './mof/compiler.js';
import { resolveSchema } from './mof/resolver.js';
import { CimRegistry } from './registry.js';
import { cachedSchema } from './schema-cache.js';

/** Top-level files: one per namespace, each with its `#pragma namespace` and includes. */
const ENTRY_RE = /^root_.*\.mof$/i;

let cached: { dir: string; registry: CimRegistry } | undefined;

/** The folder containing package.json, walking up from this module. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`package.json not found above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** Where the resolved project schema is cached between starts. */
export function schemaCacheFile(): string {
  return join(projectRoot(), 'node_modules', '.cache', 'vmms-emu', 'schema.bin');
}

export function defaultSchemaDir(): string {
  return join(projectRoot(), 'schemas');
}

/** The namespace entry files of a schema directory (`root_*.mof`), sorted for a stable load order. */
export function schemaEntryFiles(schemaDir: string): string[] {
  return readdirSync(schemaDir)
    .filter((f) => ENTRY_RE.test(f))
    .sort()
    .map((f) => join(schemaDir, f));
}

/** Compile a schema directory without building a registry (tools, tests). */
export function compileSchemaDir(schemaDir = defaultSchemaDir()): MofCompilation {
  const entries = schemaEntryFiles(schemaDir);
  if (entries.length === 0) throw new Error(`no root_*.mof entry files in ${schemaDir}`);
  return compileMofFiles(entries, { displayRoot: dirname(schemaDir) });
}

/**
 * The registry of a schema directory (default: the project's schemas/), memoised per directory
 * for the life of the process. Throws MofSyntaxError / MofSchemaError with file:line:column.
 */
export function loadSchemaRegistry(schemaDir = defaultSchemaDir()): CimRegistry {
  if (cached && cached.dir === schemaDir) return cached.registry;
  // the project's own schema is read back from a disk cache when it has not changed (schema-cache.ts)
  const registry =
    schemaDir === defaultSchemaDir()
      ? CimRegistry.fromResolved(cachedSchema(schemaDir, schemaCacheFile(), () => resolveSchema(compileSchemaDir(schemaDir))))
      : CimRegistry.fromCompilation(compileSchemaDir(schemaDir));
  cached = { dir: schemaDir, registry };
  return registry;
}
