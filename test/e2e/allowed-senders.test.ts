import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import type { TestServer } from '../helpers/server.ts';
import { addUser, inbox, splitTrace, rawMessage, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';

/** Issue 6 item 1, "plus ones an admin allows": allowed senders through the REST API and SMTP submission. */

const PASSWORD = 'correct horse battery';
type SmtpError = Error & { responseCode?: number; response?: string };

let server: TestServer;
let alice: Mailbox;
let bob: Mailbox;
let carol: Mailbox;

before(async () => {
  server = await startServer();
  alice = await addUser(server, 'alice@example.test');
  bob = await addUser(server, 'bob@example.test');
  carol = await addUser(server, 'carol@example.test');
});

after(async () => {
  await server?.stop();
});

const senders = (user: string, address?: string) => `/api/v1/users/${encodeURIComponent(user)}/senders${address === undefined ? '' : `/${encodeURIComponent(address)}`}`;

async function send(who: Mailbox, from: string, subject: string) {
  const t = nodemailer.createTransport({
    host: '127.0.0.1',
    port: server.listeners.submission.port,
    secure: false,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: who.address, pass: PASSWORD, method: 'PLAIN' },
  });
  try {
    const raw = Buffer.from(`From: Shared <${from}>\r\nTo: ${bob.address}\r\nSubject: ${subject}\r\n\r\nHello Bob.\r\n`);
    return await t.sendMail({ envelope: { from, to: [bob.address] }, raw });
  } finally {
    t.close();
  }
}

async function delivered(subject: string): Promise<Buffer> {
  for (let i = 0; i < 100; i++) {
    const found = (await inbox(server, bob.accountId)).find((m) => m.subject === subject);
    if (found) return rawMessage(server, bob.accountId, found.id);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${subject}" never reached bob`);
}

const refused553 = (err: SmtpError) => err.responseCode === 553 && /5\.7\.1/.test(err.response ?? '');

test('an allowed address is accepted in MAIL FROM and From:, and delivered; others still get 553', async () => {
  await assert.rejects(send(alice, 'team@example.test', 'before allowed'), refused553, 'not allowed yet');

  const put = await server.api(senders(alice.userId, 'Team@Example.test'), { method: 'PUT' });
  assert.equal(put.status, 201);
  const body = (await put.json()) as { address: string; user: string; createdAt: string };
  assert.equal(body.address, 'team@example.test');
  assert.equal(body.user, alice.userId);
  assert.ok(!Number.isNaN(Date.parse(body.createdAt)));
  assert.equal((await server.api(senders(alice.userId, 'team@example.test'), { method: 'PUT' })).status, 204, 'allowing again changes nothing');

  const list = await server.api(senders(alice.userId));
  assert.equal(list.status, 200);
  assert.deepEqual(((await list.json()) as { results: { address: string }[] }).results.map((r) => r.address), ['team@example.test']);

  const info = await send(alice, 'team@example.test', 'as the team');
  assert.deepEqual(info.accepted, [bob.address]);
  const traced = splitTrace(await delivered('as the team'));
  assert.equal(traced.returnPath, 'team@example.test');
  assert.match(traced.body.toString('latin1'), /^From: Shared <team@example\.test>\r\n/m);

  // Carol was not allowed: the same sender is hers to refuse.
  await assert.rejects(send(carol, 'team@example.test', 'carol as the team'), refused553);
});

test('a `*@domain` allowance covers every address of that domain, and only that domain', async () => {
  assert.equal((await server.api(senders(alice.userId, '*@other.test'), { method: 'PUT' })).status, 201);
  const info = await send(alice, 'anyone@other.test', 'wildcard sender');
  assert.deepEqual(info.accepted, [bob.address]);
  assert.equal(splitTrace(await delivered('wildcard sender')).returnPath, 'anyone@other.test');
  await assert.rejects(send(alice, 'anyone@sub.other.test', 'subdomain sender'), refused553, 'a wildcard does not reach subdomains');
  await assert.rejects(send(carol, 'anyone@other.test', 'carol wildcard'), refused553);
});

test('DELETE revokes the allowance: 553 again, and a second DELETE is 404', async () => {
  assert.equal((await server.api(senders(alice.userId, 'team@example.test'), { method: 'DELETE' })).status, 204);
  await assert.rejects(send(alice, 'team@example.test', 'after revoke'), refused553);
  const again = await server.api(senders(alice.userId, 'team@example.test'), { method: 'DELETE' });
  assert.equal(again.status, 404);
  assert.match(again.headers.get('content-type') ?? '', /application\/problem\+json/);

  assert.equal((await server.api(senders(alice.userId, '*@other.test'), { method: 'DELETE' })).status, 204);
  await assert.rejects(send(alice, 'anyone@other.test', 'wildcard after revoke'), refused553);
  const list = (await (await server.api(senders(alice.userId))).json()) as { total: number };
  assert.equal(list.total, 0);
});

test('route errors: unknown user 404, bad address 400, no token 401, a user token 403', async () => {
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await server.api(method === 'GET' ? senders('nobody') : senders('nobody', 'team@example.test'), { method });
    assert.equal(res.status, 404, `${method} unknown user`);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  }
  for (const bad of ['not-an-address', 'a@b', '@example.test', 'a..b@example.test', 'a,b@example.test', '*@nodot', `${'a'.repeat(65)}@example.test`]) {
    const res = await server.api(senders(alice.userId, bad), { method: 'PUT' });
    assert.equal(res.status, 400, `PUT ${bad}`);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  }
  for (const method of ['GET', 'PUT', 'DELETE']) {
    const res = await server.api(method === 'GET' ? senders(alice.userId) : senders(alice.userId, 'team@example.test'), { method, token: null });
    assert.equal(res.status, 401, `${method} without a token`);
  }
  // A user may read their own list but not grant themselves anything.
  const basic = `Basic ${Buffer.from(`${alice.address}:${PASSWORD}`).toString('base64')}`;
  const own = await server.api(senders('me'), { headers: { authorization: basic } });
  assert.equal(own.status, 200);
  const self = await server.api(senders(alice.userId, 'team@example.test'), { method: 'PUT', headers: { authorization: basic } });
  assert.equal(self.status, 403);
});

test('JMAP Identity/set honours the same allowance (forbiddenFrom without it)', async () => {
  const accountId = alice.accountId;
  const basic = `Basic ${Buffer.from(`${alice.address}:${PASSWORD}`).toString('base64')}`;
  const identitySet = async (email: string) => {
    const res = await fetch(`${server.baseUrl}/jmap`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic },
      body: JSON.stringify({
        using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:submission'],
        methodCalls: [['Identity/set', { accountId, create: { n: { email } } }, 's']],
      }),
    });
    assert.equal(res.status, 200);
    return (await res.json()).methodResponses[0][1] as { created?: Record<string, { id: string }>; notCreated?: Record<string, { type: string }> };
  };
  assert.equal((await identitySet('shared@example.test')).notCreated?.n.type, 'forbiddenFrom');
  assert.equal((await server.api(senders(alice.userId, 'shared@example.test'), { method: 'PUT' })).status, 201);
  assert.ok((await identitySet('shared@example.test')).created?.n.id, 'created once allowed');
});
