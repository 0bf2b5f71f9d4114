import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Folder } from '../../../src/services/imap/folders.ts';
import { MailboxView, MailboxViews } from '../../../src/services/imap/mailbox-view.ts';
import { SelectedMailbox, type MessageState } from '../../../src/services/imap/selected.ts';

const folder = { id: 'm1', path: 'INBOX', row: { uidnext: 10 } } as unknown as Folder;
const msg = (uid: number, keywords: string[] = [], modseq = 1): MessageState => ({ uid, keywords, modseq });
const open = (messages: MessageState[], modseq: number, views = new MailboxViews()) => new SelectedMailbox('a', folder, false, MailboxView.of(messages, modseq), views);

test('sequence numbers are positions in the UID list', () => {
  const sel = open([msg(3), msg(5), msg(9)], 1);
  assert.equal(sel.seqOf(5), 2);
  assert.equal(sel.seqOf(4), 0);
  assert.equal(sel.at(3)?.uid, 9);
  assert.equal(sel.maxUid, 9);
});

test('an expunge made elsewhere keeps its number until expunges may be reported, then goes highest first', () => {
  const sel = open([msg(3), msg(5), msg(9)], 1);
  assert.deepEqual(sel.apply([], new Set([9]), 2, 10, false), []);
  assert.equal(sel.count, 3, 'still listed while the client may be using the numbers');
  assert.ok(sel.isGone(3) && sel.isGone(5));
  assert.deepEqual(sel.apply([], null, 2, 10, true), [
    { kind: 'expunge', seq: 2, uid: 5 },
    { kind: 'expunge', seq: 1, uid: 3 },
  ]);
  assert.equal(sel.count, 1);
  assert.equal(sel.seqOf(9), 1);
});

test('new messages are reported once with the new count; flag changes as FETCH; own changes are not echoed', () => {
  const sel = open([msg(3), msg(5)], 1);
  const updates = sel.apply([msg(5, ['$seen'], 3), msg(11, [], 3), msg(12, [], 3)], null, 3, 13, false);
  assert.deepEqual(updates.map((u) => u.kind), ['flags', 'exists']);
  assert.equal(updates[1].kind === 'exists' && updates[1].count, 4);
  sel.setFlags(3, ['$flagged'], 4);
  assert.deepEqual(sel.apply([msg(3, ['$flagged'], 4)], null, 4, 13, true), []);
});

test('sessions that caught up to the same modseq share one view; one holding an expunge back keeps its own', () => {
  const views = new MailboxViews();
  const first = open([msg(3), msg(5), msg(9)], 1, views);
  const second = open([msg(3), msg(5), msg(9)], 1, views);
  const holding = open([msg(3), msg(5), msg(9)], 1, views);
  // Message 5 is expunged and 10 arrives, flagged; each session catches up to modseq 2.
  const changed = [msg(10, ['$flagged'], 2)];
  assert.deepEqual(first.apply(changed, new Set([3, 9, 10]), 2, 11, true).map((u) => u.kind), ['expunge', 'exists']);
  assert.deepEqual(second.apply(changed, new Set([3, 9, 10]), 2, 11, true).map((u) => u.kind), ['expunge', 'exists']);
  assert.deepEqual(holding.apply(changed, new Set([3, 9, 10]), 2, 11, false).map((u) => u.kind), ['exists']);
  const viewOf = (s: SelectedMailbox) => (s as unknown as { view: MailboxView }).view;
  assert.equal(viewOf(first), viewOf(second), 'the second adopted the view the first made');
  assert.notEqual(viewOf(holding), viewOf(first));
  assert.deepEqual([...second.messages()], [msg(3, [], 1), msg(9, [], 1), msg(10, ['$flagged'], 2)]);
  assert.equal(holding.count, 4, 'message 5 keeps its number until the expunge can be told');
  // Once it tells the expunge, it sees the same mailbox and takes the shared view.
  assert.deepEqual(holding.apply([], null, 2, 11, true), [{ kind: 'expunge', seq: 2, uid: 5 }]);
  assert.equal(viewOf(holding), viewOf(first));
});

test("a session's own flag changes show at once and are folded in at its next catch-up without being echoed", () => {
  const views = new MailboxViews();
  const mine = open([msg(3), msg(5)], 1, views);
  const other = open([msg(3), msg(5)], 1, views);
  mine.setFlags(5, ['$seen'], 2);
  assert.deepEqual(mine.message(5), msg(5, ['$seen'], 2));
  assert.deepEqual(other.message(5), msg(5, [], 1), 'the shared view is not changed by one session');
  assert.deepEqual(mine.apply([msg(5, ['$seen'], 2)], null, 2, 10, true), []);
  assert.deepEqual(other.apply([msg(5, ['$seen'], 2)], null, 2, 10, true), [{ kind: 'flags', seq: 2, message: msg(5, ['$seen'], 2) }]);
});

test('the modseqs of own writes are handed to the next catch-up once, and not at all past a few hundred', () => {
  const sel = open([msg(3), msg(5)], 1);
  sel.wrote([2, 3]);
  assert.deepEqual(sel.takeOwnWrites(), [2, 3]);
  assert.deepEqual(sel.takeOwnWrites(), []);
  sel.wrote(Array.from({ length: 501 }, (_, i) => i + 10));
  assert.deepEqual(sel.takeOwnWrites(), [], 'too many to list: the catch-up reads them back');
});
