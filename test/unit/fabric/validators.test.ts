import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/cim/schema-loader.js';
import { GENERATED_VALIDATORS_PATH, validatorModuleSource } from '../../../src/fabric/validators/generate.js';

describe('generated world-file and fault-rule validators', () => {
  it('are current with world-schema.ts (regenerate with npm run validators)', () => {
    expect(readFileSync(join(projectRoot(), GENERATED_VALIDATORS_PATH), 'utf8')).toBe(validatorModuleSource());
  });
});
