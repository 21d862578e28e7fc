/**
 * The README shows the profile code tables and docs/hyperv-behaviour.md the failure catalogue;
 * they are generated from src/providers/hyperv/profiles.ts and src/fabric/failures.ts. This test
 * fails when a document and the code disagree, and prints the text to paste.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { projectRoot } from '../../../src/cim/schema-loader.js';
import { FAILURES } from '../../../src/fabric/failures.js';
import { renderFailureCatalogue } from '../../../src/providers/hyperv/docs.js';
import { renderProfileTables } from '../../../src/providers/hyperv/profiles.js';

const DOCS = { 'profile-tables': 'README.md', 'failure-catalogue': 'docs/hyperv-behaviour.md' } as const;

function block(name: keyof typeof DOCS): string {
  const doc = readFileSync(join(projectRoot(), DOCS[name]), 'utf8');
  const m = new RegExp(`<!-- ${name}:begin -->\\n([\\s\\S]*?)\\n<!-- ${name}:end -->`).exec(doc);
  expect(m, `markers ${name} in ${DOCS[name]}`).not.toBeNull();
  return m![1];
}

test('the profile tables in the document are the ones in profiles.ts', () => {
  const expected = renderProfileTables((r) => FAILURES[r].phase);
  if (block('profile-tables') !== expected) console.log(`--- paste into README.md ---\n${expected}`);
  expect(block('profile-tables')).toBe(expected);
});

test('the failure catalogue in the document is the one in failures.ts', () => {
  const expected = renderFailureCatalogue();
  if (block('failure-catalogue') !== expected) console.log(`--- paste into docs/hyperv-behaviour.md ---\n${expected}`);
  expect(block('failure-catalogue')).toBe(expected);
});
