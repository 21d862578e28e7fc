/**
 * Markdown tables of docs/hyperv-behaviour.md generated from the code (the failure catalogue of
 * src/fabric/failures.ts and the profile tables of profiles.ts), so the document cannot drift:
 * `node -e "import('./dist/src/providers/hyperv/docs.js').then(m => console.log(m.renderAll()))"`
 * prints them after a build; test/unit/providers/doc-tables.test.ts compares.
 */
import { FAILURES } from '../../fabric/failures.js';
import type { FailureReason } from '../../fabric/model.js';
import { renderProfileTables } from './profiles.js';

export function renderFailureCatalogue(): string {
  const out = ['| Reason | Fails | What | Msvm_Error MessageID | ProbableCause | ErrorType |', '|---|---|---|---|---|---|'];
  for (const [reason, f] of Object.entries(FAILURES) as Array<[FailureReason, (typeof FAILURES)[FailureReason]]>) {
    const fails = f.phase === 'sync' ? 'at once (ReturnValue, no job)' : reason === 'cancelled' ? 'the job (JobState 8 or 9)' : 'the job (JobState 10)';
    const id = f.phase === 'sync' ? '—' : f.messageId;
    const pc = f.phase === 'sync' ? '—' : String(f.probableCause);
    const et = f.phase === 'sync' ? '—' : String(f.errorType);
    out.push(`| \`${reason}\` | ${fails} | ${f.summary} | ${id} | ${pc} | ${et} |`);
  }
  return out.join('\n');
}

export function renderAll(): string {
  return [
    '<!-- failure-catalogue:begin -->', renderFailureCatalogue(), '<!-- failure-catalogue:end -->', '',
    '<!-- profile-tables:begin -->', renderProfileTables((r) => FAILURES[r].phase), '<!-- profile-tables:end -->',
  ].join('\n');
}
