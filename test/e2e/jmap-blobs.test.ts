import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string; address: string; password: string };
let accountId: string;
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];
const basic = (u: { address: string; password: string }) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 256 * 1024 } }))!;
  alice = await createUser(server, 'alice');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
});
after(() => server.stop());

async function jmap(calls: [string, Record<string, unknown>, string][], who = alice) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  assert.equal(res.status, 200);
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

function upload(body: Buffer, type = 'message/rfc822', who = alice, account = accountId) {
  return fetch(`${server.baseUrl}/upload/${account}`, { method: 'POST', headers: { 'content-type': type, authorization: basic(who) }, body: new Uint8Array(body) });
}

test('upload, Email/import into two mailboxes, download the message and a part', async () => {
  const raw = messageWithAttachment();
  const up = await upload(raw);
  assert.equal(up.status, 201);
  const blob = await up.json();
  assert.equal(blob.accountId, accountId);
  assert.equal(blob.size, raw.length);
  assert.equal(blob.type, 'message/rfc822');
  assert.match(blob.blobId, /^B[0-9a-f]{64}$/);

  const boxes = (await jmap([['Mailbox/get', { accountId, properties: ['role'] }, 'm']]))[0][1].list as { id: string; role: string }[];
  const inbox = boxes.find((b) => b.role === 'inbox')!.id;
  const archive = boxes.find((b) => b.role === 'archive')!.id;
  const [[, imported], [, got]] = await jmap([
    ['Email/import', { accountId, emails: { e1: { blobId: blob.blobId, mailboxIds: { [inbox]: true, [archive]: true }, keywords: { $seen: true }, receivedAt: '2026-01-02T03:04:05Z' } } }, 'i'],
    ['Email/get', { accountId, ids: ['#e1'], properties: ['mailboxIds', 'keywords', 'receivedAt', 'blobId', 'attachments'] }, 'g'],
  ]);
  const created = imported.created.e1;
  assert.match(created.id, /^e/);
  const email = got.list[0];
  assert.deepEqual(email.mailboxIds, { [inbox]: true, [archive]: true });
  assert.deepEqual(email.keywords, { $seen: true });
  assert.equal(email.receivedAt, '2026-01-02T03:04:05Z');

  const whole = await fetch(`${server.baseUrl}/raw/${accountId}/${email.blobId}/message.eml?type=message/rfc822`, { headers: { authorization: basic(alice) } });
  assert.equal(whole.status, 200);
  assert.ok(Buffer.from(await whole.arrayBuffer()).equals(raw), 'imported bytes come back identical');
  assert.match(whole.headers.get('content-disposition') ?? '', /message\.eml/);

  const part = email.attachments[0];
  const file = await fetch(`${server.baseUrl}/raw/${accountId}/${part.blobId}/${encodeURIComponent(part.name)}?type=application/pdf`, { headers: { authorization: basic(alice) } });
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'application/pdf');
  assert.equal(Buffer.from(await file.arrayBuffer()).toString(), '%PDF-1.4 fake pdf bytes');
});

test('blobs are private, bounded and checked', async () => {
  const bob = await createUser(server, 'bob');
  const up = await (await upload(simpleMessage({ subject: 'mine' }))).json();
  // Bob can neither upload into nor read from alice's account, nor import her blob into his.
  assert.equal((await upload(Buffer.from('x'), 'text/plain', bob, accountId)).status, 404);
  assert.equal((await fetch(`${server.baseUrl}/raw/${accountId}/${up.blobId}/x`, { headers: { authorization: basic(bob) } })).status, 404);
  const bobAccount = (await server.services.directory.accountOfUser(bob.id)).accountId;
  assert.equal((await fetch(`${server.baseUrl}/raw/${bobAccount}/${up.blobId}/x`, { headers: { authorization: basic(bob) } })).status, 404);
  const bobInbox = ((await jmap([['Mailbox/query', { accountId: bobAccount, filter: { role: 'inbox' } }, 'q']], bob))[0][1].ids as string[])[0];
  const [[, res]] = await jmap([['Email/import', { accountId: bobAccount, emails: { x: { blobId: up.blobId, mailboxIds: { [bobInbox]: true } } } }, 'i']], bob);
  assert.equal(res.notCreated.x.type, 'blobNotFound');

  assert.equal((await upload(Buffer.alloc(300 * 1024, 'a'))).status, 413);
  assert.equal((await fetch(`${server.baseUrl}/raw/${accountId}/Bnot-a-blob/x`, { headers: { authorization: basic(alice) } })).status, 404);
  assert.equal((await fetch(`${server.baseUrl}/upload/${accountId}`, { method: 'POST', body: 'x' })).status, 401);
});
