/**
 * Running Debian's /usr/bin/python3 (which sees python3-winrm and friends) for the real-client tests,
 * with OPENSSL_CONF pointing at the shared pack's openssl-legacy.cnf, so that pywinrm's NTLM gets MD4
 * (real-clients.md §2.6) — the only client-side change from pywinrm's defaults.
 *
 * A missing client never makes a test pass or skip quietly: requireClient throws with the package to
 * install, and the test fails with that message.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { ENUMERATE, GET_ONE, WMI_THING } from './secure-host.js';
import { IDENTIFY, envelope } from './wsman-client.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PYTHON = '/usr/bin/python3';
/** The pack's OpenSSL config that enables the legacy provider (MD4), resolved from the repo root. */
export const OPENSSL_LEGACY_CONF = resolve(REPO_ROOT, '../shared/tools/clients/openssl-legacy.cnf');
export const PYWINRM_DRIVER = join(REPO_ROOT, 'test/fixtures/pywinrm/drive.py');

export interface ClientRequirement {
  /** Python modules that must import */
  modules?: string[];
  /** needs MD4 through OPENSSL_CONF */
  md4?: boolean;
  /** executables that must be on PATH */
  commands?: string[];
  /** what to install when something is missing */
  install: string;
}

function pythonEnv(): NodeJS.ProcessEnv {
  return { ...process.env, OPENSSL_CONF: OPENSSL_LEGACY_CONF, PYTHONDONTWRITEBYTECODE: '1' };
}

/** Throws an Error that says what is missing and how to install it. */
export function requireClient(req: ClientRequirement): void {
  const problems: string[] = [];
  if (req.modules || req.md4) {
    if (!existsSync(PYTHON)) problems.push(`${PYTHON} not found`);
    else {
      if (req.md4 && !existsSync(OPENSSL_LEGACY_CONF)) problems.push(`${OPENSSL_LEGACY_CONF} not found (the shared pack must sit beside the repository)`);
      const code = [...(req.modules ?? []).map((m) => `import ${m}`), ...(req.md4 ? ["import hashlib; hashlib.new('md4', b'')"] : [])].join('\n');
      const probe = spawnSync(PYTHON, ['-c', code], { env: pythonEnv(), encoding: 'utf8' });
      if (probe.status !== 0) problems.push(`python probe failed: ${probe.stderr.trim().split('\n').at(-1) ?? probe.error?.message ?? 'unknown error'}`);
    }
  }
  for (const cmd of req.commands ?? []) {
    const which = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
    if (which.status !== 0) problems.push(`${cmd} not on PATH`);
  }
  if (problems.length) throw new Error(`real client unavailable: ${problems.join('; ')}. Install with: ${req.install}`);
}

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion (asynchronously, so the in-process server keeps answering). */
export function run(cmd: string, args: string[], o: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { env: o.env ?? process.env, cwd: o.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 60_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
    child.stdin.end(o.input ?? '');
  });
}

/** Runs a Python script with /usr/bin/python3 and the legacy OpenSSL config. */
export function runPython(script: string, args: string[], o: { input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  return run(PYTHON, [script, ...args], { ...o, env: pythonEnv() });
}

export interface PywinrmMessage {
  name: string;
  xml: string;
}

export type PywinrmResult =
  | { name: string; ok: true; text: string }
  | { name: string; ok: false; error: string; message: string };

export interface PywinrmOptions {
  endpoint: string;
  transport: 'ntlm' | 'basic' | 'certificate' | 'plaintext' | 'ssl';
  user?: string;
  password?: string;
  encryption?: 'auto' | 'always' | 'never';
  /** CA bundle file for server certificate validation */
  ca?: string;
  insecure?: boolean;
  cert?: string;
  key?: string;
}

/** The driver's command-line options for a session. */
function driverArgs(o: PywinrmOptions): string[] {
  const args = ['--endpoint', o.endpoint, '--transport', o.transport];
  if (o.user !== undefined) args.push('--user', o.user);
  if (o.password !== undefined) args.push('--password', o.password);
  if (o.encryption) args.push('--encryption', o.encryption);
  if (o.ca) args.push('--ca', o.ca);
  if (o.insecure) args.push('--insecure');
  if (o.cert) args.push('--cert', o.cert, '--key', o.key ?? '');
  return args;
}

/** Sends the messages in order through one pywinrm Protocol (test/fixtures/pywinrm/drive.py). */
export async function pywinrm(o: PywinrmOptions, messages: PywinrmMessage[]): Promise<PywinrmResult[]> {
  const r = await runPython(PYWINRM_DRIVER, driverArgs(o), { input: JSON.stringify(messages), timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`pywinrm driver exited ${String(r.code)}: ${r.stderr.trim()}`);
  try {
    return (JSON.parse(r.stdout) as { results: PywinrmResult[] }).results;
  } catch {
    throw new Error(`pywinrm driver printed no results: ${r.stdout.slice(0, 500)} ${r.stderr.slice(0, 2000)}`);
  }
}

export const PYWINRM_REQUIREMENT: ClientRequirement = {
  modules: ['winrm', 'requests_ntlm'],
  md4: true,
  install: 'apt-get install -y --no-install-recommends python3-winrm python3-requests-ntlm',
};

// ------------------------------------------------ the standard exchange against the core host --


/** Identify, Get, Enumerate and Invoke against the core test host (test/helpers/secure-host.ts). */
export function standardMessages(): PywinrmMessage[] {
  return [
    { name: 'identify', xml: IDENTIFY },
    { name: 'get', xml: GET_ONE() },
    { name: 'enumerate', xml: ENUMERATE() },
    {
      name: 'invoke',
      xml: envelope({
        action: `${WMI_THING}/Add`, resourceUri: WMI_THING, selectors: { Id: 'two' },
        body: `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>20</p:A><p:B>22</p:B></p:Add_INPUT>`,
      }).xml,
    },
  ];
}

export function expectStandardResults(results: PywinrmResult[]): void {
  const byName = Object.fromEntries(results.map((r) => [r.name, r]));
  for (const name of ['identify', 'get', 'enumerate', 'invoke']) {
    const r = byName[name];
    expect(r, name).toBeDefined();
    expect(r.ok ? 'ok' : `${r.error}: ${r.message}`, name).toBe('ok');
  }
  const text = (n: string) => (byName[n].ok ? (byName[n] as { text: string }).text : '');
  expect(text('identify')).toContain('<wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>');
  expect(text('get')).toContain('<p:Label>First</p:Label>');
  expect(text('enumerate')).toContain('<w:EndOfSequence/>');
  expect(text('enumerate')).toContain('<p:Id>kid</p:Id>');
  expect(text('invoke')).toContain('<p:Sum>42</p:Sum>');
}

/**
 * One pywinrm Protocol (one NTLM security context, one sealing session) driven a message at a time,
 * so a test can build each request from earlier answers (a job EPR, an enumeration context).
 */
export class PywinrmSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Array<(r: PywinrmResult) => void> = [];
  private buffered = '';
  private stderr = '';
  private readonly exited: Promise<number | null>;

  constructor(o: PywinrmOptions) {
    const args = [PYWINRM_DRIVER, '--interactive', ...driverArgs(o)];
    this.child = spawn(PYTHON, args, { env: pythonEnv(), stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.stdout.on('data', (d: Buffer) => {
      this.buffered += d.toString();
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        if (line.trim()) this.pending.shift()?.(JSON.parse(line) as PywinrmResult);
      }
    });
    this.exited = new Promise((resolveExit) => this.child.on('close', (code) => resolveExit(code)));
    void this.exited.then(() => {
      for (const waiter of this.pending.splice(0)) waiter({ name: 'session', ok: false, error: 'DriverExited', message: this.stderr.trim() });
    });
  }

  send(name: string, xml: string): Promise<PywinrmResult> {
    return new Promise((resolveResult) => {
      this.pending.push(resolveResult);
      this.child.stdin.write(JSON.stringify({ name, xml }) + '\n');
    });
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await this.exited;
  }
}
