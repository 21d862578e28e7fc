/**
 * Graceful shutdown: close() (and SIGTERM for the CLI) stops accepting connections, lets the
 * requests in flight finish, answers 503 to anything new on connections still open, cuts off what
 * is left at shutdownTimeoutMs, flushes the state file, and leaves no file descriptor or timer
 * behind.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createEmulator, type Emulator } from '../../src/emulator.js';
import { FabricClock } from '../../src/fabric/clock.js';
import { defaultWorld, V2, VM } from '../helpers/hyperv.js';
import { activeTimers, connect, head, basicHeader, openFds, privateBuild, spawnServe } from '../helpers/robustness.js';
import { ACTION, envelope, post } from '../helpers/wsman-client.js';

const getXml = () => envelope({ action: ACTION.get, resourceUri: V2 + 'Msvm_ComputerSystem', selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 } }).xml;

async function start(o: { shutdownTimeoutMs?: number; state?: string } = {}): Promise<Emulator> {
  return createEmulator({ world: defaultWorld(), portBase: 0, https: false, clock: new FabricClock({ mode: 'manual', start: Date.UTC(2025, 0, 6, 9) }), ...o });
}

const settle = async (check: () => boolean) => {
  for (let i = 0; i < 40 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
};

describe('close()', () => {
  test('requests in flight finish, new ones are turned away, nothing is left behind', async () => {
    const fds = openFds();
    const timers = activeTimers();
    const dir = mkdtempSync(join(tmpdir(), 'vmms-shutdown-'));
    const emu = await start({ state: join(dir, 'state.db') });
    const url = emu.hosts[0].http.url;
    expect((await post(url, getXml(), {}, { agent: false })).status).toBe(200);
    emu.faults.add({ host: 'HV1', operation: 'Get', effect: { kind: 'latency', ms: 300 } });
    // one request in flight; a second one on the same connection once the close has begun
    const { socket, reader } = await connect(url);
    const body = Buffer.from(getXml());
    const one = Buffer.concat([head(url, { Authorization: basicHeader(), 'Content-Type': 'application/soap+xml;charset=UTF-8', 'Content-Length': body.length }), body]);
    socket.write(one);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const closing = emu.close();
    socket.write(one);
    // no new connections
    await new Promise((r) => setTimeout(r, 20));
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(Number(new URL(url).port), '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(false);
      });
      s.once('error', () => resolve(true));
    });
    expect(refused).toBe(true);
    const first = await reader.next(3000);
    expect(first?.status).toBe(200);
    const second = await reader.next(3000);
    expect(second?.status).toBe(503);
    expect(second?.headers.connection).toBe('close');
    await closing;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(200);
    socket.destroy();
    await settle(() => openFds() <= fds && activeTimers() <= timers);
    expect(openFds()).toBeLessThanOrEqual(fds);
    expect(activeTimers()).toBeLessThanOrEqual(timers);
    rmSync(dir, { recursive: true, force: true });
  });
  test('what does not finish by shutdownTimeoutMs is cut off; hung requests are dropped at once', async () => {
    const emu = await start({ shutdownTimeoutMs: 200 });
    const url = emu.hosts[0].http.url;
    emu.faults.add({ host: 'HV1', operation: 'Get', effect: { kind: 'latency', ms: 10_000 } });
    emu.faults.add({ host: 'HV1', operation: 'Enumerate', effect: { kind: 'hang' } });
    const slow = post(url, getXml(), {}, { agent: false }).then((r) => r.status, () => 'cut');
    const hung = post(url, envelope({ action: ACTION.enumerate, resourceUri: V2 + 'Msvm_ComputerSystem', body: '<n:Enumerate/>' }).xml, {}, { agent: false }).then((r) => r.status, () => 'cut');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await emu.close();
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(await slow).toBe('cut');
    expect(await hung).toBe('cut');
  });
});

describe('SIGTERM', () => {
  let build: string;
  let dir: string;
  beforeAll(() => {
    build = privateBuild('shutdown');
    dir = mkdtempSync(join(tmpdir(), 'vmms-sigterm-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('the CLI finishes what is in flight, flushes the state file and exits 0; the next start finds it closed cleanly', { timeout: 60_000 }, async () => {
    const state = join(dir, 'state.db');
    const args = ['--state', state, '--port-base', '0', '--no-https', '--log-level', 'warn', '--clock', 'manual'];
    const a = await spawnServe(build, args);
    const ctl = a.lines.control!;
    const mig = await fetch(`${ctl}/api/migrations`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ vm: 'db01', destination: 'HV2' }) });
    expect(mig.status).toBe(202);
    const job = (await mig.json()) as { id: string };
    // a state change that completes, so there is a finished job in the file too
    await fetch(`${ctl}/api/vms/web01/state`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ state: 'paused' }) });
    a.child.kill('SIGTERM');
    const code = await new Promise<number | null>((r) => a.child.once('exit', (c) => r(c)));
    expect(code).toBe(0);
    const b = await spawnServe(build, args);
    try {
      await new Promise((r) => setTimeout(r, 100));
      expect(b.stderr()).toMatch(/"cleanShutdown":true/);
      const vms = (await (await fetch(`${b.lines.control}/api/vms`)).json()) as Array<{ name: string; host: string; state: string }>;
      expect(vms.find((v) => v.name === 'web01')!.state).toBe('paused');
      expect(vms.find((v) => v.name === 'db01')!.host).toBe('HV1');
      // a job that was running when the service stopped is ended the same way as after a crash
      const j = (await (await fetch(`${b.lines.control}/api/jobs/${job.id}`)).json()) as { state: string; error: { reason: string } | null };
      expect(j.state).toBe('exception');
      expect(j.error?.reason).toBe('interrupted');
    } finally {
      b.child.kill('SIGKILL');
    }
  });
});
