/** Real client traffic recorded in ../shared/captures/clients, extracted by test/fixtures/ntlm/extract_captures.py. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

export interface SealedCapture {
  name: string;
  contentType: string;
  body: Buffer;
  plaintext: Buffer;
}

export interface NtlmCapture {
  file: string;
  negotiate: Buffer;
  challenge: Buffer;
  authenticate: Buffer;
  sealed: SealedCapture[];
}

export type CaptureName = 'pywinrm-raw-invoke' | 'pywinrm-run-cmd' | 'pywinrm-unicode-challenge' | 'go-masterzen' | 'npm-winrm-client';

interface RawCapture {
  file: string;
  negotiate: string;
  challenge: string;
  authenticate: string;
  sealed: { name: string; contentType: string; body: string; plaintext: string }[];
}

const raw = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/ntlm/captures.json'), 'utf8')) as Record<string, RawCapture>;

export function capture(name: CaptureName): NtlmCapture {
  const c = raw[name];
  const b64 = (s: string): Buffer => Buffer.from(s, 'base64');
  return {
    file: c.file,
    negotiate: b64(c.negotiate),
    challenge: b64(c.challenge),
    authenticate: b64(c.authenticate),
    sealed: c.sealed.map((s) => ({ name: s.name, contentType: s.contentType, body: b64(s.body), plaintext: b64(s.plaintext) })),
  };
}

/** Test credentials of every capture. */
export const CAPTURE_PASSWORD = 'Passw0rd!';

export const captureLookup = (user: string): { password: string; canonicalUser: string } | undefined =>
  user.toLowerCase() === 'administrator' ? { password: CAPTURE_PASSWORD, canonicalUser: 'Administrator' } : undefined;
