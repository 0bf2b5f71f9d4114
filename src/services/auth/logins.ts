import type { DirectoryService } from '../directory/directory.ts';
import type { Principal } from '../directory/pool.ts';
import { ServiceError } from '../errors.ts';
import { WindowCounters } from '../../util/window-counters.ts';

export interface LoginLimits {
  /** Failed attempts from one client address within the window before it is refused. */
  perAddress: number;
  /** Failed attempts for one login name within the window, from anywhere. */
  perLogin: number;
  windowMs: number;
}

/**
 * Password logins of the mail protocols (IMAP and SMTP submission), with failed
 * attempts limited per client address and per login name so passwords cannot be guessed at
 * speed. Counters live in this process: each node limits what reaches it.
 */
export class LoginService {
  private readonly failures: WindowCounters;

  constructor(
    private readonly directory: DirectoryService,
    private readonly limits: LoginLimits,
  ) {
    this.failures = new WindowCounters(limits.windowMs);
  }

  /** The principal, or null for wrong credentials; a ServiceError 'unavailable' while limited. */
  async login(login: string, password: string, address: string): Promise<Principal | null> {
    const keys = [`a:${address}`, `l:${login.trim().toLowerCase()}`];
    const now = Date.now();
    if (this.failures.get(keys[0], now) >= this.limits.perAddress || this.failures.get(keys[1], now) >= this.limits.perLogin) {
      throw new ServiceError('unavailable', 'too many failed logins; try again later');
    }
    const principal = await this.directory.authenticate(login, password);
    if (principal) this.failures.delete(keys[1]);
    else for (const key of keys) this.failures.add(key, 1, now);
    return principal;
  }
}
