import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { CORPUS_DIR, corpusFiles } from '../../helpers/corpus.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

let server: TestServer;
let client: ImapFlow;

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 64 * 1024 * 1024 } }))!;
  const user = await createUser(server, 'corpus');
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
