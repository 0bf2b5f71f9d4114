import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { addUser, inbox, rawMessage, startServer } from '../protocols/smtp/fixtures.ts';
import { WireClient } from '../protocols/smtp/wire.ts';
import type { TestServer } from '../helpers/server.ts';

let server: TestServer;
before(async () => {
  server = await startServer({ postmasterAddress: 'admin@example.test', maxMessageSize: 4096 });
});
after(() => server.stop());

const message = (subject: string, filler = '') => Buffer.from(`From: x@remote.test\r\nSubject: ${subject}\r\n\r\nhello${filler}\r\n`);

test('<postmaster> and postmaster@<local domain> reach the configured postmaster', async () => {
  const admin = await addUser(server, 'admin@example.test');
  const { client } = await WireClient.open(server.listeners.smtp.port);
  await client.command('EHLO client.test');
  await client.command('MAIL FROM:<bob@remote.test>');
  assert.equal((await client.command('RCPT TO:<Postmaster>')).code, 250);
  assert.equal((await client.command('RCPT TO:<postmaster@example.test>')).code, 250);
  assert.equal((await client.command('RCPT TO:<postmaster@elsewhere.test>')).code, 554);
  assert.equal((await client.data(message('for the postmaster'))).code, 250);
  await client.quit();
  const got = await inbox(server, admin.accountId);
  assert.deepEqual(got.map((m) => m.subject), ['for the postmaster']);
});

test('the size limit counts what the client sent, not the trace headers; the reply id is the Received id', async () => {
  const user = await addUser(server, 'sized@example.test');
  const { client } = await WireClient.open(server.listeners.smtp.port);
  await client.command('EHLO client.test');
  await client.command('MAIL FROM:<bob@remote.test>');
  await client.command('RCPT TO:<sized@example.test>');
  const body = message('just under', 'x'.repeat(4096 - message('just under').length - 10));
  assert.ok(body.length <= 4096);
  const reply = await client.data(body);
  assert.equal(reply.code, 250, reply.text);
  await client.quit();
  const [summary] = await inbox(server, user.accountId);
  const raw = (await rawMessage(server, user.accountId, summary.id)).toString('latin1');
  const id = /queued as (\S+)/.exec(reply.text)![1];
  assert.match(raw, new RegExp(`with ESMTP id ${id.replace(/[.]/g, '\\.')}\\r\\n`));
});
