import assert from 'node:assert/strict';
import { test } from 'node:test';
import { replyFor, SmtpReply } from '../../../src/protocols/smtp/replies.ts';
import { ServiceError, type ServiceErrorCode } from '../../../src/services/errors.ts';

const wire = (code: ServiceErrorCode, stage: 'mail' | 'rcpt' | 'data') => {
  const r = replyFor(new ServiceError(code, 'details'), stage);
  return `${r.code} ${r.enhanced}`;
};

test('service errors map to the same reply codes on SMTP and LMTP', () => {
  assert.equal(wire('notFound', 'rcpt'), '550 5.1.1');
  assert.equal(wire('forbidden', 'rcpt'), '554 5.7.1');
  assert.equal(wire('overQuota', 'rcpt'), '452 4.2.2');
  assert.equal(wire('overQuota', 'data'), '452 4.2.2');
  assert.equal(wire('tooLarge', 'data'), '552 5.3.4');
  assert.equal(wire('invalid', 'rcpt'), '501 5.1.3');
  assert.equal(wire('invalid', 'mail'), '501 5.1.7');
  assert.equal(wire('invalid', 'data'), '554 5.6.0');
  assert.equal(wire('unavailable', 'data'), '451 4.3.0');
  assert.equal(wire('conflict', 'data'), '451 4.3.0');
});

test('unexpected errors are transient and keep their details off the wire', () => {
  const r = replyFor(new Error('SQLITE_BUSY: database is locked at /var/lib/gannet'), 'data');
  assert.equal(r.code, 451);
  assert.equal(r.enhanced, '4.3.0');
  assert.doesNotMatch(r.message, /SQLITE|\/var/);
});

test('a reply is an Error with responseCode and its enhanced code leading the text', () => {
  const r = new SmtpReply(452, '4.5.3', 'Too many recipients');
  assert.ok(r instanceof Error);
  assert.equal(r.responseCode, 452);
  assert.equal(r.message, '4.5.3 Too many recipients');
  assert.ok(r.transient && r.failed);
  assert.equal(replyFor(r, 'rcpt'), r);
  assert.match(replyFor(new ServiceError('notFound', 'x'), 'data', 'a@b.test').text, /^<a@b\.test>: /);
});
