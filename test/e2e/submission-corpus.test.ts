import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { readHeaders } from '../../src/services/submission/headers.ts';
import { ServiceError } from '../../src/services/errors.ts';
import { directoryRepo } from '../../src/store/repos/directory.ts';
import { CORPUS_DIR, corpusFiles } from '../helpers/corpus.ts';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { canonicalize, frameData, WireClient, withFinalCrlf } from '../protocols/smtp/wire.ts';

/**
 * Issue 6: every corpus message through the submission ingest paths (SMTP submission and JMAP
 * EmailSubmission) comes out as sent, with only what a standard makes the server add.
 */

const CONNECTIONS = 4;
const PASSWORD = 'correct horse battery';
const BATCH = 50;

interface CorpusMessage {
  name: string;
  original: Buffer;
  /** What an SMTP client transmits (before dot-stuffing). */
  canonical: Buffer;
  /** The From addresses as SubmissionService reads them. */
  from: string[];
  hasMessageId: boolean;
  hasDate: boolean;
}

let server: TestServer;
let sender: Mailbox;
let corpus: CorpusMessage[];
/** Corpus From addresses the admin API refuses to allow (see before()). */
const unallowable = new Set<string>();
let started: number;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// RFC 5322 §3.6: From is required; submission refuses a message without one (by design).
const hasFrom = (m: CorpusMessage) => m.from.length > 0;

// Gannet's trace block, matched to its last line so a message that starts with white space is
// not taken for a continuation of the Received field. Submission adds no Authentication-Results.
const TRACE = /^Return-Path: <([^>\r\n]*)>\r\nDelivered-To: ([^\r\n]*)\r\nReceived: from [^\r\n]*\r\n\tby [^\r\n]*\r\n\tfor <[^>\r\n]*>; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d \+0000\r\n/;

// RFC 6409 §8.2–8.3: the MSA adds Message-ID and Date when missing, in front of the client's bytes.
const ADDED_ID = /^Message-ID: <[0-9a-z]+\.[\w-]{12}@mx\.test\.gannet>\r\n/;
const ADDED_DATE = /^Date: (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d \+0000\r\n/;

const addedKinds = (m: CorpusMessage) => (m.hasMessageId ? '' : 'I') + (m.hasDate ? '' : 'D');

/**
 * Every way the start of a stored copy can be read as added headers: a message may itself
 * start with a field that looks like one, so each reading is tried against what was sent.
 */
function readings(raw: Buffer): { kinds: string; rest: Buffer; date?: string }[] {
  const head = raw.subarray(0, 512).toString('latin1');
  const out: { kinds: string; rest: Buffer; date?: string }[] = [{ kinds: '', rest: raw }];
  const date = ADDED_DATE.exec(head);
  if (date) out.push({ kinds: 'D', rest: raw.subarray(date[0].length), date: date[0] });
  const id = ADDED_ID.exec(head);
  if (id) {
    out.push({ kinds: 'I', rest: raw.subarray(id[0].length) });
    const after = ADDED_DATE.exec(head.slice(id[0].length));
    if (after) out.push({ kinds: 'ID', rest: raw.subarray(id[0].length + after[0].length), date: after[0] });
  }
  return out;
}

/**
 * Matches stored copies to the messages sent: each copy must be exactly the bytes expected for
 * one message (`expectedOf`) behind the headers submission adds to that message, and every
 * message must be matched once. Returns, per message name, the copy's bytes.
 */
function matchCopies(copies: Buffer[], sent: CorpusMessage[], expectedOf: (m: CorpusMessage) => Buffer, what: string): Map<string, Buffer> {
  const expected = new Map<string, CorpusMessage[]>();
  for (const m of sent) {
    const key = sha(expectedOf(m));
    expected.set(key, [...(expected.get(key) ?? []), m]);
  }
  assert.equal(copies.length, sent.length, `${what}: one copy per message`);
  const out = new Map<string, Buffer>();
  for (const copy of copies) {
    let found: CorpusMessage | undefined;
    for (const r of readings(copy)) {
      const candidates = expected.get(sha(r.rest)) ?? [];
      const i = candidates.findIndex((m) => addedKinds(m) === r.kinds);
      if (i < 0) continue;
      [found] = candidates.splice(i, 1);
      if (r.date) {
        const at = Date.parse(r.date.slice('Date: '.length));
        assert.ok(at >= Math.floor(started / 1000) * 1000 && at <= Date.now(), `${what}: added ${r.date.trim()} is the time of sending`);
      }
      break;
    }
    assert.ok(found, `${what}: a copy that is no sent message behind the added headers: ${copy.subarray(0, 200).toString('latin1')}`);
    out.set(found.name, copy);
  }
  assert.equal(out.size, sent.length, `${what}: every message matched once`);
  return out;
}

/** Gannet's trace block off a copy delivered to `to`, checked to name the envelope. */
function withoutTrace(raw: Buffer, to: Mailbox): Buffer {
  const trace = TRACE.exec(raw.subarray(0, 2048).toString('latin1'));
  assert.ok(trace, `trace headers on ${raw.subarray(0, 300).toString('latin1')}`);
  assert.deepEqual([trace[1], trace[2]], [sender.address, to.address], 'Return-Path and Delivered-To');
  return raw.subarray(trace[0].length);
}

async function mailboxCopies(who: Mailbox, role: string): Promise<Buffer[]> {
  const box = (await server.services.mailboxes.list(who.accountId)).find((m) => m.role === role);
  assert.ok(box, `${who.address} has a ${role} mailbox`);
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await server.services.messages.list(who.accountId, box.id, { limit: 250, cursor });
    ids.push(...page.results.map((m) => m.id));
    cursor = page.next ?? undefined;
  } while (cursor);
  return Promise.all(ids.map((id) => rawMessage(server, who.accountId, id)));
}

/** Delivery goes through the outbound queue: waits until the recipient's inbox holds `count` messages. */
async function delivered(who: Mailbox, count: number): Promise<Buffer[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const held = await inbox(server, who.accountId);
    if (held.length >= count) return Promise.all(held.map((m) => rawMessage(server, who.accountId, m.id)));
    assert.ok(Date.now() < deadline, `${who.address}: ${held.length} of ${count} messages delivered after 60 s`);
    await sleep(100);
  }
}

/** Runs `work` over the items with `n` workers. */
async function parallel<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

before(async () => {
  started = Date.now();
  corpus = corpusFiles().map((path) => {
    const original = readFileSync(path);
    const canonical = withFinalCrlf(canonicalize(original));
    const headers = readHeaders(canonical);
    return { name: relative(CORPUS_DIR, path), original, canonical, from: headers.from, hasMessageId: headers.hasMessageId, hasDate: headers.hasDate };
  });
  // Every user gets the default 500 recipients an hour; the corpus needs more than that, twice.
  // A bulk run of ~2,300 API requests: the per-credential API rate limit is not what is tested here.
  server = await startServer({ submissionRecipientsPerHour: 0, apiRateLimit: 0 });
  sender = await addUser(server, 'sender@corpus.test');
  const addresses = new Set(corpus.flatMap((m) => m.from.map((a) => a.toLowerCase())));
  for (const address of addresses) {
    try {
      await server.services.directory.allowSender(sender.userId, address);
    } catch (err) {
      if (!(err instanceof ServiceError && err.code === 'invalid')) throw err;
      unallowable.add(address);
    }
  }
  // The admin API only takes addresses of a dotted ASCII domain (what Gannet could host), but
  // corpus From fields also hold single-label domains, underscores, EAI addresses (RFC 6532)
  // and broken ones. What is under test here is the byte path, not that policy, so these are
  // allowed below the API, exactly as SubmissionService compares them (lower case).
  await server.store.write(async (w) => {
    for (const address of unallowable) await directoryRepo.insertAllowedSender(w.trx, { principal_id: sender.userId, address, created_at: Date.now() });
  });
});

after(async () => {
  await server?.stop();
});

test('the corpus From addresses: the admin API allows all but those outside dotted ASCII domains', (t) => {
  const withFrom = corpus.filter(hasFrom).length;
  t.diagnostic(`${corpus.length} messages: ${withFrom} with From, ${corpus.length - withFrom} without; From addresses the admin API refuses: ${[...unallowable].join(' | ')}`);
  assert.equal(corpus.length, 775);
  assert.ok(withFrom > 600);
  for (const a of unallowable) assert.ok(!/^[^\s@()<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/.test(a), `${a} should have been allowed`);
});

test('every corpus message over SMTP submission (submission port and implicit-TLS submissions port): Sent copy and delivered copy are the bytes sent', async (t) => {
  const rcpt = await addUser(server, 'smtp-rcpt@corpus.test');
  const t0 = Date.now();
  await parallel(
    Array.from({ length: CONNECTIONS }, (_, i) => i),
    CONNECTIONS,
    async (worker) => {
      // Half the connections on each listener. The test server takes AUTH before TLS from
      // loopback (plaintextAuth: loopback), so the submission port needs no STARTTLS here.
      const implicitTls = worker % 2 === 1;
      const { client } = implicitTls ? await WireClient.openTls(server.listeners.submissions.port) : await WireClient.open(server.listeners.submission.port);
      assert.equal((await client.command('EHLO corpus.test')).code, 250);
      const auth = await client.command(`AUTH PLAIN ${Buffer.from(`\0${sender.address}\0${PASSWORD}`).toString('base64')}`);
      assert.equal(auth.code, 235, auth.text);
      for (let i = worker; i < corpus.length; i += CONNECTIONS) {
        const m = corpus[i];
        for (const [line, code] of [['RSET', 250], [`MAIL FROM:<${sender.address}>`, 250], [`RCPT TO:<${rcpt.address}>`, 250], ['DATA', 354]] as const) {
          const reply = await client.command(line);
          assert.equal(reply.code, code, `${m.name}: ${line}: ${reply.text}`);
        }
        client.write(frameData(m.canonical));
        const reply = await client.reply(30_000);
        if (hasFrom(m)) assert.equal(reply.code, 250, `${m.name}: ${reply.text}`);
        else assert.equal(reply.text, '550 5.7.1 the message has no From header', m.name);
      }
      await client.quit();
    },
  );
  const sendTime = Date.now() - t0;
  const sent = corpus.filter(hasFrom);

  // (a) Sent: the added Message-ID/Date, then exactly the canonical bytes.
  const sentCopies = matchCopies(await mailboxCopies(sender, 'sent'), sent, (m) => m.canonical, 'Sent');
  // (b) The recipient: the trace block, then exactly the Sent copy.
  const copies = await delivered(rcpt, sent.length);
  const expected = new Map<string, CorpusMessage[]>();
  for (const m of sent) {
    const key = sha(sentCopies.get(m.name)!);
    expected.set(key, [...(expected.get(key) ?? []), m]);
  }
  for (const raw of copies) {
    const body = withoutTrace(raw, rcpt);
    assert.ok(expected.get(sha(body))?.pop(), `delivered copy is exactly one Sent copy: ${body.subarray(0, 200).toString('latin1')}`);
  }
  assert.equal(copies.length, sent.length);
  t.diagnostic(`${sent.length} sent and delivered, ${corpus.length - sent.length} refused; SMTP dialogue ${sendTime} ms, all delivered after ${Date.now() - t0} ms`);
});

/**
 * RFC 8621 §7.5: the server MUST remove Bcc header fields from what it sends. Only the
 * top-level ones (with their continuation lines) go; every other byte stays.
 */
function withoutBccFields(raw: Buffer): Buffer {
  const lines = raw.toString('latin1').match(/[^\n]*\n|[^\n]+$/g) ?? [];
  let out = '';
  let inHeader = true;
  let dropping = false;
  for (const line of lines) {
    if (inHeader && (line === '\n' || line === '\r\n')) inHeader = false;
    if (!inHeader) out += line;
    else {
      if (line[0] !== ' ' && line[0] !== '\t') dropping = /^bcc[ \t]*:/i.test(line);
      if (!dropping) out += line;
    }
  }
  return Buffer.from(out, 'latin1');
}

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const SUBMISSION = 'urn:ietf:params:jmap:submission';

test('every corpus message through JMAP upload, Email/import and EmailSubmission/set: delivered as uploaded', async (t) => {
  const rcpt = await addUser(server, 'jmap-rcpt@corpus.test');
  const { accountId } = sender;
  const authorization = 'Basic ' + Buffer.from(`${sender.address}:${PASSWORD}`).toString('base64');
  const jmap = async (calls: [string, Record<string, unknown>, string][]) => {
    const res = await fetch(`${server.baseUrl}/jmap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization },
      body: JSON.stringify({ using: [CORE, MAIL, SUBMISSION], methodCalls: calls }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()).methodResponses as [string, Record<string, any>, string][];
  };
  const batches = <T>(items: T[]) => Array.from({ length: Math.ceil(items.length / BATCH) }, (_, i) => items.slice(i * BATCH, (i + 1) * BATCH));
  const t0 = Date.now();

  const [[, identities], [, drafts]] = await jmap([
    ['Identity/get', { accountId }, 'i'],
    ['Mailbox/query', { accountId, filter: { role: 'drafts' } }, 'm'],
  ]);
  const identityId = identities.list.find((i: { email: string }) => i.email === sender.address).id as string;
  const draftsId = drafts.ids[0] as string;

  // The bytes of the files as they are: JMAP carries them in HTTP bodies, not SMTP lines.
  const blobIds: string[] = new Array(corpus.length);
  await parallel([...corpus.keys()], CONNECTIONS, async (i) => {
    const res = await fetch(`${server.baseUrl}/upload/${accountId}`, { method: 'POST', headers: { authorization, 'content-type': 'message/rfc822' }, body: new Uint8Array(corpus[i].original) });
    assert.equal(res.status, 201, `${corpus[i].name}: ${await res.clone().text()}`);
    const body = (await res.json()) as { blobId: string; size: number };
    assert.equal(body.size, corpus[i].original.length, corpus[i].name);
    blobIds[i] = body.blobId;
  });

  const emailIds: string[] = new Array(corpus.length);
  await parallel(batches([...corpus.keys()]), CONNECTIONS, async (batch) => {
    const emails = Object.fromEntries(batch.map((i) => [String(i), { blobId: blobIds[i], mailboxIds: { [draftsId]: true }, keywords: { $draft: true, $seen: true } }]));
    const [[name, res]] = await jmap([['Email/import', { accountId, emails }, 'e']]);
    assert.equal(name, 'Email/import', JSON.stringify(res));
    for (const i of batch) {
      assert.ok(res.created?.[i], `${corpus[i].name}: ${JSON.stringify(res.notCreated?.[i])}`);
      emailIds[i] = res.created[i].id;
    }
  });

  // The draft's blob is the upload, byte for byte.
  const [[, got]] = await jmap([['Email/get', { accountId, ids: emailIds, properties: ['blobId', 'size'] }, 'g']]);
  assert.equal(got.list.length, corpus.length);
  const draftBlob = new Map<string, { blobId: string; size: number }>(got.list.map((e: { id: string; blobId: string; size: number }) => [e.id, e]));
  await parallel([...corpus.keys()], CONNECTIONS, async (i) => {
    const { blobId, size } = draftBlob.get(emailIds[i])!;
    assert.equal(size, corpus[i].original.length, corpus[i].name);
    const res = await fetch(`${server.baseUrl}/raw/${accountId}/${blobId}/m.eml`, { headers: { authorization } });
    assert.equal(res.status, 200, corpus[i].name);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), corpus[i].original, `${corpus[i].name}: the draft's blob`);
  });

  const envelope = { mailFrom: { email: sender.address, parameters: null }, rcptTo: [{ email: rcpt.address, parameters: null }] };
  await parallel(batches([...corpus.keys()]), CONNECTIONS, async (batch) => {
    const create = Object.fromEntries(batch.map((i) => [String(i), { identityId, emailId: emailIds[i], envelope }]));
    const [[name, res]] = await jmap([['EmailSubmission/set', { accountId, create }, 's']]);
    assert.equal(name, 'EmailSubmission/set', JSON.stringify(res));
    for (const i of batch) {
      if (hasFrom(corpus[i])) assert.ok(res.created?.[i], `${corpus[i].name}: ${JSON.stringify(res.notCreated?.[i])}`);
      else assert.deepEqual(res.notCreated?.[i], { type: 'invalidEmail', description: 'the message has no From header' }, corpus[i].name);
    }
  });
  const submitTime = Date.now() - t0;

  const sent = corpus.filter(hasFrom);
  const bodies = (await delivered(rcpt, sent.length)).map((raw) => withoutTrace(raw, rcpt));
  matchCopies(bodies, sent, (m) => withoutBccFields(m.original), 'delivered over JMAP');
  const withBcc = sent.filter((m) => !withoutBccFields(m.original).equals(m.original)).length;
  t.diagnostic(`${sent.length} submitted and delivered (${withBcc} without their Bcc), ${corpus.length - sent.length} refused; upload to submission ${submitTime} ms, all delivered after ${Date.now() - t0} ms`);
});
