/**
 * Authentication over real HTTP(S) as Windows does it: the 401 challenges per listener, Basic where
 * AllowUnencrypted/HTTPS allow it, Negotiate (raw NTLMSSP and SPNEGO) bound to the TCP connection,
 * NTLMv2 only, per-host rights and read-only users, channel binding over HTTPS.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NegotiateFlag } from '../../src/server/auth/ntlm/flags.js';
import { Oid, decodeSpnegoToken, encodeNegTokenInit, NegState } from '../../src/server/auth/spnego.js';
import { ntlmChannelBindingHash } from '../../src/server/tls/channel-binding.js';
import { connectionState } from '../../src/server/wsman-handler.js';
import {
  ADMIN, ENUMERATE, GET_ONE, INVOKE_ADD, NtlmHttpClient, READER, SOAP_UTF8, headerValues, type Answer, WMI_THING, oneConnection, request, startSecureHost, type SecureHost,
} from '../helpers/secure-host.js';
import { ACTION, IDENTIFY, basic, envelope } from '../helpers/wsman-client.js';
import { CLIENT_FLAGS, NTLMV1_RESPONSE, buildNegotiate } from '../unit/server/helpers/ntlm-client.js';

const PUT_LABEL = (label: string) => envelope({
  action: ACTION.put, resourceUri: WMI_THING, selectors: { Id: 'one' },
  body: `<p:T_Thing xmlns:p="${WMI_THING}"><p:Id>one</p:Id><p:Label>${label}</p:Label></p:T_Thing>`,
}).xml;

let locked: SecureHost; // Windows defaults: AllowUnencrypted false, HTTPS with certificate auth off
let open: SecureHost; // AllowUnencrypted true (the default world's setting)

beforeAll(async () => {
  locked = await startSecureHost({ https: true, name: 'HV1' });
  open = await startSecureHost({ allowUnencrypted: true, name: 'HV2' });
});
afterAll(async () => {
  await locked.close();
  await open.close();
});

const wwwAuth = (a: Answer) => headerValues(a, 'www-authenticate');

describe('the 401 challenge', () => {
  test('HTTP without AllowUnencrypted offers Negotiate only (Basic is unusable there), empty body, closes', async () => {
    const r = await request(locked.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false });
    expect(r.status).toBe(401);
    expect(wwwAuth(r)).toEqual(['Negotiate']);
    expect(r.body.length).toBe(0);
    expect(r.headers.connection).toBe('close');
    expect(r.headers.server).toBe('Microsoft-HTTPAPI/2.0');
  });
  test('HTTP with AllowUnencrypted offers Negotiate then Basic, as Windows lists them', async () => {
    const r = await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false });
    expect(wwwAuth(r)).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
  });
  test('HTTPS offers Negotiate and Basic', async () => {
    const r = await request(locked.httpsUrl!, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false, ca: locked.certs!.ca.certPem });
    expect(wwwAuth(r)).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
  });
  test('a listener with Negotiate off offers only Basic', async () => {
    const h = await startSecureHost({ allowUnencrypted: true, negotiate: false });
    try {
      const r = await request(h.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent: false });
      expect(wwwAuth(r)).toEqual(['Basic realm="WSMAN"']);
      const n = await request(h.httpUrl, '', { Authorization: `Negotiate ${buildNegotiate().toString('base64')}` }, { agent: false });
      expect(n.status).toBe(401);
      expect(n.headers.connection).toBe('close');
    } finally {
      await h.close();
    }
  });
  test('the scheme word NTLM is not accepted (Windows accepts only Negotiate)', async () => {
    const r = await request(open.httpUrl, '', { Authorization: `NTLM ${buildNegotiate().toString('base64')}` }, { agent: false });
    expect(r.status).toBe(401);
    expect(wwwAuth(r)).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
  });
  test('Kerberos and CredSSP schemes are not offered and get the bare 401', async () => {
    for (const scheme of ['Kerberos', 'CredSSP']) {
      const r = await request(open.httpUrl, '', { Authorization: `${scheme} AAAA` }, { agent: false });
      expect(r.status).toBe(401);
    }
  });
});

describe('Basic', () => {
  test('refused over HTTP when AllowUnencrypted is false, even with the right password', async () => {
    const r = await request(locked.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false });
    expect(r.status).toBe(401);
  });
  test('accepted over HTTP with AllowUnencrypted, and over HTTPS', async () => {
    expect((await request(open.httpUrl, GET_ONE(), { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false })).status).toBe(200);
    const r = await request(locked.httpsUrl!, GET_ONE(), { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false, ca: locked.certs!.ca.certPem });
    expect(r.status).toBe(200);
    expect(r.body.toString()).toContain('<p:Label>');
  });
  test('user name forms: user, DOMAIN\\user, user@domain', async () => {
    for (const u of ['administrator', 'HV2\\Administrator', 'Administrator@lab.local']) {
      const r = await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic(u) }, { agent: false });
      expect(r.status, u).toBe(200);
    }
  });
  test('wrong password, unknown user or garbage → 401, never 500', async () => {
    for (const authz of [basic('Administrator', 'nope'), basic('nobody', 'Passw0rd!'), 'Basic !!!not-base64', 'Basic', 'Basic ' + Buffer.from('nocolon').toString('base64')]) {
      const r = await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: authz }, { agent: false });
      expect(r.status, authz).toBe(401);
      expect(r.headers.connection).toBe('close');
    }
  });
  test('Basic is per request: a later request without Authorization is challenged again', async () => {
    const agent = oneConnection(open.httpUrl);
    try {
      expect((await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent })).status).toBe(200);
      expect((await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8 }, { agent })).status).toBe(401);
    } finally {
      agent.destroy();
    }
  });
});

describe('Negotiate with raw NTLMSSP (pywinrm, Go, npm)', () => {
  test('NEGOTIATE → 401 CHALLENGE on the same kept-alive connection → AUTHENTICATE → 200; later requests need no Authorization', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    try {
      const { challenge, final } = await c.authenticate();
      expect(challenge.status).toBe(401);
      expect(challenge.headers.connection).not.toBe('close');
      expect(wwwAuth(challenge)).toHaveLength(1);
      expect(wwwAuth(challenge)[0]).toMatch(/^Negotiate TlRMTVNTUAACAAAA/);
      expect(final.status).toBe(200);
      expect(final.body.length).toBe(0);
      expect(final.localPort).toBe(challenge.localPort);
      for (const xml of [IDENTIFY, GET_ONE(), ENUMERATE(), INVOKE_ADD()]) {
        const r = await c.sealed(xml);
        expect(r.status, xml.slice(0, 200)).toBe(200);
        expect(r.localPort).toBe(challenge.localPort);
      }
    } finally {
      c.close();
    }
  });
  test.each([
    ['plain user', { user: 'Administrator', domain: '' }],
    ['DOMAIN\\user in the user field', { user: 'HV2\\Administrator', domain: '' }],
    ['user@domain in the user field (requests-ntlm)', { user: 'administrator@lab.local', domain: '' }],
    ['a domain in the DomainName field (Go uses the target name)', { user: 'Administrator', domain: 'HV2' }],
  ])('%s', async (_, who) => {
    const c = new NtlmHttpClient(open.httpUrl, { ...who, password: ADMIN.password });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      expect((await c.sealed(GET_ONE())).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('the body may ride on the AUTHENTICATE (Go, npm, pywinrm without encryption)', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password, flags: CLIENT_FLAGS & ~(NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.KEY_EXCH) });
    try {
      const { final } = await c.authenticate(GET_ONE());
      expect(final.status).toBe(200);
      expect(final.body.toString()).toContain('<p:Label>First</p:Label>');
      expect(c.session).toBeUndefined();
      expect((await c.plain(INVOKE_ADD())).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('a wrong password → bare 401 that closes the connection, never 500', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: 'wrong' });
    try {
      const { final } = await c.authenticate(GET_ONE());
      expect(final.status).toBe(401);
      expect(final.headers.connection).toBe('close');
      expect(wwwAuth(final)).toEqual(['Negotiate', 'Basic realm="WSMAN"']);
    } finally {
      c.close();
    }
  });
  test('an unknown user → 401', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: 'mallory', password: ADMIN.password });
    try {
      expect((await c.authenticate()).final.status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('NTLMv1 and LM-only responses are refused', async () => {
    for (const o of [{ ntResponse: NTLMV1_RESPONSE }, { ntResponse: Buffer.alloc(0), lmResponse: Buffer.alloc(24, 7) }]) {
      const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password, ...o });
      try {
        expect((await c.authenticate()).final.status).toBe(401);
      } finally {
        c.close();
      }
    }
  });
  test('garbage tokens → 401, never 500', async () => {
    for (const token of ['!!!!', Buffer.from('NTLMSSP\0\x03\0\0\0short', 'latin1').toString('base64'), Buffer.alloc(300, 0x30).toString('base64'), '']) {
      const r = await request(open.httpUrl, '', { Authorization: `Negotiate ${token}` }, { agent: false });
      expect(r.status, token).toBe(401);
    }
  });
  test('the context belongs to its TCP connection: another connection is challenged', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password, flags: CLIENT_FLAGS & ~(NegotiateFlag.SIGN | NegotiateFlag.SEAL | NegotiateFlag.KEY_EXCH) });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      expect((await c.plain(GET_ONE())).status).toBe(200);
      const other = await request(open.httpUrl, GET_ONE(), { 'Content-Type': SOAP_UTF8 }, { agent: false });
      expect(other.status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('an AUTHENTICATE on a new connection (no CHALLENGE there) is refused', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    const negotiate = buildNegotiate();
    const agent1 = oneConnection(open.httpUrl);
    try {
      const ch = await request(open.httpUrl, '', { Authorization: `Negotiate ${negotiate.toString('base64')}` }, { agent: agent1 });
      const token = Buffer.from(wwwAuth(ch)[0].slice('Negotiate '.length), 'base64');
      const { buildAuthenticate } = await import('../unit/server/helpers/ntlm-client.js');
      const auth = buildAuthenticate({ negotiate, challenge: token, user: ADMIN.name, domain: '', password: ADMIN.password });
      const r = await request(open.httpUrl, '', { Authorization: `Negotiate ${auth.token.toString('base64')}` }, { agent: false });
      expect(r.status).toBe(401);
    } finally {
      agent1.destroy();
      c.close();
    }
  });
  test('a new NEGOTIATE on an authenticated connection starts over', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      const again = await request(open.httpUrl, '', { Authorization: `Negotiate ${buildNegotiate().toString('base64')}` }, { agent: c.agent });
      expect(again.status).toBe(401);
      // the old session is gone: a request without Authorization is challenged
      expect((await c.plain(GET_ONE())).status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('the connection state is dropped when the socket closes', () => {
    const socket = new net.Socket();
    const state = connectionState(socket);
    state.account = { name: 'x', password: 'y', readOnly: false };
    expect(connectionState(socket)).toBe(state);
    socket.emit('close', false);
    expect(state.account).toBeUndefined();
    expect(connectionState(socket)).not.toBe(state);
    socket.destroy();
  });
});

describe('Negotiate with SPNEGO (Windows, pypsrp)', () => {
  test('NegTokenInit → NegTokenResp(CHALLENGE) → accept-completed token on the 200', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: ADMIN.name, password: ADMIN.password, spnego: true });
    try {
      const { final } = await c.authenticate();
      expect(final.status).toBe(200);
      const t = decodeSpnegoToken(Buffer.from(wwwAuth(final)[0].slice('Negotiate '.length), 'base64'));
      expect(t.type === 'resp' && t.resp.negState).toBe(NegState.ACCEPT_COMPLETED);
      expect((await c.sealed(GET_ONE())).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('Kerberos only → 401', async () => {
    const token = encodeNegTokenInit({ mechTypes: [Oid.KERBEROS] });
    const r = await request(open.httpUrl, '', { Authorization: `Negotiate ${token.toString('base64')}` }, { agent: false });
    expect(r.status).toBe(401);
  });
});

describe('authorisation', () => {
  test('a read-only user reads but gets w:AccessDenied on Invoke and Put (sealed faults)', async () => {
    const c = new NtlmHttpClient(open.httpUrl, { user: READER.name, password: READER.password });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      expect((await c.sealed(GET_ONE())).status).toBe(200);
      for (const xml of [INVOKE_ADD(), PUT_LABEL('Changed')]) {
        const r = await c.sealed(xml);
        expect(r.status).toBe(500);
        expect(r.plain!.toString()).toContain('<s:Value>w:AccessDenied</s:Value>');
      }
      expect(open.things[0].props.Label).toBe('First');
    } finally {
      c.close();
    }
  });
  test('a user limited to other hosts → 401 with Basic and with Negotiate', async () => {
    const r = await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic('elsewhere', 'Elsewh3re!') }, { agent: false });
    expect(r.status).toBe(401);
    const c = new NtlmHttpClient(open.httpUrl, { user: 'elsewhere', password: 'Elsewh3re!' });
    try {
      expect((await c.authenticate()).final.status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('the request event names the user and never carries credentials', async () => {
    const before = open.events.length;
    await request(open.httpUrl, IDENTIFY, { 'Content-Type': SOAP_UTF8, Authorization: basic() }, { agent: false });
    const e = open.events.slice(before);
    expect(e.at(-1)?.user).toBe('Administrator');
    expect(JSON.stringify(e)).not.toContain(ADMIN.password);
    expect(JSON.stringify(e)).not.toContain(basic().slice(6));
  });
});

describe('Negotiate over HTTPS', () => {
  test('works without message encryption; plaintext is fine on HTTPS', async () => {
    const c = new NtlmHttpClient(locked.httpsUrl!, { user: ADMIN.name, password: ADMIN.password, ca: locked.certs!.ca.certPem });
    try {
      expect((await c.authenticate()).final.status).toBe(200);
      const r = await c.plain(GET_ONE());
      expect(r.status).toBe(200);
      expect(r.body.toString()).toContain('<p:Label>');
    } finally {
      c.close();
    }
  });
  test('channel binding (CbtHardeningLevel Relaxed): the right one and none are accepted, a wrong one is refused', async () => {
    const ca = locked.certs!.ca.certPem;
    const der = Buffer.from(locked.certs!.hosts.HV1.certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const cases: Array<[Buffer | undefined, number]> = [
      [ntlmChannelBindingHash(der), 200],
      [undefined, 200],
      [Buffer.alloc(16), 200],
      [Buffer.alloc(16, 0xab), 401],
    ];
    for (const [cbt, status] of cases) {
      const c = new NtlmHttpClient(locked.httpsUrl!, { user: ADMIN.name, password: ADMIN.password, ca, channelBindings: cbt });
      try {
        expect((await c.authenticate()).final.status, cbt?.toString('hex') ?? 'none').toBe(status);
      } finally {
        c.close();
      }
    }
  });
});
