import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dovecotInstalled } from '../helpers/dovecot.ts';
import { startMirror, type MirrorFixture } from '../helpers/mirror.ts';
import { until } from '../helpers/until.ts';

// What a mirror does with nobody asking: folders other than INBOX (which has IDLE) are synced
// every mirrorPollSeconds, and a lost upstream is reconnected to by itself once it is back.
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let m: MirrorFixture;
before(async () => {
  if (skip) return;
  m = (await startMirror({ user: 'bg@upstream.test', pollSeconds: 1, seed: (c) => c.mailboxCreate('Work').then(() => undefined) }))!;
  await m.sync();
});
after(() => m?.stop());

test('mail added upstream to a folder without IDLE arrives by the next poll, unasked', { skip }, async () => {
  await m.append('Work', 'Polled in');
  await until(async () => (await m.folder('Work')).has('Polled in'), 'the message in Work', 15_000);
});

test('an upstream that goes away is reported, and reconnected to by itself once it is back', { skip }, async () => {
  await m.dovecot.kill();
  await until(async () => (await m.view()).lastError !== null, 'the lost upstream to be reported', 15_000);
  assert.equal((await m.view()).status, 'error');
  await m.dovecot.start();
  await m.append('INBOX', 'After the outage');
  await until(async () => (await m.folder('INBOX')).has('After the outage'), 'the worker to come back by itself', 15_000);
  await until(async () => (await m.view()).lastError === null, 'the error to clear after a good pass', 15_000);
});
