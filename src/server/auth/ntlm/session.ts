/**
 * NTLM session security with extended session security (MS-NLMP 3.4): signing, sealing,
 * verification and unsealing of messages after authentication.
 *
 * Each direction has its own sign key, seal key, RC4 handle and 32-bit sequence number (from 0, +1
 * per message). The RC4 handles run for the life of the connection: every sealed message and every
 * RC4-encrypted checksum continues the same keystream. `role` decides which keys are outbound: a
 * server seals with the server-to-client keys and unseals with the client-to-server keys.
 *
 * Failure policy: a message whose signature or sequence number does not verify throws
 * `NtlmSessionError` and breaks the inbound direction for good. The RC4 stream has already moved
 * past the bad message and the peer's stream has moved by however many bytes it sent, so no later
 * message could be trusted to line up; every further unseal/verify throws 'session-broken' and the
 * caller should drop the connection. The outbound direction keeps working (e.g. to seal a fault).
 *
 * Only extended session security is implemented (every client this emulator serves negotiates it);
 * the NTLMv1-era CRC32 signatures of MS-NLMP 3.4.4.1 are out of scope and refused at construction.
 */
import type { MessageSealer, SealedPayload } from '../../encryption.js';
import { HmacMd5Key, Rc4, constantTimeEqual } from './crypto.js';
import { NegotiateFlag, hasFlag } from './flags.js';
import { type Direction, sealKey, signKey } from './keys.js';

export type NtlmRole = 'server' | 'client';

export type NtlmSessionErrorCode =
  | 'bad-signature'
  | 'bad-sequence'
  | 'bad-signature-length'
  | 'not-negotiated'
  | 'unsupported'
  | 'session-broken'
  | 'sequence-exhausted';

export class NtlmSessionError extends Error {
  override readonly name = 'NtlmSessionError';
  constructor(readonly code: NtlmSessionErrorCode, message: string) {
    super(message);
  }
}

export const NTLM_SIGNATURE_LENGTH = 16;
const SIGNATURE_VERSION = 1;
const MAX_SEQ = 0xffffffff;

interface DirectionState {
  signKey: HmacMd5Key;
  handle: Rc4;
  seq: number;
}

export interface NtlmSessionOptions {
  /** The negotiated flags (what both sides derived their keys from). */
  flags: number;
  exportedSessionKey: Buffer;
  role: NtlmRole;
}

export class NtlmSession implements MessageSealer {
  readonly flags: number;
  readonly role: NtlmRole;
  private readonly out: DirectionState;
  private readonly in: DirectionState;
  private inboundBroken = false;

  constructor(opts: NtlmSessionOptions) {
    const { flags, exportedSessionKey, role } = opts;
    if (!hasFlag(flags, NegotiateFlag.EXTENDED_SESSIONSECURITY)) {
      throw new NtlmSessionError('unsupported', 'NTLM session security without EXTENDED_SESSIONSECURITY is not supported');
    }
    if (exportedSessionKey.length !== 16) {
      throw new NtlmSessionError('unsupported', `exported session key must be 16 bytes, got ${exportedSessionKey.length}`);
    }
    this.flags = flags >>> 0;
    this.role = role;
    const outbound: Direction = role === 'server' ? 'server-to-client' : 'client-to-server';
    const inbound: Direction = role === 'server' ? 'client-to-server' : 'server-to-client';
    this.out = { signKey: new HmacMd5Key(signKey(exportedSessionKey, outbound)), handle: new Rc4(sealKey(flags, exportedSessionKey, outbound)), seq: 0 };
    this.in = { signKey: new HmacMd5Key(signKey(exportedSessionKey, inbound)), handle: new Rc4(sealKey(flags, exportedSessionKey, inbound)), seq: 0 };
  }

  /** Sealing was negotiated (NEGOTIATE_SEAL). Sealing implies signing (MS-NLMP 3.4.3). */
  get confidentiality(): boolean {
    return hasFlag(this.flags, NegotiateFlag.SEAL);
  }

  /** Signing is available (NEGOTIATE_SIGN, or implied by NEGOTIATE_SEAL). */
  get integrity(): boolean {
    return hasFlag(this.flags, NegotiateFlag.SIGN) || this.confidentiality;
  }

  /** Next outbound / expected inbound sequence numbers (for diagnostics and tests). */
  get sequenceNumbers(): { outbound: number; inbound: number } {
    return { outbound: this.out.seq, inbound: this.in.seq };
  }

  /** Every signature is 16 bytes (MS-NLMP 2.2.2.9.1); lets the framing lay out a sealed message before sealing it. */
  get signatureLength(): number {
    return NTLM_SIGNATURE_LENGTH;
  }

  /** GSS_Wrap with confidentiality: RC4 the message, then sign it with the same RC4 handle. */
  seal(plain: Buffer): SealedPayload {
    if (!this.confidentiality) throw new NtlmSessionError('not-negotiated', 'sealing was not negotiated');
    const sealed = this.out.handle.update(plain);
    return { sealed, signature: this.mac(this.out, plain) };
  }

  /** `seal`, with the sealed bytes written into `target` at `offset` (no intermediate copy); returns the signature. */
  sealInto(plain: Uint8Array, target: Uint8Array, offset: number): Buffer {
    if (!this.confidentiality) throw new NtlmSessionError('not-negotiated', 'sealing was not negotiated');
    this.out.handle.updateInto(plain, target, offset);
    return this.mac(this.out, plain);
  }

  /** GSS_Unwrap: decrypts, then checks the signature against the plaintext and the expected sequence number. */
  unseal(sealed: Buffer, signature: Buffer): Buffer {
    this.checkInbound(signature);
    if (!this.confidentiality) throw new NtlmSessionError('not-negotiated', 'sealing was not negotiated');
    const plain = this.in.handle.update(sealed);
    this.checkSignature(plain, signature);
    return plain;
  }

  /** GSS_GetMIC: a signature for a message sent in clear. */
  sign(message: Buffer): Buffer {
    if (!this.integrity) throw new NtlmSessionError('not-negotiated', 'signing was not negotiated');
    return this.mac(this.out, message);
  }

  /** GSS_VerifyMIC for an inbound message; throws NtlmSessionError if it does not verify. */
  verify(message: Buffer, signature: Buffer): void {
    this.checkInbound(signature);
    if (!this.integrity) throw new NtlmSessionError('not-negotiated', 'signing was not negotiated');
    this.checkSignature(message, signature);
  }

  /**
   * Restart the outbound RC4 stream from its key (sequence numbers are kept). SPNEGO needs this after
   * the mechListMIC, so that the first application message starts a fresh stream (MS-SPNG; pyspnego
   * does the same).
   */
  resetOutboundCipher(): void {
    this.out.handle.reset();
  }

  resetInboundCipher(): void {
    this.in.handle.reset();
  }

  private checkInbound(signature: Buffer): void {
    if (this.inboundBroken) {
      throw new NtlmSessionError('session-broken', 'an earlier message failed verification; the session cannot continue');
    }
    if (signature.length !== NTLM_SIGNATURE_LENGTH) {
      this.inboundBroken = true;
      throw new NtlmSessionError('bad-signature-length', `signature of ${signature.length} bytes, expected ${NTLM_SIGNATURE_LENGTH}`);
    }
  }

  private checkSignature(message: Buffer, signature: Buffer): void {
    const expectedSeq = this.in.seq;
    const expected = this.mac(this.in, message);
    if (!constantTimeEqual(expected, signature)) {
      this.inboundBroken = true;
      const seq = signature.readUInt32LE(12);
      if (seq !== expectedSeq) {
        throw new NtlmSessionError('bad-sequence', `sequence number ${seq}, expected ${expectedSeq}`);
      }
      throw new NtlmSessionError('bad-signature', `message signature does not verify (sequence ${expectedSeq})`);
    }
  }

  /**
   * MAC with extended session security (MS-NLMP 3.4.4.2): Version 1 ‖ checksum ‖ SeqNum, checksum =
   * HMAC_MD5(SignKey, SeqNum ‖ message)[0..7], RC4-encrypted with the direction's handle when
   * KEY_EXCH was negotiated. Advances the direction's sequence number.
   */
  private mac(dir: DirectionState, message: Uint8Array): Buffer {
    if (dir.seq > MAX_SEQ) throw new NtlmSessionError('sequence-exhausted', 'NTLM sequence number space exhausted');
    // built in the signature's own buffer: SeqNum at 12..15 is also the HMAC's first input
    const sig = Buffer.allocUnsafe(NTLM_SIGNATURE_LENGTH);
    sig.writeUInt32LE(SIGNATURE_VERSION, 0);
    sig.writeUInt32LE(dir.seq, 12);
    const checksum = dir.signKey.digest(sig.subarray(12, 16), message);
    if (hasFlag(this.flags, NegotiateFlag.KEY_EXCH)) dir.handle.updateInto(checksum.subarray(0, 8), sig, 4);
    else checksum.copy(sig, 4, 0, 8);
    dir.seq += 1;
    return sig;
  }
}
