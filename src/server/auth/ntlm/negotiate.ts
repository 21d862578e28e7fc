/**
 * The HTTP `Negotiate` scheme with NTLM inside: one acceptor per TCP connection, fed with each
 * `Authorization: Negotiate <base64>` token, answering in the form the client used.
 *
 *  - Raw NTLMSSP (pywinrm/requests-ntlm, Go, Ruby, npm): NEGOTIATE → CHALLENGE → AUTHENTICATE; the
 *    final answer carries no token.
 *  - SPNEGO (Windows, pypsrp/pyspnego): NegTokenInit → NegTokenResp(accept-incomplete, NTLMSSP,
 *    CHALLENGE) → NegTokenResp(AUTHENTICATE[, mechListMIC]) → NegTokenResp(accept-completed[, MIC]).
 *    If NTLMSSP is not the initiator's first mechanism (e.g. Kerberos first, no ticket) the first
 *    answer selects NTLMSSP with negState request-mic and no token; the client then sends its NTLM
 *    NEGOTIATE in a NegTokenResp, and must protect the mechanism list with a mechListMIC.
 *    A received mechListMIC is verified with the NTLM session (GSS_VerifyMIC over the DER
 *    MechTypeList) and answered with the server's own; after each, the direction's RC4 stream is
 *    restarted, as MS-SPNG requires for NTLM, so sealing continues at sequence number 1.
 *
 * `step` never throws for bad input.
 */
import {
  NegState,
  type NegTokenResp,
  type NegotiateToken,
  Oid,
  SpnegoError,
  classifyNegotiateToken,
  encodeNegTokenResp,
} from '../spnego.js';
import { NtlmServerContext, type NtlmAccepted, type NtlmRejectCode, type NtlmServerOptions, type NtlmUserLookup } from './server.js';
import { NtlmSessionError } from './session.js';

export type NegotiateRejectCode = NtlmRejectCode | 'unsupported-mechanism';

export type NegotiateStepResult =
  /** Send 401 with `WWW-Authenticate: Negotiate <base64(token)>`. */
  | { kind: 'continue'; token: Buffer }
  /** Authenticated. If `token` is set, send it as `WWW-Authenticate: Negotiate <base64>` with the answer. */
  | (Omit<NtlmAccepted, 'kind'> & { kind: 'accepted'; token?: Buffer })
  /** Failed. `token` is an SPNEGO reject for clients that spoke SPNEGO (sending it is optional). */
  | { kind: 'rejected'; code: NegotiateRejectCode; reason: string; token?: Buffer };

type Mode =
  | { form: 'none' }
  | { form: 'ntlm' }
  | { form: 'spnego'; mechTypesDer: Buffer; micRequired: boolean; supportedMechSent: boolean };

const REJECT_TOKEN = encodeNegTokenResp({ negState: NegState.REJECT });

export class NegotiateAcceptor {
  private ntlm: NtlmServerContext;
  private mode: Mode = { form: 'none' };

  constructor(private readonly opts: NtlmServerOptions) {
    this.ntlm = new NtlmServerContext(opts);
  }

  /** The form the current handshake uses ('none' before the first token). */
  get form(): Mode['form'] {
    return this.mode.form;
  }

  step(token: Buffer, lookup: NtlmUserLookup): NegotiateStepResult {
    let parsed: NegotiateToken;
    try {
      parsed = classifyNegotiateToken(token);
    } catch (err) {
      if (err instanceof SpnegoError) return this.fail('malformed', err.message, this.mode.form === 'spnego');
      throw err;
    }
    switch (parsed.form) {
      case 'unsupported-mechanism':
        return this.fail('unsupported-mechanism', `no supported mechanism offered (${parsed.mechanisms.join(', ')})`, parsed.spnego);
      case 'ntlm':
        return this.stepRaw(parsed.ntlmToken, lookup);
      case 'spnego-init': {
        this.restart();
        this.mode = { form: 'spnego', mechTypesDer: parsed.init.mechTypesDer, micRequired: !parsed.ntlmPreferred, supportedMechSent: false };
        if (!parsed.ntlmToken) return { kind: 'continue', token: this.spnegoResponse({}) };
        return this.stepSpnego(parsed.ntlmToken, undefined, lookup);
      }
      case 'spnego-resp':
        if (this.mode.form !== 'spnego') return this.fail('unexpected-message', 'NegTokenResp before a NegTokenInit on this connection', true);
        if (!parsed.ntlmToken) return this.fail('malformed', 'NegTokenResp without a responseToken', true);
        return this.stepSpnego(parsed.ntlmToken, parsed.resp.mechListMic, lookup);
    }
  }

  private restart(): void {
    this.ntlm = new NtlmServerContext(this.opts);
    this.mode = { form: 'none' };
  }

  private stepRaw(ntlmToken: Buffer, lookup: NtlmUserLookup): NegotiateStepResult {
    // A raw NEGOTIATE (re)starts a raw handshake; a raw AUTHENTICATE must continue one.
    if (this.mode.form === 'spnego') this.restart();
    this.mode = { form: 'ntlm' };
    const r = this.ntlm.step(ntlmToken, lookup);
    if (r.kind === 'challenge') return { kind: 'continue', token: r.token };
    if (r.kind === 'rejected') return { kind: 'rejected', code: r.code, reason: r.reason };
    const { kind: _kind, ...identity } = r;
    return { kind: 'accepted', ...identity };
  }

  private stepSpnego(ntlmToken: Buffer, mechListMic: Buffer | undefined, lookup: NtlmUserLookup): NegotiateStepResult {
    const r = this.ntlm.step(ntlmToken, lookup);
    if (r.kind === 'challenge') return { kind: 'continue', token: this.spnegoResponse({ responseToken: r.token }) };
    if (r.kind === 'rejected') return this.fail(r.code, r.reason, true);
    const mode = this.mode;
    if (mode.form !== 'spnego') return this.fail('unexpected-message', 'SPNEGO state lost', true);

    let serverMic: Buffer | undefined;
    if (mechListMic) {
      const session = r.session;
      if (!session?.integrity) return this.fail('bad-mic', 'mechListMIC sent but NTLM signing was not negotiated', true);
      try {
        session.verify(mode.mechTypesDer, mechListMic);
      } catch (err) {
        if (err instanceof NtlmSessionError) return this.fail('bad-mic', `mechListMIC does not verify: ${err.message}`, true);
        throw err;
      }
      session.resetInboundCipher();
      serverMic = session.sign(mode.mechTypesDer);
      session.resetOutboundCipher();
    } else if (mode.micRequired) {
      return this.fail('bad-mic', 'NTLMSSP was not the preferred mechanism, so a mechListMIC is required', true);
    }
    const { kind: _kind, ...identity } = r;
    const token = this.spnegoResponse(serverMic ? { negState: NegState.ACCEPT_COMPLETED, mechListMic: serverMic } : { negState: NegState.ACCEPT_COMPLETED });
    return { kind: 'accepted', ...identity, token };
  }

  /**
   * NegTokenResp for an in-progress SPNEGO exchange: supportedMech (and request-mic, if needed) only
   * in the first reply, as RFC 4178 4.2.2 says.
   */
  private spnegoResponse(fields: NegTokenResp): Buffer {
    const mode = this.mode;
    const resp: NegTokenResp = { negState: NegState.ACCEPT_INCOMPLETE, ...fields };
    if (mode.form === 'spnego' && !mode.supportedMechSent) {
      resp.supportedMech = Oid.NTLMSSP;
      if (mode.micRequired && resp.negState === NegState.ACCEPT_INCOMPLETE) resp.negState = NegState.REQUEST_MIC;
      mode.supportedMechSent = true;
    }
    return encodeNegTokenResp(resp);
  }

  private fail(code: NegotiateRejectCode, reason: string, spnego: boolean): NegotiateStepResult {
    // A failed handshake is over: the next token must start a new one.
    this.restart();
    return spnego ? { kind: 'rejected', code, reason, token: Buffer.from(REJECT_TOKEN) } : { kind: 'rejected', code, reason };
  }
}
