/**
 * Interop with a real NTLM client: python3-ntlm-auth's NtlmContext (the library under pywinrm),
 * driven through test/fixtures/ntlm/client.py. The TypeScript side is the server.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { AvId, parseAuthenticate, parseNtlmV2Response } from '../../../src/server/auth/ntlm/messages.js';
import { NtlmServerContext, type NtlmUserLookup } from '../../../src/server/auth/ntlm/server.js';
import { NtlmSessionError } from '../../../src/server/auth/ntlm/session.js';
import { REPO_ROOT } from './helpers/captures.js';

const PYTHON = '/usr/bin/python3';
const DRIVER = path.join(REPO_ROOT, 'test/fixtures/ntlm/client.py');
const OPENSSL_CONF = path.resolve(REPO_ROOT, '../shared/tools/clients/openssl-legacy.cnf');

function clientAvailable(): { ok: boolean; why: string } {
  if (!existsSync(PYTHON)) return { ok: false, why: `${PYTHON} not found` };
  if (!existsSync(OPENSSL_CONF)) return { ok: false, why: `${OPENSSL_CONF} not found` };
  const probe = spawnSync(PYTHON, ['-c', "import hashlib, ntlm_auth.ntlm; hashlib.new('md4', b'')"], {
    env: { ...process.env, OPENSSL_CONF },
    encoding: 'utf8',
  });
  return probe.status === 0 ? { ok: true, why: '' } : { ok: false, why: `python3-ntlm-auth with MD4 unavailable: ${probe.stderr.trim()}` };
}

const availability = clientAvailable();

/** The Python client as a line-based peer. */
class PythonClient {
  private readonly child;
  private readonly lines: string[] = [];
  private waiting: ((line: string) => void) | undefined;
  readonly exited: Promise<{ code: number | null; stderr: string }>;

  constructor(args: string[]) {
    this.child = spawn(PYTHON, [DRIVER, ...args], { env: { ...process.env, OPENSSL_CONF }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting;
        this.waiting = undefined;
        w(line);
      } else {
        this.lines.push(line);
      }
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve({ code, stderr })));
  }

  /** Next line as [word, ...base64 fields decoded]. */
  async read(): Promise<[string, ...Buffer[]]> {
    const line =
      this.lines.shift() ??
      (await new Promise<string>((resolve, reject) => {
        this.waiting = resolve;
        void this.exited.then(({ code, stderr }) => reject(new Error(`client exited (${code}) while we waited: ${stderr}`)));
      }));
    const [word, ...rest] = line.split(' ');
    if (word === 'ERROR') return [word, Buffer.from(rest.join(' '))];
    return [word, ...rest.map((r) => Buffer.from(r, 'base64'))];
  }

  async expect(word: string): Promise<Buffer[]> {
    const [got, ...fields] = await this.read();
    if (got !== word) throw new Error(`expected ${word}, got ${got} ${fields.map((f) => f.toString()).join(' ')}`);
    return fields;
  }

  send(word: string, data?: Buffer): void {
    this.child.stdin.write(data ? `${word} ${data.toString('base64')}\n` : `${word}\n`);
  }
}

const accounts: Record<string, string> = { administrator: 'Passw0rd!', alice: 'Alice-Secret1' };

function recordingLookup(calls: [string, string][]): NtlmUserLookup {
  return (user, domain) => {
    calls.push([user, domain]);
    const password = accounts[user.toLowerCase()];
    return password === undefined ? undefined : { password, canonicalUser: user.toLowerCase() === 'alice' ? 'alice' : 'Administrator' };
  };
}

async function authenticate(client: PythonClient, lookup: NtlmUserLookup) {
  const server = new NtlmServerContext({ targetName: 'HV1', dnsComputer: 'hv1.example.test' });
  const [negotiate] = await client.expect('NEGOTIATE');
  const challenge = server.step(negotiate, lookup);
  if (challenge.kind !== 'challenge') throw new Error(`no challenge: ${JSON.stringify(challenge)}`);
  client.send('CHALLENGE', challenge.token);
  const [authenticateToken] = await client.expect('AUTHENTICATE');
  lastAuthenticate = authenticateToken;
  return server.step(authenticateToken, lookup);
}

let lastAuthenticate: Buffer = Buffer.alloc(0);

/** Whether the client announced (and so the server verified) a MIC in its AUTHENTICATE. */
function sentMic(token: Buffer): boolean {
  const flags = parseNtlmV2Response(parseAuthenticate(token).ntResponse).avPairs.find((p) => p.id === AvId.Flags);
  return flags !== undefined && (flags.value.readUInt32LE(0) & 2) !== 0;
}

describe('interop with python3-ntlm-auth (pywinrm\'s NTLM client)', () => {
  // a missing client is a failure, never a skip (CI installs python3-ntlm-auth)
  it('the client is installed', () => {
    expect(availability.why).toBe('');
  });
  it.each([
    ['plain user', ['--user', 'Administrator', '--password', 'Passw0rd!'], 'Administrator', ['Administrator', '']],
    ['DOMAIN\\user (domain field)', ['--user', 'alice', '--domain', 'CONTOSO', '--password', 'Alice-Secret1'], 'alice', ['alice', 'CONTOSO']],
    ['user@domain (UserName, empty domain)', ['--user', 'alice@contoso.com', '--password', 'Alice-Secret1'], 'alice', ['alice', 'contoso.com']],
  ] as const)('%s: authenticates, then seals and unseals in both directions across messages', async (_label, args, user, lookupArgs) => {
    const client = new PythonClient([...args, '--count', '4']);
    const calls: [string, string][] = [];
    const result = await authenticate(client, recordingLookup(calls));
    expect(result).toMatchObject({ kind: 'accepted', user });
    expect(calls).toEqual([lookupArgs]);
    expect(sentMic(lastAuthenticate)).toBe(true);
    if (result.kind !== 'accepted' || !result.session) throw new Error('no session');
    client.send('OK');
    for (let i = 0; i < 4; i++) {
      const [plain, wrapped] = await client.expect('SEALED');
      const unsealed = result.session.unseal(wrapped.subarray(16), wrapped.subarray(0, 16));
      expect(unsealed.equals(plain)).toBe(true);
      const answer = Buffer.from(`<s:Envelope reply="${i}">${'y'.repeat(i * 53)} ünïcödé</s:Envelope>`);
      const { signature, sealed } = result.session.seal(answer);
      client.send('REPLY', Buffer.concat([signature, sealed]));
      const [back] = await client.expect('UNSEALED');
      expect(back.equals(answer)).toBe(true);
    }
    await client.expect('DONE');
    expect((await client.exited).code).toBe(0);
  });

  it('a wrong password is rejected', async () => {
    const client = new PythonClient(['--user', 'Administrator', '--password', 'wrong']);
    expect(await authenticate(client, recordingLookup([]))).toMatchObject({ kind: 'rejected', code: 'bad-credentials' });
    client.send('STOP');
    expect((await client.exited).code).toBe(0);
  });

  it('NTLMv1 (LmCompatibilityLevel 1) is refused', async () => {
    const client = new PythonClient(['--user', 'Administrator', '--password', 'Passw0rd!', '--compat', '1']);
    expect(await authenticate(client, recordingLookup([]))).toMatchObject({ kind: 'rejected', code: 'ntlmv1' });
    client.send('STOP');
    expect((await client.exited).code).toBe(0);
  });

  it('a one-byte corruption of a sealed request gives NtlmSessionError, and of a sealed reply an error in the client', async () => {
    const client = new PythonClient(['--user', 'Administrator', '--password', 'Passw0rd!', '--count', '2']);
    const result = await authenticate(client, recordingLookup([]));
    if (result.kind !== 'accepted' || !result.session) throw new Error('no session');
    client.send('OK');

    // Reply corruption first: the client must detect it.
    const [plain, wrapped] = await client.expect('SEALED');
    expect(result.session.unseal(wrapped.subarray(16), wrapped.subarray(0, 16)).equals(plain)).toBe(true);
    const reply = result.session.seal(Buffer.from('<reply/>'));
    const badReply = Buffer.concat([reply.signature, reply.sealed]);
    badReply[badReply.length - 1] ^= 0x01;
    client.send('REPLY', badReply);
    const [word, message] = await client.read();
    expect(word).toBe('ERROR');
    expect(message.toString()).toMatch(/signature/i);

    // Request corruption: the server refuses it with a typed error.
    const [, wrapped2] = await client.expect('SEALED');
    const corrupted = Buffer.from(wrapped2);
    corrupted[16 + 3] ^= 0x20;
    let error: unknown;
    try {
      result.session.unseal(corrupted.subarray(16), corrupted.subarray(0, 16));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(NtlmSessionError);
    expect((error as NtlmSessionError).code).toBe('bad-signature');
    client.send('STOP');
    expect((await client.exited).code).toBe(0);
  });
});
