import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextAttempt } from '../../../src/services/outbound/retry.ts';

const MINUTE = 60_000;

test('retries back off 5 m, 10 m, 30 m, 1 h, 2 h, then every 4 h', () => {
  const now = 1_000_000;
  const delays = Array.from({ length: 9 }, (_, i) => (nextAttempt(now, i + 1) - now) / MINUTE);
  assert.deepEqual(delays, [5, 10, 30, 60, 120, 240, 240, 240, 240]);
  assert.equal(nextAttempt(now, 500) - now, 240 * MINUTE);
});
