/**
 * Client certificate authentication on HTTPS (wsman:secprofile/https/mutual; MS-WSMV 2.2.4.3,
 * 3.1.4.1.29.2; wire notes §6.2).
 *
 * The TLS listener asks every client for a certificate (without refusing the handshake when none
 * comes); a request that carries `Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual`
 * (no token: pywinrm `transport='certificate'`, the WinRM client with -CertificateThumbprint) is
 * authenticated by mapping the presented certificate through the world's `users[].certificates`
 * (Windows' certmapping table: issuer thumbprint, subject, UPN) to an account.
 *
 * Answers (where Windows evidence is thin the choice is documented):
 *  - no certificate, or one that maps to no account → 401 (pywinrm reports "the specified
 *    credentials were rejected by the server" for an unmapped certificate: diyan/pywinrm#311);
 *  - a certificate that does not chain to a trusted CA, is expired or not yet valid, or is not
 *    meant for client authentication (EKU without clientAuth) → 403. This follows HTTP.sys/IIS,
 *    whose client-certificate failures are 403 substatuses (403.16 untrusted, 403.17 expired);
 *    no WinRM capture of this case exists.
 * The 401 challenge does not advertise this scheme: Windows' recorded 401s list only the HTTP auth
 * schemes (Negotiate, Basic, Kerberos, CredSSP), and clients send the mutual URI unprompted.
 */
import { X509Certificate, createHash } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { EKU_CLIENT_AUTH, describeCertificate } from '../tls/certs.js';
import type { AuthContext, AuthOutcome, AuthScheme } from '../wsman-handler.js';

export const MUTUAL_AUTH_URI = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual';

export class CertificateScheme implements AuthScheme {
  /** the whole Authorization value is the scheme (there is no token) */
  readonly name = MUTUAL_AUTH_URI.toLowerCase();
  readonly challenge = undefined;

  handle(ctx: AuthContext): AuthOutcome {
    const socket = ctx.req.socket as Partial<TLSSocket>;
    if (ctx.security.scheme !== 'https' || typeof socket.getPeerCertificate !== 'function') return { kind: 'fail' };
    const peer = socket.getPeerCertificate(true) as DetailedPeerCertificate | null;
    if (!peer || !peer.raw || peer.raw.length === 0) return { kind: 'fail' };
    if (!socket.authorized) return { kind: 'fail', status: 403 };

    let info;
    try {
      info = describeCertificate(new X509Certificate(peer.raw));
    } catch {
      return { kind: 'fail', status: 403 };
    }
    if (info.extendedKeyUsage.length > 0 && !info.extendedKeyUsage.includes(EKU_CLIENT_AUTH)) return { kind: 'fail', status: 403 };

    const issuer = peer.issuerCertificate;
    const issuerThumbprint = issuer && issuer.raw && !issuer.raw.equals(peer.raw)
      ? createHash('sha1').update(issuer.raw).digest('hex').toUpperCase()
      : undefined;
    const account = ctx.users.findByCertificate({ issuerThumbprint, commonName: info.commonName, upn: info.upn });
    return account ? { kind: 'ok', account } : { kind: 'fail' };
  }
}
