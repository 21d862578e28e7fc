/**
 * VM configuration versions each Windows build supports (hyperv-model.md §3.3, from the
 * Justsenger version matrix). A build between two rows takes the row of the nearest lower build;
 * a build older than the table supports only 5.0 (Windows Server 2012 R2).
 */

interface VersionRow {
  readonly build: number;
  readonly release: string;
  readonly versions: readonly string[];
}

function range(lo: string, hi: string, list: readonly string[]): string[] {
  return list.filter((v) => compareVersions(v, lo) >= 0 && compareVersions(v, hi) <= 0);
}

/** Every configuration version Hyper-V has shipped, in order. */
export const ALL_VERSIONS = ['5.0', '6.2', '7.0', '7.1', '8.0', '8.1', '8.2', '8.3', '9.0', '9.1', '9.2', '9.3', '10.0', '11.0', '12.0'] as const;

export const VERSION_MATRIX: readonly VersionRow[] = [
  { build: 9600, release: 'Windows Server 2012 R2', versions: ['5.0'] },
  { build: 14393, release: 'Windows Server 2016', versions: ['5.0', '6.2', '7.0', '7.1', '8.0'] },
  { build: 17763, release: 'Windows Server 2019', versions: range('5.0', '9.0', ALL_VERSIONS) },
  { build: 19045, release: 'Windows 10 22H2', versions: range('8.0', '9.2', ALL_VERSIONS) },
  { build: 20348, release: 'Windows Server 2022', versions: range('8.0', '10.0', ALL_VERSIONS) },
  { build: 22621, release: 'Windows 11 22H2/23H2', versions: range('8.0', '11.0', ALL_VERSIONS) },
  { build: 26100, release: 'Windows Server 2025', versions: range('8.0', '12.0', ALL_VERSIONS) },
];

export function compareVersions(a: string, b: string): number {
  const [am, an] = a.split('.').map(Number);
  const [bm, bn] = b.split('.').map(Number);
  return am - bm || (an || 0) - (bn || 0);
}

export function buildOf(osVersion: string): number {
  const parts = osVersion.split('.');
  return Number(parts[2] ?? parts[0]) || 0;
}

function rowFor(osVersion: string): VersionRow {
  const build = buildOf(osVersion);
  let row = VERSION_MATRIX[0];
  for (const r of VERSION_MATRIX) if (r.build <= build) row = r;
  return row;
}

/** Configuration versions a host of this OS version can run. */
export function supportedVersions(osVersion: string): readonly string[] {
  return rowFor(osVersion).versions;
}

// asked for every migration check: the answers are few (host OS versions × VM versions), keep them
const supportCache = new Map<string, boolean>();

export function supportsVersion(osVersion: string, version: string): boolean {
  const k = `${osVersion}\0${version}`;
  let yes = supportCache.get(k);
  if (yes === undefined) {
    yes = supportedVersions(osVersion).some((v) => compareVersions(v, version) === 0);
    if (supportCache.size >= 1024) supportCache.clear();
    supportCache.set(k, yes);
  }
  return yes;
}

/** The version a new VM gets on this host (its highest). */
export function defaultVersion(osVersion: string): string {
  const v = supportedVersions(osVersion);
  return v[v.length - 1];
}
