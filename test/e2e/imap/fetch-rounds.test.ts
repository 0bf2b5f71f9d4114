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

test("a slow client's unsent bodies are not overwritten by the next FETCH reusing read memory", async () => {
  // Message bytes are read into reused slabs. A FETCH is done once the server has written its
  // answer, though up to a megabyte of it may still wait at the server for a client that is not
  // reading; that slab must not be lent to the next FETCH until the socket has taken those bytes.
  const user = await createUser(server, 'slow');
  const accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  const bodies: Buffer[] = [];
  for (let i = 0; i < 120; i++) {
    const raw = simpleMessage({ subject: `slow ${i}`, body: `${String(i % 10).repeat(70)} ${i}\r\n`.repeat(1_300) });
    bodies.push(raw);
    await server.services.ingest.ingest({ accountId, raw });
  }
  const raw = await RawImap.connect(server.listeners.imap.port);
  try {
    await raw.command(`LOGIN slow "${user.password}"`);
    await raw.command('EXAMINE INBOX');
    // Twenty FETCHes of ~600 kB, sent at once to a client that does not read: once the kernel's
    // buffers are full, each ends with part of its answer still at the server.
    const tags = Array.from({ length: 20 }, (_, i) => raw.start(`FETCH ${i * 6 + 1}:${i * 6 + 6} (BODY.PEEK[])`));
    await raw.stall(500);
    for (const [n, tag] of tags.entries()) {
      const res = await raw.finish(tag);
      assert.equal(res.lines.length, 6);
      res.lines.forEach((line, i) => assert.ok(bodyOf(line).equals(bodies[n * 6 + i]!), `message ${n * 6 + i + 1} intact`));
    }
  } finally {
    raw.close();
  }
});

/** The literal of a `* n FETCH (BODY[] {size}...)` line. */
function bodyOf(line: Buffer): Buffer {
  return line.subarray(line.indexOf('}\r\n') + 3, -1);
}
