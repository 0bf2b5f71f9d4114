import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseFetchArgs, type FetchItem } from '../../../src/protocols/imap/fetch-args.ts';
import { args, command, rejects } from './fixtures.ts';

/** A FETCH command's arguments after its sequence set. */
const fetch = (line: string) => parseFetchArgs(command(line).args.slice(1));
const one = (text: string): FetchItem => {
  const { items } = parseFetchArgs(args(text));
  assert.equal(items.length, 1);
  return items[0];
};
const name = (text: string) => (one(text) as { name: string }).name;

test('RFC 9051 examples', () => {
  assert.deepEqual(fetch('A654 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])'), {
    items: [
      { kind: 'flags' },
      { kind: 'body', peek: false, section: { part: [], text: 'HEADER.FIELDS', fields: ['DATE', 'FROM'] }, name: 'BODY[HEADER.FIELDS (DATE FROM)]' },
    ],
    vanished: false,
  });
  assert.deepEqual(fetch('A999 UID FETCH 4827313:4828442 FLAGS').items, [{ kind: 'flags' }]);
  assert.deepEqual(fetch('A283 FETCH $ (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])').items, [
    { kind: 'uid' }, { kind: 'internaldate' }, { kind: 'flags' },
    { kind: 'body', peek: true, section: { part: [], text: 'HEADER' }, name: 'BODY[HEADER]' },
  ]);
  // RFC 5182's version of the same, in RFC 3501 terms.
  assert.deepEqual(fetch('A283 FETCH $ (UID INTERNALDATE FLAGS RFC822.HEADER)').items.at(-1), { kind: 'rfc822.header' });
});

test('macros ALL, FAST, FULL expand; only on their own', () => {
  const kinds = (text: string) => parseFetchArgs(args(text)).items.map((i) => i.kind);
  assert.deepEqual(kinds('ALL'), ['flags', 'internaldate', 'rfc822.size', 'envelope']);
  assert.deepEqual(kinds('fast'), ['flags', 'internaldate', 'rfc822.size']);
  assert.deepEqual(fetch('A003 FETCH 4 FULL').items.at(-1), { kind: 'bodystructure', extended: false });
  rejects(() => parseFetchArgs(args('(ALL)')));
  rejects(() => parseFetchArgs(args('(FLAGS FAST)')));
});

test('every simple item, single or in a list, case-insensitive', () => {
  const names = 'UID FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODY BODYSTRUCTURE RFC822 RFC822.HEADER RFC822.TEXT MODSEQ EMAILID THREADID';
  assert.deepEqual(parseFetchArgs(args(`(${names.toLowerCase()})`)).items, [
    { kind: 'uid' }, { kind: 'flags' }, { kind: 'internaldate' }, { kind: 'rfc822.size' }, { kind: 'envelope' },
    { kind: 'bodystructure', extended: false }, { kind: 'bodystructure', extended: true },
    { kind: 'rfc822' }, { kind: 'rfc822.header' }, { kind: 'rfc822.text' }, { kind: 'modseq' }, { kind: 'emailid' }, { kind: 'threadid' },
  ]);
  assert.deepEqual(one('BodyStructure'), { kind: 'bodystructure', extended: true });
});

test('BODY sections: parts, texts, MIME, field lists; names as responses carry them', () => {
  assert.deepEqual(one('BODY[]'), { kind: 'body', peek: false, section: { part: [] }, name: 'BODY[]' });
  assert.deepEqual(one('body.peek[1.2.3]'), { kind: 'body', peek: true, section: { part: [1, 2, 3] }, name: 'BODY[1.2.3]' });
  assert.deepEqual(one('BODY[text]'), { kind: 'body', peek: false, section: { part: [], text: 'TEXT' }, name: 'BODY[TEXT]' });
  assert.equal(name('BODY[2.mime]'), 'BODY[2.MIME]');
  assert.deepEqual(one('BODY[4.2.HEADER]'), { kind: 'body', peek: false, section: { part: [4, 2], text: 'HEADER' }, name: 'BODY[4.2.HEADER]' });
  assert.deepEqual(one('BODY.PEEK[1.HEADER.FIELDS.NOT (Received "X-Spam")]'), {
    kind: 'body', peek: true, section: { part: [1], text: 'HEADER.FIELDS.NOT', fields: ['Received', 'X-Spam'] },
    name: 'BODY[1.HEADER.FIELDS.NOT (RECEIVED X-SPAM)]',
  });
  // A field name that cannot go bare in a response is quoted there.
  assert.equal(name('BODY[HEADER.FIELDS ("X(a)\\"b")]'), 'BODY[HEADER.FIELDS ("X(A)\\"B")]');
});

test('a partial range answers with its origin only (RFC 9051 §6.4.5: BODY[]<0.2048> returns BODY[]<0>)', () => {
  assert.deepEqual(one('BODY[]<0.2048>'), { kind: 'body', peek: false, section: { part: [] }, partial: { start: 0, length: 2048 }, name: 'BODY[]<0>' });
  assert.equal(name('BODY.PEEK[1.TEXT]<100.50>'), 'BODY[1.TEXT]<100>');
});

test('BINARY, BINARY.PEEK and BINARY.SIZE take part numbers only', () => {
  assert.deepEqual(one('BINARY[]'), { kind: 'binary', peek: false, part: [], name: 'BINARY[]' });
  assert.deepEqual(one('BINARY.PEEK[1.2]<0.100>'), { kind: 'binary', peek: true, part: [1, 2], partial: { start: 0, length: 100 }, name: 'BINARY[1.2]<0>' });
  assert.deepEqual(one('binary.size[3]'), { kind: 'binary.size', part: [3], name: 'BINARY.SIZE[3]' });
});

test('modifiers (RFC 7162): CHANGEDSINCE adds MODSEQ; VANISHED needs CHANGEDSINCE', () => {
  assert.deepEqual(fetch('s100 UID FETCH 1:* (FLAGS) (CHANGEDSINCE 12345)'), { items: [{ kind: 'flags' }, { kind: 'modseq' }], changedSince: 12345, vanished: false });
  assert.deepEqual(fetch('s100 UID FETCH 300:500 (FLAGS) (CHANGEDSINCE 12345 VANISHED)'), { items: [{ kind: 'flags' }, { kind: 'modseq' }], changedSince: 12345, vanished: true });
  assert.deepEqual(fetch('a FETCH 1:3 (MODSEQ) (changedsince 1)').items, [{ kind: 'modseq' }]);
  for (const mods of ['(VANISHED)', '()', '(CHANGEDSINCE)', '(CHANGEDSINCE x)', '(CHANGEDSINCE -1)', '(CHANGEDSINCE 1 CHANGEDSINCE 2)', '(FOO 1)', 'CHANGEDSINCE']) {
    rejects(() => parseFetchArgs(args(`FLAGS ${mods}`)));
  }
});

test('unknown items, bad sections and numbers are syntax errors', () => {
  for (const text of [
    'FOO', '(FLAGS FOO)', '()', '"FLAGS"', '(FLAGS) (CHANGEDSINCE 1) x', 'BODY.PEEK', 'BINARY', 'BINARY.SIZE', '((FLAGS))',
    'BODY[MIME]', 'BODY[0]', 'BODY[01]', 'BODY[1.0.TEXT]', 'BODY[1.]', 'BODY[.TEXT]', 'BODY[4294967296]', 'BODY[FOO]', 'BODY[1.FOO]',
    'BODY[HEADER.FIELDS]', 'BODY[HEADER.FIELDS ()]', 'BODY[HEADER.FIELDS (a:b)]', 'BODY[HEADER.FIELDS ("a b")]', 'BODY[HEADER.FIELDS a]',
    'BODY[TEXT (a)]', 'BODY[HEADER.FIELDS (a) (b)]', 'BODY["1"]', 'BODY[(1)]',
    'BINARY[1.TEXT]', 'BINARY[HEADER]', 'BINARY[0]', 'BINARY[1 2]', 'BINARY.SIZE[1]<0.10>',
  ]) {
    rejects(() => parseFetchArgs(args(text)));
  }
  rejects(() => parseFetchArgs([]));
});
