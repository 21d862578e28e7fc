/**
 * docs/hyperv-behaviour.md shows the profile code tables and the failure catalogue; they are
 * generated from src/providers/hyperv/profiles.ts and src/fabric/failures.ts. This test fails when
 * the document and the code disagree, and prints the text to paste.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot } from '../../../src/cim/schema-loader.js';
import { FAILURES } from '../../../src/fabric/failures.js';
import { renderFailureCatalogue } from '../../../src/providers/hyperv/docs.js';
import { renderProfileTables } from '../../../src/providers/hyperv/profiles.js';

const doc = readFileSync(join(projectRoot(), 'docs/hyperv-behaviour.md'), 'utf8');

function block(name: string): string {
  const m = new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(doc);
  expect(m, `markers ${name} in docs/hyperv-behaviour.md`).not.toBeNull();
  return m![1];
}

test('the profile tables in the document are the ones in profiles.ts', () => {
  const expected = renderProfileTables((r) => FAILURES[r].phase);
  if (block('profile-tables') !== expected) console.log(`--- paste into docs/hyperv-behaviour.md ---\n${expected}`);
  expect(block('profile-tables')).toBe(expected);
});

test('the failure catalogue in the document is the one in failures.ts', () => {
  const expected = renderFailureCatalogue();
  if (block('failure-catalogue') !== expected) console.log(`--- paste into docs/hyperv-behaviour.md ---\n${expected}`);
  expect(block('failure-catalogue')).toBe(expected);
});
