const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000 };

/** `10s,30s,2m` (the webhookRetrySchedule config key, validated by its pattern) as milliseconds. */
export function parseSchedule(text: string): number[] {
  return text.split(',').map((part) => Number(part.slice(0, -1)) * UNIT_MS[part.slice(-1)]);
}

/**
 * When to try again after `attempts` failed attempts (1 after the first failure), or null when
 * the schedule is used up and the delivery is given up.
 */
export function nextAttempt(now: number, attempts: number, schedule: readonly number[]): number | null {
  const delay = schedule[attempts - 1];
  return delay === undefined ? null : now + delay;
}
