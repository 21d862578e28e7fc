/**
 * HTTP `Negotiate` with NTLM inside, bound to the TCP connection (MS-WSMV 2.2.9.1.1; wire notes §6.2).
 *
 * One NegotiateAcceptor per connection, kept in its ConnectionState: a NEGOTIATE gets a 401 with the
 * CHALLENGE (the connection stays open), the AUTHENTICATE is verified (NTLMv2 only) and, if good,
 * the account and — when SEAL was negotiated — the NTLM session are bound to the connection, so
 * later requests come without `Authorization` and may be sealed. A new connection starts over.
 *
 * Over HTTPS the channel binding is checked as Windows does with CbtHardeningLevel=Relaxed (its
 * default): a client that sends MsvAvChannelBindings must send the right one; a client that sends
 * none (or zeros) is accepted.
 */
import type { TLSSocket } from 'node:tls';
import { ntlmChannelBindingHash } from '../tls/channel-binding.js';
import type { AuthContext, AuthOutcome, AuthScheme } from '../wsman-handler.js';
import { constantTimeEqual } from './ntlm/crypto.js';
import { NegotiateAcceptor } from './ntlm/negotiate.js';

export interface NegotiateSchemeOptions {
  /** NetBIOS computer name (TargetName of the CHALLENGE), e.g. "HV1" */
  readonly targetName: string;
  /** DNS computer name, e.g. "hv1.lab.local" (default: targetName) */
  readonly dnsComputer?: string;
  /** channel binding policy on HTTPS: 'relaxed' (Windows default) or 'none' (ignore) */
  readonly channelBinding?: 'relaxed' | 'none';
  /** clock for the CHALLENGE timestamp (default Date.now) */
  readonly now?: () => number;
}

const ZERO_CBT = Buffer.alloc(16);

export class NegotiateScheme implements AuthScheme {
  readonly name = 'negotiate';
  readonly challenge = 'Negotiate';

  constructor(private readonly opts: NegotiateSchemeOptions) {}

  handle(ctx: AuthContext, token: string): AuthOutcome {
    const raw = Buffer.from(token.trim(), 'base64');
    if (raw.length === 0) return { kind: 'fail' };
    const conn = ctx.conn;
    conn.acceptor ??= new NegotiateAcceptor({
      targetName: this.opts.targetName,
      dnsComputer: this.opts.dnsComputer,
      now: this.opts.now,
    });
    const r = conn.acceptor.step(raw, ctx.users.ntlmLookup());
    if (r.kind === 'continue') return { kind: 'continue', header: `Negotiate ${r.token.toString('base64')}` };
    if (r.kind === 'rejected') return { kind: 'fail' };

    const account = ctx.users.byCanonicalName(r.user);
    if (!account) return { kind: 'fail' };
    if (ctx.security.scheme === 'https' && (this.opts.channelBinding ?? 'relaxed') === 'relaxed' && r.channelBindings) {
      if (!constantTimeEqual(r.channelBindings, ZERO_CBT) && !bindingMatches(ctx, r.channelBindings)) return { kind: 'fail' };
    }
    const sealer = r.session?.confidentiality ? r.session : undefined;
    return {
      kind: 'ok',
      account,
      bind: { sealer },
      header: r.token ? `Negotiate ${r.token.toString('base64')}` : undefined,
    };
  }
}

function bindingMatches(ctx: AuthContext, cbt: Buffer): boolean {
  const socket = ctx.req.socket as Partial<TLSSocket>;
  const own = (typeof socket.getCertificate === 'function' ? socket.getCertificate() : null) as { raw?: Buffer } | null;
  if (!own?.raw) return false;
  return constantTimeEqual(ntlmChannelBindingHash(own.raw), cbt);
}
