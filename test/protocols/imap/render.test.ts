import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../../src/mime/parse.ts';
import type { ImapData } from '../../../src/protocols/imap/data.ts';
import { bodyStructure } from '../../../src/protocols/imap/render/bodystructure.ts';
import { envelope } from '../../../src/protocols/imap/render/envelope.ts';
import { encode } from '../../../src/protocols/imap/writer.ts';
import { eml } from '../../mime/helpers.ts';

// Expected answers below are Dovecot 2.3's for the same messages unless a test says otherwise.

const wire = (value: ImapData): string => encode(value, { utf8: false }).toString('latin1');

function envelopeText(raw: Buffer): string {
  return wire(envelope(parseMessage(raw).envelope));
}

const structureOf = (raw: Buffer, extended = true): string => wire(bodyStructure(raw, parseMessage(raw).structure, extended));

test('ENVELOPE fields are the raw values, unfolded, not decoded; NIL when absent, "" when empty', () => {
  const raw = eml(
    'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)\n' +
      'Subject: =?utf-8?q?caf=C3=A9?=\n  is\topen  \n' +
      'In-Reply-To: <parent@example.com>\n' +
      'Message-ID:  <id@example.com> \n\nbody\n',
  );
  assert.equal(
    envelopeText(raw),
    '("Mon, 7 Feb 1994 21:52:25 -0800 (PST)" "=?utf-8?q?caf=C3=A9?= is open" NIL NIL NIL NIL NIL NIL "<parent@example.com>" "<id@example.com> ")',
  );
  assert.equal(envelopeText(eml('Subject:\nMessage-ID:\n\nx')), '(NIL "" NIL NIL NIL NIL NIL NIL NIL "")');
  assert.equal(envelopeText(eml('X-Other: 1\n\nx')), '(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)');
});

test('ENVELOPE addresses: display names, comment names, groups, source routes', () => {
  const raw = eml(
    'From: "Terry  Gray" <gray@cac.washington.edu>, (Comment only) x@y (Real Name)\n' +
      'To: Team: a@example.com, "B. Person" <b@example.com>;, undisclosed-recipients:;\n' +
      'Cc: <@relay.example,@other.example:route@example.com>, "quoted local"@example.com\n\nbody\n',
  );
  assert.equal(
    envelopeText(raw),
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
    envelopeText(raw),
    '(NIL NIL NIL NIL NIL ((NIL NIL "user" "MISSING_DOMAIN") ("John Smith" NIL "MISSING_MAILBOX" "MISSING_DOMAIN") ' +
      '(NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") (NIL NIL "a." "example.com")) NIL NIL NIL NIL)',
  );
});

test('ENVELOPE: sender and reply-to fall back to from; repeated address fields merge; the last Subject counts', () => {
  const raw = eml('Subject: first\nSubject: second\nFrom: a@example.com\nSender:\nTo: b@example.com\nTo: c@example.com\n\nx');
  assert.equal(
    envelopeText(raw),
    '(NIL "second" ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ((NIL NIL "a" "example.com")) ' +
      '((NIL NIL "b" "example.com") (NIL NIL "c" "example.com")) NIL NIL NIL NIL)',
  );
  assert.match(envelopeText(eml('From: a@example.com\nReply-To: r@example.com\n\nx')), /^\(NIL NIL \(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "a" "example.com"\)\) \(\(NIL NIL "r" "example.com"\)\)/);
});

test('ENVELOPE keeps 8-bit header bytes as they are (a literal), and a NUL becomes U+FFFD', () => {
  const raw = Buffer.concat([Buffer.from('Subject: caf\xe9\x00!\r\nFrom: ', 'latin1'), Buffer.from('Jörg <j@example.de>\r\n\r\nx', 'utf8')]);
  const value = envelope(parseMessage(raw).envelope) as ImapData[];
  assert.deepEqual(value[1], { latin1: Buffer.concat([Buffer.from('caf\xe9', 'latin1'), Buffer.from('\ufffd!', 'utf8')]).toString('latin1') });
  const text = wire(value);
  assert.ok(text.includes(`{8}\r\ncaf\xe9\xef\xbf\xbd!`), text);
  assert.ok(text.includes(`(({5}\r\nJ\xc3\xb6rg NIL "j" "example.de"))`), text);
});

const MULTIPART = eml(
  'MIME-Version: 1.0\n' +
    'Content-Type: multipart/mixed; boundary="outer"; Foo=Bar\n' +
    'Content-Language: en-GB, fr (comment)\n' +
    'Content-Location: http://example.com/\n folded\n\n' +
    'preamble\n--outer\n' +
    'Content-Type: TEXT/Plain; CHARSET="iso-8859-1"; format=flowed\n' +
    'Content-ID: <part1@example.com>\n' +
    'Content-Description: =?utf-8?q?d=C3=A9j=C3=A0?= vu\n' +
    'Content-Transfer-Encoding: Quoted-Printable\n' +
    'Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n' +
    'Content-Disposition: inline; creation-date="Wed, 12 Feb 1997 16:29:51 -0500"\n\n' +
    'caf=E9\nline two\n--outer\n' +
    'Content-Type: message/rfc822\n\n' +
    'From: inner@example.com\nSubject: inner\nContent-Type: text/html; charset=utf-8\n\n<p>hi</p>\n--outer\n' +
    'Content-Type: multipart/digest; boundary=dig\n\n--dig\n\nSubject: digested\n\none\n--dig--\n' +
    '--outer--\nepilogue\n',
);

test('BODYSTRUCTURE of a multipart: header case kept, every basic and extension field, message/rfc822, digest', () => {
  assert.equal(
    structureOf(MULTIPART),
    '(' +
      '("TEXT" "Plain" ("CHARSET" "iso-8859-1" "format" "flowed") "<part1@example.com>" "=?utf-8?q?d=C3=A9j=C3=A0?= vu" ' +
      '"Quoted-Printable" 16 1 "Q2hlY2sgSW50ZWdyaXR5IQ==" ("inline" ("creation-date" "Wed, 12 Feb 1997 16:29:51 -0500")) NIL NIL) ' +
      '("message" "rfc822" NIL NIL NIL "7bit" 92 ' +
      '(NIL "inner" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) ' +
      '("text" "html" ("charset" "utf-8") NIL NIL "7bit" 9 0 NIL NIL NIL NIL) 4 NIL NIL NIL NIL) ' +
      '(("message" "rfc822" NIL NIL NIL "7bit" 24 (NIL "digested" NIL NIL NIL NIL NIL NIL NIL NIL) ' +
      '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0 NIL NIL NIL NIL) 2 NIL NIL NIL NIL) "digest" ("boundary" "dig") NIL NIL NIL) ' +
      '"mixed" ("boundary" "outer" "Foo" "Bar") NIL ("en-GB" "fr") "http://example.com/ folded")',
  );
});

test('BODY is BODYSTRUCTURE without extension data', () => {
  assert.equal(
    structureOf(MULTIPART, false),
    '(' +
      '("TEXT" "Plain" ("CHARSET" "iso-8859-1" "format" "flowed") "<part1@example.com>" "=?utf-8?q?d=C3=A9j=C3=A0?= vu" "Quoted-Printable" 16 1) ' +
      '("message" "rfc822" NIL NIL NIL "7bit" 92 ' +
      '(NIL "inner" ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) ((NIL NIL "inner" "example.com")) NIL NIL NIL NIL NIL) ' +
      '("text" "html" ("charset" "utf-8") NIL NIL "7bit" 9 0) 4) ' +
      '(("message" "rfc822" NIL NIL NIL "7bit" 24 (NIL "digested" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 3 0) 2) "digest") ' +
      '"mixed")',
  );
});

test('RFC 2231 parameters: continuations joined; an encoded value stays encoded under "name*"; a gap leaves them as written', () => {
  const raw = eml(
    'MIME-Version: 1.0\n' +
      "Content-Type: application/octet-stream; name*0*=utf-8''%E2%82%AC%20rates;\n name*1=\" 50%\"; title*0=abc; title*2=ghi; url*0=\"ftp://\"; url*1=host\n" +
      "Content-Disposition: attachment; filename*=iso-8859-1'de'Gr%FC%DFe.txt; size=42\n\nAAEC",
  );
  assert.equal(
    structureOf(raw),
    '("application" "octet-stream" ("name*" "utf-8\'\'%E2%82%AC%20rates 50%25" "title*0" "abc" "title*2" "ghi" "url" "ftp://host") ' +
      'NIL NIL "7bit" 4 NIL ("attachment" ("size" "42" "filename*" "iso-8859-1\'de\'Gr%FC%DFe.txt")) NIL NIL)',
  );
});

test('a text part without Content-Type or charset is text/plain; charset=us-ascii, a plain US-ASCII message in lower case', () => {
  assert.equal(structureOf(eml('Subject: x\n\nline one\nline two\n')), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 20 2 NIL NIL NIL NIL)');
  assert.equal(
    structureOf(eml('MIME-Version: 1.0\nContent-Type: Text/Plain; Charset=US-ASCII\nContent-Transfer-Encoding: 7BIT\n\nx')),
    '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)',
  );
  assert.equal(
    structureOf(eml('MIME-Version: 1.0\nContent-Type: Text/HTML\n\nx')),
    '("Text" "HTML" ("charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)',
  );
});

test('without MIME-Version or Content-Type a message is not MIME: its other Content-* fields mean nothing (RFC 2045 §4)', () => {
  const raw = eml('Content-Transfer-Encoding: quoted-printable\nContent-Disposition: attachment; filename=x.txt\n\nnot MIME\n');
  assert.equal(structureOf(raw), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)');
});

test('transfer encodings: a single token as written, anything else the 7bit default', () => {
  const of = (cte: string) => structureOf(eml(`MIME-Version: 1.0\nContent-Type: application/x-y\nContent-Transfer-Encoding: ${cte}\n\nx`));
  assert.match(of('x-custom'), /NIL NIL "x-custom" 1 /);
  assert.match(of('BASE64 (comment)'), /NIL NIL "BASE64" 1 /);
  assert.match(of('base64 garbage'), /NIL NIL "7bit" 1 /);
});

// Differences from Dovecot, each justified where the renderer decides it.

test('an invalid Content-Type is text/plain; charset=us-ascii (RFC 2045 §5.2), not Dovecot\'s "" "" or "text" ""', () => {
  assert.equal(structureOf(eml('MIME-Version: 1.0\nContent-Type: text\n\nbody\n')), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1 NIL NIL NIL NIL)');
  assert.equal(structureOf(eml('MIME-Version: 1.0\nContent-Type: image/\n\nbody')), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 4 0 NIL NIL NIL NIL)');
});

test('a multipart without a single delimiter is the one text part the MIME tree holds (what BODY[1] serves)', () => {
  const raw = eml('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=xx\n\nno boundary here\n');
  assert.equal(structureOf(raw), '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 18 1 NIL NIL NIL NIL)');
});

test('a multipart left without parts lists one empty text part, as body-type-mpart needs one', () => {
  const raw = eml('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b--\n');
  const root = parseMessage(raw).structure;
  assert.equal(
    wire(bodyStructure(raw, { ...root, children: [] }, true)),
    '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0 NIL NIL NIL NIL) "mixed" ("boundary" "b") NIL NIL NIL)',
  );
  assert.equal(wire(bodyStructure(raw, { ...root, children: [] }, false)), '(("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 0 0) "mixed")');
});

test('a base64-encoded message/rfc822 (RFC 2046 §5.2.1 forbids it) is application/octet-stream', () => {
  const raw = eml('MIME-Version: 1.0\nContent-Type: message/rfc822; name=m.eml\nContent-Transfer-Encoding: base64\n\nU3ViamVjdDogeAoKeQo=\n');
  assert.equal(structureOf(raw), '("application" "octet-stream" ("name" "m.eml") NIL NIL "base64" 22 NIL NIL NIL NIL)');
});

test('message/global carries envelope, body and lines like message/rfc822 (RFC 9051 §9)', () => {
  const raw = eml('MIME-Version: 1.0\nContent-Type: message/global\n\nSubject: caf\u00e9\n\nbody\n');
  const text = structureOf(raw, false);
  assert.ok(text.startsWith('("message" "global" NIL NIL NIL "7bit" 24 (NIL {5}\r\ncaf\xc3\xa9 NIL'), text);
  assert.ok(text.endsWith('("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 6 1) 3)'), text);
});

test('a charset given only RFC 2231-encoded counts as given: no us-ascii default beside it', () => {
  const raw = eml("MIME-Version: 1.0\nContent-Type: text/plain; charset*=us-ascii''utf-8\n\nx");
  assert.equal(structureOf(raw, false), '("text" "plain" ("charset*" "us-ascii\'\'utf-8") NIL NIL "7bit" 1 0)');
});

test('a parameter that does not parse is dropped and the next one still read (Dovecot also loses the next one)', () => {
  const raw = eml('MIME-Version: 1.0\nContent-Type: text/plain; broken; b=c; d="unterminated\n\nx');
  assert.equal(structureOf(raw), '("text" "plain" ("b" "c" "charset" "us-ascii") NIL NIL "7bit" 1 0 NIL NIL NIL NIL)');
});

test('a lone encoded parameter after a continuation is section 0 of its own name, not Dovecot\'s "title*1*"', () => {
  const raw = eml("MIME-Version: 1.0\nContent-Type: text/plain; name*0=a; name*1=b; title*=us-ascii'en'x%25y\n\nx");
  assert.equal(structureOf(raw, false), '("text" "plain" ("name" "ab" "title*" "us-ascii\'en\'x%25y" "charset" "us-ascii") NIL NIL "7bit" 1 0)');
});
