import { test } from 'node:test';
import assert from 'node:assert/strict';
import iconv from 'iconv-lite';
import { parseMessage, findPart } from '../../src/mime/parse.ts';
import { decodeBase64, decodePartBody, decodePartText, decodeQuotedPrintable } from '../../src/mime/decode.ts';
import { decodeBytes } from '../../src/mime/charset.ts';
import { eml } from './helpers.ts';

const qp = (s: string): string => decodeQuotedPrintable(Buffer.from(s, 'latin1')).toString('latin1');

test('quoted-printable: escapes, soft breaks, padding and malformed escapes', () => {
  assert.equal(qp('a=3Db =C3=A9'), 'a=b \xc3\xa9');
  assert.equal(qp('lower=c3=a9'), 'lower\xc3\xa9');
  assert.equal(qp('soft=\r\nbreak'), 'softbreak');
  assert.equal(qp('soft=\nbreak'), 'softbreak');
  assert.equal(qp('padded=  \t\r\nbreak'), 'paddedbreak');
  assert.equal(qp('bad=ZZ=4'), 'bad=ZZ=4');
  assert.equal(qp('trailing='), 'trailing');
  assert.equal(qp('a = b'), 'a = b');
  assert.equal(qp('line1\r\nline2'), 'line1\r\nline2');
});

test('base64: whitespace and garbage ignored, concatenated padded chunks decoded', () => {
  const b64 = (s: string): string => decodeBase64(Buffer.from(s, 'latin1')).toString('latin1');
  assert.equal(b64('aGVs\r\nbG8g\r\nd29y\r\nbGQ='), 'hello world');
  assert.equal(b64('aGVs!!bG8*'), 'hello');
  assert.equal(b64('aGVsbG8=\r\nd29ybGQ='), 'helloworld');
  assert.equal(b64('aGVsbG8=\r\n\r\n'), 'hello');
  assert.equal(b64(''), '');
});

test('charset decoding: legacy charsets, ISO-2022-JP, sniffing for us-ascii, unknown labels', () => {
  assert.equal(decodeBytes(iconv.encode('Привет', 'windows-1251'), 'windows-1251'), 'Привет');
  assert.equal(decodeBytes(iconv.encode('Привет', 'koi8-r'), '"KOI8-R"'), 'Привет');
  assert.equal(decodeBytes(Buffer.from('1b2442467c4b5c386c1b2842', 'hex'), 'iso-2022-jp'), '日本語');
  assert.equal(decodeBytes(iconv.encode('中文', 'gb2312'), 'gb2312'), '中文');
  assert.equal(decodeBytes(iconv.encode('한국어', 'euc-kr'), 'ks_c_5601-1987'), '한국어');
  // ISO-8859-1 is read as Windows-1252, as browsers do
  assert.equal(decodeBytes(Buffer.from([0x93, 0x61, 0x94, 0xe9]), 'iso-8859-1'), '\u201ca\u201dé');
  // us-ascii or no label: UTF-8 when valid, else Windows-1252
  assert.equal(decodeBytes(Buffer.from('Grüße', 'utf8'), 'us-ascii'), 'Grüße');
  assert.equal(decodeBytes(Buffer.from([0x47, 0x72, 0xfc]), undefined), 'Grü');
  assert.equal(decodeBytes(Buffer.from([0x61, 0xff]), 'utf-8'), 'a\ufffd');
  assert.equal(decodeBytes(Buffer.from([0x61, 0xff]), 'no-such-charset'), 'a\ufffd');
  assert.equal(decodeBytes(Buffer.from('\ufeffbom', 'utf8'), 'utf-8'), 'bom');
});

test('decodePartBody / decodePartText on leaves and containers', () => {
  const raw = eml(
    'Content-Type: multipart/mixed; boundary=m\n\n' +
      '--m\nContent-Type: text/plain; charset=windows-1251\nContent-Transfer-Encoding: base64\n\n' +
      iconv.encode('Привет', 'windows-1251').toString('base64') +
      '\n--m\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\nna=C3=AFve\n' +
      '--m\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: 8bit\n\n\x01\x02\n' +
      '--m\nContent-Type: message/rfc822\n\nSubject: inner\n\ninner body\n' +
      '--m--\n',
  );
  const root = parseMessage(raw).structure;
  assert.equal(decodePartText(raw, findPart(root, '1')!), 'Привет');
  assert.equal(decodePartText(raw, findPart(root, '2')!), 'naïve');
  assert.deepEqual([...decodePartBody(raw, findPart(root, '3')!)], [1, 2]);
  // an attached message downloads as the raw encapsulated message
  assert.equal(decodePartBody(raw, findPart(root, '4')!).toString(), 'Subject: inner\r\n\r\ninner body');
  // a multipart yields its raw body
  assert.ok(decodePartBody(raw, root).toString().startsWith('--m\r\n'));
});

test('quoted-printable drops blanks that end a line (transport padding, RFC 2045 §6.7 rule 3) and keeps encoded ones', () => {
  assert.equal(qp('a \t\r\nb  c \nd\t \re \t'), 'a\r\nb  c\nd\t \re');
  assert.equal(qp('a=20\r\nb=09'), 'a \r\nb\t');
  assert.equal(qp('soft  =  \r\nbreak'), 'soft  break');
});
