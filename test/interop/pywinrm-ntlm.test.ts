/**
 * pywinrm (Debian's python3-winrm 0.3.0 + requests-ntlm) with transport='ntlm' against the core test
 * host: message encryption 'auto' and 'always' on an AllowUnencrypted=false host, 'never' against an
 * AllowUnencrypted host, NTLM over HTTPS with channel binding, and a flood of half-open connections.
 * Every session does an Identify, a Get, an Enumerate and an Invoke. The only client-side change from
 * pywinrm's defaults is OPENSSL_CONF for MD4 (test/helpers/python.ts).
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { PYWINRM_REQUIREMENT, PywinrmSession, expectStandardResults, pywinrm, requireClient, standardMessages } from '../helpers/python.js';
import { ADMIN, READER, WMI_THING, startSecureHost, type SecureHost } from '../helpers/secure-host.js';
import { ACTION, envelope } from '../helpers/wsman-client.js';

let locked: SecureHost;
let open: SecureHost;
let dir: string;
let caFile: string;

beforeAll(async () => {
  requireClient(PYWINRM_REQUIREMENT);
  locked = await startSecureHost({ name: 'HV1', https: true });
  open = await startSecureHost({ name: 'HV2', allowUnencrypted: true });
  dir = mkdtempSync(join(tmpdir(), 'vmms-pywinrm-ntlm-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, locked.certs!.ca.certPem);
});
afterAll(async () => {
  await locked?.close();
  await open?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ntlm = (h: SecureHost, extra: Partial<Parameters<typeof pywinrm>[0]> = {}) =>
  ({ endpoint: h.httpUrl, transport: 'ntlm' as const, user: ADMIN.name, password: ADMIN.password, ...extra });

describe('pywinrm transport=ntlm over HTTP (AllowUnencrypted=false)', () => {
  test.each(['auto', 'always'] as const)('message_encryption=%s: every request and answer sealed', async (encryption) => {
    const before = locked.events.length;
    expectStandardResults(await pywinrm(ntlm(locked, { encryption }), standardMessages()));
    const soap = locked.events.slice(before).filter((e) => e.action !== undefined || e.status === 200 && e.sealed);
    expect(soap.filter((e) => e.sealed)).toHaveLength(4);
    expect(locked.events.slice(before).every((e) => e.status !== 200 || e.sealed || e.action === undefined)).toBe(true);
  });
  test.each([
    ['HV1\\Administrator'],
    ['administrator@lab.local'],
  ])('user name form %s', async (user) => {
    const [r] = await pywinrm(ntlm(locked, { user }), standardMessages().slice(1, 2));
    expect(r.ok ? 'ok' : r.message).toBe('ok');
  });
  test('a wrong password → InvalidCredentialsError (HTTP 401), never a 500', async () => {
    const [r] = await pywinrm(ntlm(locked, { password: 'wrong' }), standardMessages().slice(0, 1));
    expect(r).toMatchObject({ ok: false, error: 'InvalidCredentialsError' });
  });
  test('faults come back sealed and pywinrm parses them (read-only user: w:AccessDenied on Invoke)', async () => {
    const results = await pywinrm(ntlm(locked, { user: READER.name, password: READER.password }), standardMessages());
    expect(results.slice(0, 3).every((r) => r.ok)).toBe(true);
    expect(results[3]).toMatchObject({ ok: false, error: 'WinRMError' });
    expect(results[3].ok ? '' : results[3].message).toContain('w:AccessDenied');
  });
  test("message_encryption='never' against AllowUnencrypted=false → refused (HTTP 500, w:AccessDenied)", async () => {
    const [r] = await pywinrm(ntlm(locked, { encryption: 'never' }), standardMessages().slice(1, 2));
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.message).toContain('AccessDenied');
    expect(locked.things[0].props.Label).toBe('First');
  });
  test('200 idle half-open connections do not stop pywinrm from being served', async () => {
    const sockets: net.Socket[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        sockets.push(await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port: locked.http.port }, () => resolve(s));
          s.on('error', () => undefined);
          s.once('error', reject);
        }));
      }
      expectStandardResults(await pywinrm(ntlm(locked), standardMessages()));
      expect(locked.httpGuard.stats.pending).toBeLessThanOrEqual(100);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });
});

describe('pywinrm transport=ntlm without sealing', () => {
  test("message_encryption='never' against an AllowUnencrypted host: plaintext after the handshake", async () => {
    const before = open.events.length;
    expectStandardResults(await pywinrm(ntlm(open, { encryption: 'never' }), standardMessages()));
    expect(open.events.slice(before).some((e) => e.sealed)).toBe(false);
  });
  test('over HTTPS (auto means no sealing there), with requests-ntlm channel binding checked', async () => {
    const before = locked.events.length;
    expectStandardResults(await pywinrm({ ...ntlm(locked), endpoint: locked.httpsUrl!, ca: caFile }, standardMessages()));
    expect(locked.events.slice(before).some((e) => e.sealed)).toBe(false);
  });
});

describe('one pywinrm session driven step by step (what the Move-VM flow needs)', () => {
  test('Invoke then Get, Enumerate then Pull with the returned context, all sealed on one NTLM context', async () => {
    const session = new PywinrmSession(ntlm(locked));
    const before = locked.events.length;
    try {
      const add = await session.send('invoke', envelope({
        action: `${WMI_THING}/Add`, resourceUri: WMI_THING, selectors: { Id: 'one' },
        body: `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>5</p:A><p:B>6</p:B></p:Add_INPUT>`,
      }).xml);
      expect(add.ok && add.text).toContain('<p:Sum>11</p:Sum>');
      const get = await session.send('get', envelope({ action: ACTION.get, resourceUri: WMI_THING, selectors: { Id: 'one' } }).xml);
      expect(get.ok && get.text).toContain('<p:Count>11</p:Count>');

      const en = await session.send('enumerate', envelope({ action: ACTION.enumerate, resourceUri: WMI_THING, body: '<n:Enumerate/>' }).xml);
      const context = en.ok ? /<n:EnumerationContext>([^<]+)<\/n:EnumerationContext>/.exec(en.text)?.[1] : undefined;
      expect(context).toBeDefined();
      const pull = await session.send('pull', envelope({
        action: ACTION.pull, resourceUri: WMI_THING,
        body: `<n:Pull><n:EnumerationContext>${context}</n:EnumerationContext><n:MaxElements>10</n:MaxElements></n:Pull>`,
      }).xml);
      expect(pull.ok && pull.text).toContain('<n:EndOfSequence/>');
      expect(pull.ok && pull.text).toContain('<p:Id>kid</p:Id>');
      // one handshake for the whole session: a single NTLM challenge, then only sealed requests
      const events = locked.events.slice(before);
      expect(events.filter((e) => e.sealed)).toHaveLength(4);
      expect(events.filter((e) => e.status === 401)).toHaveLength(2);
    } finally {
      await session.close();
    }
  });
});
