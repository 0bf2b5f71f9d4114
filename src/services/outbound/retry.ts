const MINUTE = 60_000;

// After each failed attempt: 5 m, 10 m, 30 m, 1 h, 2 h, then every 4 h until the message expires.
const DELAYS = [5, 10, 30, 60, 120].map((m) => m * MINUTE);
const LAST = 240 * MINUTE;

/** When to try again after `attempts` failed attempts (1 after the first failure). */
export function nextAttempt(now: number, attempts: number): number {
  return now + (DELAYS[attempts - 1] ?? LAST);
}
