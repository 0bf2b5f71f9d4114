import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dovecotInstalled } from '../helpers/dovecot.ts';
import { startMirror, type MirrorFixture } from '../helpers/mirror.ts';

// An upstream that advertises neither CONDSTORE nor QRESYNC: every pass compares the UID and
// flag lists (services/remote/imap/messages.ts) instead of asking for what changed.
const PLAIN_CAPABILITIES = 'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS MOVE SPECIAL-USE CHILDREN UNSELECT\n';
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let m: MirrorFixture;
before(async () => {
  if (skip) return;
  m = (await startMirror({
    user: 'plain@upstream.test',
    dovecotConfig: PLAIN_CAPABILITIES,
    seed: async (c) => {
      await c.mailboxCreate('Work');
      for (const s of ['One', 'Two', 'Three', 'Four']) await c.append('INBOX', `Subject: ${s}\r\n\r\n${s} body\r\n`, ['\\Seen']);
    },
  }))!;
  await m.sync();
});
after(() => m?.stop());

test('an upstream without CONDSTORE or QRESYNC: flags, new, deleted and moved mail are found by comparing lists', { skip }, async () => {
  const c = await m.upstream();
  assert.ok(!c.capabilities.has('CONDSTORE') && !c.capabilities.has('QRESYNC'), 'the upstream really lacks both');
  assert.deepEqual([...(await m.folder('INBOX')).keys()].sort(), ['Four', 'One', 'Three', 'Two']);

  await c.mailboxOpen('INBOX');
  const uids = (await c.search({ all: true }, { uid: true })) as number[];
  await c.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
  await c.messageFlagsRemove(String(uids[1]), ['\\Seen'], { uid: true });
  await c.messageDelete(String(uids[2]), { uid: true });
  await c.messageMove(String(uids[3]), 'Work', { uid: true });
  await c.logout();
  await m.append('INBOX', 'Five');

  const view = await m.sync();
  assert.equal(view.lastError, null);
  assert.equal(view.messages, 4);
  const inbox = await m.folder('INBOX');
  assert.deepEqual([...inbox.keys()].sort(), ['Five', 'One', 'Two']);
  assert.deepEqual(inbox.get('One')!.sort(), ['$flagged', '$seen']);
  assert.deepEqual(inbox.get('Two'), []);
  assert.deepEqual(inbox.get('Five'), []);
  assert.deepEqual([...(await m.folder('Work')).keys()], ['Four']);

  // A pass with nothing changed upstream changes nothing here.
  const state = await m.server.services.changes.current(m.remoteId);
  await m.sync();
  assert.equal(await m.server.services.changes.current(m.remoteId), state);
});
