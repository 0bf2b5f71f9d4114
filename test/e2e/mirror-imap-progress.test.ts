import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dovecotInstalled } from '../helpers/dovecot.ts';
import { startMirror, type MirrorFixture } from '../helpers/mirror.ts';
import { simpleMessage } from '../helpers/messages.ts';

const COUNT = 400;
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let m: MirrorFixture;
before(async () => {
  if (skip) return;
  m = (await startMirror({
    user: 'progress@upstream.test',
    seed: async (c) => {
      await c.mailboxCreate('Work');
      for (let i = 0; i < COUNT; i++) await c.append('INBOX', simpleMessage({ subject: `Message ${i}`, body: `Number ${i} of ${COUNT}.` }));
      await c.append('Work', simpleMessage({ subject: 'Filed' }));
    },
  }))!;
});
after(() => m?.stop());

test('a sync shows its progress per folder while it runs, downloaded then indexed, and none once done', { skip }, async () => {
  const seen: Awaited<ReturnType<MirrorFixture['view']>>[] = [];
  let finished = false;
  const syncing = m.sync().finally(() => (finished = true));
  while (!finished) {
    seen.push(await m.view());
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.equal((await syncing).messages, COUNT + 1);

  const inbox = seen.flatMap((v) => (v.progress ?? []).filter((f) => f.path === 'INBOX').map((f) => ({ ...f, status: v.status })));
  assert.ok(inbox.length > 0, 'progress was never shown');
  // A folder's total is 0 until the pass reaches it, then its count upstream. (The sync asked for
  // may be a second pass, after the one adding the account started.)
  assert.ok(inbox.every((f) => f.status === 'syncing' && (f.total === 0 || f.total === COUNT) && f.done >= 0 && f.done <= f.total), JSON.stringify(inbox.filter((f) => f.status !== 'syncing' || f.done > f.total)));
  // Downloaded (durable) is shown as soon as it is, while the indexing that follows runs.
  assert.ok(inbox.some((f) => f.done === COUNT && (f.indexed ?? 0) < COUNT), 'the download was never shown complete before the indexing');
  for (const v of seen) if (v.progress) assert.deepEqual(v.progress.map((f) => f.path).sort(), ['INBOX', 'Sent', 'Trash', 'Work'], 'every folder has its entry');

  const done = await m.view();
  assert.equal(done.status, 'idle');
  assert.equal(done.progress, null);
});
