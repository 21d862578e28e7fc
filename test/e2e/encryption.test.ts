/**
 * Message encryption over HTTP after Negotiate (MS-WSMV 2.2.9.1; wire notes §6.3): sealed requests
 * are verified before anything reads them, every answer (faults too) is sealed in pywinrm's exact
 * framing, a tampered or replayed message gets Windows' 400 and the connection is dropped, and
 * plaintext after Negotiate is refused unless AllowUnencrypted.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseEncryptedBody } from '../../src/server/encryption.js';
import {
  ADMIN, NtlmHttpClient, SOAP_UTF8, WMI_THING, request, startSecureHost, type SecureHost,
} from '../helpers/secure-host.js';
import { ACTION, NS, basic, envelope } from '../helpers/wsman-client.js';

const IDENTIFY = `<s:Envelope xmlns:s="${NS.s}" xmlns:wsmid="${NS.wsmid}"><s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>`;
const get = (id: string) => envelope({ action: ACTION.get, resourceUri: WMI_THING, selectors: { Id: id } });
const put = (label: string) => envelope({
  action: ACTION.put, resourceUri: WMI_THING, selectors: { Id: 'one' },
  body: `<p:T_Thing xmlns:p="${WMI_THING}"><p:Id>one</p:Id><p:Label>${label}</p:Label></p:T_Thing>`,
}).xml;
const ENUMERATE = envelope({
  action: ACTION.enumerate, resourceUri: WMI_THING,
  body: '<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements></n:Enumerate>',
}).xml;
const INVOKE = envelope({
  action: `${WMI_THING}/Add`, resourceUri: WMI_THING, selectors: { Id: 'two' },
  body: `<p:Add_INPUT xmlns:p="${WMI_THING}"><p:A>20</p:A><p:B>22</p:B></p:Add_INPUT>`,
}).xml;

const ENCRYPTED_CT = 'multipart/encrypted;protocol="application/HTTP-SPNEGO-session-encrypted";boundary="Encrypted Boundary"';

let locked: SecureHost; // AllowUnencrypted false
let open: SecureHost; // AllowUnencrypted true
beforeAll(async () => {
  locked = await startSecureHost({ name: 'HV1' });
  open = await startSecureHost({ name: 'HV2', allowUnencrypted: true });
});
afterAll(async () => {
  await locked.close();
  await open.close();
});

async function authenticated(h: SecureHost): Promise<NtlmHttpClient> {
  const c = new NtlmHttpClient(h.httpUrl, { user: ADMIN.name, password: ADMIN.password });
  const { final } = await c.authenticate();
  expect(final.status).toBe(200);
  return c;
}

/** Flip one byte of the sealed payload (after the 4-byte length and 16-byte signature). */
function flipSealedByte(framed: Buffer): Buffer {
  const marker = Buffer.from('\tContent-Type: application/octet-stream\r\n', 'latin1');
  const at = framed.indexOf(marker) + marker.length + 4 + 16 + 5;
  const out = Buffer.from(framed);
  out[at] ^= 0x01;
  return out;
}

describe('sealed exchanges (pywinrm message_encryption auto/always)', () => {
  test('Identify, Get, Enumerate and Invoke, each answer sealed in the exact framing pywinrm parses', async () => {
    const c = await authenticated(locked);
    try {
      for (const xml of [IDENTIFY, get('one').xml, ENUMERATE, INVOKE]) {
        const r = await c.sealed(xml);
        expect(r.status).toBe(200);
        expect(r.headers['content-type']).toBe(ENCRYPTED_CT);
        const head = r.body.subarray(0, 400).toString('latin1');
        expect(head).toMatch(/^--Encrypted Boundary\r\n\tContent-Type: application\/HTTP-SPNEGO-session-encrypted\r\n\tOriginalContent: type=application\/soap\+xml;charset=UTF-8;Length=\d+\r\n--Encrypted Boundary\r\n\tContent-Type: application\/octet-stream\r\n/);
        expect(r.body.subarray(-24).toString('latin1')).toBe('--Encrypted Boundary--\r\n');
        const [part] = parseEncryptedBody(r.body, ENCRYPTED_CT);
        expect(part.length).toBe(r.plain!.length);
        expect(part.signature.readUInt32LE(0)).toBe(1);
        expect(r.plain!.toString()).toContain('<s:Envelope');
      }
      const add = await c.sealed(INVOKE);
      expect(add.plain!.toString()).toContain('<p:Sum>42</p:Sum>');
    } finally {
      c.close();
    }
  });
  test('faults are sealed too', async () => {
    const c = await authenticated(locked);
    try {
      const { xml, messageId } = get('missing');
      const r = await c.sealed(xml);
      expect(r.status).toBe(500);
      expect(r.headers['content-type']).toBe(ENCRYPTED_CT);
      expect(r.plain!.toString()).toContain('<s:Fault>');
      expect(r.plain!.toString()).toContain(`<a:RelatesTo>${messageId}</a:RelatesTo>`);
      expect((await c.sealed(get('one').xml)).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('a UTF-16 request is answered sealed in UTF-16', async () => {
    const c = await authenticated(locked);
    try {
      const bytes = Buffer.from('\ufeff' + get('one').xml, 'utf16le');
      const r = await c.sealed(bytes, { charset: 'UTF-16' });
      expect(r.status).toBe(200);
      expect(r.body.toString('latin1')).toContain('OriginalContent: type=application/soap+xml;charset=UTF-16;Length=');
      expect([...r.plain!.subarray(0, 2)]).toEqual([0xff, 0xfe]);
      expect(r.plain!.subarray(2).toString('utf16le')).toContain('<p:Label>First</p:Label>');
    } finally {
      c.close();
    }
  });
  test('a sealed body may ride on the AUTHENTICATE itself (MS-WSMV 4.5 example)', async () => {
    const c = new NtlmHttpClient(locked.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    try {
      const { final } = await c.authenticate(get('one').xml, {}, { sealBody: true });
      expect(final.status).toBe(200);
      expect(final.plain!.toString()).toContain('<p:Label>First</p:Label>');
      expect((await c.sealed(get('two').xml)).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('many messages in a row: both sequence numbers and RC4 streams stay in step', async () => {
    const c = await authenticated(locked);
    try {
      for (let i = 0; i < 25; i++) expect((await c.sealed(get(i % 2 ? 'one' : 'two').xml)).status).toBe(200);
      expect(c.session!.sequenceNumbers).toEqual({ outbound: 25, inbound: 25 });
    } finally {
      c.close();
    }
  });
});

describe('tampering and missing contexts', () => {
  test('one corrupted byte of a sealed request → 400, connection dropped, nothing processed', async () => {
    const c = await authenticated(locked);
    try {
      const r = await c.sealed(put('Tampered'), { tamper: flipSealedByte });
      expect(r.status).toBe(400);
      expect(r.body.length).toBe(0);
      expect(r.headers.connection).toBe('close');
      expect(r.headers['content-type']).toBeUndefined();
      expect(locked.things[0].props.Label).toBe('First');
      expect(locked.events.at(-1)).toMatchObject({ status: 400, sealed: true, faultKind: 'CannotDecrypt' });
      // the context is gone with the connection: a new connection must authenticate again
      const again = await request(locked.httpUrl, get('one').xml, { 'Content-Type': SOAP_UTF8 }, { agent: false });
      expect(again.status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('a corrupted signature → 400', async () => {
    const c = await authenticated(locked);
    try {
      const r = await c.sealed(get('one').xml, {
        tamper: (framed) => {
          const marker = Buffer.from('\tContent-Type: application/octet-stream\r\n', 'latin1');
          const out = Buffer.from(framed);
          out[out.indexOf(marker) + marker.length + 4 + 6] ^= 0x80;
          return out;
        },
      });
      expect(r.status).toBe(400);
      expect(r.headers.connection).toBe('close');
    } finally {
      c.close();
    }
  });
  test('a replayed message (old sequence number) → 400', async () => {
    const c = await authenticated(locked);
    try {
      let first: Buffer | undefined;
      expect((await c.sealed(get('one').xml, { tamper: (f) => (first = f) })).status).toBe(200);
      const r = await c.sealed(get('one').xml, { tamper: () => first! });
      expect(r.status).toBe(400);
    } finally {
      c.close();
    }
  });
  test('an OriginalContent Length that does not match → 400', async () => {
    const c = await authenticated(locked);
    try {
      const r = await c.sealed(get('one').xml, { tamper: (f) => Buffer.from(f.toString('latin1').replace(/Length=(\d+)/, (_, n: string) => `Length=${Number(n) + 1}`), 'latin1') });
      expect(r.status).toBe(400);
    } finally {
      c.close();
    }
  });
  test('a sealed body on a connection that never authenticated → 401', async () => {
    const c = await authenticated(locked);
    try {
      const enc = await import('../../src/server/encryption.js');
      const { body, contentType } = enc.encryptBody(Buffer.from(get('one').xml), c.session!);
      const r = await request(locked.httpUrl, body, { 'Content-Type': contentType }, { agent: false });
      expect(r.status).toBe(401);
      expect(r.headers.connection).toBe('close');
    } finally {
      c.close();
    }
  });
  test('a sealed body with Basic (no security context to decrypt with) → 401', async () => {
    const c = await authenticated(open);
    try {
      const enc = await import('../../src/server/encryption.js');
      const { body, contentType } = enc.encryptBody(Buffer.from(get('one').xml), c.session!);
      const r = await request(open.httpUrl, body, { 'Content-Type': contentType, Authorization: basic() }, { agent: false });
      expect(r.status).toBe(401);
    } finally {
      c.close();
    }
  });
  test('a protocol other than HTTP-SPNEGO-session-encrypted → 400', async () => {
    const c = await authenticated(locked);
    try {
      const enc = await import('../../src/server/encryption.js');
      const { body } = enc.encryptBody(Buffer.from(get('one').xml), c.session!, { protocol: enc.KERBEROS_SESSION_ENCRYPTED });
      const r = await c.plain(body, enc.encryptedContentType(enc.KERBEROS_SESSION_ENCRYPTED, false));
      expect(r.status).toBe(400);
    } finally {
      c.close();
    }
  });
});

describe('AllowUnencrypted', () => {
  test('false: plaintext SOAP after Negotiate on HTTP → 500 w:AccessDenied, nothing processed; sealed still works', async () => {
    const c = await authenticated(locked);
    try {
      const r = await c.plain(put('Plaintext'));
      expect(r.status).toBe(500);
      expect(r.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
      expect(r.body.toString()).toContain('<s:Value>w:AccessDenied</s:Value>');
      expect(locked.things[0].props.Label).toBe('First');
      expect((await c.sealed(get('one').xml)).status).toBe(200);
    } finally {
      c.close();
    }
  });
  test('false: plaintext on the AUTHENTICATE itself is refused the same way', async () => {
    const c = new NtlmHttpClient(locked.httpUrl, { user: ADMIN.name, password: ADMIN.password });
    try {
      const { final } = await c.authenticate(put('OnType3'));
      expect(final.status).toBe(500);
      expect(locked.things[0].props.Label).toBe('First');
    } finally {
      c.close();
    }
  });
  test('true: plaintext after Negotiate is served (Go masterzen, npm winrm-client, pywinrm never)', async () => {
    const c = await authenticated(open);
    try {
      const r = await c.plain(get('one').xml);
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/soap+xml;charset=UTF-8');
      expect(r.body.toString()).toContain('<p:Label>First</p:Label>');
      // and sealed requests keep working on the same connection
      expect((await c.sealed(get('two').xml)).status).toBe(200);
    } finally {
      c.close();
    }
  });
});
