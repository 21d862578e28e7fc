/**
 * The control API over HTTP: hosts, VMs, jobs and migrations as lists and records; hosts and VMs
 * added and removed at run time (a new host gets listeners and answers WS-Man at once); VM state
 * changes; the clock; reset, snapshot and restore; and its protection (bearer token, loopback
 * host names only without one).
 */
import http from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { WorldSpec } from '../../src/fabric/world.js';
import { enumerateAll, get, hasVm, jobOf, migrate, runJob, V2, VM } from '../helpers/hyperv.js';
import { IDENTIFY, rawPost, startControlLab, type ControlLab } from '../unit/control/lab.js';

let lab: ControlLab;
afterEach(async () => {
  await lab?.close();
});

interface HostView { name: string; http: string; vms: number; listening: boolean; down: string | null }
interface VmView { guid: string; name: string; host: string; state: string; migrating: boolean }
interface JobView { id: string; host: string; type: string; state: string; percent: number; error: { reason: string } | null }

const HV3 = {
  name: 'HV3', fqdn: 'hv3.lab.local', addresses: ['10.0.0.13'], memoryMiB: 131072,
  processor: { vendor: 'GenuineIntel', model: 'Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz', features: ['sse4_2', 'avx', 'avx2', 'avx512f', 'aes', 'rdrand'], logicalProcessors: 40 },
  switches: [{ name: 'External', type: 'External' }],
  listener: { allowUnencrypted: true },
  migration: { enabled: true, authenticationType: 'kerberos', networks: [{ subnet: '10.0.0.0/24' }] },
  vms: [{ guid: '11111111-2222-4333-8444-555555555555', name: 'edge03', state: 'running', memoryMiB: 2048, cpus: 2, adapters: [{ switch: 'External' }] }],
};

describe('reading the fabric', () => {
  test('hosts, VMs, jobs and migrations', async () => {
    lab = await startControlLab();
    const hosts = await lab.api<HostView[]>('GET', '/api/hosts');
    expect(hosts.status).toBe(200);
    expect(hosts.json.map((h) => [h.name, h.vms, h.listening])).toEqual([['HV1', 5, true], ['HV2', 1, true]]);
    expect(hosts.json[0].http).toBe(lab.url('HV1'));
    const one = await lab.api<HostView & { record: { memoryMiB: number }; vmList: VmView[] }>('GET', '/api/hosts/hv1');
    expect(one.json.record.memoryMiB).toBe(262144);
    expect(one.json.vmList.map((v) => v.name)).toEqual(['web01', 'db01', 'build01', 'legacy01', 'test01']);
    expect((await lab.api('GET', '/api/hosts/HV9')).status).toBe(404);

    expect((await lab.api<VmView[]>('GET', '/api/vms')).json).toHaveLength(6);
    expect((await lab.api<VmView[]>('GET', '/api/vms?host=HV2')).json.map((v) => v.name)).toEqual(['app02']);
    expect((await lab.api<VmView>('GET', '/api/vms/web01')).json).toMatchObject({ guid: VM.web01, host: 'HV1', state: 'running' });
    expect((await lab.api<VmView>('GET', `/api/vms/${VM.db01.toLowerCase()}`)).json.name).toBe('db01');

    // a migration started over WS-Man shows up with its progress
    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    lab.clock.advance(3000);
    const flying = await lab.api<Array<{ job: string; vmName: string; source: string; destination: string; percent: number }>>('GET', '/api/migrations');
    expect(flying.json).toHaveLength(1);
    expect(flying.json[0]).toMatchObject({ job: job.id, vmName: 'web01', source: 'HV1', destination: 'HV2' });
    expect(flying.json[0].percent).toBeGreaterThan(10);
    expect(flying.json[0].percent).toBeLessThan(95);
    lab.clock.advance(5000);
    expect((await lab.api('GET', '/api/migrations')).json).toEqual([]);
    const done = await lab.api<JobView>('GET', `/api/jobs/${job.id}`);
    expect(done.json).toMatchObject({ id: job.id, host: 'HV1', type: 'move-vm', state: 'completed', percent: 100, error: null });
    expect((await lab.api<JobView[]>('GET', '/api/jobs?state=completed')).json.map((j) => j.id)).toContain(job.id);
    expect((await lab.api<VmView>('GET', '/api/vms/web01')).json.host).toBe('HV2');

    // a migration started through the API
    const started = await lab.api<JobView>('POST', '/api/migrations', { vm: 'web01', destination: 'HV1' });
    expect(started.status).toBe(202);
    lab.clock.advance(10_000);
    expect((await lab.api<VmView>('GET', '/api/vms/web01')).json.host).toBe('HV1');
    expect((await lab.api('POST', '/api/migrations', { vm: 'web01', destination: 'HV1' })).status).toBe(409);
  });
});

describe('changing the fabric', () => {
  test('a host added at run time listens at once, answers WS-Man and takes migrations; removed, it is gone', async () => {
    lab = await startControlLab();
    const added = await lab.api<HostView>('POST', '/api/hosts', HV3);
    expect(added.status, added.text).toBe(201);
    expect(added.json).toMatchObject({ name: 'HV3', vms: 1, listening: true });
    const url = added.json.http;
    expect((await rawPost(url, IDENTIFY)).status).toBe(200);
    const names = (await enumerateAll(url, V2 + 'Msvm_ComputerSystem')).map((e) => e.children.length && e);
    expect(names).toHaveLength(2);
    expect(lab.emu.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2', 'HV3']);
    // a VM moves to it by its address
    const done = await runJob(lab, 'HV1', jobOf(await migrate(lab, 'HV1', VM.web01, '10.0.0.13')));
    expect(done.JobState).toBe('7');
    expect(await hasVm(lab, 'HV3', VM.web01)).toBe(true);
    // duplicates and bad specs are refused
    expect((await lab.api('POST', '/api/hosts', HV3)).status).toBe(409);
    const bad = await lab.api<{ problems: string[] }>('POST', '/api/hosts', { name: 'HV4', vms: [{ guid: 'nope', name: 'x', state: 'on', memoryMiB: 1, cpus: 1 }] });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.join('\n')).toMatch(/state/);
    // removed
    expect((await lab.api('DELETE', '/api/hosts/HV3')).status).toBe(204);
    expect((await rawPost(url, IDENTIFY)).kind).toBe('refused');
    expect((await lab.api<HostView[]>('GET', '/api/hosts')).json.map((h) => h.name)).toEqual(['HV1', 'HV2']);
    expect((await lab.api('DELETE', '/api/hosts/HV3')).status).toBe(404);
  });

  test('VMs added, removed and switched between states', async () => {
    lab = await startControlLab();
    const vm = { guid: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE', name: 'new01', state: 'off', memoryMiB: 1024, cpus: 1, adapters: [{ switch: 'External' }] };
    const added = await lab.api<VmView>('POST', '/api/hosts/HV2/vms', vm);
    expect(added.status, added.text).toBe(201);
    const cs = await get(lab.url('HV2'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vm.guid });
    expect(cs.props).toMatchObject({ ElementName: 'new01', EnabledState: '3' });
    expect((await lab.api('POST', '/api/hosts/HV2/vms', vm)).status).toBe(409);
    expect((await lab.api('POST', '/api/hosts/HV2/vms', { ...vm, guid: 'BBBBBBBB-BBBB-4CCC-8DDD-EEEEEEEEEEEE', adapters: [{ switch: 'Internal' }] })).status).toBe(400);

    // at once
    const on = await lab.api<VmView>('PUT', '/api/vms/new01/state', { state: 'running' });
    expect(on.json.state).toBe('running');
    expect((await get(lab.url('HV2'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: vm.guid })).props?.EnabledState).toBe('2');
    // through a job, as RequestStateChange does
    const save = await lab.api<{ job: JobView; vm: VmView }>('PUT', '/api/vms/new01/state', { state: 'saved', via: 'job' });
    expect(save.status).toBe(202);
    expect(save.json.vm.state).toBe('saving');
    lab.clock.advance(5000);
    expect((await lab.api<JobView>('GET', `/api/jobs/${save.json.job.id}`)).json.state).toBe('completed');
    expect((await lab.api<VmView>('GET', '/api/vms/new01')).json.state).toBe('saved');
    expect((await lab.api('PUT', '/api/vms/new01/state', { state: 'flying' })).status).toBe(400);

    expect((await lab.api('DELETE', '/api/vms/new01')).status).toBe(204);
    expect((await lab.api('GET', '/api/vms/new01')).status).toBe(404);
    expect(await hasVm(lab, 'HV2', vm.guid)).toBe(false);
  });

  test('the clock: read, advance, scale, mode', async () => {
    lab = await startControlLab();
    const c0 = await lab.api<{ now: number; mode: string; scale: number }>('GET', '/api/clock');
    expect(c0.json).toMatchObject({ mode: 'manual', scale: 1 });
    const c1 = await lab.api<{ now: number }>('POST', '/api/clock/advance', { seconds: 3600 });
    expect(c1.json.now - c0.json.now).toBe(3_600_000);
    const c2 = await lab.api<{ mode: string; scale: number }>('PUT', '/api/clock', { mode: 'real', scale: 60 });
    expect(c2.json).toMatchObject({ mode: 'real', scale: 60 });
    expect((await lab.api('PUT', '/api/clock', { scale: -1 })).status).toBe(400);
    expect((await lab.api('POST', '/api/clock/advance', {})).status).toBe(400);
    // an hour of job history in a second: at ×10000 a six-second migration takes under a real millisecond
    await lab.api('PUT', '/api/clock', { scale: 10_000 });
    const t0 = performance.now();
    jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    let host = 'HV1';
    while (host !== 'HV2' && performance.now() - t0 < 5000) {
      await new Promise((r) => setTimeout(r, 5));
      host = (await lab.api<VmView>('GET', '/api/vms/web01')).json.host;
    }
    expect(host).toBe('HV2');
  });
});

describe('the world', () => {
  test('snapshot (JSON and YAML), restore, reset', async () => {
    lab = await startControlLab();
    const hv1 = lab.url('HV1');
    await lab.api('POST', '/api/hosts', HV3);
    await lab.api('PUT', '/api/vms/web01/state', { state: 'off' });
    await lab.api('POST', '/api/faults', { id: 'q', host: 'HV1', operation: 'Get', effect: { kind: 'fault', fault: 'w:QuotaLimit' } });
    const snap = await lab.api<WorldSpec>('GET', '/api/snapshot');
    expect(snap.json.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2', 'HV3']);
    expect(snap.json.hosts[0].vms!.find((v) => v.name === 'web01')!.state).toBe('off');
    expect(snap.json.hosts[0].listener).toMatchObject({ allowUnencrypted: true, certificate: true });
    expect(snap.json.faults).toEqual([{ id: 'q', host: 'HV1', operation: 'Get', effect: { kind: 'fault', fault: 'w:QuotaLimit' } }]);
    const yaml = await lab.api('GET', '/api/snapshot?format=yaml');
    expect(yaml.headers.get('content-type')).toMatch(/yaml/);
    expect(parseYaml(yaml.text)).toEqual(snap.json);

    // reset: the world the emulator started with, same ports for the hosts that stay
    const reset = await lab.api<{ hosts: HostView[] }>('POST', '/api/reset');
    expect(reset.json.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2']);
    expect(lab.url('HV1')).toBe(hv1);
    expect((await lab.api<VmView>('GET', '/api/vms/web01')).json.state).toBe('running');
    expect((await lab.api('GET', '/api/faults')).json).toEqual([]);
    expect((await get(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 })).props?.EnabledState).toBe('2');

    // restore the snapshot (as YAML): HV3 back, web01 off, the rule back
    const restored = await lab.api<{ hosts: HostView[] }>('POST', '/api/restore', yaml.text, { 'Content-Type': 'application/yaml' });
    expect(restored.status, restored.text).toBe(200);
    expect(restored.json.hosts.map((h) => h.name)).toEqual(['HV1', 'HV2', 'HV3']);
    expect((await lab.api<VmView>('GET', '/api/vms/web01')).json.state).toBe('off');
    expect((await get(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 })).fault?.subcode).toBe('w:QuotaLimit');
    expect((await rawPost(lab.url('HV3'), IDENTIFY)).status).toBe(200);
    // and the snapshot of the restored world is the snapshot
    expect((await lab.api<WorldSpec>('GET', '/api/snapshot')).json).toEqual(snap.json);

    const bad = await lab.api<{ problems: string[] }>('POST', '/api/restore', { users: [], hosts: [] });
    expect(bad.status).toBe(400);
    expect(bad.json.problems.length).toBeGreaterThan(0);
  });
});

describe('protection', () => {
  test('a token, when set, is required (header or ?token=)', async () => {
    lab = await startControlLab({ controlToken: 's3cret-token' });
    expect((await lab.api('GET', '/api/hosts')).status).toBe(401);
    expect((await lab.api('GET', '/api/hosts', undefined, { Authorization: 'Bearer nope' })).status).toBe(401);
    expect((await lab.api('GET', '/api/hosts', undefined, { Authorization: 'Bearer s3cret-token' })).status).toBe(200);
    expect((await lab.api('GET', '/api/hosts?token=s3cret-token')).status).toBe(200);
    expect((await lab.api('GET', '/metrics')).status).toBe(401);
    // the page itself holds no data: it loads, and reads the API with the token from its URL
    expect((await lab.api('GET', '/dashboard/')).status).toBe(200);
    expect((await lab.api('GET', '/dashboard/app.js')).text).toContain("get('token')");
    expect((await lab.api('GET', '/api/events')).status).toBe(401);
  });

  test('bound to a non-loopback address, a token is generated and required', async () => {
    lab = await startControlLab({ controlBind: '0.0.0.0' });
    expect(lab.emu.control.token).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const url = lab.emu.control.url!.replace('0.0.0.0', '127.0.0.1');
    expect((await fetch(url + '/api/hosts')).status).toBe(401);
    expect((await fetch(url + '/api/hosts', { headers: { Authorization: `Bearer ${lab.emu.control.token}` } })).status).toBe(200);
  });

  test('without a token, only loopback host names are answered (no DNS rebinding)', async () => {
    lab = await startControlLab();
    const u = new URL(lab.controlUrl);
    const status = await new Promise<number>((resolve, reject) => {
      http.get({ hostname: u.hostname, port: u.port, path: '/api/hosts', headers: { Host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on('error', reject);
    });
    expect(status).toBe(403);
    expect((await lab.api('GET', '/api/hosts')).status).toBe(200);
    expect((await lab.api('GET', '/api/nothing')).status).toBe(404);
    expect((await lab.api('POST', '/api/hosts', '{not json', { 'Content-Type': 'application/json' })).status).toBe(400);
  });
});
