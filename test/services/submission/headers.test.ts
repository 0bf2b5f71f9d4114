import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressesIn, withoutBcc } from '../../../src/services/submission/headers.ts';

test('withoutBcc removes every top-level Bcc field, folded lines included, and nothing else', () => {
  const raw = Buffer.from('From: a@x.test\r\nBcc: b@x.test,\r\n c@x.test\r\nTo: d@x.test\r\nbcc: e@x.test\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n');
  assert.equal(withoutBcc(raw).toString(), 'From: a@x.test\r\nTo: d@x.test\r\nSubject: s\r\n\r\nBcc: in the body stays\r\n');
  const lf = Buffer.from('Bcc: b@x.test\nFrom: a@x.test\n\nbody\n');
  assert.equal(withoutBcc(lf).toString(), 'From: a@x.test\n\nbody\n');
  const none = Buffer.from('From: a@x.test\r\n\r\nbody');
  assert.equal(withoutBcc(none), none, 'the same buffer when there is nothing to remove');
});

test('addressesIn reads the named fields in order', () => {
  const raw = Buffer.from('To: "D" <d@x.test>, e@x.test\r\nCc: f@x.test\r\nBcc: g@x.test\r\nFrom: a@x.test\r\n\r\n');
  assert.deepEqual(addressesIn(raw, ['to', 'cc', 'bcc']), ['d@x.test', 'e@x.test', 'f@x.test', 'g@x.test']);
  assert.deepEqual(addressesIn(raw, ['sender']), []);
});
