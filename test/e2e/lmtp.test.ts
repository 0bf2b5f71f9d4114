import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, splitTrace, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { WireClient } from '../protocols/smtp/wire.ts';

const LIMIT = 64 * 1024;

let server: TestServer;
let port: number;
let alice: Mailbox;
let bob: Mailbox;
let tight: Mailbox;

const message = (subject: string, body = 'Hello.\r\n') => Buffer.from(`From: mta@relay.test\r\nTo: team@example.test\r\nSubject: ${subject}\r\n\r\n${body}`);
const bulky = (subject: string) => message(subject, `${'w'.repeat(998)}\r\n`.repeat(10));

async function open(): Promise<WireClient> {
  const { client } = await WireClient.open(port);
  assert.equal((await client.command('LHLO relay.test')).code, 250);
  return client;
}

async function transaction(c: WireClient, rcpts: string[]): Promise<number[]> {
  assert.equal((await c.command('MAIL FROM:<mta@relay.test>')).code, 250);
  const codes = [];
  for (const r of rcpts) codes.push((await c.command(`RCPT TO:<${r}>`)).code);
  return codes;
}

async function replies(c: WireClient, n: number): Promise<string[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await c.reply()).text);
  return out;
}

before(async () => {
  server = await startServer({ maxMessageSize: LIMIT });
  port = server.listeners.lmtp.port;
  alice = await addUser(server, 'alice@example.test');
  bob = await addUser(server, 'bob@example.test');
  tight = await addUser(server, 'tight@example.test', 4000);
});

after(async () => {
  await server?.stop();
});

test('LMTP greeting, LHLO capabilities; HELO and EHLO are not LMTP', async () => {
  const { client: c, greeting } = await WireClient.open(port);
  assert.match(greeting.text, /^220 mx\.test\.gannet LMTP/);
  assert.equal((await c.command('HELO relay.test')).code, 500);
  assert.equal((await c.command('EHLO relay.test')).code, 500);
  const lhlo = await c.command('LHLO relay.test');
  const features = lhlo.lines.slice(1).map((l) => l.slice(4));
  for (const f of ['PIPELINING', 'ENHANCEDSTATUSCODES', '8BITMIME', `SIZE ${LIMIT}`]) assert.ok(features.includes(f), `${f} in ${lhlo.text}`);
  assert.ok(!features.some((f) => /^(AUTH|STARTTLS)\b/.test(f)), lhlo.text);
  await c.quit();
});

test('one reply per recipient in RCPT order: an over-quota recipient among good ones', async () => {
  const c = await open();
  assert.deepEqual(await transaction(c, ['alice@example.test', 'tight@example.test', 'bob@example.test']), [250, 250, 250]);
  assert.equal((await c.command('DATA')).code, 354);
  const body = bulky('per recipient');
  c.write(Buffer.concat([body, Buffer.from('.\r\n')]));
  const [a, t, b] = await replies(c, 3);
  assert.match(a, /^250 2\.0\.0 <alice@example\.test> /);
  assert.match(t, /^452 4\.2\.2 <tight@example\.test>/);
  assert.match(b, /^250 2\.0\.0 <bob@example\.test> /);
  assert.equal((await c.command('NOOP')).code, 250, 'no stray replies left');
  await c.quit();

  for (const [who, reply] of [[alice, a], [bob, b]] as const) {
    const [m] = await inbox(server, who.accountId);
    assert.equal(m.subject, 'per recipient');
    const traced = splitTrace(await rawMessage(server, who.accountId, m.id), body.length);
    assert.deepEqual(traced.body, body);
    assert.equal(traced.deliveredTo, who.address);
    assert.match(traced.received, /with LMTP id /);
    assert.ok(reply.includes(m.id), reply);
  }
  assert.equal((await inbox(server, tight.accountId)).length, 0);
});

test('the reply names the stored email id', async () => {
  const c = await open();
  await transaction(c, ['alice@example.test']);
  const reply = await c.data(message('id in reply'));
  await c.quit();
  const [m] = await inbox(server, alice.accountId);
  assert.equal(m.subject, 'id in reply');
  assert.ok(reply.text.includes(m.id), reply.text);
});

test('recipients refused at RCPT get no DATA reply', async () => {
  const c = await open();
  assert.deepEqual(await transaction(c, ['alice@example.test', 'nobody@example.test', 'x@elsewhere.test', 'bob@example.test']), [250, 550, 554, 250]);
  assert.equal((await c.command('DATA')).code, 354);
  c.write(Buffer.concat([message('two replies'), Buffer.from('.\r\n')]));
  const got = await replies(c, 2);
  assert.match(got[0], /^250 2\.0\.0 <alice@example\.test>/);
  assert.match(got[1], /^250 2\.0\.0 <bob@example\.test>/);
  assert.equal((await c.command('NOOP')).text.slice(0, 3), '250');
  await c.quit();
});

test('oversized message: 552 5.3.4 for each recipient, nothing stored', async () => {
  const before = (await inbox(server, alice.accountId)).length;
  const c = await open();
  await transaction(c, ['alice@example.test', 'bob@example.test']);
  assert.equal((await c.command('DATA')).code, 354);
  c.write(Buffer.concat([message('too big', `${'v'.repeat(998)}\r\n`.repeat(70)), Buffer.from('.\r\n')]));
  const got = await replies(c, 2);
  assert.deepEqual(got.map((r) => r.slice(0, 9)), ['552 5.3.4', '552 5.3.4']);
  await c.quit();
  assert.equal((await inbox(server, alice.accountId)).length, before);
});

test('transient store failure: 451 4.3.0 for each recipient', async () => {
  const blobs = server.store.blobs;
  blobs.put = async () => {
    throw new Error('EIO: i/o error');
  };
  try {
    const c = await open();
    await transaction(c, ['alice@example.test', 'bob@example.test']);
    assert.equal((await c.command('DATA')).code, 354);
    c.write(Buffer.concat([message('io error'), Buffer.from('.\r\n')]));
    const got = await replies(c, 2);
    assert.deepEqual(got.map((r) => r.slice(0, 9)), ['451 4.3.0', '451 4.3.0']);
    await c.quit();
  } finally {
    delete (blobs as { put?: unknown }).put;
  }
});

test('connection dropped in the middle of DATA: nothing stored', async () => {
  const before = (await inbox(server, alice.accountId)).length;
  const c = await open();
  await transaction(c, ['alice@example.test']);
  assert.equal((await c.command('DATA')).code, 354);
  c.write('Subject: cut\r\n\r\nhalf a message');
  await sleep(100);
  c.destroy();
  await sleep(300);
  assert.equal((await inbox(server, alice.accountId)).length, before);
});
