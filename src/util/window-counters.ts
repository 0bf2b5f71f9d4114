interface Window {
  count: number;
  resetAt: number;
}

/**
 * Counts per key over fixed time windows, in this process (login failures, recipients sent).
 * At most `max` keys are kept, the oldest dropped first, so a flood of keys cannot grow memory.
 */
export class WindowCounters {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly windowMs: number,
    private readonly max = 100_000,
  ) {}

  /** The count in the key's current window; 0 once it has run out. */
  get(key: string, now = Date.now()): number {
    const w = this.windows.get(key);
    return w && w.resetAt > now ? w.count : 0;
  }

  add(key: string, n: number, now = Date.now()): void {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + this.windowMs };
      this.windows.delete(key);
      if (this.windows.size >= this.max) this.windows.delete(this.windows.keys().next().value!);
      this.windows.set(key, w);
    }
    w.count += n;
  }

  delete(key: string): void {
    this.windows.delete(key);
  }
}
