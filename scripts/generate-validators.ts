/**
 * Regenerates the ajv standalone validators from src/fabric/world-schema.ts.
 *
 *   node dist/scripts/generate-validators.js          write the file
 *   node dist/scripts/generate-validators.js --check  exit 1 if it would change
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/cim/schema-loader.js';
import { GENERATED_VALIDATORS_PATH, validatorModuleSource } from '../src/fabric/validators/generate.js';

const file = join(projectRoot(), GENERATED_VALIDATORS_PATH);
const wanted = validatorModuleSource();
let current: string | undefined;
try {
  current = readFileSync(file, 'utf8');
} catch {
  current = undefined;
}
if (current === wanted) {
  console.log(`${GENERATED_VALIDATORS_PATH} is current`);
} else if (process.argv.includes('--check')) {
  console.error(`${GENERATED_VALIDATORS_PATH} is stale: run npm run validators`);
  process.exitCode = 1;
} else {
  writeFileSync(file, wanted);
  console.log(`wrote ${GENERATED_VALIDATORS_PATH}`);
}
