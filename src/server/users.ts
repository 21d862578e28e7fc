/**
 * The world's user accounts as the transport sees them: lookup by the forms Windows accepts
 * (`user`, `DOMAIN\user`, `user@domain`), constant-time password checks, and per-host rights.
 * Passwords never leave this module except to the NTLM verifier, which needs the NT hash input.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export interface UserAccount {
  readonly name: string;
  readonly password: string;
  /** hosts this account may use (all when absent) */
  readonly hosts?: readonly string[];
  /** may read but not Put/Create/Delete/Invoke */
  readonly readOnly: boolean;
}

export interface ResolvedUser {
  readonly account: UserAccount;
  /** the domain part the client gave (empty for a plain name) */
  readonly domain: string;
}

/** Split `DOMAIN\user` / `user@domain` / `user`. */
export function splitUserName(raw: string): { user: string; domain: string } {
  const bs = raw.indexOf('\\');
  if (bs >= 0) return { domain: raw.slice(0, bs), user: raw.slice(bs + 1) };
  const at = raw.lastIndexOf('@');
  if (at > 0) return { user: raw.slice(0, at), domain: raw.slice(at + 1) };
  return { user: raw, domain: '' };
}

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

export class UserStore {
  private readonly byName = new Map<string, UserAccount>();

  constructor(accounts: readonly UserAccount[]) {
    for (const a of accounts) this.byName.set(a.name.toLowerCase(), a);
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
    const ok = UserStore.passwordMatches(found?.account ?? { name: '', password: '\u0000', readOnly: true }, password);
    return found && ok ? found.account : undefined;
  }

  static mayUseHost(account: UserAccount, host: string): boolean {
    return !account.hosts || account.hosts.some((h) => h.toLowerCase() === host.toLowerCase());
  }
}
