import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../../src/mime/index.ts';
import { composeDsn, wants, type RecipientReport } from '../../../src/services/outbound/dsn.ts';

const original = Buffer.from('From: a@example.test\r\nTo: b@remote.test\r\nSubject: hello\r\n\r\nthe body\r\n');
const report = (r: Partial<RecipientReport>): RecipientReport => ({
  address: 'b@remote.test',
  orcpt: null,
  action: 'failed',
  response: '550 5.1.1 no such user',
  remoteMta: 'mx.remote.test',
  expired: false,
  lastAttemptAt: Date.UTC(2026, 10, 22, 9),
  willRetryUntil: null,
  ...r,
});

const part = (raw: Buffer, p: { bodyStart: number; bodyEnd: number }) => raw.subarray(p.bodyStart, p.bodyEnd).toString();

test('NOTIFY: none given means FAILURE,DELAY; NEVER means nothing', () => {
  assert.deepEqual((['SUCCESS', 'FAILURE', 'DELAY'] as const).map((c) => wants(null, c)), [false, true, true]);
  assert.deepEqual((['SUCCESS', 'FAILURE', 'DELAY'] as const).map((c) => wants('NEVER', c)), [false, false, false]);
  assert.deepEqual((['SUCCESS', 'FAILURE', 'DELAY'] as const).map((c) => wants('SUCCESS,DELAY', c)), [true, false, true]);
});

test('a failure report is multipart/report with the three parts RFC 3464 describes', () => {
  const raw = composeDsn({
    hostname: 'mx.test.gannet',
    to: 'a@example.test',
    envid: 'id+1 x',
    ret: null,
    arrivalDate: Date.UTC(2026, 10, 22, 8),
    recipients: [report({ orcpt: 'rfc822;B@remote.test' }), report({ address: 'c@remote.test', action: 'failed', expired: true, response: '451 4.3.0 busy' })],
    original,
  });
  const m = parseMessage(raw);
  assert.equal(m.structure.type, 'multipart/report');
  assert.equal(m.structure.params['report-type'], 'delivery-status');
  assert.deepEqual(m.structure.children.map((c) => c.type), ['text/plain', 'message/delivery-status', 'message/rfc822']);
  const status = part(raw, m.structure.children[1]);
  assert.match(status, /^Reporting-MTA: dns; mx\.test\.gannet\r\nOriginal-Envelope-Id: id\+2B1\+20x\r\nArrival-Date: Sun, 22 Nov 2026 08:00:00 \+0000\r\n\r\n/);
  assert.match(status, /Original-Recipient: rfc822;B@remote.test\r\nFinal-Recipient: rfc822; b@remote.test\r\nAction: failed\r\nStatus: 5\.1\.1\r\nRemote-MTA: dns; mx\.remote\.test\r\nDiagnostic-Code: smtp; 550 5\.1\.1 no such user\r\n/);
  // Expiry: the last reply was temporary, the status says delivery time expired.
  assert.match(status, /Final-Recipient: rfc822; c@remote.test\r\nAction: failed\r\nStatus: 4\.4\.7\r\n/);
  assert.equal(part(raw, m.structure.children[2]).replace(/\r\n$/, ''), original.toString().replace(/\r\n$/, ''));
  assert.match(m.headers.find((h) => h.name === 'Auto-Submitted')!.raw, /auto-replied/);
});

test('RET=HDRS, and delay and success reports, return the header only', () => {
  for (const [ret, action] of [['HDRS', 'failed'], [null, 'delayed'], ['FULL', 'delivered']] as const) {
    const raw = composeDsn({ hostname: 'h', to: 'a@example.test', envid: null, ret, arrivalDate: 0, recipients: [report({ action, response: { failed: '550 5.1.1 no such user', delayed: '451 later', delivered: '250 2.0.0 ok' }[action] })], original });
    const m = parseMessage(raw);
    assert.equal(m.structure.children[2].type, 'text/rfc822-headers', `${ret} ${action}`);
    assert.doesNotMatch(part(raw, m.structure.children[2]), /the body/);
    assert.match(part(raw, m.structure.children[1]), new RegExp(`Action: ${action}\\r\\nStatus: ${{ failed: '5\\.1\\.1', delayed: '4\\.0\\.0', delivered: '2\\.0\\.0' }[action]}\\r\\n`));
  }
});
