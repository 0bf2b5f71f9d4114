import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderThreads } from '../../../src/protocols/imap/thread-response.ts';
import { extractBaseSubject } from '../../../src/services/imap/base-subject.ts';
import { threadOrderedSubject, threadReferences, type ThreadMessage } from '../../../src/services/imap/thread.ts';

interface Spec {
  /** Message-ID; m<uid>@x unless given. */
  id?: string | null;
  refs?: string[];
  irt?: string[];
  /** "subject <uid>" unless given, so that no two threads share a subject by accident. */
  subject?: string | null;
  /** Sent date; the UID unless given. */
  date?: number | null;
  internal?: number;
}

function msg(uid: number, spec: Spec = {}): ThreadMessage {
  return {
    uid,
    internalDate: spec.internal ?? uid,
    sentDate: spec.date === undefined ? uid : spec.date,
    subject: spec.subject === undefined ? `subject ${uid}` : spec.subject,
    messageId: spec.id === undefined ? `m${uid}@x` : spec.id,
    inReplyTo: spec.irt ?? [],
    references: spec.refs ?? [],
  };
}

/** The Message-IDs msg() gives these UIDs. */
const ids = (...uids: number[]) => uids.map((uid) => `m${uid}@x`);
const references = (messages: ThreadMessage[]) => renderThreads(threadReferences(messages));
const orderedSubject = (messages: ThreadMessage[]) => renderThreads(threadOrderedSubject(messages));

test('RFC 5256 §4 example: (2)(3 6 (4 23)(44 7 96)) from References, later UIDs as parents', () => {
  const messages = [
    msg(2, { subject: 'two', date: 1 }),
    msg(3, { subject: 'three', date: 2 }),
    msg(6, { subject: 'Re: three', date: 3, refs: ids(3) }),
    msg(4, { subject: 'Re: three', date: 4, refs: ids(3, 6) }),
    msg(23, { subject: 'Re: three', date: 5, refs: ids(3, 6, 4) }),
    msg(44, { subject: 'Re: three', date: 6, refs: ids(3, 6) }),
    msg(7, { subject: 'Re: three', date: 7, refs: ids(3, 6, 44) }),
    msg(96, { subject: 'Re: three', date: 8, refs: ids(3, 6, 44, 7) }),
  ];
  assert.equal(references(messages), '(2)(3 6 (4 23)(44 7 96))');
  assert.equal(orderedSubject(messages), '(2)(3 (6)(4)(23)(44)(7)(96))');
});

test('RFC 5256 §4 example: ((3)(5)), siblings under a parent that is not there', () => {
  const messages = [msg(3, { refs: ['gone@x'] }), msg(5, { refs: ['gone@x'] })];
  assert.deepEqual(threadReferences(messages), [{ uid: null, children: [{ uid: 3, children: [] }, { uid: 5, children: [] }] }]);
  assert.equal(references(messages), '((3)(5))');
});

test('dummies: a missing root with one child gives way to it; missing parents inside a thread give way to their children', () => {
  assert.equal(references([msg(3, { refs: ['gone@x'] })]), '(3)');
  assert.equal(references([msg(7, { refs: ['p@x', 'q@x'] })]), '(7)');
  assert.equal(references([msg(5, { refs: ['x@x', 'y@x'] }), msg(6, { refs: ['x@x', 'y@x'] })]), '((5)(6))');
  const messages = [
    msg(1),
    msg(2, { refs: [...ids(1), 'x@x'] }),
    msg(3, { refs: [...ids(1), 'y@x'] }),
    msg(4, { refs: [...ids(1), 'y@x', 'z@x'] }),
  ];
  assert.equal(references(messages), '(1 (2)(3)(4))');
});

test('loops in References are never closed, and the message\'s own last reference wins', () => {
  assert.equal(references([msg(1, { refs: ids(1) })]), '(1)');
  // 1 is a reply to 2 and 2 a reply to 1: the link seen first stands.
  assert.equal(references([msg(1, { refs: ids(2) }), msg(2, { refs: ids(1) })]), '(2 1)');
  // p → q → p inside one header.
  assert.equal(references([msg(3, { refs: ['p@x', 'q@x', 'p@x'] })]), '(3)');
  // 1's References put 2 under 3 and 1 under 2; 2's own would put it under 1, a loop, so it is
  // left a root, and 3 then becomes its child.
  const crossed = [msg(1, { refs: ids(3, 2) }), msg(2, { refs: ids(1) }), msg(3, { refs: ids(2) })];
  assert.equal(references(crossed), '(2 (1)(3))');
});

test('a message\'s own References override a parent another message\'s (perhaps truncated) header suggested', () => {
  // 2 says 1 → 3 → 2; 3, processed after it, has no References: it becomes a root.
  assert.equal(references([msg(1), msg(2, { refs: ids(1, 3) }), msg(3)]), '(1)(3 2)');
  assert.equal(references([msg(1), msg(2, { refs: ids(1, 3) }), msg(3, { refs: ids(1) })]), '(1 3 2)');
  // Processed before 4, 3 has no say: it keeps the parent 4's References give it.
  assert.equal(references([msg(1), msg(3), msg(4, { refs: ids(1, 3) })]), '(1 3 4)');
});

test('References first, else the first In-Reply-To id only; ids compared exactly, but unquoted', () => {
  assert.equal(references([msg(1), msg(2, { irt: ids(1) })]), '(1 2)');
  assert.equal(references([msg(1), msg(2), msg(3, { refs: ids(1), irt: ids(2) })]), '(1 3)(2)');
  assert.equal(references([msg(1), msg(4, { irt: ['gone@x', ...ids(1)] })]), '(1)(4)');
  assert.equal(references([msg(1, { id: 'A@x' }), msg(2, { refs: ['a@x'] })]), '(1)(2)');
  assert.equal(references([msg(1, { id: '"01KF8JCEOCBS0045PS"@xxx.yyy.com' }), msg(2, { refs: ['01KF8JCEOCBS0045PS@xxx.yyy.com'] })]), '(1 2)');
  assert.equal(references([msg(1, { id: '"ab"@x' }), msg(2, { irt: ['ab@x'] })]), '(1 2)');
  assert.equal(references([msg(1, { id: 'ab"c@x' }), msg(2, { irt: ['"ab\\"c"@x'] })]), '(1 2)');
});

test('a Message-ID used twice belongs to the first message; one without an id is a thread of its own', () => {
  assert.equal(references([msg(2, { id: 'same@x' }), msg(1, { id: 'same@x' }), msg(3, { refs: ['same@x'] })]), '(1 3)(2)');
  assert.equal(references([msg(1, { id: null }), msg(2, { id: '' }), msg(3, { refs: [''] })]), '(1)(2)(3)');
});

test('step 5: roots with the same base subject are gathered, replies under the original', () => {
  assert.equal(references([msg(1, { subject: 'Hello' }), msg(2, { subject: 'Re: HELLO' })]), '(1 2)');
  assert.equal(references([msg(1, { subject: 'Hello' }), msg(2, { subject: '[list] hello' })]), '((1)(2))');
  assert.equal(references([msg(1, { subject: 'Re: x' }), msg(2, { subject: 'x (fwd)' })]), '((1)(2))');
  assert.equal(references([msg(1, { subject: 'x' }), msg(2, { subject: 'x' }), msg(3, { subject: 'x' })]), '((1)(2)(3))');
  // The reply came first: the original still heads the thread.
  assert.equal(references([msg(1, { subject: 'Re: x' }), msg(2, { subject: 'x' })]), '(2 1)');
  // Empty subjects are never gathered.
  assert.equal(references([msg(1, { subject: '' }), msg(2, { subject: 'Re:' }), msg(3, { subject: null })]), '(1)(2)(3)');
  // Gathered in date order, not UID order: the earliest original heads the thread.
  assert.equal(references([msg(1, { subject: 'Re: x', date: 3 }), msg(2, { subject: 'x', date: 2 }), msg(3, { subject: 'x', date: 1 })]), '((3)(2)(1))');
  // Only roots are gathered: 2 is already in 1's thread.
  assert.equal(references([msg(1), msg(2, { subject: 'other', refs: ids(1) }), msg(3, { subject: 'other' })]), '(1 2)(3)');
});

test('step 5: a dummy root takes in messages and other dummies of its subject; its subject is its first child\'s', () => {
  const twins = [msg(3, { subject: 'Re: topic', refs: ['gone@x'] }), msg(5, { subject: 'Re: topic', refs: ['gone@x'] })];
  assert.equal(references([...twins, msg(7, { subject: 'topic' })]), '((3)(5)(7))');
  assert.equal(references([...twins, msg(1, { subject: 'topic' })]), '((1)(3)(5))');
  const others = [msg(6, { subject: 'Re: topic', refs: ['lost@x'] }), msg(8, { subject: 'Re: topic', refs: ['lost@x'] })];
  assert.equal(references([...twins, ...others]), '((3)(5)(6)(8))');
  const mixed = [msg(3, { subject: 'alpha', refs: ['gone@x'] }), msg(5, { subject: 'beta', refs: ['gone@x'] })];
  assert.equal(references([...mixed, msg(7, { subject: 'beta' })]), '((3)(5))(7)');
  assert.equal(references([...mixed, msg(7, { subject: 'Re: alpha' })]), '((3)(5)(7))');
  const late = [msg(3, { subject: 'alpha', date: 9, refs: ['gone@x'] }), msg(5, { subject: 'beta', date: 1, refs: ['gone@x'] })];
  assert.equal(references([...late, msg(7, { subject: 'beta', date: 10 })]), '((5)(3)(7))');
});

test('what counts as a reply or forward: a removed subj-refwd, "(fwd)" trailer or [fwd: …] wrapper', () => {
  const cases: [string, boolean][] = [
    ['Re: x', true], ['[list] Fw: x', true], ['x (fwd)', true], ['[Fwd: x]', true],
    ['x', false], ['[list] x', false], ['Re x', false], ['[Fwd: x] y', false], ['Re:', true],
  ];
  for (const [subject, reply] of cases) assert.equal(extractBaseSubject(subject).replyOrForward, reply, subject);
});

test('siblings and threads are ordered by sent date (the internal date without one), ties by UID', () => {
  const messages = [
    msg(1, { date: 50 }),
    msg(2, { date: 30, refs: ids(1) }),
    msg(3, { date: null, internal: 10, refs: ids(1) }),
    msg(4, { date: 30, refs: ids(1) }),
    msg(5, { date: 40 }),
  ];
  assert.equal(references(messages), '(5)(1 (3)(2)(4))');
  // A dummy sorts by its first child, after its children are sorted.
  assert.equal(references([msg(1, { date: 5 }), msg(3, { date: 7, refs: ['gone@x'] }), msg(4, { date: 2, refs: ['gone@x'] })]), '((4)(3))(1)');
});

test('a reply chain ten thousand deep, in either UID order, is threaded and written without deep recursion', () => {
  const n = 10_000;
  const chain = Array.from({ length: n }, (_, i) => msg(i + 1, { subject: 'Re: chain', irt: i > 0 ? ids(i) : [] }));
  const expected = `(${chain.map((m) => m.uid).join(' ')})`;
  assert.equal(references(chain), expected);
  const backwards = Array.from({ length: n }, (_, i) => msg(n - i, { subject: 'Re: chain', date: i, irt: i > 0 ? ids(n - i + 1) : [] }));
  assert.equal(references(backwards), `(${backwards.map((m) => m.uid).join(' ')})`);
});

test('ORDEREDSUBJECT: one thread per base subject, its first message the parent of all others, no grandchildren', () => {
  const messages = [
    msg(174, { subject: 'Meeting', date: 1 }),
    msg(175, { subject: 'Re: meeting', date: 2, refs: ids(174) }),
    msg(176, { subject: 'RE: Meeting', date: 3, refs: ids(175) }),
    msg(178, { subject: 'Fwd: Meeting', date: 4 }),
    msg(180, { subject: 'meeting (fwd)', date: 6 }),
    msg(181, { subject: '[list] Meeting', date: 5 }),
    msg(194, { subject: 'Lunch', date: 7 }),
    msg(195, { subject: 'Re: Lunch', date: 8 }),
    msg(199, { subject: 'Alone', date: 9 }),
  ];
  assert.equal(orderedSubject(messages), '(174 (175)(176)(178)(181)(180))(194 195)(199)');
});

test('ORDEREDSUBJECT: threads in the order of their first messages, ties by UID; empty subjects are one thread', () => {
  const messages = [
    msg(1, { subject: 'b', date: 20 }),
    msg(2, { subject: 'a', date: 30 }),
    msg(3, { subject: 'Re: b', date: 10 }),
    msg(4, { subject: 'c', date: null, internal: 10 }),
    msg(5, { subject: '', date: 40 }),
    msg(6, { subject: null, date: 5 }),
  ];
  assert.equal(orderedSubject(messages), '(6 5)(3 1)(4)(2)');
  assert.equal(orderedSubject([]), '');
});
