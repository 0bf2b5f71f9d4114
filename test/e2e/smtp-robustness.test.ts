import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, rawMessage, splitTrace, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { WireClient } from '../protocols/smtp/wire.ts';

let server: TestServer;
let port: number;
let alice: Mailbox;

const message = (subject: string) => Buffer.from(`From: bob@remote.test\r\nTo: alice@example.test\r\nSubject: ${subject}\r\n\r\nBody.\r\n`);

async function open(): Promise<WireClient> {
  const { client } = await WireClient.open(port);
  assert.equal((await client.command('EHLO client.remote.test')).code, 250);
  return client;
}

async function stored(): Promise<number> {
  return (await inbox(server, alice.accountId)).length;
}

before(async () => {
  server = await startServer({ maxMessageSize: 32 * 1024 });
  port = server.listeners.smtp.port;
  alice = await addUser(server, 'alice@example.test');
});

after(async () => {
  await server?.stop();
});

test('commands out of order and unknown commands get 5xx and change nothing', async () => {
  const { client: c } = await WireClient.open(port);
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).code, 503, 'MAIL before EHLO');
  assert.equal((await c.command('EHLO')).code, 501, 'EHLO without a name');
  assert.equal((await c.command('EHLO client.remote.test')).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 503, 'RCPT before MAIL');
  assert.equal((await c.command('DATA')).code, 503, 'DATA before RCPT');
  const unknown = await c.command('FROBNICATE now');
  assert.equal(unknown.code, 500);
  assert.equal(unknown.enhanced, '5.5.2');
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).code, 250);
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).code, 503, 'nested MAIL');
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  assert.equal((await c.command('RSET')).code, 250);
  assert.equal((await c.command('DATA')).code, 503, 'RSET dropped the transaction');
  assert.equal((await c.command('NOOP')).code, 250);
  await c.quit();
});

test('NUL and 8-bit bytes in commands and addresses are refused', async () => {
  const before = await stored();
  const c = await open();
  assert.equal((await c.command(Buffer.from('NOOP\0'))).code, 500);
  assert.equal((await c.command(Buffer.from('MAIL FROM:<bob\0@remote.test>'))).code, 501);
  assert.equal((await c.command('MAIL FROM:<bob@remote.test>')).code, 250);
  const nul = await c.command(Buffer.from('RCPT TO:<alice\0@example.test>'));
  assert.equal(nul.text.slice(0, 9), '501 5.1.3');
  const latin1 = await c.command(Buffer.from('RCPT TO:<\xe9lise@example.test>', 'latin1'));
  assert.equal(latin1.text.slice(0, 9), '501 5.1.3', 'bytes that are not UTF-8');
  const utf8 = await c.command('RCPT TO:<élise@example.test>');
  assert.equal(utf8.text.slice(0, 9), '553 5.6.7', 'UTF-8 without SMTPUTF8');
  assert.equal((await c.command('DATA')).code, 503, 'no recipient was accepted');
  await c.quit();
  assert.equal(await stored(), before);
});

test('unsupported MAIL and RCPT parameters get 555 5.5.4 (no DSN, no AUTH here)', async () => {
  const c = await open();
  assert.equal((await c.command('MAIL FROM:<bob@remote.test> RET=HDRS')).text.slice(0, 9), '555 5.5.4');
  assert.equal((await c.command('MAIL FROM:<bob@remote.test> AUTH=<>')).text.slice(0, 9), '555 5.5.4');
  assert.equal((await c.command('MAIL FROM:<bob@remote.test> BODY=8BITMIME SIZE=100')).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test> NOTIFY=NEVER')).text.slice(0, 9), '555 5.5.4');
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  await c.command('RSET');
  await c.quit();
});

test('SMTPUTF8 sender with an IDN domain is stored with the A-label in Return-Path', async () => {
  const c = await open();
  assert.equal((await c.command('MAIL FROM:<jürgen@bücher.example> SMTPUTF8')).code, 250);
  assert.equal((await c.command('RCPT TO:<alice@example.test>')).code, 250);
  assert.equal((await c.data(message('utf8 sender'))).code, 250);
  await c.quit();
  const [m] = await inbox(server, alice.accountId);
  assert.equal(splitTrace(await rawMessage(server, alice.accountId, m.id)).returnPath, 'jürgen@xn--bcher-kva.example');
});

test('DATA with arguments is refused (501 5.5.4) and the lines after it are not taken as mail', async () => {
  const before = await stored();
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<alice@example.test>');
  const reply = await c.command('DATA please');
  assert.equal(reply.text.slice(0, 9), '501 5.5.4');
  assert.equal((await c.command('Subject: not mail')).code, 500);
  await c.quit();
  assert.equal(await stored(), before);
});

test('garbage pipelined after the final dot is answered as commands; the message is stored once', async () => {
  const before = await stored();
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<alice@example.test>');
  assert.equal((await c.command('DATA')).code, 354);
  c.write(Buffer.concat([message('garbage after'), Buffer.from('.\r\nthis is not a command\r\n\x01\x02\x03\r\n')]));
  assert.equal((await c.reply()).code, 250);
  assert.equal((await c.reply()).code, 500);
  assert.equal((await c.reply()).code, 500);
  assert.equal((await c.command('NOOP')).code, 250);
  await c.quit();
  assert.equal(await stored(), before + 1);
});

test('pipelined transaction gets its replies in order', async () => {
  const c = await open();
  c.write('MAIL FROM:<bob@remote.test>\r\nRCPT TO:<nobody@example.test>\r\nRCPT TO:<alice@example.test>\r\nDATA\r\n');
  const codes = [];
  for (let i = 0; i < 4; i++) codes.push((await c.reply()).code);
  assert.deepEqual(codes, [250, 550, 250, 354]);
  c.write(Buffer.concat([message('pipelined'), Buffer.from('.\r\n')]));
  assert.equal((await c.reply()).code, 250);
  await c.quit();
});

test('an overlong command line closes the connection with 421; the server keeps serving', async () => {
  const c = await open();
  c.write(`MAIL FROM:<${'a'.repeat(6000)}@remote.test>\r\n`);
  const reply = await c.reply();
  assert.equal(reply.code, 421);
  await c.closed;
  const again = await open();
  assert.equal((await again.command('NOOP')).code, 250);
  await again.quit();
});

test('connection dropped in the middle of DATA: nothing is stored', async () => {
  const before = await stored();
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<alice@example.test>');
  assert.equal((await c.command('DATA')).code, 354);
  c.write(`From: bob@remote.test\r\nSubject: cut off\r\n\r\n${'partial line\r\n'.repeat(200)}`);
  await sleep(100);
  c.destroy();
  await sleep(300);
  assert.equal(await stored(), before);
  const again = await open();
  assert.equal((await again.command('NOOP')).code, 250);
  await again.quit();
});

test('connection dropped right after the final dot: stored at most once, never half', async () => {
  const before = await stored();
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<alice@example.test>');
  assert.equal((await c.command('DATA')).code, 354);
  const body = message('dot then drop');
  c.write(Buffer.concat([body, Buffer.from('.\r\n')]));
  c.destroy();
  await sleep(300);
  const after = await inbox(server, alice.accountId);
  assert.ok(after.length === before || after.length === before + 1);
  if (after.length === before + 1) {
    assert.deepEqual(splitTrace(await rawMessage(server, alice.accountId, after[0].id), body.length).body, body);
  }
});

test('an HTTP request on the SMTP port is cut off', async () => {
  const { client: c } = await WireClient.open(port);
  const reply = await c.command('GET / HTTP/1.1');
  assert.equal(reply.code, 421);
  await c.closed;
});

test('oversized message is drained, refused with 552 5.3.4, and the session goes on', async () => {
  const before = await stored();
  const c = await open();
  await c.command('MAIL FROM:<bob@remote.test>');
  await c.command('RCPT TO:<alice@example.test>');
  const huge = Buffer.from(`Subject: huge\r\n\r\n${`${'q'.repeat(76)}\r\n`.repeat(5000)}`);
  const reply = await c.data(huge);
  assert.equal(reply.text.slice(0, 9), '552 5.3.4');
  assert.equal((await c.command('NOOP')).code, 250);
  await c.quit();
  assert.equal(await stored(), before);
});
