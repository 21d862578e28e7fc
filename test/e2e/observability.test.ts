/**
 * What an operator sees: one structured log line per request (host, user, operation, resource
 * URI, outcome, fault subcode, duration — never a password, a token or message bytes), the
 * full-envelope trace file (plaintext after decryption), and the Prometheus metrics.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { WsmanClient } from '../../src/capture/client.js';
import { defaultWorld, get, jobOf, migrate, V2, VM } from '../helpers/hyperv.js';
import { ACTION, envelope, post } from '../helpers/wsman-client.js';
import { IDENTIFY, memoryLogger, rawPost, startControlLab, type ControlLab } from '../unit/control/lab.js';

let lab: ControlLab;
afterEach(async () => {
  await lab?.close();
});

describe('request log', () => {
  test('one line per request with the fields that matter, and no secret', async () => {
    const log = memoryLogger();
    lab = await startControlLab({ logger: log });
    await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 });
    await get(lab.url('HV1'), 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: 'NOPE' });
    await rawPost(lab.url('HV2'), IDENTIFY, { headers: { Authorization: 'Basic ' + Buffer.from('Administrator:Wr0ngSecret').toString('base64') } });
    const c = new WsmanClient({ endpoint: lab.url('HV2'), user: 'Administrator', password: 'Passw0rd!', auth: 'ntlm' });
    await c.identify();
    c.close();
    const lines = log.lines.filter((l) => l.msg === 'request');
    expect(lines[0].obj).toMatchObject({
      host: 'HV1', user: 'Administrator', operation: 'Get', action: ACTION.get, resourceUri: V2 + 'Msvm_ComputerSystem', status: 200, outcome: 'ok',
    });
    expect(typeof lines[0].obj.durationMs).toBe('number');
    expect(lines[1].obj).toMatchObject({ operation: 'Get', status: 500, outcome: 'fault', fault: 'a:DestinationUnreachable' });
    expect(lines[2].obj).toMatchObject({ host: 'HV2', status: 401, outcome: 'unauthorized' });
    expect(lines.at(-1)!.obj).toMatchObject({ host: 'HV2', user: 'Administrator', operation: 'Identify', status: 200, sealed: true });
    // the NTLM handshake: a challenge (not a refusal), then the authentication-only request
    expect(lines.slice(3).map((l) => [l.obj.status, l.obj.outcome])).toEqual([[401, 'challenge'], [200, 'ok'], [200, 'ok']]);
    const all = JSON.stringify(log.lines);
    for (const secret of ['Passw0rd!', 'Wr0ngSecret', 'Basic ', 'Negotiate ', 'Envelope', 'TlRMTVNT']) expect(all).not.toContain(secret);
  });
});

describe('trace file', () => {
  test('whole envelopes, decrypted when the connection seals them', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'vmms-trace-')), 'trace.log');
    lab = await startControlLab({
      traceFile: file,
      world: defaultWorld((w) => { w.hosts[0].listener = { allowUnencrypted: false, basic: true, negotiate: true }; }),
    });
    const c = new WsmanClient({ endpoint: lab.url('HV1'), user: 'Administrator', password: 'Passw0rd!', auth: 'ntlm' });
    try {
      const items = await c.enumerate(V2 + 'Msvm_VirtualEthernetSwitch');
      expect(items).toHaveLength(2);
    } finally {
      c.close();
    }
    const plain = envelope({ action: ACTION.get, resourceUri: V2 + 'Msvm_ComputerSystem', selectors: { CreationClassName: 'Msvm_ComputerSystem', Name: 'HV2' } });
    expect((await post(lab.url('HV2'), plain.xml)).status).toBe(200);
    await lab.close();
    const text = readFileSync(file, 'utf8');
    // the sealed exchange, readable
    expect(text).toMatch(/==== \S+ HV1 request conn=\d+ user=Administrator sealed\n<s:Envelope[^\n]*Enumerate/);
    expect(text).toMatch(/==== \S+ HV1 response conn=\d+ status=200 sealed\n<s:Envelope[^\n]*EnumerateResponse/);
    expect(text).toContain('Msvm_VirtualEthernetSwitch');
    // the plain one
    expect(text).toContain(plain.messageId);
    expect(text).toMatch(/HV2 response conn=\d+ status=200\n<s:Envelope[^\n]*Hosting Computer System/);
  });
});

describe('metrics', () => {
  test('requests by operation and outcome, latency, auth failures, enumeration contexts, jobs, migrations in flight', async () => {
    lab = await startControlLab();
    const hv1 = lab.url('HV1');
    await get(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: VM.web01 });
    await get(hv1, 'Msvm_ComputerSystem', { CreationClassName: 'Msvm_ComputerSystem', Name: 'NOPE' });
    await rawPost(hv1, IDENTIFY, { headers: { Authorization: 'Basic ' + Buffer.from('Administrator:nope').toString('base64') } });
    // an enumeration left open
    const open = await post(hv1, envelope({ action: ACTION.enumerate, resourceUri: V2 + 'Msvm_ComputerSystem', body: '<n:Enumerate/>' }).xml);
    expect(open.status).toBe(200);
    jobOf(await migrate(lab, 'HV1', VM.web01, 'HV2'));
    lab.clock.advance(1000);
    const m = await lab.api('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    const t = m.text;
    expect(t).toContain('vmms_requests_total{host="HV1",operation="Get",outcome="ok",fault=""} 1');
    expect(t).toContain('vmms_requests_total{host="HV1",operation="Get",outcome="fault",fault="a:DestinationUnreachable"} 1');
    expect(t).toContain('vmms_requests_total{host="HV1",operation="-",outcome="unauthorized",fault=""} 1');
    expect(t).toContain('vmms_requests_total{host="HV1",operation="Invoke",outcome="ok",fault=""} 1');
    expect(t).toMatch(/vmms_request_duration_seconds_bucket\{le="\+Inf",host="HV1",operation="Get"\} 2/);
    expect(t).toContain('vmms_auth_failures_total{host="HV1"} 1');
    expect(t).toContain('vmms_enumeration_contexts{host="HV1"} 1');
    expect(t).toContain('vmms_enumeration_contexts{host="HV2"} 0');
    expect(t).toContain('vmms_jobs{host="HV1",state="running"} 1');
    expect(t).toContain('vmms_migrations_in_flight{state="running"} 1');
    expect(t).toContain('vmms_migrations_in_flight{state="queued"} 0');
    expect(t).toContain('vmms_vms{host="HV1",state="running"} 2');
    expect(t).toContain('vmms_host_up{host="HV1"} 1');
    expect(t).toContain('vmms_fault_rules 0');
  });

  test('each emulator has its own registry', async () => {
    lab = await startControlLab();
    const other = await startControlLab();
    try {
      await rawPost(lab.url('HV1'), IDENTIFY);
      expect((await lab.api('GET', '/metrics')).text).toContain('vmms_requests_total{host="HV1",operation="Identify",outcome="ok",fault=""} 1');
      expect((await other.api('GET', '/metrics')).text).not.toContain('operation="Identify"');
    } finally {
      await other.close();
    }
  });
});
