import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, findPart, listPartIds } from '../../src/mime/parse.ts';
import { decodePartBody } from '../../src/mime/decode.ts';
import { findPart as findPartFromStructure } from '../../src/mime/structure.ts';
import { body, checkOffsets, depthOf, eml, header } from './helpers.ts';

const NESTED = `From: a@example.com
Subject: nested
Content-Type: multipart/mixed; boundary="outer"

preamble text
--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain

plain body
line two
--inner
Content-Type: text/html

<p>html body</p>
--inner--
--outer
Content-Type: message/rfc822

Subject: inner message
Content-Type: multipart/mixed; boundary="deep"

--deep
Content-Type: text/plain

deep text
--deep
Content-Type: application/octet-stream; name=x.bin
Content-Transfer-Encoding: base64

AAEC
--deep--
--outer
Content-Type: message/rfc822

Subject: simple inner

just text
--outer--
epilogue
`;

for (const eol of ['\r\n', '\n'] as const) {
  const label = eol === '\r\n' ? 'CRLF' : 'LF';

  test(`single-part message offsets (${label})`, () => {
    const raw = eml('From: a@example.com\nSubject: hi\n\nHello\nWorld\n', eol);
    const m = parseMessage(raw);
    const root = m.structure;
    assert.equal(root.partId, '');
    assert.equal(root.headerStart, 0);
    assert.equal(header(raw, root), `From: a@example.com${eol}Subject: hi${eol}${eol}`);
    assert.equal(body(raw, root), `Hello${eol}World${eol}`);
    assert.equal(root.bodyEnd, raw.length);
    assert.equal(root.lines, 2);
    assert.equal(findPart(root, '1'), root);
    assert.equal(findPart(root, '2'), null);
    assert.equal(findPart(root, '1.1'), null);
    assert.deepEqual(listPartIds(root), ['1']);
    assert.equal(m.parseError, null);
  });

  test(`nested multipart and message/rfc822 offsets (${label})`, () => {
    const raw = eml(NESTED, eol);
    const m = parseMessage(raw);
    const root = m.structure;
    assert.equal(m.parseError, null);
    checkOffsets(raw, root);
    assert.equal(root.bodyEnd, raw.length);

    const alt = findPart(root, '1')!;
    assert.equal(alt.type, 'multipart/alternative');
    // the line break before "--outer" belongs to the delimiter
    assert.equal(
      body(raw, alt),
      ['--inner', 'Content-Type: text/plain', '', 'plain body', 'line two', '--inner', 'Content-Type: text/html', '', '<p>html body</p>', '--inner--'].join(eol),
    );
    assert.equal(header(raw, alt), `Content-Type: multipart/alternative; boundary="inner"${eol}${eol}`);

    const plain = findPart(root, '1.1')!;
    assert.equal(plain.partId, '1.1');
    assert.equal(body(raw, plain), `plain body${eol}line two`);
    assert.equal(plain.lines, 1);
    assert.equal(header(raw, plain), `Content-Type: text/plain${eol}${eol}`);
    assert.equal(body(raw, findPart(root, '1.2')!), '<p>html body</p>');

    const rfc822 = findPart(root, '2')!;
    assert.equal(rfc822.type, 'message/rfc822');
    assert.equal(rfc822.children.length, 1);
    const inner = rfc822.children[0]!;
    assert.equal(inner.partId, '2');
    assert.equal(inner.headerStart, rfc822.bodyStart);
    assert.equal(inner.bodyEnd, rfc822.bodyEnd);
    assert.equal(inner.type, 'multipart/mixed');
    assert.ok(body(raw, rfc822).startsWith('Subject: inner message'));
    assert.ok(body(raw, rfc822).endsWith('--deep--'));

    assert.equal(findPart(root, '2.1')!.partId, '2.1');
    assert.equal(body(raw, findPart(root, '2.1')!), 'deep text');
    const bin = findPart(root, '2.2')!;
    assert.equal(body(raw, bin), 'AAEC');
    assert.deepEqual([...decodePartBody(raw, bin)], [0, 1, 2]);

    // a non-multipart encapsulated message: its text is "3.1", the encapsulated node itself
    const simple = findPart(root, '3')!;
    assert.equal(simple.type, 'message/rfc822');
    const simpleMsg = simple.children[0]!;
    assert.equal(simpleMsg.type, 'text/plain');
    assert.equal(findPart(root, '3.1'), simpleMsg);
    assert.equal(body(raw, simpleMsg), 'just text');
    assert.equal(findPart(root, '3.2'), null);
    assert.equal(findPart(root, '4'), null);
    assert.equal(findPart(root, '0'), null);
    assert.equal(findPart(root, 'x'), null);

    assert.deepEqual(listPartIds(root), ['1', '1.1', '1.2', '2', '2.1', '2.2', '3', '3.1']);
    for (const id of listPartIds(root)) assert.ok(findPart(root, id), id);
  });
}

test('findPart is also exported from structure.ts', () => {
  const m = parseMessage(eml(NESTED));
  assert.equal(findPartFromStructure(m.structure, '1.2'), findPart(m.structure, '1.2'));
});

test('mixed line endings: offsets follow the actual bytes', () => {
  const raw = Buffer.from(
    'From: a@example.com\r\nContent-Type: multipart/mixed; boundary=b\n\n' +
      '--b\r\nContent-Type: text/plain\r\n\r\nfirst\r\n' +
      '--b\nContent-Type: text/plain\n\nsecond\nline\n' +
      '--b\r\n\r\nthird\n\r\n' +
      '--b--\r\n',
    'latin1',
  );
  const m = parseMessage(raw);
  checkOffsets(raw, m.structure);
  const [a, b, c] = m.structure.children;
  assert.equal(body(raw, a!), 'first');
  assert.equal(body(raw, b!), 'second\nline');
  assert.equal(body(raw, c!), 'third\n');
  assert.equal(c!.headerEnd - c!.headerStart, 2);
  assert.equal(m.parseError, null);
});

test('boundary that prefixes a nested boundary, transport padding and look-alike lines', () => {
  const raw = eml(`Content-Type: multipart/mixed; boundary="abc"

--abc   
Content-Type: multipart/alternative; boundary="abc-1"

--abc-1
Content-Type: text/plain

--abcdef is not a delimiter
 --abc neither
--abc-1--
--abc
Content-Type: text/plain

two
--abc--
`);
  const m = parseMessage(raw);
  assert.equal(m.parseError, null);
  assert.equal(m.structure.children.length, 2);
  assert.equal(body(raw, findPart(m.structure, '1.1')!), '--abcdef is not a delimiter\r\n --abc neither');
  assert.equal(body(raw, findPart(m.structure, '2')!), 'two');
});

test('empty parts and a part with headers but no body', () => {
  const raw = eml('Content-Type: multipart/mixed; boundary=b\n\n--b\n--b\nContent-Type: text/html\n--b\n\n--b--\n');
  const m = parseMessage(raw);
  checkOffsets(raw, m.structure);
  const [a, b, c] = m.structure.children;
  assert.equal(m.structure.children.length, 3);
  assert.equal(a!.bodyEnd - a!.headerStart, 0);
  assert.equal(b!.type, 'text/html');
  assert.equal(body(raw, b!), '');
  assert.equal(c!.bodyStart, c!.bodyEnd);
});

test('multipart/digest children default to message/rfc822', () => {
  const raw = eml('Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d\nContent-Type: text/plain\n\nnot a message\n--d--\n');
  const m = parseMessage(raw);
  const [a, b] = m.structure.children;
  assert.equal(a!.type, 'message/rfc822');
  assert.equal(a!.children[0]!.type, 'text/plain');
  assert.equal(body(raw, a!.children[0]!), 'first');
  assert.equal(b!.type, 'text/plain');
  assert.deepEqual(listPartIds(m.structure), ['1', '1.1', '2']);
});

test('message/rfc822 root: its body is "1", the inner text "1.1"', () => {
  const raw = eml('Content-Type: message/rfc822\n\nSubject: wrapped\n\ninner\n');
  const root = parseMessage(raw).structure;
  assert.equal(findPart(root, '1'), root);
  assert.equal(findPart(root, '1.1'), root.children[0]);
  assert.equal(body(raw, root.children[0]!), 'inner\r\n');
});

test('missing blank line between header and body', () => {
  const raw = eml('From: a@example.com\nSubject: s\nThis is the body\nmore body\n');
  const m = parseMessage(raw);
  assert.equal(m.subject, 's');
  assert.equal(m.text, 'This is the body\r\nmore body\r\n');
  assert.equal(m.structure.headerEnd, raw.indexOf('This is'));
  assert.match(m.parseError ?? '', /blank line/);
});

test('a line of blanks inside a field is obs-FWS when the header goes on, the separator when it does not', () => {
  // RFC 5322 §4.2: obs-FWS allows whitespace-only lines within a folded field
  const folded = eml('Subject: Re: TEST\n \n\t=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=\nTo: a@example.com\n \nContent-Type: text/html\n\n<p>body</p>\n');
  const m = parseMessage(folded);
  assert.equal(m.structure.type, 'text/html');
  assert.equal(m.html, '<p>body</p>\r\n');
  // generators that "fold" an empty line to end the header: the next line is no field
  const separator = eml('Subject: s\nDate: Wed, 11 Feb 98 11:51 CST\n \nThis is the body.\n');
  assert.equal(parseMessage(separator).structure.headerEnd, separator.indexOf('This is'));
});

test('header only, no body: valid and empty', () => {
  const raw = eml('From: a@example.com\nSubject: only headers');
  const m = parseMessage(raw);
  assert.equal(m.subject, 'only headers');
  assert.equal(m.structure.bodyStart, raw.length);
  assert.equal(m.structure.bodyEnd, raw.length);
  assert.equal(m.text, '');
  assert.equal(m.parseError, null);
});

test('mbox From_ line, BOM and stray lines before the header are skipped', () => {
  const raw = Buffer.concat([
    Buffer.from([0xef, 0xbb, 0xbf]),
    eml('From someone@example.com Mon Jan  1 00:00:00 2024\nSubject: hi\n\nbody\n'),
  ]);
  const m = parseMessage(raw);
  assert.equal(m.structure.headerStart, 0);
  assert.equal(m.subject, 'hi');
  assert.equal(m.text, 'body\r\n');
});

test('a message without any header is all body', () => {
  const raw = eml('Just some text\nand more\n');
  const m = parseMessage(raw);
  assert.equal(m.subject, null);
  assert.equal(m.structure.bodyStart, 0);
  assert.equal(m.text, 'Just some text\r\nand more\r\n');
});

test('unterminated multipart: last part runs to the end, parseError set', () => {
  const raw = eml('Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nhello\n--b\nContent-Type: text/html\n\n<b>cut');
  const m = parseMessage(raw);
  checkOffsets(raw, m.structure);
  assert.equal(m.structure.children.length, 2);
  assert.equal(body(raw, m.structure.children[1]!), '<b>cut');
  assert.equal(m.text, 'hello');
  assert.equal(m.html, '<b>cut');
  assert.match(m.parseError ?? '', /not terminated/);
});

test('message truncated right after an opening delimiter: no phantom empty part', () => {
  const raw = eml('Content-Type: multipart/mixed; boundary=b\n\n--b\n\nfirst\n--b');
  const m = parseMessage(raw);
  assert.equal(m.structure.children.length, 1);
  assert.equal(body(raw, m.structure.children[0]!), 'first');
  assert.match(m.parseError ?? '', /not terminated/);
});

test('multipart without boundary parameter or with a boundary that never occurs becomes text', () => {
  for (const ct of ['multipart/mixed', 'multipart/mixed; boundary=nothere']) {
    const raw = eml(`Content-Type: ${ct}\n\nsome text\n`);
    const m = parseMessage(raw);
    assert.equal(m.structure.type, 'text/plain');
    assert.equal(m.structure.children.length, 0);
    assert.equal(m.text, 'some text\r\n');
    assert.match(m.parseError ?? '', /boundary/);
  }
});

test('Content-Type without ";" before boundary is still split', () => {
  const raw = eml('Content-Type: multipart/mixed boundary="b"\n\n--b\n\none\n--b--\n');
  const m = parseMessage(raw);
  assert.equal(m.structure.type, 'multipart/mixed');
  assert.equal(m.structure.children.length, 1);
  assert.equal(m.parseError, null);
});

test('NUL bytes, bare CR and 8-bit garbage do not break parsing', () => {
  const raw = Buffer.from('Subject: nul\0here\r\nX: \xff\xfe\r\n\r\nbody\0with\rbare CR\r\n', 'latin1');
  const m = parseMessage(raw);
  assert.equal(m.subject, 'nul\0here');
  assert.equal(m.text, 'body\0with\rbare CR\r\n');
  checkOffsets(raw, m.structure);
  const crOnly = parseMessage(Buffer.from('Subject: x\rFrom: y\r\rbody\r', 'latin1'));
  assert.equal(crOnly.structure.bodyEnd, 12 + 7 + 6);
});

test('random bytes never throw and the root always covers the input', () => {
  let seed = 42;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed;
  };
  const alphabet = Buffer.from('\r\n\r\n--b:; =?\0\xff"<>\t-Content-Type: multipart/mixed; boundary=b\n', 'latin1');
  for (let i = 0; i < 300; i++) {
    const raw = Buffer.alloc(rnd() % 3000);
    for (let k = 0; k < raw.length; k++) raw[k] = i % 2 ? rnd() % 256 : alphabet[rnd() % alphabet.length]!;
    const m = parseMessage(raw);
    assert.equal(m.structure.headerStart, 0);
    assert.equal(m.structure.bodyEnd, raw.length);
    checkOffsets(raw, m.structure);
  }
  assert.equal(parseMessage(Buffer.alloc(0)).structure.bodyEnd, 0);
});

test('nesting depth is bounded', () => {
  let text = '';
  for (let i = 0; i < 200; i++) text += `Content-Type: multipart/mixed; boundary=b${i}\n\n--b${i}\n`;
  text += 'Content-Type: text/plain\n\ndeep\n';
  const raw = eml(text);
  const start = performance.now();
  const m = parseMessage(raw);
  assert.ok(performance.now() - start < 1000);
  assert.ok(depthOf(m.structure) <= 52);
  assert.match(m.parseError ?? '', /too deep/);
  checkOffsets(raw, m.structure);

  let rfc = '';
  for (let i = 0; i < 200; i++) rfc += 'Content-Type: message/rfc822\n\n';
  const deepMsg = parseMessage(eml(rfc + 'Subject: x\n\ntext\n'));
  assert.ok(depthOf(deepMsg.structure) <= 52);
  assert.match(deepMsg.parseError ?? '', /too deep/);
});

test('number of parts is bounded', () => {
  const raw = eml('Content-Type: multipart/mixed; boundary=b\n\n' + '--b\n\nx\n'.repeat(5000) + '--b--\n');
  const start = performance.now();
  const m = parseMessage(raw);
  assert.ok(performance.now() - start < 1000);
  assert.ok(m.structure.children.length < 2000);
  assert.match(m.parseError ?? '', /too many/);
  checkOffsets(raw, m.structure);
});

test('lines counts line breaks of the body', () => {
  const m = parseMessage(eml('Subject: x\n\na\nb\nc'));
  assert.equal(m.structure.lines, 2);
});
