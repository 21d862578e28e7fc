/**
 * Fault injection as a client sees it: every effect is staged through the control API (or a world
 * file) and observed from the client side — a refused connection, a hung request, a late answer,
 * an answer cut short, a reset, a catalogue fault in the Windows shape (also sealed, over NTLM),
 * a migration that fails at a chosen percentage with a chosen Msvm_Error, a slow migration, a host
 * that flaps — plus the rule controls (count, probability with a seed, time window) and the log
 * and metrics that show each injection.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { WsmanClient, WsmanClientFault } from '../../src/capture/client.js';
import { loadWorldFile } from '../../src/fabric/world-file.js';
import { defaultWorld, enumerateAll, get, jobErrors, jobOf, jobProps, migrate, runJob, V2, VM } from '../helpers/hyperv.js';
import { ACTION, envelope, faultOf, NS } from '../helpers/wsman-client.js';
import { IDENTIFY, memoryLogger, rawPost, startControlLab, type ControlLab } from '../unit/control/lab.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let lab: ControlLab;
afterEach(async () => {
  await lab?.close();
});

const getCs = (name: string) => envelope({ action: ACTION.get, resourceUri: V2 + 'Msvm_ComputerSystem', selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: name } });
const enumCs = () => envelope({ action: ACTION.enumerate, resourceUri: V2 + 'Msvm_ComputerSystem', body: '<n:Enumerate/>' });

async function addRule(body: unknown): Promise<{ id: string }> {
  const r = await lab.api<{ id: string }>('POST', '/api/faults', body);
  expect(r.status, r.text).toBe(201);
  return r.json;
}

describe('host effects', () => {
  test('unreachable (refused): connections are refused, migrations to it fail, and it comes back on the same port', async () => {
    lab = await startControlLab();
    const hv2 = lab.url('HV2');
    const rule = await addRule({ host: 'HV2', effect: { kind: 'unreachable' } });
    const seen = await rawPost(hv2, IDENTIFY);
    expect(seen.kind).toBe('refused');
    expect((await lab.api<Array<{ name: string; down: string | null }>>('GET', '/api/hosts')).json.find((h) => h.name === 'HV2')!.down).toBe('refused');
    // the source cannot reach the destination: the migration job fails before 10 %
    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    const done = await runJob(lab, 'HV1', job);
    expect(done.JobState).toBe('10');
    expect(Number(done.PercentComplete)).toBeLessThan(10);
    expect((await jobErrors(lab.url('HV1'), job)).map((e) => e.props.MessageID)).toContain('21019');
    // back
    expect((await lab.api('DELETE', `/api/faults/${rule.id}`)).status).toBe(204);
    const again = await rawPost(hv2, IDENTIFY);
    expect(again).toMatchObject({ kind: 'answered', status: 200 });
    expect(lab.url('HV2')).toBe(hv2);
  });

  test('unreachable (hang): the host accepts and never answers until the rule goes', async () => {
    lab = await startControlLab();
    const rule = await addRule({ host: 'HV1', effect: { kind: 'unreachable', mode: 'hang' } });
    const seen = await rawPost(lab.url('HV1'), IDENTIFY, { timeoutMs: 300 });
    expect(seen.kind).toBe('timeout');
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
    await lab.api('DELETE', `/api/faults/${rule.id}`);
    expect((await rawPost(lab.url('HV1'), IDENTIFY)).status).toBe(200);
  });

  test('flap: down and up by turns on the fabric clock', async () => {
    lab = await startControlLab();
    await addRule({ host: 'HV2', effect: { kind: 'flap', downMs: 1000, upMs: 2000 } });
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).kind).toBe('refused');
    await lab.api('POST', '/api/clock/advance', { ms: 1000 });
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
    await lab.api('POST', '/api/clock/advance', { ms: 1999 });
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
    await lab.api('POST', '/api/clock/advance', { ms: 1 });
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).kind).toBe('refused');
    await lab.api('POST', '/api/clock/advance', { ms: 1000 });
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
  });
});

describe('request effects', () => {
  test('latency: the answer comes that much later', async () => {
    lab = await startControlLab();
    const quick = await rawPost(lab.url('HV1'), IDENTIFY);
    expect(quick.ms).toBeLessThan(500);
    await addRule({ host: 'HV1', operation: 'Identify', effect: { kind: 'latency', ms: 600 } });
    const slow = await rawPost(lab.url('HV1'), IDENTIFY);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(590);
    // other operations and hosts are not slowed
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).ms).toBeLessThan(500);
    expect((await rawPost(lab.url('HV1'), envelope({ action: ACTION.enumerate, resourceUri: V2 + 'Msvm_ComputerSystem', body: '<n:Enumerate/>' }).xml)).ms).toBeLessThan(500);
  });

  test('hang: only the matching operation hangs', async () => {
    lab = await startControlLab();
    await addRule({ host: 'HV1', operation: 'Get', class: 'Msvm_ComputerSystem', effect: { kind: 'hang' } });
    expect((await rawPost(lab.url('HV1'), getCs(VM.web01).xml, { timeoutMs: 300 })).kind).toBe('timeout');
    expect((await rawPost(lab.url('HV1'), enumCs().xml)).status).toBe(200);
  });

  test('drop: headers and half the answer, then the connection closes', async () => {
    lab = await startControlLab();
    await addRule({ host: 'HV1', operation: 'Enumerate', effect: { kind: 'drop' } });
    const seen = await rawPost(lab.url('HV1'), enumCs().xml);
    expect(seen.kind).toBe('cut');
    expect(seen.status).toBe(200);
    expect(seen.received!).toBeGreaterThan(0);
    expect(seen.received!).toBeLessThan(seen.declared!);
  });

  test('reset: the connection closes with no answer', async () => {
    lab = await startControlLab();
    await addRule({ operation: 'Get', effect: { kind: 'reset' } });
    expect((await rawPost(lab.url('HV2'), getCs('HV2').xml)).kind).toBe('reset');
  });

  test('fault w:QuotaLimit: the Windows fault shape, RelatesTo the request, for `count` requests', async () => {
    lab = await startControlLab();
    await addRule({ host: 'HV1', operation: 'Get', class: 'Msvm_ComputerSystem', count: 2, effect: { kind: 'fault', fault: 'w:QuotaLimit' } });
    const req = getCs(VM.web01);
    const raw = await rawPost(lab.url('HV1'), req.xml);
    expect(raw.status).toBe(500);
    expect(faultOf({ status: raw.status!, text: raw.text!, headers: {}, rawHeaders: [], body: Buffer.from(raw.text!) }).relatesTo).toBe(req.messageId);
    const r = await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 });
    expect(r.http.status).toBe(500);
    expect(r.fault).toMatchObject({
      code: 's:Sender', subcode: 'w:QuotaLimit', action: 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault', wsmanCode: '2150858815',
      reason: 'The WS-Management service is busy servicing other requests. Retry later. ',
    });
    // used up: the rule is gone and answers are normal again
    expect((await lab.api<unknown[]>('GET', '/api/faults')).json).toEqual([]);
    expect((await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 })).props?.ElementName).toBe('web01');
  });

  test('fault w:TimedOut on one method of one class; an unauthenticated request still gets its 401', async () => {
    lab = await startControlLab();
    await addRule({ operation: 'Invoke', class: 'Msvm_VirtualSystemMigrationService', method: 'MigrateVirtualSystemToHost', effect: { kind: 'fault', fault: 'w:TimedOut' } });
    const a = await migrate(lab, 'HV1', VM.web01, 'HV2');
    expect(a.fault).toMatchObject({ code: 's:Receiver', subcode: 'w:TimedOut' });
    // nothing happened in the fabric
    expect(lab.fabric.activeMigrations()).toEqual([]);
    // another method of the same class is not affected
    const check = await migrate(lab, 'HV1', VM.web01, 'HV2', 32768, { method: 'CheckVirtualSystemIsMigratable' });
    expect(check.returnValue).toBe(4096);
    const denied = await rawPost(lab.url('HV1'), envelope({ action: V2 + 'Msvm_VirtualSystemMigrationService/MigrateVirtualSystemToHost', resourceUri: V2 + 'Msvm_VirtualSystemMigrationService' }).xml,
      { headers: { Authorization: 'Basic ' + Buffer.from('Administrator:wrong').toString('base64') } });
    expect(denied.status).toBe(401);
  });

  test('fault over an NTLM-sealed connection: the fault is sealed and the session stays in step', async () => {
    lab = await startControlLab({ world: defaultWorld((w) => { w.hosts[0].listener = { allowUnencrypted: false, basic: true, negotiate: true }; }) });
    const c = new WsmanClient({ endpoint: lab.url('HV1'), user: 'Administrator', password: 'Passw0rd!', auth: 'ntlm' });
    try {
      expect((await c.identify()).productVendor).toBe('Microsoft Corporation');
      await addRule({ host: 'HV1', operation: 'Enumerate', count: 1, effect: { kind: 'fault', fault: 'QuotaLimit' } });
      const err = await c.enumerate(V2 + 'Msvm_ComputerSystem').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(WsmanClientFault);
      expect((err as WsmanClientFault).subcode).toBe('w:QuotaLimit');
      // the same connection and session go on working (requests before and after were sealed)
      expect((await c.enumerate(V2 + 'Msvm_ComputerSystem')).length).toBe(6);
      const reqs = lab.emu.control.recentRequests();
      expect(reqs.filter((r) => r.operation === 'Enumerate').map((r) => [r.sealed, r.outcome])).toEqual([[true, 'injected'], [true, 'ok']]);
    } finally {
      c.close();
    }
  });

  test('probability with a seed: the same seed hits the same requests', async () => {
    lab = await startControlLab({ faultSeed: 42 });
    const run = async () => {
      lab.emu.faults.reseed(42);
      const r = await addRule({ host: 'HV1', operation: 'Identify', probability: 0.5, effect: { kind: 'fault', fault: 'w:QuotaLimit' } });
      const out: number[] = [];
      for (let i = 0; i < 16; i++) out.push((await rawPost(lab.url('HV1'), IDENTIFY)).status!);
      await lab.api('DELETE', `/api/faults/${r.id}`);
      return out;
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
    expect(first.filter((s) => s === 500).length).toBeGreaterThan(2);
    expect(first.filter((s) => s === 200).length).toBeGreaterThan(2);
  });

  test('time window on the fabric clock: from +2s until +4s', async () => {
    lab = await startControlLab();
    await addRule({ host: 'HV1', operation: 'Identify', from: '+2s', until: '+4s', effect: { kind: 'fault', fault: 'w:QuotaLimit' } });
    expect((await rawPost(lab.url('HV1'), IDENTIFY)).status).toBe(200);
    lab.clock.advance(2000);
    expect((await rawPost(lab.url('HV1'), IDENTIFY)).status).toBe(500);
    lab.clock.advance(2000);
    expect((await rawPost(lab.url('HV1'), IDENTIFY)).status).toBe(200);
  });

  test('bad rules are refused with the reason', async () => {
    lab = await startControlLab();
    const bad = async (body: unknown) => {
      const r = await lab.api<{ error: string; problems: string[] }>('POST', '/api/faults', body);
      expect(r.status).toBe(400);
      return r.json.problems.join('\n');
    };
    expect(await bad({ effect: { kind: 'fault', fault: 'w:NoSuchThing' } })).toMatch(/effect\.fault/);
    expect(await bad({ host: 'HV9', effect: { kind: 'hang' } })).toMatch(/no host named 'HV9'/);
    expect(await bad({ operation: 'Get', effect: { kind: 'unreachable' } })).toMatch(/'operation' does not apply to a unreachable rule/);
    expect(await bad({ effect: { kind: 'latency' } })).toMatch(/needs 'ms'/);
    expect(await bad({ from: 'tomorrow', effect: { kind: 'hang' } })).toMatch(/is not a time/);
  });
});

describe('migration effects', () => {
  test('fail at 40 % with a chosen Msvm_Error and ErrorCode', async () => {
    lab = await startControlLab();
    await addRule({
      host: 'HV1', vm: 'web01', count: 1,
      effect: { kind: 'migration-fail', atPercent: 40, messageId: '21024', message: 'The network path was lost. (0x80070040)', errorCode: 32768 },
    });
    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    const seen: number[] = [];
    let p = await jobProps(lab.url('HV1'), job);
    while (p.JobState === '4' || p.JobState === '3') {
      seen.push(Number(p.PercentComplete));
      lab.clock.advance(250);
      p = await jobProps(lab.url('HV1'), job);
    }
    expect(p).toMatchObject({ JobState: '10', ErrorCode: '32768', PercentComplete: '40' });
    expect(Math.max(...seen)).toBeLessThan(40);
    const errors = await jobErrors(lab.url('HV1'), job);
    expect(errors.some((e) => e.props.MessageID === '21024' && e.props.Message === 'The network path was lost. (0x80070040)')).toBe(true);
    // the VM stayed where it was
    expect(lab.fabric.vm('HV1', VM.web01)?.migrating).toBe(false);
    // the rule was used up: the next migration goes through
    const again = await runJob(lab, 'HV1', jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2')));
    expect(again.JobState).toBe('7');
  });

  test('slow ×4: the transfer takes four times longer', async () => {
    lab = await startControlLab();
    const duration = async (from: string, to: string) => {
      const t0 = lab.clock.now();
      const done = await runJob(lab, from, jobOf(await migrate(lab, from, VM.web01, to)), 100);
      expect(done.JobState).toBe('7');
      return lab.clock.now() - t0;
    };
    const normal = await duration('HV1', 'HV2');
    await addRule({ vm: VM.web01, effect: { kind: 'migration-slow', factor: 4 } });
    const slow = await duration('HV2', 'HV1');
    // setup 2 s and cut-over 0.5 s are fixed; 4096 MiB at 10 Gbit/s is 3.3 s of transfer
    expect(normal).toBeGreaterThanOrEqual(5700);
    expect(normal).toBeLessThan(6000);
    expect(slow - normal).toBeGreaterThan(3 * 3276 - 200);
    expect(slow - normal).toBeLessThan(3 * 3277 + 200);
  });

  test('migration-unreachable: this migration cannot reach its destination', async () => {
    lab = await startControlLab();
    await addRule({ destination: 'HV2', effect: { kind: 'migration-unreachable', mode: 'refused' } });
    const job = jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    expect((await runJob(lab, 'HV1', job)).JobState).toBe('10');
    // WS-Man on HV2 is untouched
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
  });
});

describe('rules from a world file, and what shows them', () => {
  test('a `faults:` section applies from the start; the log and the metrics show every injection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vmms-faults-'));
    const file = join(dir, 'world.yaml');
    const base = loadWorldFile(join(import.meta.dirname, '..', '..', 'worlds', 'default.yaml'));
    const { stringify } = await import('yaml');
    writeFileSync(file, stringify({
      ...base,
      faults: [
        { id: 'quota-hv1', host: 'HV1', operation: 'Enumerate', count: 1, effect: { kind: 'fault', fault: 'w:QuotaLimit' } },
        { id: 'hv2-down', host: 'HV2', until: '+10s', effect: { kind: 'unreachable' } },
      ],
    }));
    const log = memoryLogger();
    lab = await startControlLab({ world: loadWorldFile(file), logger: log });
    const r = await rawPost(lab.url('HV1'), enumCs().xml);
    expect(r.status).toBe(500);
    expect(r.text).toContain('w:QuotaLimit');
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).kind).toBe('refused');
    lab.clock.advance(10_000);
    expect((await rawPost(lab.url('HV2'), IDENTIFY)).status).toBe(200);
    expect((await enumerateAll(lab.url('HV1'), V2 + 'Msvm_ComputerSystem')).length).toBe(6);

    // the log: a "fault injected" line per injection and the request line marked injected
    const injected = log.lines.filter((l) => l.msg === 'fault injected');
    expect(injected.map((l) => [l.obj.rule, l.obj.effect, l.obj.host])).toEqual([['hv2-down', 'unreachable', 'HV2'], ['quota-hv1', 'fault', 'HV1']]);
    const line = log.lines.find((l) => l.msg === 'request' && l.obj.injected === 'fault')!;
    expect(line.obj).toMatchObject({ host: 'HV1', user: 'Administrator', operation: 'Enumerate', status: 500, outcome: 'injected', fault: 'w:QuotaLimit', rule: 'quota-hv1' });
    // the metrics
    const m = await lab.api('GET', '/metrics');
    expect(m.text).toContain('vmms_injected_faults_total{host="HV1",effect="fault"} 1');
    expect(m.text).toContain('vmms_injected_faults_total{host="HV2",effect="unreachable"} 1');
    expect(m.text).toContain('vmms_requests_total{host="HV1",operation="Enumerate",outcome="injected",fault="w:QuotaLimit"} 1');
    expect(m.text).toContain('vmms_host_up{host="HV2"} 1');
    void NS;
  });
});
