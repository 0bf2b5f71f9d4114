import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseMessage } from '../../src/mime/parse.ts';
import { parseAddressList } from '../../src/mime/addresses.ts';
import { parseDate } from '../../src/mime/dates.ts';
import { parseMessageId, parseMessageIds } from '../../src/mime/message-ids.ts';
import { eml } from './helpers.ts';

const subjectOf = (value: string): string | null => parseMessage(eml(`Subject: ${value}\n\nx\n`)).subject;

test('RFC 2047 subjects: UTF-8 B, ISO-8859-1 Q, adjacent words joined', () => {
  assert.equal(subjectOf('=?UTF-8?B?SGVsbG8gV8O2cmxk?='), 'Hello Wörld');
  assert.equal(subjectOf('=?ISO-8859-1?Q?Andr=E9?= Pirard'), 'André Pirard');
  assert.equal(subjectOf('=?iso-8859-1?q?this=20is=20some=20text?='), 'this is some text');
  // RFC 2047 §8: whitespace between adjacent encoded words is dropped
  assert.equal(subjectOf('(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)'), '(ab)');
  assert.equal(subjectOf('(=?ISO-8859-1?Q?a?=\n    =?ISO-8859-1?Q?b?=)'), '(ab)');
  assert.equal(subjectOf('(=?ISO-8859-1?Q?a_b?=)'), '(a b)');
  assert.equal(subjectOf('(=?ISO-8859-1?Q?a?= b)'), '(a b)');
  // a UTF-8 character split across two B words
  assert.equal(subjectOf('=?UTF-8?B?ww==?= =?UTF-8?B?qQ==?='), 'é');
  assert.equal(subjectOf('=?windows-1251?B?z/Do4uXy?='), 'Привет');
  assert.equal(subjectOf('=?ISO-2022-JP?B?GyRCRnxLXDhsGyhC?='), '日本語');
});

test('bad encoded words are tolerated', () => {
  assert.equal(subjectOf('=?x-unknown-charset?Q?abc?='), 'abc');
  assert.doesNotThrow(() => subjectOf('=?utf-8?B?!!!?= =?utf-8?Q?=ZZ?= =?utf-8?X?abc?= =?'));
  assert.equal(subjectOf('=?utf-8?Q?unterminated'), '=?utf-8?Q?unterminated');
});

test('folded header values are unfolded; HeaderField.raw keeps the bytes as written', () => {
  const m = parseMessage(eml('Subject: Hello\n World\n\tagain\nX-Empty:\nX-Custom :  spaced\n\nbody'));
  assert.equal(m.subject, 'Hello World\tagain');
  assert.deepEqual(
    m.headers.map((h) => h.name),
    ['Subject', 'X-Empty', 'X-Custom'],
  );
  assert.equal(m.headers[0]!.raw, ' Hello\r\n World\r\n\tagain');
  assert.equal(m.headers[1]!.raw, '');
  assert.equal(m.headers[2]!.raw, '  spaced');
});

test('raw 8-bit headers: UTF-8 when valid, else Windows-1252, or the Content-Type charset', () => {
  assert.equal(parseMessage(Buffer.from('Subject: Grüße €\r\n\r\nx', 'utf8')).subject, 'Grüße €');
  assert.equal(parseMessage(Buffer.from('Subject: Gr\xfc\xdfe \x80\r\n\r\nx', 'latin1')).subject, 'Grüße €');
  const koi8 = Buffer.concat([
    Buffer.from('Subject: '),
    iconv.encode('Привет', 'koi8-r'),
    Buffer.from('\r\nFrom: '),
    iconv.encode('Иван', 'koi8-r'),
    Buffer.from(' <ivan@example.ru>\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n'),
    iconv.encode('тело', 'koi8-r'),
  ]);
  const m = parseMessage(koi8);
  assert.equal(m.subject, 'Привет');
  assert.deepEqual(m.from, [{ name: 'Иван', email: 'ivan@example.ru' }]);
  assert.equal(m.text, 'тело');
});

test('address lists: quoted names, encoded names, groups flattened', () => {
  const m = parseMessage(
    eml(
      'From: "Doe, John" <john@example.com>\n' +
        'To: =?utf-8?Q?J=C3=B6rg_M=C3=BCller?= <j@example.de>, plain@example.org,\n' +
        ' undisclosed-recipients:;, Team: a@example.net, "=?utf-8?B?w4VzYQ==?=" <b@example.net>;\n' +
        'Cc: <only@example.com>\nCc: second@example.com\n' +
        'Reply-To: Replies <r@example.com>\nSender: s@example.com\nBcc: hidden@example.com\n\nbody',
    ),
  );
  assert.deepEqual(m.from, [{ name: 'Doe, John', email: 'john@example.com' }]);
  assert.deepEqual(m.to, [
    { name: 'Jörg Müller', email: 'j@example.de' },
    { name: null, email: 'plain@example.org' },
    { name: null, email: 'a@example.net' },
    { name: 'Åsa', email: 'b@example.net' },
  ]);
  assert.deepEqual(m.cc, [
    { name: null, email: 'only@example.com' },
    { name: null, email: 'second@example.com' },
  ]);
  assert.deepEqual(m.replyTo, [{ name: 'Replies', email: 'r@example.com' }]);
  assert.deepEqual(m.sender, [{ name: null, email: 's@example.com' }]);
  assert.deepEqual(m.bcc, [{ name: null, email: 'hidden@example.com' }]);
});

test('address lists: names without address, empty values, colon-heavy garbage stays fast', () => {
  assert.deepEqual(parseAddressList('Just A Name'), [{ name: 'Just A Name', email: '' }]);
  assert.deepEqual(parseAddressList(''), []);
  assert.deepEqual(parseAddressList(null), []);
  assert.deepEqual(parseAddressList('<>'), []);
  const garbage = '"x" <x@example.com>, ' + '=?utf-8?Q?date=3E2017-08-20T10:08:28.617=3C/pr?=\t'.repeat(3000);
  const start = performance.now();
  const list = parseAddressList(garbage);
  assert.ok(performance.now() - start < 200, 'addressparser must not go quadratic');
  assert.equal(list[0]!.email, 'x@example.com');
});

test('Message-ID, In-Reply-To and References', () => {
  const m = parseMessage(
    eml(
      'Message-ID: <abc.123@example.com>\n' +
        'In-Reply-To: <parent@example.com> (message from Someone)\n' +
        'References: <root@example.com>\n <mid@example.com>\n\t<parent@example.com> <mid@example.com>\n\nbody',
    ),
  );
  assert.equal(m.messageId, 'abc.123@example.com');
  assert.deepEqual(m.inReplyTo, ['parent@example.com']);
  assert.deepEqual(m.references, ['root@example.com', 'mid@example.com', 'parent@example.com']);
  assert.equal(parseMessageId('no-brackets@example.com'), 'no-brackets@example.com');
  assert.equal(parseMessageId('  '), null);
  assert.deepEqual(parseMessageIds('a@b c@d'), ['a@b', 'c@d']);
  assert.deepEqual(parseMessageIds('<a @ b>'), ['a@b']);
  assert.equal(parseMessage(eml('Subject: x\n\nbody')).messageId, null);
});

test('Date parsing tolerates the usual garbage', () => {
  const iso = (v: string): string | null => {
    const t = parseDate(v);
    return t === null ? null : new Date(t).toISOString();
  };
  assert.equal(iso('Tue, 1 Jul 2003 10:52:37 +0200'), '2003-07-01T08:52:37.000Z');
  assert.equal(iso('1 Jul 2003 10:52 -0000'), '2003-07-01T10:52:00.000Z');
  assert.equal(iso('Mon, 13 Jan 2003 15:35:36 +0100 (CET)'), '2003-01-13T14:35:36.000Z');
  assert.equal(iso('Fri, 21 Nov 97 09:55:06 EST'), '1997-11-21T14:55:06.000Z');
  assert.equal(iso('Fri, 21 Nov 1997 09(comment):   55  :  06 -0600'), '1997-11-21T15:55:06.000Z');
  assert.equal(iso('Thu,, 29 Oct 2020 21:21:25 GMT'), '2020-10-29T21:21:25.000Z');
  assert.equal(iso('2003-07-01T10:52:37Z'), '2003-07-01T10:52:37.000Z');
  assert.equal(iso('Sat, 1 Jan 50 00:00:00 +0000'), '1950-01-01T00:00:00.000Z');
  assert.equal(iso('Sat, 1 Jan 49 00:00:00 +0000'), '2049-01-01T00:00:00.000Z');
  assert.equal(iso('not a date'), null);
  assert.equal(iso(''), null);
  assert.equal(iso('Mon, 45 Foo 2003 99:99:99'), null);
  assert.equal(parseMessage(eml('Date: Tue, 1 Jul 2003 10:52:37 +0200\n\nx')).sentAt, Date.UTC(2003, 6, 1, 8, 52, 37));
  assert.equal(parseMessage(eml('Date: yesterday-ish\n\nx')).sentAt, null);
});

test('RFC 2231 parameters: continuations, charsets, and RFC 2047 inside quotes', () => {
  const raw = eml(
    'Content-Type: multipart/mixed; boundary=b\n\n' +
      '--b\nContent-Type: application/pdf;\n name*0*=utf-8\'\'%E2%82%AC%20rates;\n name*1=" for 2024.pdf"\n' +
      'Content-Disposition: attachment;\n filename*0*=utf-8\'\'%E2%82%AC%20rates;\n filename*1=" for 2024.pdf"\n\nx\n' +
      "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename*=iso-8859-1'en'%A3%20rates.txt\n\ny\n" +
      '--b\nContent-Type: image/png; name="=?UTF-8?B?0YTQvtGC0L4ucG5n?="\n\nz\n' +
      '--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename="a b; c.bin"\n\nw\n' +
      '--b--\n',
  );
  const m = parseMessage(raw);
  const parts = m.structure.children;
  assert.equal(parts[0]!.filename, '€ rates for 2024.pdf');
  assert.equal(parts[0]!.params['name'], '€ rates for 2024.pdf');
  assert.equal(parts[0]!.disposition, 'attachment');
  assert.equal(parts[1]!.filename, '£ rates.txt');
  assert.equal(parts[2]!.filename, 'фото.png');
  assert.equal(parts[3]!.filename, 'a b; c.bin');
  assert.deepEqual(
    m.attachments.map((a) => a.filename),
    ['€ rates for 2024.pdf', '£ rates.txt', 'фото.png', 'a b; c.bin'],
  );
});

test('content headers of a part', () => {
  const raw = eml(
    'Content-Type: Text/HTML; Charset="UTF-8"; format=flowed\n' +
      'Content-Transfer-Encoding:  Quoted-Printable \n' +
      'Content-ID: < logo@example.com >\nContent-Description: =?utf-8?Q?Caf=C3=A9?=\n' +
      'Content-Language: en, fr\nContent-Location: http://example.com/\n a.html\nContent-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==\n' +
      'Content-Disposition: INLINE; size=3\n\nx=3D1\n',
  );
  const p = parseMessage(raw).structure;
  assert.equal(p.type, 'text/html');
  assert.deepEqual(p.params, { charset: 'UTF-8', format: 'flowed' });
  assert.equal(p.encoding, 'quoted-printable');
  assert.equal(p.contentId, 'logo@example.com');
  assert.equal(p.contentDescription, 'Café');
  assert.equal(p.contentLanguage, 'en, fr');
  assert.equal(p.contentLocation, 'http://example.com/a.html');
  assert.equal(p.contentMd5, 'Q2hlY2sgSW50ZWdyaXR5IQ==');
  assert.equal(p.disposition, 'inline');
  assert.deepEqual(p.dispositionParams, { size: '3' });
});

test('invalid or missing Content-Type defaults to text/plain', () => {
  assert.equal(parseMessage(eml('Content-Type: garbage\n\nx')).structure.type, 'text/plain');
  assert.equal(parseMessage(eml('Content-Type: text/\n\nx')).structure.type, 'text/plain');
  assert.equal(parseMessage(eml('Subject: x\n\nx')).structure.type, 'text/plain');
  assert.equal(parseMessage(eml('Subject: x\n\nx')).structure.encoding, '7bit');
});

test('address lists: comments and white space inside an addr-spec are not part of the address (RFC 5322 A.5, A.6.3)', () => {
  assert.deepEqual(parseAddressList('<jdoe@machine(comment).  example>'), [{ name: null, email: 'jdoe@machine.example' }]);
  assert.equal(parseAddressList('Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>')[0].email, 'pete@silly.test');
  // Quoted local parts and domain literals keep their spaces.
  assert.deepEqual(parseAddressList('"John ( Doe" <"j doe"@example.org>'), [{ name: 'John ( Doe', email: '"j doe"@example.org' }]);
  assert.equal(parseAddressList('<a@[1.2.3 .4]>')[0].email, 'a@[1.2.3 .4]');
});
