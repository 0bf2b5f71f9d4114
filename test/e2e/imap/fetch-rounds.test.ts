import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { RawImap } from '../../helpers/imap-raw.ts';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

// FETCH answers whole messages a few megabytes at a time, reading the next round while the client
// takes one: big and small messages mixed must come back complete and in order.
let server: TestServer;
let client: ImapFlow;
let password: string;
const sent: Buffer[] = [];

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 16 * 1024 * 1024 } }))!;
  const user = await createUser(server, 'rounds');
  password = user.password;
  const accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  for (let i = 0; i < 9; i++) {
    // Every third message is ~2.5 MB, so the 9 messages span several rounds of 4 MB.
    const body = i % 3 === 0 ? `${String(i).repeat(76)}\r\n`.repeat(33_000) : `small ${i}`;
    const raw = simpleMessage({ subject: `message ${i}`, body });
    sent.push(raw);
    await server.services.ingest.ingest({ accountId, raw });
  }
  client = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user: user.username, pass: user.password }, tls: { rejectUnauthorized: false }, logger: false });
  await client.connect();
  await client.mailboxOpen('INBOX');
});
after(async () => {
  await client.logout().catch(() => undefined);
  await server.stop();
});

test('BODY.PEEK[] of big and small messages comes back whole and in order across rounds', async () => {
  const got: Buffer[] = [];
  for await (const m of client.fetch('1:*', { source: true })) got.push(m.source!);
  assert.equal(got.length, sent.length);
  got.forEach((source, i) => assert.ok(source.equals(sent[i]!), `message ${i} (${sent[i]!.length} bytes)`));
});

test('BODY[] sets \\Seen on every message, across rounds, and says so in each FETCH', async () => {
  const raw = await RawImap.connect(server.listeners.imap.port);
  try {
    await raw.command(`LOGIN rounds "${password}"`);
    await raw.command('SELECT INBOX');
    const res = await raw.command('FETCH 1:* (BODY[])');
    assert.equal(res.lines.length, sent.length);
    res.lines.forEach((line, i) => {
      assert.match(line.toString('latin1', line.length - 100), /FLAGS \(\\Seen\)/, `message ${i + 1}`);
      assert.ok(line.includes(sent[i]!), `message ${i + 1} whole`);
    });
  } finally {
    raw.close();
  }
});
