import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { envelopeOf } from '../../../src/mime/envelope.ts';
import { parseMessage } from '../../../src/mime/parse.ts';
import { envelope } from '../../../src/protocols/imap/render/envelope.ts';
import { encode } from '../../../src/protocols/imap/writer.ts';
import { CORPUS_DIR, corpusFiles } from '../../helpers/corpus.ts';
import { RawImap } from '../../helpers/imap-raw.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

let server: TestServer;
let client: ImapFlow;
let user: { username: string; password: string };

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 64 * 1024 * 1024 } }))!;
  user = await createUser(server, 'corpus');
  client = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user: user.username, pass: user.password }, tls: { rejectUnauthorized: false }, logger: false });
  await client.connect();
});
after(async () => {
  await client.logout().catch(() => undefined);
  await server.stop();
});

test('every corpus message APPENDed comes back byte for byte: BINARY.PEEK[] always, BODY[] when it has no NUL', async () => {
  const files = corpusFiles();
  const uids = new Map<number, string>();
  for (const file of files) {
    const raw = readFileSync(file);
    if (raw.length === 0) continue;
    const res = await client.append('INBOX', raw).catch((err: { responseText?: string }) => assert.fail(`${relative(CORPUS_DIR, file)}: ${err.responseText}`));
    assert.ok(res && res.uid, `APPENDUID for ${relative(CORPUS_DIR, file)}`);
    uids.set(res.uid!, file);
  }
  await client.mailboxOpen('INBOX');
  // imapflow APPENDs a message with NUL as a literal8 (RFC 3516) and reads BINARY.PEEK[] with binary: true.
  let checked = 0;
  for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true, binary: true })) {
    const file = uids.get(m.uid)!;
    assert.ok(m.source!.equals(readFileSync(file)), `${relative(CORPUS_DIR, file)} differs (BINARY)`);
    checked++;
  }
  assert.equal(checked, uids.size);
  // BODY[] may not carry NUL (RFC 9051 §4.3): such bytes come back as 0x80, the rest exactly.
  for await (const m of client.fetch('1:*', { uid: true, source: true }, { uid: true })) {
    const raw = readFileSync(uids.get(m.uid)!);
    assert.ok(m.source!.equals(Buffer.from(raw.map((b) => (b === 0 ? 0x80 : b)))), `${relative(CORPUS_DIR, uids.get(m.uid)!)} differs (BODY)`);
  }
});

test('FETCH ENVELOPE, served from the fields stored at ingest, is byte for byte the envelope of each corpus message', async () => {
  const files = corpusFiles().filter((f) => readFileSync(f).length > 0);
  const raw = await RawImap.connect(server.listeners.imap.port);
  try {
    await raw.command(`LOGIN ${user.username} "${user.password}"`);
    await raw.command('CREATE Envelopes');
    const uids = new Map<number, Buffer>();
    for (const file of files) {
      const bytes = readFileSync(file);
      const res = await client.append('Envelopes', bytes);
      assert.ok(res && res.uid);
      uids.set(res.uid, bytes);
    }
    await raw.command('SELECT Envelopes');
    const res = await raw.command('UID FETCH 1:* (ENVELOPE)');
    assert.equal(res.status.split(' ')[0], 'OK');
    assert.equal(res.lines.length, files.length);
    for (const line of res.lines) {
      const uid = Number(/UID (\d+)/.exec(line.toString('latin1'))![1]);
      const message = uids.get(uid)!;
      const root = parseMessage(message).structure;
      const expected = encode(envelope(envelopeOf(message, root.headerStart, root.headerEnd)), { utf8: false });
      const start = line.indexOf('ENVELOPE ') + 'ENVELOPE '.length;
      assert.ok(line.subarray(start, line.length - 1).equals(expected), `envelope of UID ${uid}`);
    }
  } finally {
    raw.close();
  }
});
