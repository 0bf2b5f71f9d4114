import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Folder } from '../../../src/services/imap/folders.ts';
import { SelectedMailbox, type MessageState } from '../../../src/services/imap/selected.ts';

const folder = { id: 'm1', path: 'INBOX', row: { uidnext: 10 } } as unknown as Folder;
const msg = (uid: number, keywords: string[] = [], modseq = 1): MessageState => ({ uid, keywords, modseq });

test('sequence numbers are positions in the UID list', () => {
  const sel = new SelectedMailbox('a', folder, false, [msg(3), msg(5), msg(9)], 1);
  assert.equal(sel.seqOf(5), 2);
  assert.equal(sel.seqOf(4), 0);
  assert.equal(sel.at(3)?.uid, 9);
  assert.equal(sel.maxUid, 9);
});

test('an expunge made elsewhere keeps its number until expunges may be reported, then goes highest first', () => {
  const sel = new SelectedMailbox('a', folder, false, [msg(3), msg(5), msg(9)], 1);
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
  const sel = new SelectedMailbox('a', folder, false, [msg(3), msg(5)], 1);
  const updates = sel.apply([msg(5, ['$seen'], 3), msg(11, [], 3), msg(12, [], 3)], null, 3, 13, false);
  assert.deepEqual(updates.map((u) => u.kind), ['flags', 'exists']);
  assert.equal(updates[1].kind === 'exists' && updates[1].count, 4);
  sel.setFlags(3, ['$flagged'], 4);
  assert.deepEqual(sel.apply([msg(3, ['$flagged'], 4)], null, 4, 13, true), []);
});
