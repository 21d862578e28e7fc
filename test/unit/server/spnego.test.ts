import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  NegState,
  Oid,
  SpnegoError,
  classifyNegotiateToken,
  decodeOid,
  decodeSpnegoToken,
  encodeMechTypeList,
  encodeNegTokenInit,
  encodeNegTokenResp,
  encodeOid,
} from '../../../src/server/auth/spnego.js';
import { capture } from './helpers/captures.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// Encodings published as test vectors by pyspnego (jborean93/pyspnego tests/test_spnego.py), an
// implementation tested against Windows; reproduced here as independent known answers.
const PYSPNEGO_MECH_LIST = hex('3017 06092a864886f712010202 060a2b06010401823702020a');
const PYSPNEGO_INIT = hex(`603d06062b0601050502a0333031a019 3017 06092a864886f712010202 060a2b06010401823702020a
  a104 03020004 a206 040400000000 a306 040401010101`);
const PYSPNEGO_INIT2 = hex(`607006062b0601050502a0663064a019 3017 06092a864886f712010202 060a2b06010401823702020a
  a104 03020004 a206 040400000000 a331302fa0051b03737066a1260424 6e6f745f646566696e65645f696e5f524643343137384070
  6c656173655f69676e6f7265 a406 040401010101`);
const PYSPNEGO_RESP = hex('a1253023a0030a0103a10c060a2b06010401823702020aa206040400000000a306040401010101');

describe('DER helpers', () => {
  it('encodes and decodes OIDs', () => {
    for (const oid of Object.values(Oid)) expect(decodeOid(encodeOid(oid))).toBe(oid);
    expect(encodeOid(Oid.NTLMSSP).toString('hex')).toBe('2b06010401823702020a');
    expect(encodeOid(Oid.KERBEROS).toString('hex')).toBe('2a864886f712010202');
  });

  it('encodes a MechTypeList like pyspnego', () => {
    expect(encodeMechTypeList([Oid.KERBEROS, Oid.NTLMSSP]).equals(PYSPNEGO_MECH_LIST)).toBe(true);
  });

  it('uses long-form lengths for big tokens', () => {
    const big = Buffer.alloc(70000, 7);
    const token = encodeNegTokenResp({ negState: NegState.ACCEPT_INCOMPLETE, responseToken: big });
    expect(token[1]).toBe(0x83);
    const decoded = decodeSpnegoToken(token);
    expect(decoded.type === 'resp' && decoded.resp.responseToken?.equals(big)).toBe(true);
  });
});

describe('decoding', () => {
  it('reads pyspnego\'s NegTokenInit (reqFlags, mechToken, mechListMIC)', () => {
    const t = decodeSpnegoToken(PYSPNEGO_INIT);
    if (t.type !== 'init') throw new Error('not init');
    expect(t.init.mechTypes).toEqual([Oid.KERBEROS, Oid.NTLMSSP]);
    expect(t.init.mechTypesDer.equals(PYSPNEGO_MECH_LIST)).toBe(true);
    expect(t.init.reqFlags?.toString('hex')).toBe('0004');
    expect(t.init.mechToken?.toString('hex')).toBe('00000000');
    expect(t.init.mechListMic?.toString('hex')).toBe('01010101');
  });

  it('reads pyspnego\'s NegTokenInit2 (negHints in [3], mechListMIC in [4])', () => {
    const t = decodeSpnegoToken(PYSPNEGO_INIT2);
    if (t.type !== 'init') throw new Error('not init');
    expect(t.init.mechListMic?.toString('hex')).toBe('01010101');
    expect(t.init.mechToken?.toString('hex')).toBe('00000000');
  });

  it('reads and writes pyspnego\'s NegTokenResp byte for byte', () => {
    const t = decodeSpnegoToken(PYSPNEGO_RESP);
    expect(t).toEqual({
      type: 'resp',
      resp: { negState: NegState.REQUEST_MIC, supportedMech: Oid.NTLMSSP, responseToken: hex('00000000'), mechListMic: hex('01010101') },
    });
    if (t.type === 'resp') expect(encodeNegTokenResp(t.resp).equals(PYSPNEGO_RESP)).toBe(true);
  });

  it('writes the short accept-completed answer Windows sends', () => {
    expect(encodeNegTokenResp({ negState: NegState.ACCEPT_COMPLETED }).toString('hex')).toBe('a1073005a0030a0100');
  });

  it('round-trips an NTLM NegTokenInit', () => {
    const ntlm = capture('pywinrm-raw-invoke').negotiate;
    const token = encodeNegTokenInit({ mechTypes: [Oid.NTLMSSP], mechToken: ntlm });
    expect(token.subarray(0, 2).toString('hex')).toBe('6048');
    const t = decodeSpnegoToken(token);
    expect(t.type === 'init' && t.init.mechToken?.equals(ntlm)).toBe(true);
  });
});

describe('classifyNegotiateToken', () => {
  const ntlm = capture('pywinrm-raw-invoke').negotiate;

  it('recognises raw NTLMSSP (pywinrm, Go, npm send it under Negotiate)', () => {
    expect(classifyNegotiateToken(ntlm)).toEqual({ form: 'ntlm', ntlmToken: ntlm });
  });

  it('extracts the optimistic NTLM token when NTLMSSP is preferred', () => {
    const r = classifyNegotiateToken(encodeNegTokenInit({ mechTypes: [Oid.NTLMSSP, Oid.KERBEROS], mechToken: ntlm }));
    expect(r).toMatchObject({ form: 'spnego-init', ntlmPreferred: true });
    expect(r.form === 'spnego-init' && r.ntlmToken?.equals(ntlm)).toBe(true);
  });

  it('discards a Kerberos optimistic token when NTLMSSP is offered but not first', () => {
    const r = classifyNegotiateToken(PYSPNEGO_INIT);
    expect(r).toMatchObject({ form: 'spnego-init', ntlmPreferred: false });
    expect(r.form === 'spnego-init' && r.ntlmToken).toBeUndefined();
  });

  it('reports a Kerberos-only NegTokenInit and a raw Kerberos token as unsupported mechanisms', () => {
    expect(classifyNegotiateToken(encodeNegTokenInit({ mechTypes: [Oid.MS_KERBEROS, Oid.KERBEROS], mechToken: hex('6e00') }))).toEqual({
      form: 'unsupported-mechanism',
      mechanisms: [Oid.MS_KERBEROS, Oid.KERBEROS],
      spnego: true,
    });
    const apReq = Buffer.concat([hex('600f'), hex('06092a864886f712010202'), hex('0100'), hex('6e00')]);
    expect(classifyNegotiateToken(apReq)).toEqual({ form: 'unsupported-mechanism', mechanisms: [Oid.KERBEROS], spnego: false });
  });

  it('extracts the responseToken of a NegTokenResp', () => {
    const r = classifyNegotiateToken(encodeNegTokenResp({ responseToken: ntlm }));
    expect(r.form === 'spnego-resp' && r.ntlmToken?.equals(ntlm)).toBe(true);
  });
});

describe('malformed SPNEGO gives SpnegoError', () => {
  it.each([
    ['empty', ''],
    ['unknown first byte', '0500'],
    ['truncated header', '60'],
    ['length past the end', '6010060'],
    ['indefinite length', '6080'],
    ['trailing bytes', 'a1073005a0030a010000'],
    ['length of 5 octets', 'a1850000000001'],
    ['empty mechTypes', '600e06062b0601050502a0043002a000'],
    ['negState out of range', 'a1073005a0030a0107'],
    ['repeated element', 'a10c300aa0030a0100a0030a0100'],
    ['element out of order', 'a10c300aa2020400a0030a0100'],
    ['OID ending mid sub-identifier', 'a1083006a1040602 2b86'],
  ])('%s', (_label, h) => {
    expect(() => classifyNegotiateToken(hex(h))).toThrow(SpnegoError);
  });

  it('decodeSpnegoToken refuses a GSS token for another mechanism (classify reports it instead)', () => {
    const other = hex('600a06062b0601050503a000');
    expect(() => decodeSpnegoToken(other)).toThrow(/not SPNEGO/);
    expect(classifyNegotiateToken(other)).toMatchObject({ form: 'unsupported-mechanism', mechanisms: ['1.3.6.1.5.5.3'] });
  });

  it('fuzz: mutated, truncated and random tokens only ever throw SpnegoError', () => {
    const samples = [PYSPNEGO_INIT, PYSPNEGO_INIT2, PYSPNEGO_RESP, encodeNegTokenInit({ mechTypes: [Oid.NTLMSSP], mechToken: capture('go-masterzen').negotiate })];
    const check = (t: Buffer): boolean => {
      try {
        classifyNegotiateToken(t);
        decodeSpnegoToken(t);
        return true;
      } catch (err) {
        return err instanceof SpnegoError;
      }
    };
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 5 }),
        fc.nat(),
        fc.uint8Array({ maxLength: 64 }),
        (sample, edits, cut, random) => {
          const t = Buffer.from(sample);
          for (const [pos, value] of edits) t[pos % t.length] = value;
          return check(t) && check(t.subarray(0, cut % (t.length + 1))) && check(Buffer.concat([Buffer.from([0x60]), Buffer.from(random)])) && check(Buffer.from(random));
        },
      ),
      { seed: 0x5eed, numRuns: 4000 },
    );
  });
});
