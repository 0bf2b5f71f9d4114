import type { DirectoryService } from '../directory/directory.ts';
import type { Principal } from '../directory/pool.ts';
import { ServiceError } from '../errors.ts';

export interface LoginLimits {
  /** Failed attempts from one client address within the window before it is refused. */
  perAddress: number;
  /** Failed attempts for one login name within the window, from anywhere. */
  perLogin: number;
  windowMs: number;
}

interface Counter {
  failures: number;
  resetAt: number;
}

// Counters kept at most: old ones are dropped first, so a flood of names cannot grow memory.
const MAX_COUNTERS = 100_000;

/**
 * Password logins of the mail protocols (IMAP now; POP3 and submission later), with failed
 * attempts limited per client address and per login name so passwords cannot be guessed at
 * speed. Counters live in this process: each node limits what reaches it.
 */
export class LoginService {
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly directory: DirectoryService,
    private readonly limits: LoginLimits,
  ) {}

  /** The principal, or null for wrong credentials; a ServiceError 'unavailable' while limited. */
  async login(login: string, password: string, address: string): Promise<Principal | null> {
    const keys = [`a:${address}`, `l:${login.trim().toLowerCase()}`];
    const now = Date.now();
    if (this.over(keys[0], this.limits.perAddress, now) || this.over(keys[1], this.limits.perLogin, now)) {
      throw new ServiceError('unavailable', 'too many failed logins; try again later');
    }
    const principal = await this.directory.authenticate(login, password);
    if (principal) this.counters.delete(keys[1]);
    else for (const key of keys) this.fail(key, now);
    return principal;
  }

  private over(key: string, limit: number, now: number): boolean {
    const c = this.counters.get(key);
    return c !== undefined && c.resetAt > now && c.failures >= limit;
  }

  private fail(key: string, now: number): void {
    let c = this.counters.get(key);
    if (!c || c.resetAt <= now) {
      c = { failures: 0, resetAt: now + this.limits.windowMs };
      this.counters.delete(key);
      if (this.counters.size >= MAX_COUNTERS) this.counters.delete(this.counters.keys().next().value!);
      this.counters.set(key, c);
    }
    c.failures++;
  }
}
