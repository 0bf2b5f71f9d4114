import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeMailboxName, encodeMailboxName } from '../../../src/protocols/imap/mailbox-names.ts';
import { rejects } from './fixtures.ts';

test('modified UTF-7: the RFC 3501 §5.1.3 examples', () => {
  assert.equal(decodeMailboxName('~peter/mail/&U,BTFw-/&ZeVnLIqe-', false), '~peter/mail/台北/日本語');
  assert.equal(encodeMailboxName('~peter/mail/台北/日本語', false), '~peter/mail/&U,BTFw-/&ZeVnLIqe-');
  assert.equal(decodeMailboxName('&Jjo-!', false), '☺!');
  assert.equal(decodeMailboxName('&U,BTF2XlZyyKng-', false), '台北日本語');
  // Not valid: no shift back before "!", a superfluous shift.
  rejects(() => decodeMailboxName('&Jjo!', false), 'CANNOT');
  rejects(() => decodeMailboxName('&U,BTFw-&ZeVnLIqe-', false), 'CANNOT');
});

test('modified UTF-7: "&", astral characters, and only the canonical form', () => {
  assert.equal(decodeMailboxName('Tom &- Jerry', false), 'Tom & Jerry');
  assert.equal(encodeMailboxName('Tom & Jerry', false), 'Tom &- Jerry');
  for (const name of ['Entwürfe', '😀 Fun', 'a&b', 'Ünïcödé/ß', '&']) {
    assert.equal(decodeMailboxName(encodeMailboxName(name, false), false), name);
  }
  assert.equal(encodeMailboxName('Entwürfe', false), 'Entw&APw-rfe');
  // Printable ASCII in BASE64, a bare "&", 8-bit text, an odd byte count, a lone surrogate, bad padding bits.
  for (const name of ['&AGE-', 'a&b', 'Entwürfe', '&AP-', '&2D0-', '&APx-']) rejects(() => decodeMailboxName(name, false), 'CANNOT');
});

test('UTF-8 names pass as they are once enabled, normalised to NFC', () => {
  assert.equal(decodeMailboxName('Entwürfe & Co', true), 'Entwürfe & Co');
  assert.equal(decodeMailboxName('&Jjo-', true), '&Jjo-');
  assert.equal(decodeMailboxName('Entwu\u0308rfe', true), 'Entw\u00fcrfe');
  assert.equal(encodeMailboxName('Entwürfe & Co', true), 'Entwürfe & Co');
  rejects(() => decodeMailboxName('a\u0007b', true), 'CANNOT');
  rejects(() => decodeMailboxName('a&AAc-b', false), 'CANNOT');
});

test('INBOX is case-insensitive, other names are not', () => {
  for (const utf8 of [false, true]) {
    assert.equal(decodeMailboxName('iNbOx', utf8), 'INBOX');
    assert.equal(decodeMailboxName('Inbox/Sub', utf8), 'Inbox/Sub');
    assert.equal(decodeMailboxName('Drafts', utf8), 'Drafts');
  }
});
