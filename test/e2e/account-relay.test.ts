import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

/**
 * Mail sent as a mirrored IMAP account leaves through that account's own submission server
 * (issue 4, DESIGN.md §6). A second Gannet plays the provider: carol's mailbox lives there, and
 * alice mirrors it on the front. What alice sends as carol must reach dave, carol's neighbour at
 * the provider, having gone through the provider's submission port with carol's login.
 */

type Call = [string, Record<string, any>, string];
type User = { id: string; address: string; password: string };
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:submission'];
const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

let provider: TestServer;
let front: TestServer;
let carol: User;
let dave: User;
let alice: User;
let remoteId: string;

async function jmap(calls: Call[]): Promise<Call[]> {
  const res = await fetch(`${front.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(alice) },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses;
}

/** The raw message with this subject in dave's inbox at the provider, once it is there. */
async function atDave(subject: string): Promise<string> {
  const { accountId } = await provider.services.directory.accountOfUser(dave.id);
  const box = (await provider.services.mailboxes.list(accountId)).find((m) => m.role === 'inbox')!;
  let id = '';
  await until(async () => {
    const found = (await provider.services.messages.list(accountId, box.id, { limit: 100 })).results.find((m) => m.subject === subject);
    id = found?.id ?? '';
    return id !== '';
  }, `"${subject}" at dave's`, 15_000);
  const res = await provider.api(`/api/v1/users/${dave.id}/messages/${id}/raw`);
  return res.text();
}

const remote = (smtp: Record<string, unknown> | null) => ({
  email: carol.address,
  password: carol.password,
  imap: { host: '127.0.0.1', port: provider.listeners.imap.port, tls: 0 },
  smtp,
});

before(async () => {
  provider = (await startTestServer())!;
  front = (await startTestServer())!;
  carol = await createUser(provider, 'carol', 'provider.test');
  dave = await createUser(provider, 'dave', 'provider.test');
  alice = await createUser(front, 'alice');
  const res = await front.api(`/api/v1/users/${alice.id}/remotes`, { method: 'POST', json: remote({ host: '127.0.0.1', port: provider.listeners.submission.port, tls: 0 }) });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  remoteId = body.id;
  await front.api(`/api/v1/users/${alice.id}/remotes/${remoteId}/sync`, { method: 'POST' });
});

after(async () => {
  await front?.stop();
  await provider?.stop();
});

test("JMAP: the mirrored account's identity is its own address, and only that one", async () => {
  const [[, got]] = await jmap([['Identity/get', { accountId: remoteId }, 'i']]);
  assert.deepEqual(got.list.map((i: { email: string }) => i.email), [carol.address]);
  const [[, set]] = await jmap([['Identity/set', { accountId: remoteId, create: { x: { email: alice.address } } }, 's']]);
  assert.equal(set.notCreated.x.type, 'forbiddenFrom');
  assert.match(set.notCreated.x.description, /can only send as carol@provider\.test/);
});

test("JMAP: an EmailSubmission in the mirrored account goes through the provider's submission server", async () => {
  const [[, identities]] = await jmap([['Identity/get', { accountId: remoteId }, 'i']]);
  const [[, boxes]] = await jmap([['Mailbox/get', { accountId: remoteId }, 'm']]);
  const drafts = boxes.list.find((b: { role: string | null }) => b.role === 'drafts');
  assert.ok(drafts, 'the provider has a Drafts folder');
  const responses = await jmap([
    [
      'Email/set',
      {
        accountId: remoteId,
        create: {
          draft: {
            mailboxIds: { [drafts.id]: true },
            keywords: { $draft: true },
            from: [{ email: carol.address }],
            to: [{ email: dave.address }],
            subject: 'Through the provider',
            bodyValues: { b: { value: 'Sent from the mirror.' } },
            textBody: [{ partId: 'b', type: 'text/plain' }],
          },
        },
      },
      'e',
    ],
    ['EmailSubmission/set', { accountId: remoteId, create: { s: { identityId: identities.list[0].id, emailId: '#draft' } } }, 's'],
  ]);
  const [, created] = responses[1];
  assert.ok(created.created?.s, JSON.stringify(responses));
  const raw = await atDave('Through the provider');
  // The provider's own trace: it took the message on its submission port, from carol's login.
  assert.match(raw, /^Return-Path: <carol@provider\.test>\r\n/);
  assert.match(raw, /Sent from the mirror\./);
  await until(async () => {
    const [[, got]] = await jmap([['EmailSubmission/get', { accountId: remoteId, ids: [created.created.s.id] }, 'g']]);
    return got.list[0].deliveryStatus[dave.address].delivered === 'yes';
  }, 'the delivery status', 10_000);
  const [[, got]] = await jmap([['EmailSubmission/get', { accountId: remoteId, ids: [created.created.s.id] }, 'g']]);
  assert.match(got.list[0].deliveryStatus[dave.address].smtpReply, /^250 /, 'the reply is the provider\'s');
});

test('SMTP submission: mail from the mirrored address is relayed through the provider, with no Sent copy here', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: front.listeners.submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: alice.address, pass: alice.password } });
  await transport.sendMail({ from: carol.address, to: dave.address, subject: 'Client relay', text: 'Via the mirror account.' });
  transport.close();
  const raw = await atDave('Client relay');
  assert.match(raw, /Via the mirror account\./);
  const { accountId } = await front.services.directory.accountOfUser(alice.id);
  const sent = (await front.services.mailboxes.list(accountId)).find((m) => m.role === 'sent')!;
  const copies = (await front.services.messages.list(accountId, sent.id, { limit: 100 })).results.filter((m) => m.subject === 'Client relay');
  assert.equal(copies.length, 0, 'the provider keeps the sent copy of relayed mail');
});

test('without an outgoing server the mirrored address cannot be sent from, and the refusal says why', async () => {
  const patched = await front.api(`/api/v1/users/${alice.id}/remotes/${remoteId}`, { method: 'PATCH', json: { smtp: null } });
  assert.equal(patched.status, 200, await patched.text());
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: front.listeners.submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: alice.address, pass: alice.password } });
  await assert.rejects(transport.sendMail({ from: carol.address, to: dave.address, subject: 'Nowhere to go', text: 'x' }), (err: Error & { responseCode?: number; response?: string }) => {
    // RFC 5321 §4.2.3: 553, the sender is not one this user may use.
    assert.equal(err.responseCode, 553);
    assert.match(err.response ?? '', /carol@provider\.test has no outgoing \(SMTP\) server configured/);
    return true;
  });
  transport.close();
  const [[, identities]] = await jmap([['Identity/get', { accountId: remoteId }, 'i']]);
  const [[, boxes]] = await jmap([['Mailbox/get', { accountId: remoteId }, 'm']]);
  const drafts = boxes.list.find((b: { role: string | null }) => b.role === 'drafts');
  const responses = await jmap([
    ['Email/set', { accountId: remoteId, create: { d: { mailboxIds: { [drafts.id]: true }, from: [{ email: carol.address }], to: [{ email: dave.address }], subject: 'Stuck', textBody: [{ partId: 'b', type: 'text/plain' }], bodyValues: { b: { value: 'x' } } } } }, 'e'],
    ['EmailSubmission/set', { accountId: remoteId, create: { s: { identityId: identities.list[0].id, emailId: '#d' } } }, 's'],
  ]);
  const [, refused] = responses[1];
  assert.equal(refused.notCreated.s.type, 'forbiddenFrom');
  assert.match(refused.notCreated.s.description, /no outgoing \(SMTP\) server configured/);
});
