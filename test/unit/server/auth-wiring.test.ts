/**
 * Units of the security wiring: certificate mappings and the NTLM lookup of the UserStore, the
 * scheme selection per listener, the tls-server-end-point channel binding, and the connection guard.
 */
import { createHash, generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import forge from 'node-forge';
import { afterEach, describe, expect, it } from 'vitest';
import { CertificateScheme } from '../../../src/server/auth/certificate-scheme.js';
import { NegotiateScheme } from '../../../src/server/auth/negotiate-scheme.js';
import { createAuthSchemes } from '../../../src/server/auth/schemes.js';
import { ConnectionGuard } from '../../../src/server/connection-limits.js';
import { certificateSignatureOid, ntlmChannelBindingHash, tlsServerEndPoint } from '../../../src/server/tls/channel-binding.js';
import { UserStore, normaliseThumbprint, type UserAccount } from '../../../src/server/users.js';
import type { ListenerSecurity } from '../../../src/server/wsman-handler.js';

const THUMB = 'A1B2C3D4E5F60718293A4B5C6D7E8F9012345678';

describe('UserStore', () => {
  const accounts: UserAccount[] = [
    { name: 'Administrator', password: 'p1', readOnly: false, certificates: [{ issuer: 'a1 b2 c3 d4 e5 f6 07 18 29 3a 4b 5c 6d 7e 8f 90 12 34 56 78', subject: 'admin-cert' }] },
    { name: 'operator', password: 'p2', readOnly: true, certificates: [{ upn: 'Operator@Lab.Local' }] },
    { name: 'any', password: 'p3', readOnly: true, certificates: [{ issuer: THUMB, subject: '*' }, {}] },
  ];
  const store = new UserStore(accounts);

  it('maps certificates: issuer thumbprint in any notation AND subject CN, case-insensitively', () => {
    expect(store.findByCertificate({ issuerThumbprint: THUMB.toLowerCase(), commonName: 'ADMIN-CERT' })?.name).toBe('Administrator');
    expect(store.findByCertificate({ issuerThumbprint: THUMB.match(/../g)!.join(':'), commonName: 'admin-cert' })?.name).toBe('Administrator');
  });
  it('subject * matches any certificate of that issuer; nothing from another issuer', () => {
    expect(store.findByCertificate({ issuerThumbprint: THUMB, commonName: 'someone' })?.name).toBe('any');
    expect(store.findByCertificate({ issuerThumbprint: '00'.repeat(20), commonName: 'someone' })).toBeUndefined();
    expect(store.findByCertificate({ commonName: 'admin-cert' })).toBeUndefined();
  });
  it('maps by UPN; an empty mapping matches nothing', () => {
    expect(store.findByCertificate({ upn: 'operator@lab.local' })?.name).toBe('operator');
    expect(store.findByCertificate({})).toBeUndefined();
  });
  it('the NTLM lookup ignores the domain and reports the canonical account name', () => {
    const lookup = store.ntlmLookup();
    expect(lookup('ADMINISTRATOR', 'WHATEVER')).toEqual({ password: 'p1', canonicalUser: 'Administrator' });
    expect(lookup('nobody', '')).toBeUndefined();
    expect(store.byCanonicalName('administrator')?.name).toBe('Administrator');
  });
  it('Basic verification: right, wrong, unknown', () => {
    expect(store.verify('LAB\\administrator', 'p1')?.name).toBe('Administrator');
    expect(store.verify('administrator@lab', 'p2')).toBeUndefined();
    expect(store.verify('ghost', 'p1')).toBeUndefined();
  });
  it('normalises thumbprints as Windows shows them', () => {
    expect(normaliseThumbprint('a1:b2 c3')).toBe('A1B2C3');
  });
});

describe('createAuthSchemes', () => {
  const sec = (o: Partial<ListenerSecurity>): ListenerSecurity => ({ scheme: 'http', allowUnencrypted: false, basic: true, negotiate: true, certificate: true, ...o });
  it('Negotiate where enabled; client certificates only on HTTPS and only where enabled', () => {
    const kinds = (s: ListenerSecurity) => createAuthSchemes({ security: s, targetName: 'HV1' }).map((x) => x.constructor.name);
    expect(kinds(sec({}))).toEqual([NegotiateScheme.name]);
    expect(kinds(sec({ scheme: 'https' }))).toEqual([NegotiateScheme.name, CertificateScheme.name]);
    expect(kinds(sec({ scheme: 'https', certificate: false, negotiate: false }))).toEqual([]);
  });
  it('Negotiate advertises itself; the certificate scheme does not, and is named by the mutual URI', () => {
    const [neg, cert] = createAuthSchemes({ security: sec({ scheme: 'https' }), targetName: 'HV1' });
    expect(neg.challenge).toBe('Negotiate');
    expect(cert.challenge).toBeUndefined();
    expect(cert.name).toBe('http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual');
  });
});

describe('tls-server-end-point channel binding (RFC 5929)', () => {
  function selfSigned(md: 'sha1' | 'sha256' | 'sha384'): Buffer {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const cert = forge.pki.createCertificate();
    cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
    cert.serialNumber = '01';
    cert.validity.notBefore = new Date();
    cert.validity.notAfter = new Date(Date.now() + 86_400_000);
    cert.setSubject([{ shortName: 'CN', value: 'x' }]);
    cert.setIssuer([{ shortName: 'CN', value: 'x' }]);
    cert.sign(forge.pki.privateKeyFromPem(privateKey), forge.md[md].create());
    return Buffer.from(forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes(), 'binary');
  }
  it('hashes with the signature hash, and SHA-1 becomes SHA-256', () => {
    const s384 = selfSigned('sha384');
    expect(certificateSignatureOid(s384)).toBe('1.2.840.113549.1.1.12');
    expect(tlsServerEndPoint(s384)).toEqual(createHash('sha384').update(s384).digest());
    const s1 = selfSigned('sha1');
    expect(tlsServerEndPoint(s1)).toEqual(createHash('sha256').update(s1).digest());
  });
  it('NTLM carries MD5 of the gss_channel_bindings_struct', () => {
    const der = selfSigned('sha256');
    const app = Buffer.concat([Buffer.from('tls-server-end-point:'), createHash('sha256').update(der).digest()]);
    const struct = Buffer.concat([Buffer.alloc(16), Buffer.from([app.length, 0, 0, 0]), app]);
    expect(ntlmChannelBindingHash(der)).toEqual(createHash('md5').update(struct).digest());
  });
});

describe('ConnectionGuard', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => {
    while (cleanup.length) cleanup.pop()!();
  });

  async function serverWithGuard(opts: ConstructorParameters<typeof ConnectionGuard>[0]) {
    const server = net.createServer();
    const guard = new ConnectionGuard(opts);
    guard.attach(server);
    const accepted: net.Socket[] = [];
    server.on('connection', (s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const clients: net.Socket[] = [];
    cleanup.push(() => {
      guard.close();
      for (const c of clients) c.destroy();
      server.close();
    });
    const connect = async () => {
      const c = net.connect(port, '127.0.0.1');
      c.on('error', () => undefined);
      clients.push(c);
      await new Promise<void>((r) => c.once('connect', () => r()));
      // wait until the server has seen it
      while (accepted.length < clients.length) await new Promise((r) => setImmediate(r));
      return c;
    };
    return { server, guard, accepted, connect };
  }

  it('evicts the oldest pending connection beyond the cap, preferring idle ones', async () => {
    const { server, guard, accepted, connect } = await serverWithGuard({ maxPending: 3 });
    await connect();
    await connect();
    await connect();
    // the first connection has a request in progress
    const res = new EventEmitter();
    server.emit('request', { socket: accepted[0] }, res);
    await connect();
    expect(guard.stats).toMatchObject({ pending: 3, evicted: 1 });
    expect(accepted[0].destroyed).toBe(false);
    expect(accepted[1].destroyed).toBe(true);
    res.emit('finish');
    await connect();
    expect(accepted[0].destroyed).toBe(true);
  });
  it('authenticated connections are no longer counted or timed', async () => {
    const { guard, accepted, connect } = await serverWithGuard({ maxPending: 2, authenticationTimeoutMs: 50 });
    await connect();
    guard.markAuthenticated(accepted[0]);
    expect(guard.stats.pending).toBe(0);
    const c2 = await connect();
    await new Promise<void>((r) => c2.once('close', () => r()));
    expect(accepted[0].destroyed).toBe(false);
    expect(guard.stats.timedOut).toBe(1);
  });
});
