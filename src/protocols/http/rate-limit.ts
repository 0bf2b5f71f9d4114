/** Where a client stands in its current window. */
export interface RateState {
  limit: number;
  remaining: number;
  /** When the window ends, in ms since the epoch. */
  resetAt: number;
  allowed: boolean;
}

/**
 * Fixed-window request counters kept in this process: with several nodes, each counts on its
 * own. Every window lasts the same, so the map's insertion order is the order windows end: the
 * ended ones are dropped from the front as requests come, and memory follows the keys active
 * within one window (capped; past the cap the oldest window is forgotten early).
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly windowMs: number,
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts a request against the key, unless that would pass the limit. */
  hit(key: string, limit: number, now = Date.now()): RateState {
    return this.take(key, limit, now, 1);
  }

  /** The key's state without counting a request. */
  peek(key: string, limit: number, now = Date.now()): RateState {
    return this.take(key, limit, now, 0);
  }

  private take(key: string, limit: number, now: number, cost: number): RateState {
    for (const [k, w] of this.windows) {
      if (w.resetAt > now) break;
      this.windows.delete(k);
    }
    let w = this.windows.get(key);
    if (!w) {
      w = { count: 0, resetAt: now + this.windowMs };
      if (cost === 0) return { limit, remaining: limit, resetAt: w.resetAt, allowed: true };
      if (this.windows.size >= this.maxKeys) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, w);
    }
    const allowed = w.count + cost <= limit;
    if (allowed) w.count += cost;
    return { limit, remaining: limit - w.count, resetAt: w.resetAt, allowed };
  }
}
