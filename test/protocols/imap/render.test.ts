import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../../src/mime/parse.ts';
import type { ImapData } from '../../../src/protocols/imap/data.ts';
import { envelope } from '../../../src/protocols/imap/render/envelope.ts';
import { encode } from '../../../src/protocols/imap/writer.ts';
import { eml } from '../../mime/helpers.ts';

// Expected answers below are Dovecot 2.3's for the same messages unless a test says otherwise.

const wire = (value: ImapData): string => encode(value, { utf8: false }).toString('latin1');

function envelopeOf(raw: Buffer): string {
  const root = parseMessage(raw).structure;
  return wire(envelope(raw, root.headerStart, root.headerEnd));
}

test('ENVELOPE fields are the raw values, unfolded, not decoded; NIL when absent, "" when empty', () => {
  const raw = eml(
    'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n' +
      'Subject: =?utf-8?q?caf=C3=A9?=\n  is\topen  \n' +
      'In-Reply-To: <parent@example.com>\n' +
      'Message-ID:  <id@example.com> \n\nbody\n',
  );
  assert.equal(
    envelopeOf(raw),
    '("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "=?utf-8?q?caf=C3=A9?= is open" NIL NIL NIL NIL NIL NIL "<parent@example.com>" "<id@example.com> ")',
  );
  assert.equal(envelopeOf(eml('Subject:\nMessage-ID:\n\nx')), '(NIL "" NIL NIL NIL NIL NIL NIL NIL "")');
  assert.equal(envelopeOf(eml('X-Other: 1\n\nx')), '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
});

test('ENVELOPE addresses: display names, comment names, groups, source routes', () => {
  const raw = eml(
    'From: "Terry  Gray" <gray@cac.washington.edu>, (Comment only) x@y (Real Name)\n' +
      'To: Team: a@example.com, "B. Person" <b@example.com>;, undisclosed-recipients:;\n' +
      'Cc: <@relay.example,@other.example:route@example.com>, "quoted local"@example.com\n\nbody\n',
  );
  assert.equal(
    envelopeOf(raw),
    '(NIL NIL ' +
      '(("Terry Gray" NIL "gray" "cac.washington.edu") ("Real Name" NIL "x" "y")) ' +
      '(("Terry Gray" NIL "gray" "cac.washington.edu") ("Real Name" NIL "x" "y")) ' +
      '(("Terry Gray" NIL "gray" "cac.washington.edu") ("Real Name" NIL "x" "y")) ' +
      '((NIL NIL "Team" NIL) (NIL NIL "a" "example.com") ("B. Person" NIL "b" "example.com") (NIL NIL NIL NIL) ' +
      '(NIL NIL "undisclosed-recipients" NIL) (NIL NIL NIL NIL)) ' +
      '((NIL "@relay.example,@other.example" "route" "example.com") (NIL NIL "quoted local" "example.com")) ' +
      'NIL NIL NIL)',
  );
});

test('ENVELOPE addresses missing a mailbox or host get placeholders, never a NIL host (that marks a group)', () => {
  const raw = eml('To: user, John Smith, <>, a.@example.com\n\nx');
  assert.equal(
    envelopeOf(raw),
    '(NIL NIL NIL NIL NIL ((NIL NIL "user" "MISSING_DOMAIN") ("John Smith" NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ' +
      '(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") (NIL NIL "a." "example.com")) NIL NIL NIL NIL)',
  );
});

test('ENVELOPE: sender and reply-to fall back to from; repeated address fields merge; the last Subject counts', () => {
  const raw = eml('Subject: first\nSubject: second\nFrom: a@example.com\nSender:\nTo: b@example.com\nTo: c@example.com\n\nx');
  assert.equal(
    envelopeOf(raw),
    '(NIL "second" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ' +
      '((NIL NIL "b" "example.com") (NIL NIL "c" "example.com")) NIL NIL NIL NIL)',
  );
  assert.match(envelopeOf(eml('From: a@example.com\nReply-To: r@example.com\n\nx')), /^\(NIL NIL \(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "r" "example.com"\)\)/);
});

test('ENVELOPE keeps 8-bit header bytes as they are (a literal), and a NUL becomes U+FFFD', () => {
  const raw = Buffer.concat([Buffer.from('Subject: caf\xe9\x00!\r\nFrom: ', 'latin1'), Buffer.from('Jörg <j@example.de>\r\n\r\nx', 'utf8')]);
  const root = parseMessage(raw).structure;
  const value = envelope(raw, root.headerStart, root.headerEnd) as ImapData[];
  assert.deepEqual(value[1], Buffer.concat([Buffer.from('caf\xe9', 'latin1'), Buffer.from('\ufffd!', 'utf8')]));
  const text = wire(value);
  assert.ok(text.includes(`{8}\r\ncaf\xe9\xef\xbf\xbd!`), text);
  assert.ok(text.includes(`(({5}\r\nJ\xc3\xb6rg NIL "j" "example.de"))`), text);
});
