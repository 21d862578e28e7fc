/**
 * The Go client github.com/masterzen/winrm (Debian golang-github-masterzen-winrm-dev, built from the
 * pack's go-winrm-main.go) with NTLM: Azure/go-ntlmssp under `Negotiate`, no SIGN/SEAL, the body sent
 * unauthenticated, then with the NEGOTIATE, then with the AUTHENTICATE on one kept-alive connection,
 * and the server's target name used as the domain (real-clients.md §4.5).
 *
 * The driver only runs WinRS shell commands (…/windows/shell/cmd), which the emulator does not serve,
 * so what it can prove is the transport: the NTLM handshake succeeds and the Create comes back as a
 * SOAP fault on an AllowUnencrypted host, while a host with AllowUnencrypted=false refuses the
 * plaintext body (HTTP 500, w:AccessDenied) and a wrong password gets 401.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { REPO_ROOT, requireClient, run } from '../helpers/python.js';
import { ADMIN, startSecureHost, type SecureHost } from '../helpers/secure-host.js';

const GO_DRIVER = join(REPO_ROOT, '../shared/tools/clients/go-winrm-main.go');
let dir: string;
let binary: string;
let open: SecureHost;
let locked: SecureHost;

beforeAll(async () => {
  requireClient({ commands: ['go'], install: 'apt-get install -y --no-install-recommends golang-go golang-github-masterzen-winrm-dev' });
  dir = mkdtempSync(join(tmpdir(), 'vmms-go-'));
  binary = join(dir, 'go-winrm');
  const build = await run('go', ['build', '-o', binary, GO_DRIVER], {
    cwd: dir,
    timeoutMs: 300_000,
    env: { ...process.env, GOPATH: '/usr/share/gocode', GO111MODULE: 'off', GOCACHE: join(dir, 'go-cache'), GOFLAGS: '' },
  });
  if (build.code !== 0) {
    throw new Error(`building ${GO_DRIVER} failed (needs golang-github-masterzen-winrm-dev): ${build.stderr.trim()}`);
  }
  open = await startSecureHost({ name: 'HV2', allowUnencrypted: true });
  locked = await startSecureHost({ name: 'HV1' });
}, 320_000);
afterAll(async () => {
  await open?.close();
  await locked?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const goWinrm = (h: SecureHost, password = ADMIN.password) =>
  run(binary, ['127.0.0.1', String(h.http.port), ADMIN.name, password, 'ntlm', 'ipconfig /all'], { timeoutMs: 60_000 });

describe('Go masterzen/winrm with NTLM', () => {
  test('AllowUnencrypted host: the handshake succeeds and the WinRS Create is answered with a SOAP fault', async () => {
    const before = open.events.length;
    const r = await goWinrm(open);
    const events = open.events.slice(before);
    // unauthenticated → 401 bare, NEGOTIATE → 401 CHALLENGE, AUTHENTICATE + body → the fault; the
    // client's further requests (it retries and tries to clean up) ride the authenticated connection
    expect(events.slice(0, 3).map((e) => e.status)).toEqual([401, 401, 500]);
    expect(events.slice(2).every((e) => e.status === 500 && e.user === ADMIN.name && e.faultKind !== undefined)).toBe(true);
    // the driver reports the fault its own way; what matters here is that it got one over NTLM
    expect(r.stdout + r.stderr).not.toMatch(/401|unauthorized/i);
  });
  test('AllowUnencrypted=false: the plaintext body after NTLM is refused with w:AccessDenied', async () => {
    const before = locked.events.length;
    await goWinrm(locked);
    const events = locked.events.slice(before);
    expect(events.at(-1)).toMatchObject({ status: 500, faultKind: 'AccessDenied', user: ADMIN.name });
  });
  test('a wrong password → 401', async () => {
    const before = open.events.length;
    const r = await goWinrm(open, 'wrong');
    expect(open.events.slice(before).at(-1)?.status).toBe(401);
    expect(r.code).toBe(1);
  });
});
