import { sql } from 'kysely';
import type { Trx } from '../../store/changes.ts';
import type { Db } from '../../store/db/connect.ts';

export interface ThrottleLimits {
  /** Failures from one client address (any account) in the window before it is locked out. */
  perAddress: number;
  /** Failures for one account from one client address in the window before that pair is locked out. */
  perAccount: number;
  windowMs: number;
  lockoutMs: number;
  /** The longest a failed attempt is answered late; 0: no delay. */
  maxDelayMs: number;
}

/** The counters one attempt touches. */
export interface ThrottleKeys {
  address: string;
  pair: string;
  account: string;
}

export const throttleKeys = (account: string, ip: string): ThrottleKeys => ({ address: `ip:${ip}`, pair: `acct-ip:${account}|${ip}`, account: `acct:${account}` });

const FIRST_DELAY_MS = 125;

/**
 * Failed-authentication counters in the database, so every node of a cluster counts the same
 * attempts (ADR 0024). A client address and an account-from-that-address are locked out at
 * their limits; the account as a whole only slows down (growing delays), since locking it
 * for everyone would let anyone lock its owner out.
 */
export class AuthThrottle {
  constructor(readonly limits: ThrottleLimits) {}

  /** Until when the attempt is refused unheard (epoch ms), or 0. */
  async lockedUntil(db: Db, keys: ThrottleKeys, now: number): Promise<number> {
    const rows = await db.selectFrom('auth_failures').select('locked_until').where('key', 'in', [keys.address, keys.pair]).execute();
    const until = Math.max(0, ...rows.map((r) => r.locked_until));
    return until > now ? until : 0;
  }

  /**
   * Counts a failure on each key (a window that ran out starts again at 1) and locks out the
   * address or the pair at its limit. Returns the most failures any key now holds.
   */
  async fail(trx: Trx, keys: ThrottleKeys, now: number): Promise<{ failures: number; lockedUntil: number }> {
    const windowStart = now - this.limits.windowMs;
    const limits: Array<[string, number]> = [
      [keys.address, this.limits.perAddress],
      [keys.pair, this.limits.perAccount],
      [keys.account, Number.MAX_SAFE_INTEGER],
    ];
    let most = 0;
    let lockedUntil = 0;
    for (const [key, limit] of limits) {
      const row = await trx
        .insertInto('auth_failures')
        .values({ key, failures: 1, window_start: now, last_at: now, locked_until: 0 })
        .onConflict((oc) =>
          oc.column('key').doUpdateSet({
            failures: sql<number>`case when auth_failures.window_start < ${windowStart} then 1 else auth_failures.failures + 1 end`,
            window_start: sql<number>`case when auth_failures.window_start < ${windowStart} then ${now} else auth_failures.window_start end`,
            last_at: now,
          }),
        )
        .returning(['failures'])
        .executeTakeFirstOrThrow();
      const failures = Number(row.failures);
      most = Math.max(most, failures);
      if (failures >= limit) {
        const until = now + this.limits.lockoutMs;
        await trx.updateTable('auth_failures').set({ locked_until: until }).where('key', '=', key).execute();
        lockedUntil = Math.max(lockedUntil, until);
      }
    }
    return { failures: most, lockedUntil };
  }

  /** The owner got in from this address: the pair and the account start afresh; the address does not. */
  async succeed(trx: Trx, keys: ThrottleKeys): Promise<void> {
    await trx.deleteFrom('auth_failures').where('key', 'in', [keys.pair, keys.account]).execute();
  }

  /** 125 ms doubling with each failure, up to maxDelayMs. */
  delayFor(failures: number): number {
    if (this.limits.maxDelayMs <= 0 || failures <= 0) return 0;
    return Math.min(this.limits.maxDelayMs, FIRST_DELAY_MS * 2 ** Math.min(failures - 1, 20));
  }

  async prune(trx: Trx, now: number): Promise<void> {
    await trx.deleteFrom('auth_failures').where('last_at', '<', now - this.limits.windowMs).where('locked_until', '<', now).execute();
  }
}
