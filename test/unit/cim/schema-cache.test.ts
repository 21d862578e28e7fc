import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveSchema } from '../../../src/cim/mof/resolver.js';
import { QualifierTable } from '../../../src/cim/mof/qualifiers.js';
import { cachedSchema } from '../../../src/cim/schema-cache.js';
import { compileSchemaDir, defaultSchemaDir } from '../../../src/cim/schema-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'vmms-schema-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the resolved-schema disk cache', () => {
  const fresh = resolveSchema(compileSchemaDir());
  const file = join(dir, 'schema.bin');
  let compiles = 0;
  const compile = () => {
    compiles++;
    return resolveSchema(compileSchemaDir());
  };

  it('compiles once, then reads back a schema deeply equal to a fresh compile (prototypes included)', () => {
    const first = cachedSchema(defaultSchemaDir(), file, compile);
    const second = cachedSchema(defaultSchemaDir(), file, compile);
    expect(compiles).toBe(1);
    expect(isDeepStrictEqual(first, fresh)).toBe(true);
    expect(isDeepStrictEqual(second, fresh)).toBe(true);
    expect(second.namespaces[0].qualifiers).toBeInstanceOf(QualifierTable);
    expect(second.namespaces[0].qualifiers.get('Key')).toEqual(fresh.namespaces[0].qualifiers.get('Key'));
  });

  it('compiles again when the file is corrupt or was written for other sources', () => {
    const good = readFileSync(file);
    writeFileSync(file, Buffer.concat([good.subarray(0, 40), Buffer.from('garbage')]));
    expect(isDeepStrictEqual(cachedSchema(defaultSchemaDir(), file, compile), fresh)).toBe(true);
    expect(compiles).toBe(2);
    const other = Buffer.from(readFileSync(file));
    other[0] ^= 0xff; // another key: another schema or compiler
    writeFileSync(file, other);
    cachedSchema(defaultSchemaDir(), file, compile);
    expect(compiles).toBe(3);
    cachedSchema(defaultSchemaDir(), file, compile);
    expect(compiles).toBe(3);
  });

  it('still answers when the cache cannot be written', () => {
    const unwritable = join(dir, 'schema.bin', 'below-a-file', 'x.bin');
    expect(isDeepStrictEqual(cachedSchema(defaultSchemaDir(), unwritable, compile), fresh)).toBe(true);
  });
});
