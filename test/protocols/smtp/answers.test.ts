import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { answerEachRecipient } from '../../../src/protocols/lmtp/server.ts';
import type { Delivered } from '../../../src/protocols/smtp/delivery.ts';
import { answerTransaction } from '../../../src/protocols/smtp/server.ts';
import type { RecipientOutcome } from '../../../src/services/delivery/delivery.ts';
import { ServiceError, type ServiceErrorCode } from '../../../src/services/errors.ts';

const ok = (address: string): RecipientOutcome => ({ address, error: null, emailIds: [`e-${address}`] });
const failed = (address: string, code: ServiceErrorCode): RecipientOutcome => ({ address, error: new ServiceError(code, code), emailIds: [] });
const delivered = (...outcomes: RecipientOutcome[]): Delivered => ({ queueId: 'q1', sender: 's@x.test', outcomes, seconds: 0 });

function capture() {
  const lines: { level: number; to?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s)) });
  return { log, lines };
}

test('SMTP: all stored → 250 2.0.0 with the queue id', () => {
  const [r] = answerTransaction(delivered(ok('a@x.test'), ok('b@x.test')), capture().log);
  assert.equal(`${r.code} ${r.enhanced}`, '250 2.0.0');
  assert.match(r.text, /queued as q1/);
});

test('SMTP: some stored, some failed → 250, and each failure is logged at warn', () => {
  const { log, lines } = capture();
  const [r] = answerTransaction(delivered(failed('a@x.test', 'overQuota'), ok('b@x.test'), failed('c@x.test', 'unavailable')), log);
  assert.equal(r.code, 250);
  assert.deepEqual(lines.filter((l) => l.level === 40).map((l) => l.to), ['a@x.test', 'c@x.test']);
});

test('SMTP: nothing stored → a transient failure wins so the client retries', () => {
  assert.equal(answerTransaction(delivered(failed('a@x.test', 'tooLarge'), failed('b@x.test', 'overQuota')), capture().log)[0].code, 452);
  assert.equal(answerTransaction(delivered(failed('a@x.test', 'tooLarge'), failed('b@x.test', 'notFound')), capture().log)[0].code, 552);
});

test('LMTP: one reply per recipient, in order', () => {
  const replies = answerEachRecipient(delivered(ok('a@x.test'), failed('b@x.test', 'overQuota'), ok('c@x.test')));
  assert.deepEqual(replies.map((r) => `${r.code} ${r.enhanced}`), ['250 2.0.0', '452 4.2.2', '250 2.0.0']);
  assert.match(replies[0].text, /^<a@x\.test> .*e-a@x\.test/);
  assert.match(replies[1].text, /^<b@x\.test>: /);
});
