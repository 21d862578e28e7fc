/**
 * The run contract other tools depend on: `npm start -- --port-base N` serves the default world,
 * host i on HTTP N+2i and HTTPS N+2i+1, prints one line per host with its URLs, then a line with
 * `ready`; plus the `world` subcommands and their exit codes.
 */
import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { post } from '../helpers/wsman-client.js';

const ROOT = join(import.meta.dirname, '..', '..');

/** A base port with four free ports after it (HV1 and HV2, HTTP and HTTPS) and one before it (the control API). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20000 + Math.floor(Math.random() * 20000) * 2;
    const ok = await Promise.all([-1, 0, 1, 2, 3].map((i) => new Promise<boolean>((resolve) => {
      const s = net.createServer();
      s.once('error', () => resolve(false));
      s.listen(base + i, '127.0.0.1', () => s.close(() => resolve(true)));
    })));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port range');
}

const children: Array<ReturnType<typeof spawn>> = [];
afterAll(() => {
  for (const c of children) c.kill('SIGTERM');
});

describe('npm start', () => {
  test('serves the default world on the port contract and says ready', async () => {
    const base = await freePortBase();
    const child = spawn('npm', ['start', '--silent', '--', '--port-base', String(base)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    children.push(child);
    const lines: string[] = [];
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error(`no ready line; got:\n${buf}`)), 90_000);
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const all = buf.split('\n');
        if (all.some((l) => l.includes('ready'))) {
          clearTimeout(timer);
          lines.push(...all.filter(Boolean));
          resolve();
        }
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${buf}`)));
    });
    expect(lines.slice(0, 4)).toEqual([
      `HV1 http://127.0.0.1:${base}/wsman https://127.0.0.1:${base + 1}/wsman`,
      `HV2 http://127.0.0.1:${base + 2}/wsman https://127.0.0.1:${base + 3}/wsman`,
      // the control API's line comes before `ready` and does not look like a host line
      `control: http://127.0.0.1:${base - 1} (dashboard http://127.0.0.1:${base - 1}/dashboard/)`,
      expect.stringContaining('ready'),
    ]);
    const identify = `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;
    const r = await post(`http://127.0.0.1:${base + 2}/wsman`, identify);
    expect(r.status).toBe(200);
    expect(r.text).toContain('ProductVendor>Microsoft Corporation<');
    // the control API on port base - 1, and the request in the log (stderr, one JSON line)
    const hosts = (await (await fetch(`http://127.0.0.1:${base - 1}/api/hosts`)).json()) as Array<{ name: string }>;
    expect(hosts.map((h) => h.name)).toEqual(['HV1', 'HV2']);
    await expect.poll(() => stderr, { timeout: 10_000 }).toContain('"msg":"request"');
    const line = JSON.parse(stderr.split('\n').find((l) => l.includes('"msg":"request"'))!) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'info', host: 'HV2', user: 'Administrator', operation: 'Identify', status: 200, outcome: 'ok' });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code === 0 || code === null).toBe(true);
  }, 120_000);
});

describe('vmms-emu world', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/src/bin.js'), ...args], { encoding: 'utf8' });
  test('validate: 0 for a good file, 2 with the line of the problem for a bad one', () => {
    const good = cli('world', 'validate', join(ROOT, 'worlds/default.yaml'));
    expect(good.status).toBe(0);
    expect(good.stdout).toContain('valid (2 host(s)');
    const dir = mkdtempSync(join(tmpdir(), 'vmms-world-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'users:\n  - name: a\n    password: b\nhosts:\n  - name: HV1\n    vms:\n      - guid: nope\n        name: x\n        state: flying\n        memoryMiB: 1\n        cpus: 1\n');
    const r = cli('world', 'validate', bad);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/line 9, column \d+: hosts\.0\.vms\.0\.state/);
  });
  test('print: the default world as YAML', () => {
    const r = cli('world', 'print');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('name: HV1');
    expect(r.stdout).toContain('password: Passw0rd!');
  });
  test('--help and unknown commands', () => {
    expect(cli('--help').status).toBe(0);
    expect(cli('world', '--help').status).toBe(0);
    expect(cli('frobnicate').status).toBe(2);
    const serveHelp = cli('serve', '--help');
    expect(serveHelp.status).toBe(0);
    for (const o of ['--control-port', '--control-bind', '--control-token', '--log-level', '--trace-file', '--fault-seed', '--time-scale', '--clock']) expect(serveHelp.stdout).toContain(o);
    const captureHelp = cli('capture', '--help');
    expect(captureHelp.status).toBe(0);
    for (const o of ['--endpoint', '--user', '--auth', '--out']) expect(captureHelp.stdout).toContain(o);
    expect(cli('serve', '--log-level', 'loud').status).toBe(2);
    expect(cli('capture', '--endpoint', 'http://x/wsman').status).toBe(2);
  });
  test('validate counts fault rules; a bad rule exits 2 with its line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmms-world-'));
    const good = join(dir, 'faults.yaml');
    writeFileSync(good, 'users:\n  - name: a\n    password: b\nhosts:\n  - name: HV1\nfaults:\n  - { host: HV1, effect: { kind: unreachable } }\n');
    const r = cli('world', 'validate', good);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1 fault rule(s)');
    const bad = join(dir, 'bad-faults.yaml');
    writeFileSync(bad, 'users:\n  - name: a\n    password: b\nhosts:\n  - name: HV1\nfaults:\n  - { host: HV2, effect: { kind: unreachable } }\n');
    const b = cli('world', 'validate', bad);
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/line 7, column \d+: faults\.0\.host: no host named 'HV2'/);
  });
});
