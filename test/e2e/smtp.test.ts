import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, splitTrace, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { WireClient } from '../protocols/smtp/wire.ts';

const LIMIT = 64 * 1024;
const MAX_RCPT = 5;

let server: TestServer;
let port: number;
let alice: Mailbox;
let bob: Mailbox;
let tight: Mailbox;

const message = (subject: string, body = 'Hello there.\r\n') =>
  Buffer.from(`From: Bob <bob@remote.test>\r\nTo: alice@example.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@remote.test>\r\n\r\n${body}`);

async function open(): Promise<WireClient> {
  const { client } = await WireClient.open(port);
  assert.equal((await client.command('EHLO client.remote.test')).code, 250);
  return client;
}

before(async () => {
  server = await startServer({ maxMessageSize: LIMIT, maxRecipients: MAX_RCPT });
  port = server.listeners.smtp.port;
  alice = await addUser(server, 'alice@example.test');
  bob = await addUser(server, 'bob@example.test');
  // Room for a small message, not for a 20 kB one: passes RCPT, fails at DATA.
  tight = await addUser(server, 'tight@example.test', 4000);
});

after(async () => {
  await server?.stop();
});

test('greeting and EHLO: hostname, SIZE = maxMessageSize, no AUTH, no STARTTLS', async () => {
  const { client, greeting } = await WireClient.open(port);
  assert.equal(greeting.code, 220);
  assert.match(greeting.text, /^220 mx\.test\.gannet ESMTP/);
  const ehlo = await client.command('EHLO client.remote.test');
  assert.equal(ehlo.code, 250);
  const features = ehlo.lines.slice(1).map((l) => l.slice(4));
  assert.match(ehlo.lines[0], /^250-mx\.test\.gannet /);
  assert.ok(features.includes(`SIZE ${LIMIT}`), ehlo.text);
  for (const f of ['PIPELINING', '8BITMIME', 'ENHANCEDSTATUSCODES']) assert.ok(features.includes(f), `${f} in ${ehlo.text}`);
  assert.ok(!features.some((f) => /^(AUTH|STARTTLS)\b/.test(f)), ehlo.text);
  assert.equal((await client.command('AUTH PLAIN AGFsaWNlAHNlY3JldA==')).code, 500);
  assert.equal((await client.command('STARTTLS')).code, 500);
  await client.quit();
});

test('nodemailer delivers to INBOX: trace headers prepended, the rest byte-identical', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const raw = message('nodemailer delivery', 'Line one.\r\n.Leading dot stays.\r\n\r\nBye.\r\n');
  const info = await transport.sendMail({ envelope: { from: 'bob@remote.test', to: ['alice@example.test'] }, raw });
  transport.close();
  assert.deepEqual(info.accepted, ['alice@example.test']);
  assert.match(info.response, /^250 2\.0\.0 .*queued as \S+/);

  const [summary] = await inbox(server, alice.accountId);
  assert.equal(summary.subject, 'nodemailer delivery');
  const stored = await rawMessage(server, alice.accountId, summary.id);
  const traced = splitTrace(stored, raw.length);
  assert.deepEqual(traced.body, raw);
  assert.equal(traced.returnPath, 'bob@remote.test');
  assert.equal(traced.deliveredTo, 'alice@example.test');
  assert.match(traced.received, /by mx\.test\.gannet \(Gannet\) with ESMTP id /);
  assert.match(traced.received, /for <alice@example\.test>;/);
  const detail = await server.services.messages.get(alice.accountId, summary.id);
  assert.equal(detail.id, summary.id);
});

test('reply codes: unknown 550 5.1.1, relay 554 5.7.1, syntax 501 5.1.3/5.1.7, success 250 2.0.0', async () => {
  const c = await open();
  assert.equal((await c.command('MAIL FROM:<not an address>')).text.slice(0, 9), '501 5.1.7');
  assert.equal((await c.command('MAIL FROM:<bob@remote..test>')).text.slice(0, 9), '501 5.1.7');
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).text.slice(0, 9), '250 2.1.0');
  const expect = async (rcpt: string, code: string) => assert.equal((await c.command(`RCPT TO:${rcpt}`)).text.slice(0, 9), code, rcpt);
  await expect('<nobody@example.test>', '550 5.1.1');
  await expect('<someone@elsewhere.test>', '554 5.7.1');
  await expect('<a@@example.test>', '501 5.1.3');
  await expect('alice@example.test', '501 5.1.3');
  await expect('<alice@-example.test>', '501 5.1.3');
  await expect('<.alice@example.test>', '501 5.1.3');
  await expect('<alice@exa_mple.test>', '501 5.1.3');
  await expect('<ALICE@Example.Test>', '250 2.1.5');
  const reply = await c.data(message('codes'));
  assert.equal(reply.code, 250);
  assert.equal(reply.enhanced, '2.0.0');
  assert.match(reply.text, /queued as \S+/);
  await c.quit();
});

test('null sender <> is accepted (bounces must get through)', async () => {
  const c = await open();
  assert.equal((await c.command('MAIL FROM:<>')).code, 250);
  assert.equal((await c.command('RCPT TO:<bob@example.test>')).code, 250);
  assert.equal((await c.data(message('bounce'))).code, 250);
  await c.quit();
  const [m] = await inbox(server, bob.accountId);
  assert.equal(splitTrace(await rawMessage(server, bob.accountId, m.id)).returnPath, '');
});

test('too many recipients: 452 4.5.3 after maxRecipients, a repeated one does not count', async () => {
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  for (let i = 0; i < MAX_RCPT; i++) assert.equal((await c.command(i % 2 ? 'RCPT TO:<alice@example.test>' : 'RCPT TO:<bob@example.test>')).code, 250);
  // Only two distinct so far: three more distinct ones fit.
  await addUser(server, 'r1@example.test');
  await addUser(server, 'r2@example.test');
  await addUser(server, 'r3@example.test');
  await addUser(server, 'r4@example.test');
  const results = [];
  for (const r of ['r1', 'r2', 'r3', 'r4']) results.push((await c.command(`RCPT TO:<${r}@example.test>`)).text.slice(0, 9));
  assert.deepEqual(results, ['250 2.1.5', '250 2.1.5', '250 2.1.5', '452 4.5.3']);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250, 'a repeat is still fine');
  await c.command('RSET');
  await c.quit();
});

test('size: MAIL FROM SIZE= over the limit and DATA over the limit get 552 5.3.4; nothing stored', async () => {
  const before = (await inbox(server, alice.accountId)).length;
  const c = await open();
  assert.equal((await c.command(`MAIL FROM:<bob@remote.test> SIZE=${LIMIT + 1}`)).text.slice(0, 9), '552 5.3.4');
  assert.equal((await c.command(`MAIL FROM:<bob@remote.test> SIZE=${LIMIT - 100}`)).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  const big = message('too big', `${'x'.repeat(998)}\r\n`.repeat(Math.ceil(LIMIT / 1000) + 5));
  const reply = await c.data(big);
  assert.equal(reply.text.slice(0, 9), '552 5.3.4');
  // The connection is still in step: the whole message was drained.
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  assert.equal((await c.data(message('after too big'))).code, 250);
  await c.quit();
  const after = await inbox(server, alice.accountId);
  assert.equal(after.length, before + 1);
  assert.equal(after[0].subject, 'after too big');
});

test('over quota: 452 4.2.2 at RCPT when full, at DATA when this message does not fit', async () => {
  const full = await addUser(server, 'full@example.test', 100_000);
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<full@example.test>');
  assert.equal((await c.data(message('fills it', 'y'.repeat(500)))).code, 250);
  await server.services.directory.updateUser(full.userId, { quota: 200 });
  await c.command('MAIL FROM:<bob@remote.test>');
  assert.equal((await c.command('RCPT TO:<full@example.test>')).text.slice(0, 9), '452 4.2.2');
  await c.command('RSET');

  await c.command('MAIL FROM:<bob@remote.test>');
  assert.equal((await c.command('RCPT TO:<tight@example.test>')).code, 250);
  assert.equal((await c.data(message('does not fit', `${'z'.repeat(998)}\r\n`.repeat(20)))).text.slice(0, 9), '452 4.2.2');
  await c.quit();
  assert.equal((await inbox(server, tight.accountId)).length, 0);
});

test('one copy stored and one failed: 250 (no resend, no duplicates), the failure is not stored', async () => {
  const before = (await inbox(server, alice.accountId)).length;
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  assert.equal((await c.command('RCPT TO:<tight@example.test>')).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  const reply = await c.data(message('partial', `${'z'.repeat(998)}\r\n`.repeat(20)));
  assert.equal(reply.text.slice(0, 9), '250 2.0.0');
  await c.quit();
  assert.equal((await inbox(server, alice.accountId)).length, before + 1);
  assert.equal((await inbox(server, tight.accountId)).length, 0);
});

test('transient store failure: 451 4.3.0 and nothing stored', async () => {
  const before = (await inbox(server, alice.accountId)).length;
  const blobs = server.store.blobs;
  blobs.put = async () => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
  };
  try {
    const c = await open();
    await c.command('MAIL FROM:<bob@remote.test>');
    await c.command('RCPT TO:<alice@example.test>');
    const reply = await c.data(message('disk full'));
    assert.equal(reply.text.slice(0, 9), '451 4.3.0');
    assert.doesNotMatch(reply.text, /ENOSPC/, 'internals stay off the wire');
    await c.quit();
  } finally {
    delete (blobs as { put?: unknown }).put;
  }
  assert.equal((await inbox(server, alice.accountId)).length, before);
});

test('aliases and groups fan out, one copy per account', async () => {
  const carol = await addUser(server, 'carol@fanout.test');
  const dave = await addUser(server, 'dave@fanout.test');
  await server.services.directory.addMapping({ source: 'sales@fanout.test', kind: 'alias', target: 'carol@fanout.test' });
  await server.services.directory.addMapping({ source: 'team@fanout.test', kind: 'group', target: 'carol@fanout.test' });
  await server.services.directory.addMapping({ source: 'team@fanout.test', kind: 'group', target: 'dave@fanout.test' });

  const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
  const raw = message('fan out');
  const info = await transport.sendMail({ envelope: { from: 'bob@remote.test', to: ['sales@fanout.test', 'team@fanout.test', 'carol@fanout.test'] }, raw });
  transport.close();
  assert.equal(info.accepted.length, 3);

  const carols = await inbox(server, carol.accountId);
  const daves = await inbox(server, dave.accountId);
  assert.equal(carols.length, 1);
  assert.equal(daves.length, 1);
  assert.deepEqual(splitTrace(await rawMessage(server, carol.accountId, carols[0].id), raw.length).body, raw);
  assert.equal(splitTrace(await rawMessage(server, dave.accountId, daves[0].id)).deliveredTo, 'team@fanout.test');
});

test('replies are counted in gannet_smtp_replies_total and DATA→commit is timed', async () => {
  const res = await fetch(`${server.mgmtUrl}/metrics`);
  const text = await res.text();
  assert.match(text, /gannet_smtp_replies_total\{protocol="smtp",command="RCPT",code="550"\} [1-9]/);
  assert.match(text, /gannet_smtp_replies_total\{protocol="smtp",command="DATA",code="250"\} [1-9]/);
  assert.match(text, /gannet_smtp_replies_total\{protocol="smtp",command="DATA",code="552"\} [1-9]/);
  assert.match(text, /gannet_delivery_duration_seconds_count\{protocol="smtp"\} [1-9]/);
});
