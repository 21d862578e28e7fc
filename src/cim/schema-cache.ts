/**
 * A disk cache of the resolved project schema. Compiling and resolving schemas/*.mof costs 70–120 ms
 * of cold JavaScript at every start; reading back V8's serialisation of the result costs ~10 ms.
 *
 * The cache is keyed by everything the result depends on: the serialiser's V8 version, the text of
 * every .mof file under the schema directory and the source of the compiler (this module's folder,
 * src/cim or dist/src/cim). A different key, an unreadable or a corrupt file means compiling again;
 * the cache is then rewritten (atomically, by rename; failures to write are ignored: a read-only
 * install just compiles every time). It lives in node_modules/.cache, where tools keep such files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import type { MofQualifierTypeDecl } from './mof/ast.js';
import { QualifierTable } from './mof/qualifiers.js';
import type { ResolvedNamespace, ResolvedSchema } from './mof/resolver.js';

/** Bump when the cached shape changes in a way the source hash would not show. */
const FORMAT = 'vmms-schema-cache/1';
const KEY_BYTES = 32;

function filesUnder(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, keep));
    else if (keep(e.name)) out.push(p);
  }
  return out.sort();
}

function cacheKey(schemaDir: string): Buffer {
  const h = createHash('sha256').update(FORMAT).update('\0').update(process.versions.v8);
  const codeDir = dirname(fileURLToPath(import.meta.url));
  const sources = [
    ...filesUnder(schemaDir, (n) => /\.mof$/i.test(n)).map((f) => ({ f, base: schemaDir })),
    ...filesUnder(codeDir, (n) => /\.(js|ts)$/.test(n) && !n.endsWith('.d.ts')).map((f) => ({ f, base: codeDir })),
  ];
  for (const { f, base } of sources) h.update('\0').update(relative(base, f)).update('\0').update(readFileSync(f));
  return h.digest();
}

/** QualifierTable is the one class instance in the result: serialisation keeps its data, not its prototype. */
function revive(schema: ResolvedSchema): ResolvedSchema {
  const namespaces = schema.namespaces.map((ns): ResolvedNamespace => {
    const table = new QualifierTable();
    for (const d of (ns.qualifiers as unknown as { decls: Map<string, MofQualifierTypeDecl> }).decls.values()) table.add(d);
    return { ...ns, qualifiers: table };
  });
  return { namespaces };
}

/** The resolved schema of `schemaDir` from `cacheFile`, or `compile()`'s, which is then cached. */
export function cachedSchema(schemaDir: string, cacheFile: string, compile: () => ResolvedSchema): ResolvedSchema {
  let key: Buffer | undefined;
  try {
    key = cacheKey(schemaDir);
    const data = readFileSync(cacheFile);
    if (data.length > KEY_BYTES && key.equals(data.subarray(0, KEY_BYTES))) return revive(deserialize(data.subarray(KEY_BYTES)) as ResolvedSchema);
  } catch {
    // no cache yet, or one that does not read back: compile
  }
  const schema = compile();
  if (key) {
    try {
      mkdirSync(dirname(cacheFile), { recursive: true });
      const tmp = `${cacheFile}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([key, serialize(schema)]));
      renameSync(tmp, cacheFile);
    } catch {
      // a read-only install: compile at every start
    }
  }
  return schema;
}
