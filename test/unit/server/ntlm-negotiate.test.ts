import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NegotiateAcceptor, type NegotiateStepResult } from '../../../src/server/auth/ntlm/negotiate.js';
import type { NtlmUserLookup } from '../../../src/server/auth/ntlm/server.js';
import { NtlmSession } from '../../../src/server/auth/ntlm/session.js';
import { NegState, Oid, decodeSpnegoToken, encodeMechTypeList, encodeNegTokenInit, encodeNegTokenResp } from '../../../src/server/auth/spnego.js';
import { buildAuthenticate, buildNegotiate } from './helpers/ntlm-client.js';

const lookup: NtlmUserLookup = (user) => (user.toLowerCase() === 'alice' ? { password: 'Alice-Secret1', canonicalUser: 'alice' } : undefined);
const acceptor = () => new NegotiateAcceptor({ targetName: 'HV1' });

function resp(token: Buffer | undefined) {
  if (!token) throw new Error('no token');
  const t = decodeSpnegoToken(token);
  if (t.type !== 'resp') throw new Error('not a NegTokenResp');
  return t.resp;
}

function continued(r: NegotiateStepResult): Buffer {
  if (r.kind !== 'continue') throw new Error(`expected continue, got ${JSON.stringify(r)}`);
  return r.token;
}

describe('raw NTLMSSP under Negotiate (pywinrm, Go, npm)', () => {
  it('answers in raw NTLMSSP and ends without a token', () => {
    const a = acceptor();
    const negotiate = buildNegotiate();
    const challenge = continued(a.step(negotiate, lookup));
    expect(challenge.subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    expect(a.form).toBe('ntlm');
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1' });
    const r = a.step(auth.token, lookup);
    expect(r).toMatchObject({ kind: 'accepted', user: 'alice' });
    expect(r.kind === 'accepted' && r.token).toBeUndefined();
  });

  it('passes NTLM rejections through without an SPNEGO token', () => {
    const a = acceptor();
    const negotiate = buildNegotiate();
    const challenge = continued(a.step(negotiate, lookup));
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'bad' });
    expect(a.step(auth.token, lookup)).toEqual({ kind: 'rejected', code: 'bad-credentials', reason: expect.any(String) });
  });
});

describe('SPNEGO with NTLM', () => {
  /** Runs the client side of SPNEGO+NTLM; returns the client session and the final server answer. */
  function spnegoHandshake(mechTypes: string[], opts: { sendMic?: boolean; password?: string } = {}) {
    const a = acceptor();
    const negotiate = buildNegotiate();
    const ntlmFirst = mechTypes[0] === Oid.NTLMSSP;
    const first = continued(a.step(encodeNegTokenInit({ mechTypes, mechToken: ntlmFirst ? negotiate : Buffer.from('6e00', 'hex') }), lookup));
    const firstResp = resp(first);
    expect(firstResp.supportedMech).toBe(Oid.NTLMSSP);
    let challenge: Buffer;
    if (ntlmFirst) {
      expect(firstResp.negState).toBe(NegState.ACCEPT_INCOMPLETE);
      challenge = firstResp.responseToken!;
    } else {
      // NTLM was not the client's first choice: the server picks it, asks for a MIC, sends no token.
      expect(firstResp.negState).toBe(NegState.REQUEST_MIC);
      expect(firstResp.responseToken).toBeUndefined();
      const second = resp(continued(a.step(encodeNegTokenResp({ responseToken: negotiate }), lookup)));
      expect(second.supportedMech).toBeUndefined(); // only in the first reply
      expect(second.negState).toBe(NegState.ACCEPT_INCOMPLETE);
      challenge = second.responseToken!;
    }
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: 'CONTOSO', password: opts.password ?? 'Alice-Secret1' });
    const client = new NtlmSession({ flags: auth.flags, exportedSessionKey: auth.exportedSessionKey, role: 'client' });
    const mechList = encodeMechTypeList(mechTypes);
    let mechListMic: Buffer | undefined;
    if (opts.sendMic ?? true) {
      mechListMic = client.sign(mechList);
      client.resetOutboundCipher();
    }
    const final = a.step(encodeNegTokenResp(mechListMic ? { responseToken: auth.token, mechListMic } : { responseToken: auth.token }), lookup);
    return { final, client, mechList, a };
  }

  it('NTLMSSP first: accept-incomplete with the CHALLENGE, then accept-completed with the server mechListMIC', () => {
    const { final, client, mechList } = spnegoHandshake([Oid.NTLMSSP]);
    if (final.kind !== 'accepted' || !final.session) throw new Error(`not accepted: ${JSON.stringify(final)}`);
    expect(final).toMatchObject({ user: 'alice', domain: 'CONTOSO' });
    const last = resp(final.token);
    expect(last.negState).toBe(NegState.ACCEPT_COMPLETED);
    // The client checks the server's MIC, then both RC4 streams restart and sealing goes on at seq 1.
    client.verify(mechList, last.mechListMic!);
    client.resetInboundCipher();
    const req = client.seal(Buffer.from('<req/>'));
    expect(req.signature.readUInt32LE(12)).toBe(1);
    expect(final.session.unseal(req.sealed, req.signature).toString()).toBe('<req/>');
    const reply = final.session.seal(Buffer.from('<resp/>'));
    expect(client.unseal(reply.sealed, reply.signature).toString()).toBe('<resp/>');
  });

  it('NTLMSSP first without a client mechListMIC: accept-completed without one', () => {
    const { final } = spnegoHandshake([Oid.NTLMSSP], { sendMic: false });
    expect(final.kind).toBe('accepted');
    if (final.kind === 'accepted') expect(resp(final.token)).toEqual({ negState: NegState.ACCEPT_COMPLETED });
  });

  it('Kerberos first, NTLMSSP offered: request-mic, NTLM in a NegTokenResp, mechListMIC required', () => {
    const withMic = spnegoHandshake([Oid.MS_KERBEROS, Oid.KERBEROS, Oid.NTLMSSP]);
    expect(withMic.final.kind).toBe('accepted');
    const withoutMic = spnegoHandshake([Oid.MS_KERBEROS, Oid.KERBEROS, Oid.NTLMSSP], { sendMic: false });
    expect(withoutMic.final).toMatchObject({ kind: 'rejected', code: 'bad-mic' });
    if (withoutMic.final.kind === 'rejected') expect(resp(withoutMic.final.token).negState).toBe(NegState.REJECT);
  });

  it('rejects a mechListMIC that does not match the mechanism list', () => {
    const a = acceptor();
    const negotiate = buildNegotiate();
    const challenge = resp(continued(a.step(encodeNegTokenInit({ mechTypes: [Oid.NTLMSSP, Oid.KERBEROS], mechToken: negotiate }), lookup))).responseToken!;
    const auth = buildAuthenticate({ negotiate, challenge, user: 'alice', domain: '', password: 'Alice-Secret1' });
    const client = new NtlmSession({ flags: auth.flags, exportedSessionKey: auth.exportedSessionKey, role: 'client' });
    const forged = client.sign(encodeMechTypeList([Oid.NTLMSSP])); // a list without Kerberos: a downgrade
    expect(a.step(encodeNegTokenResp({ responseToken: auth.token, mechListMic: forged }), lookup)).toMatchObject({ kind: 'rejected', code: 'bad-mic' });
  });

  it('a wrong password is rejected with an SPNEGO reject token', () => {
    const { final } = spnegoHandshake([Oid.NTLMSSP], { password: 'nope' });
    expect(final).toMatchObject({ kind: 'rejected', code: 'bad-credentials' });
    if (final.kind === 'rejected') expect(final.token?.toString('hex')).toBe('a1073005a0030a0102');
  });

  it('Kerberos-only → unsupported-mechanism', () => {
    const r = acceptor().step(encodeNegTokenInit({ mechTypes: [Oid.KERBEROS], mechToken: Buffer.from('6e00', 'hex') }), lookup);
    expect(r).toMatchObject({ kind: 'rejected', code: 'unsupported-mechanism' });
  });

  it('a NegTokenResp out of the blue, or one without a token, is rejected', () => {
    expect(acceptor().step(encodeNegTokenResp({ responseToken: buildNegotiate() }), lookup)).toMatchObject({ code: 'unexpected-message' });
    const a = acceptor();
    continued(a.step(encodeNegTokenInit({ mechTypes: [Oid.NTLMSSP], mechToken: buildNegotiate() }), lookup));
    expect(a.step(encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE }), lookup)).toMatchObject({ code: 'malformed' });
  });

  it('malformed input is a rejection, never an exception', () => {
    expect(acceptor().step(Buffer.from('a185', 'hex'), lookup)).toMatchObject({ kind: 'rejected', code: 'malformed' });
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.constantFrom(0x60, 0xa1, 0x4e), (bytes, lead) => {
        const a = acceptor();
        const r = a.step(Buffer.concat([Buffer.from([lead]), Buffer.from(bytes)]), lookup);
        return ['continue', 'accepted', 'rejected'].includes(r.kind);
      }),
      { seed: 0x5eed, numRuns: 2000 },
    );
  });
});
