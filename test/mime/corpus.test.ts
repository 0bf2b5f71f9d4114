import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseMessage, findPart, listPartIds } from '../../src/mime/parse.ts';
import type { ParsedMessage } from '../../src/mime/types.ts';
import { checkOffsets } from './helpers.ts';
import { CORPUS_DIR, corpusFiles } from '../helpers/corpus.ts';

const CORPUS = CORPUS_DIR;
const listFiles = corpusFiles;

const parsed = new Map<string, ParsedMessage>();
function parseFile(rel: string): ParsedMessage {
  let m = parsed.get(rel);
  if (!m) {
    m = parseMessage(readFileSync(join(CORPUS, rel)));
    parsed.set(rel, m);
  }
  return m;
}

test('every corpus message parses with consistent offsets', (t) => {
  const files = listFiles(CORPUS);
  assert.ok(files.length >= 775, `expected the full corpus, found ${files.length}`);
  let total = 0;
  let max = 0;
  let errors = 0;
  for (const file of files) {
    const raw = readFileSync(file);
    const start = performance.now();
    const m = parseMessage(raw);
    const elapsed = performance.now() - start;
    total += elapsed;
    max = Math.max(max, elapsed);
    parsed.set(file.slice(CORPUS.length + 1), m);
    const root = m.structure;
    assert.equal(root.headerStart, 0, file);
    assert.equal(root.bodyEnd, raw.length, file);
    assert.equal(root.partId, '', file);
    checkOffsets(raw, root);
    for (const id of listPartIds(root)) assert.ok(findPart(root, id), `${file}: part ${id}`);
    for (const a of m.attachments) assert.ok(findPart(root, a.partId), `${file}: attachment ${a.partId}`);
    assert.ok(m.preview.length <= 256, file);
    assert.ok(m.searchText.length <= 256 * 1024, file);
    if (m.parseError) errors++;
  }
  t.diagnostic(`${files.length} files, avg ${(total / files.length).toFixed(3)} ms, max ${max.toFixed(1)} ms, ${errors} with parseError`);
  // broken fixtures exist, but most of the corpus is well-formed
  assert.ok(errors < files.length / 5, `${errors} messages with parseError`);
});

test('corpus: RFC 2047 ISO-2022-JP subject and body', () => {
  const m = parseFile('mimekit/messages/japanese.txt');
  assert.equal(m.subject, '日本語メールテスト (testing Japanese emails)');
  assert.deepEqual(m.from, [{ name: 'Atsushi Eno', email: 'x@x.com' }]);
  assert.equal(m.messageId, '55AE6D15.4010805@veritas-vos-liberabit.com');
  assert.match(m.text ?? '', /日本語が\n正常に/);
});

test('corpus: raw 8-bit ISO-8859-1 header and GB2312 encoded subject', () => {
  assert.equal(parseFile('zbateson-mail-mime-parser/m4001.txt').subject, 'Die Hasen und die Frösche (Microsoft Outlook 00)');
  const gb = parseFile('spamassassin/nice/cjk/gb2312.1');
  assert.equal(gb.subject, '全新原装进口，送货上门，货到付款－台湾鑫龙商贸集团公司向您拜年!');
  assert.equal(gb.from[0]!.name, '台湾鑫龙商贸集团公司');
  assert.ok(gb.preview.startsWith('台湾鑫龙商贸集团公司向您拜年!'));
});

test('corpus: attachments with RFC 2231 / RFC 2047 names, inline images with Content-ID', () => {
  const m = parseFile('mailparser-node/examples/nodemailer.eml');
  assert.equal(m.subject, 'Nodemailer is unicode friendly ✔ (1476358788189)');
  assert.equal(m.text, 'Hello to myself! http://www.nodemailer.com/');
  assert.match(m.html ?? '', /^<p>/);
  const gif = m.attachments.find((a) => a.partId === '1.3.3');
  assert.deepEqual(gif, {
    partId: '1.3.3',
    filename: 'nyan cat ✔.gif',
    type: 'image/gif',
    disposition: 'attachment',
    contentId: 'nyan@example.com',
    size: 29361,
  });
  assert.ok(m.attachments.some((a) => a.filename === 'notes.txt' && a.partId === '2'));
  assert.match(m.searchText, /nyan cat ✔\.gif/);

  const arabic = parseFile('james-project/mailbox/store/eml/messageWithNonASCIIFilenameAttachment.eml');
  assert.deepEqual(
    arabic.attachments.map((a) => [a.filename, a.type]),
    [['ديناصور.odt', 'application/vnd.oasis.opendocument.text']],
  );
  const quoted = parseFile('ruby-mail/attachment_emails/attachment_with_quoted_filename.eml');
  assert.equal(quoted.attachments[0]!.filename, 'Eelanalüüsi päring.jpg');
});

test('corpus: html-only message yields text preview and no text body', () => {
  const m = parseFile('rspamd/newsletter.eml');
  assert.equal(m.text, null);
  assert.match(m.html ?? '', /<h1>🎉 Exclusive Monthly Offers!<\/h1>/);
  assert.ok(m.preview.startsWith('🎉 Exclusive Monthly Offers! Dear Valued Subscriber, This month'));
  assert.ok(!m.searchText.includes('<'));
  assert.equal(m.subject, '🎉 Monthly Newsletter - Exclusive Deals & Product Updates!');
});

test('corpus: bounce with the original message attached as message/rfc822', () => {
  const m = parseFile('mailcore2/mbox/jwz/21');
  const att = m.attachments.find((a) => a.type === 'message/rfc822');
  assert.ok(att);
  const part = findPart(m.structure, att.partId)!;
  assert.equal(part.children.length, 1);
  assert.equal(part.children[0]!.headerStart, part.bodyStart);
  assert.match(m.text ?? '', /The original message was received/);
});

test('corpus: broken messages report why', () => {
  const noSeparator = parseFile('cpython-email/msg_35.txt');
  assert.equal(noSeparator.subject, "here's something interesting");
  assert.match(noSeparator.parseError ?? '', /blank line/);
  assert.match(noSeparator.text ?? '', /^counter to RFC 5322/);
  assert.match(parseFile('enmime/parts/multimixed-no-closing-boundary.raw').parseError ?? '', /not terminated/);
  assert.match(parseFile('enmime/mail/multipart-wo-boundary.raw').parseError ?? '', /without boundary/);
});
