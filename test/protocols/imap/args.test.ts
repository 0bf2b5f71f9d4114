import assert from 'node:assert/strict';
import { test } from 'node:test';
import { astring, atom, list, number, number64 } from '../../../src/protocols/imap/args.ts';
import { args, rejects } from './fixtures.ts';

test('astring: atoms, quoted strings and literals as UTF-8 text', () => {
  const [a, q, l, wild, nil] = args('INBOX "Sent Items" {7+}\r\nGrüße %/* NIL');
  assert.equal(astring(a), 'INBOX');
  assert.equal(astring(q), 'Sent Items');
  assert.equal(astring(l), 'Grüße');
  assert.equal(astring(wild), '%/*');
  // RFC 9051 §4.5: a mailbox named NIL is a mailbox, not a missing one.
  assert.equal(astring(nil), 'NIL');
  assert.equal(astring(args('[Gmail]/Sent')[0]), '[Gmail]/Sent');
});

test('astring: lists, flags, binary or invalid UTF-8 literals and nothing are errors', () => {
  for (const text of ['(a)', '\\Seen', 'BODY[]', '~{1+}\r\na']) rejects(() => astring(args(text)[0]));
  rejects(() => astring({ type: 'literal', value: Buffer.from([0x61, 0xff]), binary: false }));
  rejects(() => astring(undefined));
});

test('number, number64: digits only, within range', () => {
  assert.equal(number(args('0')[0]), 0);
  assert.equal(number(args('4294967295')[0]), 4294967295);
  assert.equal(number(args('007')[0]), 7);
  assert.equal(number64(args('9007199254740991')[0]), Number.MAX_SAFE_INTEGER);
  for (const text of ['4294967296', '-1', '1e3', '0x10', '"5"', '(1)', '1.5']) rejects(() => number(args(text)[0]));
  for (const text of ['9007199254740992', '99999999999999999999']) rejects(() => number64(args(text)[0]));
  rejects(() => number(undefined));
});

test('list and atom accessors', () => {
  const [l, a] = args('(a "b") FLAGS');
  assert.equal(list(l).length, 2);
  assert.equal(atom(a), 'FLAGS');
  rejects(() => list(a));
  rejects(() => atom(l));
  rejects(() => atom(args('"quoted"')[0]));
});
