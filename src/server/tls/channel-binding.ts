/**
 * TLS channel bindings for Negotiate over HTTPS (Extended Protection; WinRM's CbtHardeningLevel).
 *
 * The binding is `tls-server-end-point` (RFC 5929 §4.1): the hash of the server's certificate, with
 * the certificate's own signature hash, except that MD5 and SHA-1 become SHA-256. An NTLM client
 * puts MD5(gss_channel_bindings_struct) into the AUTHENTICATE's MsvAvChannelBindings (MS-NLMP
 * 2.2.2.1); the struct is four zero uint32s for the unused address fields, then the application
 * data length (uint32 LE) and `tls-server-end-point:` ‖ hash.
 */
import { createHash } from 'node:crypto';
import { signatureAlgorithmOid } from './der.js';

/** Signature algorithm OID → hash used for tls-server-end-point. */
const HASH_BY_SIGNATURE_OID: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption → SHA-256 (RFC 5929)
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption → SHA-256
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1 → SHA-256
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

/** The signatureAlgorithm OID of a DER certificate (the outer one, after tbsCertificate). */
export function certificateSignatureOid(der: Buffer): string {
  return signatureAlgorithmOid(der);
}

/** RFC 5929 tls-server-end-point value for a DER server certificate. */
export function tlsServerEndPoint(der: Buffer): Buffer {
  const hash = HASH_BY_SIGNATURE_OID[certificateSignatureOid(der)] ?? 'sha256';
  return createHash(hash).update(der).digest();
}

/** MD5 of the gss_channel_bindings_struct for tls-server-end-point (what NTLM carries). */
export function ntlmChannelBindingHash(serverCertDer: Buffer): Buffer {
  const appData = Buffer.concat([Buffer.from('tls-server-end-point:', 'latin1'), tlsServerEndPoint(serverCertDer)]);
  const header = Buffer.alloc(20);
  header.writeUInt32LE(appData.length, 16);
  return createHash('md5').update(header).update(appData).digest();
}
