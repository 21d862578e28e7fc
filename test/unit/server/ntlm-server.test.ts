import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { decryptBody } from '../../../src/server/encryption.js';
import { NegotiateFlag } from '../../../src/server/auth/ntlm/flags.js';
import { AvId, MIC_OFFSET, parseChallenge } from '../../../src/server/auth/ntlm/messages.js';
import {
  DEFAULT_SERVER_VERSION,
  NtlmServerContext,
  type NtlmStepResult,
  type NtlmUserLookup,
  challengeFlags,
  verifyAuthenticate,
} from '../../../src/server/auth/ntlm/server.js';
import { NtlmSession } from '../../../src/server/auth/ntlm/session.js';
import { splitUserName } from '../../../src/server/users.js';
import { type CaptureName, capture, captureLookup } from './helpers/captures.js';
import { CLIENT_FLAGS, NTLMV1_RESPONSE, buildAuthenticate, buildNegotiate } from './helpers/ntlm-client.js';

const NOW = Date.UTC(2024, 0, 2, 3, 4, 5);
const FIXED_CHALLENGE = Buffer.from('0123456789abcdef', 'hex');

function newContext(extra: Partial<ConstructorParameters<typeof NtlmServerContext>[0]> = {}): NtlmServerContext {
  return new NtlmServerContext({ targetName: 'HV1', now: () => NOW, randomBytes: () => Buffer.from(FIXED_CHALLENGE), ...extra });
}

const accounts: Record<string, string> = { administrator: 'Passw0rd!', alice: 'Alice-Secret1' };
const lookup: NtlmUserLookup = (user) => {
  const password = accounts[user.toLowerCase()];
  return password === undefined ? undefined : { password, canonicalUser: user.toLowerCase() === 'alice' ? 'alice' : 'Administrator' };
};

function challengeOf(r: NtlmStepResult): Buffer {
  if (r.kind !== 'challenge') throw new Error(`expected a challenge, got ${JSON.stringify(r)}`);
  return r.token;
}

/** Full handshake with the test client; returns the final result and the client's exported key. */
function handshake(opts: { user: string; domain: string; password: string; flags?: number; ctx?: NtlmServerContext; lookupFn?: NtlmUserLookup }) {
  const ctx = opts.ctx ?? newContext();
  const negotiate = buildNegotiate(opts.flags ?? CLIENT_FLAGS);
  const challenge = challengeOf(ctx.step(negotiate, opts.lookupFn ?? lookup));
  const auth = buildAuthenticate({ negotiate, challenge, user: opts.user, domain: opts.domain, password: opts.password });
  return { result: ctx.step(auth.token, opts.lookupFn ?? lookup), client: auth, ctx };
}

describe('CHALLENGE construction', () => {
  it('answers pywinrm with OEM and the requested security flags (plus NTLM, TARGET_INFO, VERSION)', () => {
    const flags = challengeFlags(0xe2889032);
    expect(typeof flags === 'number' && flags >>> 0).toBe(0xe28a8236);
  });

  it('answers Go with UNICODE and no SIGN/SEAL', () => {
    expect(challengeFlags(0xa0880001)).toBe(0xa28a0205);
  });

  it('adds SIGN when only SEAL is requested (sealed messages carry signatures)', () => {
    const flags = challengeFlags(NegotiateFlag.UNICODE | NegotiateFlag.SEAL | NegotiateFlag.EXTENDED_SESSIONSECURITY) as number;
    expect(flags & NegotiateFlag.SIGN).toBe(NegotiateFlag.SIGN);
  });

  it('refuses datagram NTLM, missing charset, and SIGN/SEAL without ESS', () => {
    expect(challengeFlags(NegotiateFlag.UNICODE | NegotiateFlag.DATAGRAM)).toMatchObject({ code: 'unsupported' });
    expect(challengeFlags(NegotiateFlag.NTLM)).toMatchObject({ code: 'unsupported' });
    expect(challengeFlags(NegotiateFlag.UNICODE | NegotiateFlag.SEAL)).toMatchObject({ code: 'unsupported' });
  });

  it('builds TargetName, TargetInfo (Windows order, timestamp from the clock), challenge and version', () => {
    const ctx = newContext({ dnsComputer: 'hv1.contoso.com', dnsDomain: 'contoso.com', nbDomainName: 'CONTOSO' });
    const token = challengeOf(ctx.step(buildNegotiate(), lookup));
    const ch = parseChallenge(token);
    expect(ch.targetName).toBe('HV1');
    expect(ch.serverChallenge.equals(FIXED_CHALLENGE)).toBe(true);
    expect(ch.version).toEqual(DEFAULT_SERVER_VERSION);
    expect(ch.flags & NegotiateFlag.TARGET_TYPE_SERVER).toBe(NegotiateFlag.TARGET_TYPE_SERVER);
    const utf16 = (id: number) => ch.targetInfo.find((p) => p.id === id)?.value.toString('utf16le');
    expect(ch.targetInfo.map((p) => p.id)).toEqual([AvId.NbDomainName, AvId.NbComputerName, AvId.DnsDomainName, AvId.DnsComputerName, AvId.Timestamp]);
    expect([utf16(AvId.NbDomainName), utf16(AvId.NbComputerName), utf16(AvId.DnsDomainName), utf16(AvId.DnsComputerName)]).toEqual([
      'CONTOSO',
      'HV1',
      'contoso.com',
      'hv1.contoso.com',
    ]);
    const filetime = ch.targetInfo.find((p) => p.id === AvId.Timestamp)!.value.readBigUInt64LE(0);
    expect(Number((filetime - 116444736000000000n) / 10000n)).toBe(NOW);
  });

  it('defaults the NetBIOS and DNS names to the host name (workgroup host)', () => {
    const ch = parseChallenge(challengeOf(newContext().step(buildNegotiate(), lookup)));
    expect(ch.targetInfo.slice(0, 4).map((p) => p.value.toString('utf16le'))).toEqual(['HV1', 'HV1', 'HV1', 'HV1']);
  });

  it('encodes TargetName in OEM when the client did not offer UNICODE', () => {
    const token = challengeOf(newContext().step(capture('pywinrm-raw-invoke').negotiate, lookup));
    const ch = parseChallenge(token);
    expect(ch.flags & NegotiateFlag.UNICODE).toBe(0);
    expect(token.subarray(56, 59).toString('latin1')).toBe('HV1');
  });

  it('uses a fresh random challenge per handshake by default', () => {
    const ctx = new NtlmServerContext({ targetName: 'HV1' });
    const a = parseChallenge(challengeOf(ctx.step(buildNegotiate(), lookup))).serverChallenge;
    const b = parseChallenge(challengeOf(ctx.step(buildNegotiate(), lookup))).serverChallenge;
    expect(a.equals(b)).toBe(false);
  });
});

describe('replaying real client handshakes (password Passw0rd!)', () => {
  const names: CaptureName[] = ['pywinrm-raw-invoke', 'pywinrm-run-cmd', 'pywinrm-unicode-challenge', 'go-masterzen', 'npm-winrm-client'];

  it.each(names)('%s: accepted', (name) => {
    const c = capture(name);
    const seen: [string, string][] = [];
    const result = verifyAuthenticate({
      negotiate: c.negotiate,
      challenge: parseChallenge(c.challenge),
      authenticate: c.authenticate,
      lookup: (u, d) => (seen.push([u, d]), captureLookup(u)),
    });
    expect(result).toMatchObject({ kind: 'accepted', user: 'Administrator', clientUser: 'Administrator' });
    // Go and npm name the server's TargetName as the domain; the lookup still gets the bare user.
    expect(seen).toEqual([['Administrator', name.startsWith('pywinrm') ? '' : 'HOST1']]);
    if (result.kind === 'accepted') expect(result.session !== undefined).toBe(name.startsWith('pywinrm'));
  });

  it.each(names)('%s: a wrong password is rejected', (name) => {
    const c = capture(name);
    const result = verifyAuthenticate({
      negotiate: c.negotiate,
      challenge: parseChallenge(c.challenge),
      authenticate: c.authenticate,
      lookup: (u) => ({ password: 'passw0rd!', canonicalUser: u }),
    });
    expect(result).toMatchObject({ kind: 'rejected', code: 'bad-credentials' });
  });

  it('verifies the MIC pywinrm sends: a changed MIC, NEGOTIATE or CHALLENGE is refused', () => {
    const c = capture('pywinrm-raw-invoke');
    const base = { negotiate: c.negotiate, challenge: parseChallenge(c.challenge), authenticate: c.authenticate, lookup: captureLookup };
    const badMic = Buffer.from(c.authenticate);
    badMic[MIC_OFFSET] ^= 1;
    expect(verifyAuthenticate({ ...base, authenticate: badMic })).toMatchObject({ kind: 'rejected', code: 'bad-mic' });
    const otherNegotiate = Buffer.from(c.negotiate);
    otherNegotiate[12] ^= 0x10; // a downgraded flag in the NEGOTIATE the client signed
    expect(verifyAuthenticate({ ...base, negotiate: otherNegotiate })).toMatchObject({ kind: 'rejected', code: 'bad-mic' });
  });

  it('decrypts the sealed requests of pywinrm run_cmd in order (RC4 state continues across messages)', () => {
    const c = capture('pywinrm-run-cmd');
    const result = verifyAuthenticate({ negotiate: c.negotiate, challenge: parseChallenge(c.challenge), authenticate: c.authenticate, lookup: captureLookup });
    if (result.kind !== 'accepted' || !result.session) throw new Error('not accepted');
    expect(c.sealed.length).toBe(5);
    for (const s of c.sealed) {
      const out = decryptBody(s.body, s.contentType, result.session);
      expect(out.plaintext.equals(s.plaintext)).toBe(true);
      expect(out.contentType).toBe('application/soap+xml;charset=UTF-8');
    }
    expect(result.session.sequenceNumbers.inbound).toBe(5);
  });

  it('decrypts the unicode-challenge capture, whose AUTHENTICATE dropped SIGN but kept SEAL', () => {
    const c = capture('pywinrm-unicode-challenge');
    const result = verifyAuthenticate({ negotiate: c.negotiate, challenge: parseChallenge(c.challenge), authenticate: c.authenticate, lookup: captureLookup });
    if (result.kind !== 'accepted' || !result.session) throw new Error('not accepted');
    expect(result.flags & NegotiateFlag.SIGN).toBe(0);
    expect(decryptBody(c.sealed[0].body, c.sealed[0].contentType, result.session).plaintext.equals(c.sealed[0].plaintext)).toBe(true);
  });
});

describe('NtlmServerContext handshake', () => {
  it('accepts a full handshake and yields a working server session', () => {
    const { result, client } = handshake({ user: 'Administrator', domain: '', password: 'Passw0rd!' });
    expect(result).toMatchObject({ kind: 'accepted', user: 'Administrator', domain: '', workstation: 'TESTCLIENT' });
    if (result.kind !== 'accepted' || !result.session) throw new Error('no session');
    const clientSession = new NtlmSession({ flags: client.flags, exportedSessionKey: client.exportedSessionKey, role: 'client' });
    const req = clientSession.seal(Buffer.from('<request/>'));
    expect(result.session.unseal(req.sealed, req.signature).toString()).toBe('<request/>');
    const resp = result.session.seal(Buffer.from('<response/>'));
    expect(clientSession.unseal(resp.sealed, resp.signature).toString()).toBe('<response/>');
  });

  it.each([
    ['DOMAIN\\user via the DomainName field', 'alice', 'CONTOSO', ['alice', 'CONTOSO']],
    ['user@domain in UserName with an empty domain', 'alice@contoso.com', '', ['alice', 'contoso.com']],
    ['plain user', 'ALICE', '', ['ALICE', '']],
    ['DOMAIN\\user inside UserName', 'CONTOSO\\alice', '', ['alice', 'CONTOSO']],
  ])('accepts %s', (_label, user, domain, expectedLookup) => {
    const calls: [string, string][] = [];
    const { result } = handshake({ user, domain, password: 'Alice-Secret1', lookupFn: (u, d) => (calls.push([u, d]), lookup(u, d)) });
    expect(result).toMatchObject({ kind: 'accepted', user: 'alice', clientUser: user, clientDomain: domain, domain: expectedLookup[1] });
    expect(calls).toEqual([expectedLookup]);
  });

  it('hashes with the DomainName field as sent (Go sends the server TargetName there)', () => {
    // The client hashes UPPER(user)+domain with the domain it sends; the server must use that same field.
    const ctx = newContext();
    const negotiate = buildNegotiate();
    const challenge = challengeOf(ctx.step(negotiate, lookup));
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: 'HV1', password: 'Alice-Secret1' });
    expect(ctx.step(auth.token, lookup)).toMatchObject({ kind: 'accepted', domain: 'HV1' });
  });

  it('rejects a wrong password and an unknown user (same shape, different codes for logs)', () => {
    expect(handshake({ user: 'alice', domain: '', password: 'wrong' }).result).toMatchObject({ kind: 'rejected', code: 'bad-credentials' });
    expect(handshake({ user: 'mallory', domain: '', password: 'x' }).result).toMatchObject({ kind: 'rejected', code: 'unknown-user' });
  });

  it('does not call the lookup with a domain-stripped empty user', () => {
    const spy = vi.fn(lookup);
    expect(handshake({ user: 'CONTOSO\\', domain: '', password: 'x', lookupFn: spy }).result).toMatchObject({ kind: 'rejected', code: 'unknown-user' });
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses anonymous, LM-only and NTLMv1 authentication', () => {
    const run = (o: Partial<Parameters<typeof buildAuthenticate>[0]>, flags?: number) => {
      const ctx = newContext();
      const negotiate = buildNegotiate();
      const challenge = challengeOf(ctx.step(negotiate, lookup));
      const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1', flags, ...o });
      return ctx.step(auth.token, lookup);
    };
    expect(run({ user: '', ntResponse: Buffer.alloc(0), lmResponse: Buffer.alloc(1) })).toMatchObject({ code: 'anonymous' });
    expect(run({}, (CLIENT_FLAGS | NegotiateFlag.ANONYMOUS) >>> 0)).toMatchObject({ code: 'anonymous' });
    expect(run({ ntResponse: Buffer.alloc(0) })).toMatchObject({ code: 'ntlmv1' });
    expect(run({ ntResponse: NTLMV1_RESPONSE })).toMatchObject({ code: 'ntlmv1' });
  });

  it('requires the EncryptedRandomSessionKey when KEY_EXCH is negotiated', () => {
    const ctx = newContext();
    const negotiate = buildNegotiate();
    const challenge = challengeOf(ctx.step(negotiate, lookup));
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1', omitSessionKey: true, withMic: false });
    expect(ctx.step(auth.token, lookup)).toMatchObject({ kind: 'rejected', code: 'malformed' });
  });

  it('gives no session without SIGN/SEAL (Go, npm) and never grants flags the CHALLENGE did not offer', () => {
    const ctx = newContext();
    const negotiate = buildNegotiate(NegotiateFlag.UNICODE | NegotiateFlag.EXTENDED_SESSIONSECURITY | NegotiateFlag.NEGOTIATE_128);
    const challenge = challengeOf(ctx.step(negotiate, lookup));
    // A client that claims SEAL in AUTHENTICATE anyway does not get it.
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1', flags: (parseChallenge(challenge).flags | NegotiateFlag.SEAL | NegotiateFlag.SIGN) >>> 0 });
    const result = ctx.step(auth.token, lookup);
    expect(result).toMatchObject({ kind: 'accepted', session: undefined });
    if (result.kind === 'accepted') expect(result.flags & NegotiateFlag.SEAL).toBe(0);
  });

  it('exposes channel bindings and the target SPN from the NTLMv2 blob', () => {
    const ctx = newContext();
    const negotiate = buildNegotiate();
    const challenge = challengeOf(ctx.step(negotiate, lookup));
    const cbt = Buffer.alloc(16, 0xcb);
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1', channelBindings: cbt, targetSpn: 'HTTP/hv1' });
    const result = ctx.step(auth.token, lookup);
    expect(result).toMatchObject({ kind: 'accepted', targetSpn: 'HTTP/hv1' });
    if (result.kind === 'accepted') expect(result.channelBindings?.equals(cbt)).toBe(true);
  });

  it('accepts an AUTHENTICATE only once, right after its CHALLENGE', () => {
    const { result, client, ctx } = handshake({ user: 'alice', domain: '', password: 'Alice-Secret1' });
    expect(result.kind).toBe('accepted');
    expect(ctx.phase).toBe('done');
    expect(ctx.step(client.token, lookup)).toMatchObject({ kind: 'rejected', code: 'unexpected-message' });
    expect(newContext().step(client.token, lookup)).toMatchObject({ kind: 'rejected', code: 'unexpected-message' });
  });

  it('restarts on a new NEGOTIATE and rejects the old challenge', () => {
    const ctx = newContext({ randomBytes: (() => { let n = 0; return () => Buffer.alloc(8, ++n); })() });
    const negotiate = buildNegotiate();
    const first = challengeOf(ctx.step(negotiate, lookup));
    const second = challengeOf(ctx.step(negotiate, lookup));
    expect(first.equals(second)).toBe(false);
    const stale = buildAuthenticate({ negotiate, challenge: first, user: 'alice', domain: '', password: 'Alice-Secret1' });
    expect(ctx.step(stale.token, lookup)).toMatchObject({ kind: 'rejected' });
  });

  it('a failed AUTHENTICATE ends the handshake', () => {
    const ctx = newContext();
    const negotiate = buildNegotiate();
    const challenge = challengeOf(ctx.step(negotiate, lookup));
    const bad = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'nope' });
    const good = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1' });
    expect(ctx.step(bad.token, lookup)).toMatchObject({ code: 'bad-credentials' });
    expect(ctx.step(good.token, lookup)).toMatchObject({ code: 'unexpected-message' });
  });

  it('rejects non-NTLM input and a CHALLENGE sent by a client', () => {
    const ctx = newContext();
    expect(ctx.step(Buffer.from('hello'), lookup)).toMatchObject({ kind: 'rejected', code: 'malformed' });
    expect(ctx.step(capture('go-masterzen').challenge, lookup)).toMatchObject({ kind: 'rejected', code: 'unexpected-message' });
    expect(ctx.step(Buffer.from('NTLMSSP\0\x01\0\0\0', 'latin1'), lookup)).toMatchObject({ kind: 'rejected', code: 'malformed' });
  });

  it('fuzz: step() never throws, whatever the AUTHENTICATE bytes', () => {
    const negotiate = buildNegotiate();
    const probe = newContext();
    const challenge = challengeOf(probe.step(negotiate, lookup));
    const valid = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1' }).token;
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat(), (edits, cut) => {
        const token = Buffer.from(valid);
        for (const [pos, value] of edits) token[12 + (pos % (token.length - 12))] = value;
        const ctx = newContext();
        ctx.step(negotiate, lookup);
        const result = ctx.step(token.subarray(0, 12 + (cut % (token.length - 11))), lookup);
        return result.kind === 'rejected' || result.kind === 'accepted';
      }),
      { seed: 0x5eed, numRuns: 2000 },
    );
  });
});

describe('splitUserName', () => {
  it.each([
    ['alice', '', { user: 'alice', domain: '' }],
    ['alice', 'HV1', { user: 'alice', domain: 'HV1' }],
    ['CONTOSO\\alice', '', { user: 'alice', domain: 'CONTOSO' }],
    ['alice@contoso.com', '', { user: 'alice', domain: 'contoso.com' }],
    ['alice@contoso.com', 'CONTOSO', { user: 'alice', domain: 'CONTOSO' }],
    ['@odd', '', { user: '@odd', domain: '' }],
  ])('%s / %s', (user, domain, expected) => {
    expect(splitUserName(user, domain)).toEqual(expected);
  });
});
