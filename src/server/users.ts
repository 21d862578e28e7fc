/**
 * The world's user accounts as the transport sees them: lookup by the forms Windows accepts
 * (`user`, `DOMAIN\user`, `user@domain`), constant-time password checks, per-host rights, and the
 * client-certificate mappings (winrm/config/service/certmapping) that turn a TLS client certificate
 * into an account. Passwords never leave this module except to the NTLM verifier, which needs the
 * NT hash input; nothing here logs.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NtlmUserLookup } from './auth/ntlm/server.js';

/**
 * One certmapping entry (MS-WSMV 2.2.4.3 / `New-Item WSMan:\localhost\ClientCertificate`): every
 * field given must match. `issuer` is the SHA-1 thumbprint of the CA certificate that issued the
 * client certificate; `subject` the certificate's subject common name (or `*` for any); `upn` the
 * userPrincipalName in its subjectAltName.
 */
export interface CertificateMapping {
  readonly issuer?: string;
  readonly subject?: string;
  readonly upn?: string;
}

export interface UserAccount {
  readonly name: string;
  readonly password: string;
  /** hosts this account may use (all when absent) */
  readonly hosts?: readonly string[];
  /** may read but not Put/Create/Delete/Invoke */
  readonly readOnly: boolean;
  /** client certificates that authenticate as this account (HTTPS mutual auth) */
  readonly certificates?: readonly CertificateMapping[];
}

export interface ResolvedUser {
  readonly account: UserAccount;
  /** the domain part the client gave (empty for a plain name) */
  readonly domain: string;
}

/** What the certificate mapping looks at in a presented client certificate. */
export interface PresentedCertificate {
  /** SHA-1 thumbprint of the issuing CA certificate (any case, separators allowed) */
  readonly issuerThumbprint?: string;
  readonly commonName?: string;
  readonly upn?: string;
}

/**
 * Split `DOMAIN\user` / `user@domain` / `user`. `domainField` is a domain given apart from the name
 * (NTLM's DomainName field): it fills in for a plain name or an empty `\` prefix and wins over a
 * UPN suffix.
 */
export function splitUserName(raw: string, domainField = ''): { user: string; domain: string } {
  const bs = raw.indexOf('\\');
  if (bs >= 0) return { domain: raw.slice(0, bs) || domainField, user: raw.slice(bs + 1) };
  const at = raw.lastIndexOf('@');
  if (at > 0) return { user: raw.slice(0, at), domain: domainField || raw.slice(at + 1) };
  return { user: raw, domain: domainField };
}

/** Thumbprints as Windows shows them: upper-case hex, no spaces or colons. */
export function normaliseThumbprint(t: string): string {
  return t.replace(/[\s:]/g, '').toUpperCase();
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

const NO_ACCOUNT: UserAccount = { name: '', password: '\u0000', readOnly: true };

function mappingMatches(m: CertificateMapping, cert: PresentedCertificate): boolean {
  // an empty mapping would accept any trusted certificate: never let it match (the world schema refuses it too)
  if (m.issuer === undefined && m.subject === undefined && m.upn === undefined) return false;
  if (m.issuer !== undefined) {
    if (!cert.issuerThumbprint || normaliseThumbprint(m.issuer) !== normaliseThumbprint(cert.issuerThumbprint)) return false;
  }
  if (m.subject !== undefined && m.subject !== '*') {
    if (!cert.commonName || m.subject.toLowerCase() !== cert.commonName.toLowerCase()) return false;
  }
  if (m.upn !== undefined) {
    if (!cert.upn || m.upn.toLowerCase() !== cert.upn.toLowerCase()) return false;
  }
  return true;
}

/** How long a verified Basic token is remembered, and how many are (OMI keeps logons 120 s). */
export const BASIC_CACHE_TTL_MS = 60_000;
export const BASIC_CACHE_SIZE = 256;

export class UserStore {
  private readonly byName = new Map<string, UserAccount>();
  /** SHA-256 of each account's password, computed once (the check hashes only what the client sent) */
  private readonly digests = new Map<UserAccount, Buffer>();
  private readonly noAccountDigest = digest(NO_ACCOUNT.password);
  /** verified Basic tokens → account and when they were verified (insertion order = age) */
  private readonly basicCache = new Map<string, { readonly account: UserAccount; readonly at: number }>();

  constructor(accounts: readonly UserAccount[]) {
    for (const a of accounts) {
      this.byName.set(a.name.toLowerCase(), a);
      this.digests.set(a, digest(a.password));
    }
  }

  /** The account a user name designates (domain part ignored: accounts are local, as Basic requires). */
  find(rawName: string): ResolvedUser | undefined {
    const { user, domain } = splitUserName(rawName);
    const account = this.byName.get(user.toLowerCase());
    return account ? { account, domain } : undefined;
  }

  /** Constant-time check of a password (hashing first makes lengths equal). */
  static passwordMatches(account: UserAccount, password: string): boolean {
    return timingSafeEqual(digest(account.password), digest(password));
  }

  /** Basic credentials → account, or undefined. Unknown users cost the same hash work. */
  verify(rawName: string, password: string): UserAccount | undefined {
    const found = this.find(rawName);
    const expected = found ? this.digests.get(found.account) ?? digest(found.account.password) : this.noAccountDigest;
    const ok = timingSafeEqual(expected, digest(password));
    return found && ok ? found.account : undefined;
  }

  /**
   * The account of an `Authorization: Basic <token>` value, or undefined (malformed or wrong
   * credentials). A token that verified is remembered for {@link BASIC_CACHE_TTL_MS}, as Windows
   * and OMI cache logons, so a client sending the same header on every request pays one lookup;
   * every other token goes through {@link verify} and its constant-time comparison. Only tokens
   * that verified are kept (at most {@link BASIC_CACHE_SIZE}, oldest dropped first); the accounts
   * of a store never change, so a remembered answer is the answer verify would give.
   */
  verifyBasic(token: string, now = Date.now()): UserAccount | undefined {
    const hit = this.basicCache.get(token);
    if (hit) {
      if (now - hit.at < BASIC_CACHE_TTL_MS && now >= hit.at) return hit.account;
      this.basicCache.delete(token);
    }
    const decoded = Buffer.from(token.trim(), 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    if (i < 0) return undefined;
    const account = this.verify(decoded.slice(0, i), decoded.slice(i + 1));
    if (account) {
      if (this.basicCache.size >= BASIC_CACHE_SIZE) {
        const oldest = this.basicCache.keys().next();
        if (!oldest.done) this.basicCache.delete(oldest.value);
      }
      this.basicCache.set(token, { account, at: now });
    }
    return account;
  }

  /**
   * The lookup the NTLM acceptor uses. The domain the client named is accepted whatever it is: a
   * workgroup Windows host treats an unknown domain as its own and logs on the local account.
   */
  ntlmLookup(): NtlmUserLookup {
    return (user) => {
      const account = this.byName.get(user.toLowerCase());
      return account ? { password: account.password, canonicalUser: account.name } : undefined;
    };
  }

  /** The account an exact user name (as the NTLM acceptor reports it) designates. */
  byCanonicalName(name: string): UserAccount | undefined {
    return this.byName.get(name.toLowerCase());
  }

  /** The first account (in world order) with a certificate mapping that matches `cert`. */
  findByCertificate(cert: PresentedCertificate): UserAccount | undefined {
    for (const account of this.byName.values()) {
      if (account.certificates?.some((m) => mappingMatches(m, cert))) return account;
    }
    return undefined;
  }

  static mayUseHost(account: UserAccount, host: string): boolean {
    return !account.hosts || account.hosts.some((h) => h.toLowerCase() === host.toLowerCase());
  }
}
