import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMessage, MAX_SEARCH_TEXT } from '../../src/mime/parse.ts';
import { eml } from './helpers.ts';

const PDF_BYTES = Buffer.from('%PDF-1.4 fake pdf content with some length to it\n');

test('multipart/alternative: text and html bodies, no attachments', () => {
  const m = parseMessage(
    eml(
      'Subject: Quarterly numbers\nContent-Type: multipart/alternative; boundary=a\n\n' +
        '--a\nContent-Type: text/plain; charset=utf-8\n\nHello plain\n' +
        '--a\nContent-Type: text/html; charset=utf-8\n\n<p>Hello <b>html</b></p>\n--a--\n',
    ),
  );
  assert.equal(m.text, 'Hello plain');
  assert.equal(m.html, '<p>Hello <b>html</b></p>');
  assert.deepEqual(m.attachments, []);
  assert.equal(m.preview, 'Hello plain');
  assert.equal(m.searchText, 'Hello plain');
  assert.ok(!m.searchText.includes('Quarterly'), 'subject is indexed separately');
});

test('html-only message: preview and searchText come from the rendered html', () => {
  const m = parseMessage(
    eml(
      'Subject: s\nContent-Type: text/html; charset=utf-8\n\n' +
        '<html><head><style>p { color: red }</style><title>T</title></head><body>' +
        '<!-- hidden --><p>Hello&nbsp;<b>there</b> &amp; welcome</p>\n<script>var x = 1;</script>' +
        '<p>Second   paragraph</p></body></html>\n',
    ),
  );
  assert.equal(m.text, null);
  assert.ok(m.html!.startsWith('<html>'));
  assert.equal(m.preview, 'Hello there & welcome Second paragraph');
  assert.match(m.searchText, /Hello\s+there & welcome\s+Second paragraph/);
  assert.ok(!/[<>]|color|var x|hidden/.test(m.searchText));
});

test('multipart/mixed with a base64 attachment: exact decoded size, name in searchText', () => {
  const m = parseMessage(
    eml(
      'Subject: report\nContent-Type: multipart/mixed; boundary=m\n\n' +
        '--m\nContent-Type: text/plain\n\nSee attached.\n' +
        '--m\nContent-Type: application/pdf; name="report.pdf"\nContent-Disposition: attachment; filename="report.pdf"\n' +
        'Content-Transfer-Encoding: base64\n\n' +
        PDF_BYTES.toString('base64').replace(/(.{20})/g, '$1\n') +
        '\n--m--\n',
    ),
  );
  assert.equal(m.text, 'See attached.');
  assert.deepEqual(m.attachments, [
    { partId: '2', filename: 'report.pdf', type: 'application/pdf', disposition: 'attachment', contentId: null, size: PDF_BYTES.length },
  ]);
  assert.equal(m.searchText, 'See attached.\nreport.pdf');
});

test('multipart/related: inline image with Content-ID is an attachment, html is the body', () => {
  const m = parseMessage(
    eml(
      'Content-Type: multipart/alternative; boundary=a\n\n' +
        '--a\nContent-Type: text/plain\n\nplain\n' +
        '--a\nContent-Type: multipart/related; boundary=r\n\n' +
        '--r\nContent-Type: text/html\n\n<img src="cid:logo@x">\n' +
        '--r\nContent-Type: image/png\nContent-ID: <logo@x>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n' +
        '--r--\n--a--\n',
    ),
  );
  assert.equal(m.text, 'plain');
  assert.equal(m.html, '<img src="cid:logo@x">');
  assert.deepEqual(m.attachments, [
    { partId: '2.2', filename: null, type: 'image/png', disposition: null, contentId: 'logo@x', size: 8 },
  ]);
});

test('a later text part of multipart/related is an attachment, as in JMAP', () => {
  const m = parseMessage(
    eml('Content-Type: multipart/related; boundary=r\n\n--r\nContent-Type: text/html\n\n<p>hi</p>\n--r\nContent-Type: text/plain\n\nresource\n--r--\n'),
  );
  assert.equal(m.html, '<p>hi</p>');
  assert.equal(m.text, null);
  assert.deepEqual(m.attachments.map((a) => [a.partId, a.type]), [['2', 'text/plain']]);
});

test('attached message/rfc822 is one attachment; its inner parts are not listed or used as body', () => {
  const m = parseMessage(
    eml(
      'Content-Type: multipart/mixed; boundary=m\n\n' +
        '--m\nContent-Type: text/plain\n\nForwarding this.\n' +
        '--m\nContent-Type: message/rfc822\n\n' +
        'Subject: original\nContent-Type: multipart/mixed; boundary=i\n\n' +
        '--i\nContent-Type: text/plain\n\ninner text\n--i\nContent-Type: image/gif; name=a.gif\n\nGIF\n--i--\n' +
        '--m--\n',
    ),
  );
  assert.equal(m.text, 'Forwarding this.');
  assert.equal(m.attachments.length, 1);
  assert.equal(m.attachments[0]!.partId, '2');
  assert.equal(m.attachments[0]!.type, 'message/rfc822');
  assert.ok(!m.searchText.includes('inner text'));
});

test('text/plain with disposition attachment or a name is an attachment, not the body', () => {
  const m = parseMessage(
    eml(
      'Content-Type: multipart/mixed; boundary=m\n\n' +
        '--m\nContent-Type: text/plain\n\nbody text\n' +
        '--m\nContent-Type: text/plain\nContent-Disposition: attachment\n\nlog line\n' +
        '--m\nContent-Type: text/plain; name=notes.txt\n\nnotes\n' +
        '--m\nContent-Type: text/plain\n\nfooter\n' +
        '--m\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\n' +
        '--m--\n',
    ),
  );
  assert.equal(m.text, 'body text');
  assert.deepEqual(
    m.attachments.map((a) => [a.partId, a.filename, a.type]),
    [
      ['2', null, 'text/plain'],
      ['3', 'notes.txt', 'text/plain'],
      ['5', null, 'text/calendar'],
    ],
  );
  // inline text parts of a mixed message are all body text for the index
  assert.equal(m.searchText, 'body text\nfooter\nnotes.txt');
});

test('single-part attachment message: the root is listed as part "1"', () => {
  const m = parseMessage(eml('Content-Type: application/zip; name=a.zip\nContent-Transfer-Encoding: base64\n\nUEsDBA==\n'));
  assert.equal(m.text, null);
  assert.deepEqual(m.attachments, [
    { partId: '1', filename: 'a.zip', type: 'application/zip', disposition: null, contentId: null, size: 4 },
  ]);
});

test('quoted-printable body in ISO-8859-1 is decoded', () => {
  const m = parseMessage(
    eml('Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: quoted-printable\n\nCaf=E9 cr=E8me =\nbr=FBl=E9e=3D\n'),
  );
  assert.equal(m.text, 'Café crème brûlée=\r\n');
});

test('unknown charset falls back to UTF-8 with replacement characters', () => {
  const raw = Buffer.concat([eml('Content-Type: text/plain; charset=x-no-such-charset\n\n'), Buffer.from([0x68, 0x69, 0xff])]);
  assert.equal(parseMessage(raw).text, 'hi\ufffd');
});

test('preview collapses whitespace and stops at 256 characters', () => {
  const words = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' \n\t ');
  const m = parseMessage(eml(`Subject: x\n\n   ${words}\n`));
  const collapsed = Array.from({ length: 200 }, (_, i) => `word${i}`).join(' ');
  assert.equal(m.preview, collapsed.slice(0, 256).trimEnd());
  assert.ok(m.preview.length <= 256 && m.preview.length > 250);
  assert.ok(!/\s\s|\n|\t/.test(m.preview));
  assert.equal(parseMessage(eml('Subject: x\n\n')).preview, '');
});

test('searchText is bounded', () => {
  const big = 'lorem ipsum '.repeat(100_000);
  const m = parseMessage(eml(`Content-Type: multipart/mixed; boundary=m\n\n--m\n\n${big}\n--m\nContent-Type: application/pdf; name=big.pdf\n\nx\n--m--\n`));
  assert.ok(m.searchText.length <= MAX_SEARCH_TEXT);
  assert.ok(m.searchText.endsWith('\nbig.pdf'));
  assert.equal(m.text!.length, big.length);
});

test('a 1.5 MB html-only message is converted quickly and bounded', () => {
  const row = '<tr><td><a href="https://example.com/x">Item</a></td><td>Some <b>bold</b> text</td></tr>\n';
  const html = '<html><body><table>' + row.repeat(Math.ceil(1_500_000 / row.length)) + '</table></body></html>';
  const raw = eml(`Content-Type: text/html\n\n${html}`);
  const start = performance.now();
  const m = parseMessage(raw);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 2000, `took ${elapsed} ms`);
  assert.ok(m.preview.startsWith('Item Some bold text Item'));
  assert.ok(m.searchText.length <= MAX_SEARCH_TEXT);
});

test('pathologically nested html does not go quadratic', () => {
  const raw = eml(`Content-Type: text/html\n\n${'<div>'.repeat(100_000)}deep text`);
  const start = performance.now();
  const m = parseMessage(raw);
  assert.ok(performance.now() - start < 1000);
  assert.equal(m.preview, 'deep text');
});
