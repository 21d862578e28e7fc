/**
 * The NTLM client for tests is the product's (src/server/auth/ntlm/client.ts), whose options reach
 * every branch of the server; here only the tests' fixed workstation name (asserted on) and an
 * NTLMv1-shaped response.
 */
import {
  type AuthenticateOptions,
  type AuthenticateResult,
  buildAuthenticate as buildClientAuthenticate,
} from '../../../../src/server/auth/ntlm/client.js';

export { type AuthenticateOptions, type AuthenticateResult, CLIENT_FLAGS, buildNegotiate } from '../../../../src/server/auth/ntlm/client.js';

/** The product client, with the workstation the tests expect the server to report. */
export function buildAuthenticate(o: AuthenticateOptions): AuthenticateResult {
  return buildClientAuthenticate({ ...o, workstation: o.workstation ?? 'TESTCLIENT' });
}

/** A 24-byte NTLMv1-shaped response (content irrelevant: the server refuses the length). */
export const NTLMV1_RESPONSE = Buffer.alloc(24, 0x11);
