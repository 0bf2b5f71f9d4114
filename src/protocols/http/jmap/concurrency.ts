/**
 * Counts requests in flight per key (a principal) against a ceiling, for maxConcurrentRequests
 * and maxConcurrentUpload (RFC 8620 §2).
 */
export class ConcurrencyLimit {
  private readonly inFlight = new Map<string, number>();

  constructor(readonly max: number) {}

  /** A release function when under the limit, null when the key is at it. */
  tryAcquire(key: string): (() => void) | null {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= this.max) return null;
    this.inFlight.set(key, n + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left <= 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
    };
  }

  active(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }
}
