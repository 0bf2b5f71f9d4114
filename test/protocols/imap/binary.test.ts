import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseMessage } from '../../../src/mime/parse.ts';
import { findPart } from '../../../src/mime/parts.ts';
import { binaryBody, withCrlf } from '../../../src/protocols/imap/binary.ts';
import { eml } from '../../mime/helpers.ts';

// What BINARY[part] and BINARY.SIZE[part] serve (RFC 9051 §6.4.5). Unless a test says otherwise,
// the expected bytes are also Dovecot 2.3's for the same message (Dovecot keeps mail with LF line
// ends and serves CRLF, which is where the stored line ends below come in).

const latin1 = (b: Buffer) => b.toString('latin1');

/** BINARY[part] of a message given as text (LF line ends kept as LF unless `eol` says CRLF). */
function binary(text: string, part = '1', eol: '\r\n' | '\n' = '\n'): string {
  const raw = eml(text, eol);
  const p = findPart(parseMessage(raw).structure, part);
  assert.ok(p, `part ${part}`);
  return latin1(binaryBody(raw, p));
}

const header = (type: string, cte: string) => `Subject: x\nMIME-Version: 1.0\nContent-Type: ${type}\nContent-Transfer-Encoding: ${cte}\n\n`;

test('a text part stored with bare LF goes out with CRLF (RFC 9051 §6.4.5: "regardless of the underlying storage representation")', () => {
  assert.equal(binary(header('text/plain; charset=utf-8', '8bit') + 'one\ntwo\n'), 'one\r\ntwo\r\n');
  assert.equal(binary(header('text/html', '7bit') + '<p>\n</p>'), '<p>\r\n</p>');
  assert.equal(binary(header('text/plain', 'binary') + 'a\nb\r\nc\n'), 'a\r\nb\r\nc\r\n', 'CRLF already there is kept, not doubled');
  // Stored with CRLF it is the stored bytes.
  assert.equal(binary(header('text/plain', '7bit') + 'one\ntwo\n', '1', '\r\n'), 'one\r\ntwo\r\n');
});

test('quoted-printable: hard line breaks are CRLF (RFC 2045 §6.7 rule 4), soft ones vanish, an encoded =0A is content', () => {
  assert.equal(binary(header('text/plain', 'quoted-printable') + 'caf=C3=A9 one\nlong=\nline\nx=0Ay=0D=0Az\n'), 'caf\u00c3\u00a9 one\r\nlongline\r\nx\ny\r\nz\r\n');
});

test('quoted-printable: blanks at the end of a line are transport padding and are dropped (RFC 2045 §6.7 rule 3)', () => {
  assert.equal(binary(header('text/plain', 'quoted-printable') + 'trailing  \nnext\t\nsoft=  \nend=20\nlast '), 'trailing\r\nnext\r\nsoftend \r\nlast');
  // Not only in text: the rule is the encoding's. No line ends are added to other types.
  assert.equal(binary(header('application/octet-stream', 'quoted-printable') + 'a \nb=20\n'), 'a\nb \n');
});

test('base64: the decoded octets are the content, line ends and all (Dovecot agrees); text or not', () => {
  const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
  assert.equal(binary(header('text/plain', 'base64') + b64('one\ntwo\rthree\n')), 'one\ntwo\rthree\n');
  assert.equal(binary(header('application/octet-stream', 'base64') + b64('a\nb\0')), 'a\nb\0');
});

test('base64: characters outside the alphabet are ignored (RFC 2045 §6.8); Dovecot refuses such a part with NO [PARSE]', () => {
  assert.equal(binary(header('text/plain', 'base64') + 'aGVs*bG8=\n'), 'hello');
});

test('a part that is not text keeps its stored line ends: the CRLF rule of RFC 9051 §6.4.5 is for textual sections (Dovecot gives CRLF)', () => {
  assert.equal(binary(header('application/pgp-signature', '7bit') + 'sig\nnature\n'), 'sig\nnature\n');
});

test('text in a charset where 0x0A is no line feed (UTF-16) is left as it is', () => {
  const raw = Buffer.concat([eml(header('text/plain; charset=utf-16le', 'binary'), '\r\n'), Buffer.from('a\nb', 'utf16le')]);
  const p = findPart(parseMessage(raw).structure, '1')!;
  assert.deepEqual(binaryBody(raw, p), Buffer.from('a\nb', 'utf16le'));
});

test('a multipart or message part comes as stored: its own encoding is an identity (RFC 2045 §6.4); RFC 9051 §6.4.5 asks for leaf parts only', () => {
  const text =
    'Subject: m\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n--B\n' +
    'Content-Type: multipart/alternative; boundary=C\n\n--C\nContent-Transfer-Encoding: base64\n\neAp5Cg==\n--C--\n' +
    '--B\nContent-Type: message/rfc822\n\nSubject: inner\nContent-Transfer-Encoding: quoted-printable\n\nq=0Ap\n' +
    '--B--\n';
  // Dovecot decodes the parts inside and rewrites their Content-Transfer-Encoding to binary (and
  // its BINARY.SIZE of such a part differs from what its BINARY sends).
  assert.equal(binary(text, '1'), '--C\nContent-Transfer-Encoding: base64\n\neAp5Cg==\n--C--');
  assert.equal(binary(text, '1.1'), 'x\ny\n');
  assert.equal(binary(text, '2'), 'Subject: inner\nContent-Transfer-Encoding: quoted-printable\n\nq=0Ap');
  assert.equal(binary(text, '2.1'), 'q\np');
});

test('withCrlf adds CR only where missing; a lone CR is no line end and stays', () => {
  const same = Buffer.from('a\r\nb\r\n');
  assert.equal(withCrlf(same), same, 'nothing to change: the same buffer');
  assert.equal(latin1(withCrlf(Buffer.from('\n\na\r\nb\rc\n'))), '\r\n\r\na\r\nb\rc\r\n');
});
