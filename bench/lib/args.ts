/** Command-line options of the bench scripts (`--name value`, `--name=value`, `--flag`), and where results go. */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** bench/results in the source tree (these scripts run from dist/bench). */
export const RESULTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bench', 'results');

export function parseArgs(argv: readonly string[]): Map<string, string> {
  const m = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) continue;
    const eq = a.indexOf('=');
    if (eq > 0) {
      m.set(a.slice(2, eq), a.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !next.startsWith('--')) {
      m.set(a.slice(2), next);
      i++;
    } else {
      m.set(a.slice(2), 'true');
    }
  }
  return m;
}
