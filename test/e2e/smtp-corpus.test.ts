import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { CORPUS_DIR, corpusFiles } from '../helpers/corpus.ts';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, splitTrace, startServer } from '../protocols/smtp/fixtures.ts';
import { canonicalize, frameData, WireClient, withFinalCrlf } from '../protocols/smtp/wire.ts';

const CONNECTIONS = 4;

interface CorpusMessage {
  name: string;
  original: Buffer;
  /** What an SMTP client transmits (before dot-stuffing) and what must be stored. */
  canonical: Buffer;
}

let server: TestServer;
let corpus: CorpusMessage[];

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// Gannet's own trace block, matched to its last line so a message that starts with white
// space is not taken for a continuation of the Received field.
const TRACE = /^Return-Path: <[^>\r\n]*>\r\nDelivered-To: [^\r\n]*\r\nReceived: from [^\r\n]*\r\n\tby [^\r\n]*\r\n\tfor <[^>\r\n]*>; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/;

/**
 * Skips the MX's Authentication-Results field below the trace block. Where it ends is
 * ambiguous when a message starts with white space (it would read as a continuation line),
 * so each possible end is tried against the bodies that were sent.
 */
function afterAuthenticationResults(rest: Buffer, isSent: (body: Buffer) => boolean): Buffer {
  const prefix = `Authentication-Results: ${server.config.hostname};`;
  if (!rest.subarray(0, prefix.length).equals(Buffer.from(prefix))) return rest;
  let end = rest.indexOf('\r\n') + 2;
  while (end > 1) {
    if (isSent(rest.subarray(end))) return rest.subarray(end);
    if (rest[end] !== 0x20 && rest[end] !== 0x09) break;
    end = rest.indexOf('\r\n', end) + 2;
  }
  return rest;
}

async function sendAll(port: number, rcpt: string, lmtp: boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    const { client } = await WireClient.open(port);
    assert.equal((await client.command(lmtp ? 'LHLO corpus.test' : 'EHLO corpus.test')).code, 250);
    while (next < corpus.length) {
      const m = corpus[next++];
      // Pipelined up to DATA: two round trips per message.
      client.write(`RSET\r\nMAIL FROM:<corpus@sender.test>\r\nRCPT TO:<${rcpt}>\r\nDATA\r\n`);
      const codes = [];
      for (let i = 0; i < 4; i++) codes.push((await client.reply()).code);
      assert.deepEqual(codes, [250, 250, 250, 354], m.name);
      client.write(frameData(m.canonical));
      const reply = await client.reply(30_000);
      assert.equal(reply.code, 250, `${m.name}: ${reply.text}`);
    }
    await client.quit();
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
}

async function verifyStored(accountId: string): Promise<void> {
  // Files that differ only in line ends (an LF and a CRLF copy) have the same canonical form.
  const expected = new Map<string, CorpusMessage[]>();
  for (const m of corpus) expected.set(sha(m.canonical), [...(expected.get(sha(m.canonical)) ?? []), m]);
  const stored = await inbox(server, accountId);
  assert.equal(stored.length, corpus.length);
  const seen = new Set<string>();
  for (const s of stored) {
    const raw = await rawMessage(server, accountId, s.id);
    const trace = TRACE.exec(raw.subarray(0, 2048).toString('latin1'));
    assert.ok(trace, `trace headers on ${s.id}`);
    const body = afterAuthenticationResults(raw.subarray(trace[0].length), (b) => expected.has(sha(b)));
    const m = expected.get(sha(body))?.pop();
    assert.ok(m, `stored body of ${s.id} (${s.subject}) is exactly one of the sent messages, not stored twice`);
    assert.equal(splitTrace(raw, m.canonical.length).deliveredTo.endsWith('@corpus.test'), true);
    seen.add(m.name);
    if (m.canonical.equals(m.original)) assert.deepEqual(body, m.original, m.name);
  }
  assert.equal(seen.size, corpus.length);
}

before(async () => {
  corpus = corpusFiles().map((path) => {
    const original = readFileSync(path);
    return { name: relative(CORPUS_DIR, path), original, canonical: withFinalCrlf(canonicalize(original)) };
  });
  server = await startServer();
  await addUser(server, 'smtp@corpus.test');
  await addUser(server, 'lmtp@corpus.test');
});

after(async () => {
  await server?.stop();
});

test('the corpus is all there and canonical forms differ from the originals only in line ends', (t) => {
  assert.equal(corpus.length, 775);
  const bareLf = corpus.filter((m) => !canonicalize(m.original).equals(m.original));
  const noFinalLineEnd = corpus.filter((m) => !withFinalCrlf(canonicalize(m.original)).equals(canonicalize(m.original)));
  t.diagnostic(`${bareLf.length} files have bare LF line ends; ${noFinalLineEnd.length} do not end with a line break`);
  assert.ok(bareLf.length > 0 && bareLf.length < corpus.length);
  for (const m of corpus) {
    const strip = (b: Buffer) => b.toString('latin1').replace(/\r?\n$/, '').replace(/\r\n/g, '\n');
    assert.equal(strip(m.canonical), strip(m.original), m.name);
  }
});

test('every corpus message over SMTP is stored as trace headers + exactly the bytes sent', async () => {
  await sendAll(server.listeners.smtp.port, 'smtp@corpus.test', false);
  const { accountId } = await server.services.directory.accountOfUser('smtp.corpus.test');
  await verifyStored(accountId);
});

test('every corpus message over LMTP is stored as trace headers + exactly the bytes sent', async () => {
  await sendAll(server.listeners.lmtp.port, 'lmtp@corpus.test', true);
  const { accountId } = await server.services.directory.accountOfUser('lmtp.corpus.test');
  await verifyStored(accountId);
});
