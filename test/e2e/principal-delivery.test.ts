import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { addUser, inbox, rawMessage, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';

// a: example.test with the groups and lists. b: remote.test, a second Gannet acting as the MX
// of a list's external member, reached by a's outbound queue through a static route.
let a: TestServer;
let b: TestServer;
let ann: Mailbox;
let ben: Mailbox;
let cat: Mailbox;
let dan: Mailbox;
let carol: Mailbox;

before(async () => {
  b = await startServer();
  carol = await addUser(b, 'carol@remote.test');
  a = await startServer({ relayRoutes: `remote.test=127.0.0.1:${b.listeners.smtp.port}` });
  [ann, ben, cat, dan] = await Promise.all(['ann', 'ben', 'cat', 'dan'].map((n) => addUser(a, `${n}@example.test`)));
  const create = async (json: Record<string, unknown>) => {
    const res = await a.api('/api/v1/principals', { method: 'POST', json });
    assert.equal(res.status, 201, await res.clone().text());
    return res.json();
  };
  // team → ann and sub; sub → ben and team again (a cycle).
  await create({ type: 'group', name: 'team', emails: ['team@example.test'], members: [ann.userId] });
  await create({ type: 'group', name: 'sub', emails: ['sub@example.test'], members: [ben.userId, 'team'] });
  await a.api('/api/v1/principals/team', { method: 'PATCH', json: [{ action: 'addItem', field: 'members', value: 'sub' }] });
  await create({ type: 'list', name: 'all', description: 'All Hands', emails: ['all@example.test'], members: [cat.userId, 'team'], externalMembers: ['carol@remote.test'] });
});
after(async () => {
  await a?.stop();
  await b?.stop();
});

async function send(to: string[], subject: string): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: a.listeners.smtp.port, secure: false, ignoreTLS: true });
  const raw = `From: sender@outside.test\r\nTo: ${to.join(', ')}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@outside.test>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nHello all\r\n`;
  await transport.sendMail({ envelope: { from: 'sender@outside.test', to }, raw });
  transport.close();
}

async function copies(server: TestServer, box: Mailbox, subject: string): Promise<Buffer[]> {
  const found = (await inbox(server, box.accountId)).filter((m) => m.subject === subject);
  return Promise.all(found.map((m) => rawMessage(server, box.accountId, m.id)));
}

async function waitFor(server: TestServer, box: Mailbox, subject: string, timeoutMs = 10_000): Promise<Buffer> {
  for (const until = Date.now() + timeoutMs; ; ) {
    const [first] = await copies(server, box, subject);
    if (first) return first;
    if (Date.now() > until) throw new Error(`no message "${subject}" for ${box.address}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a group reaches its members, through a nested group and a cycle, one copy each', async () => {
  await send(['team@example.test', 'ben@example.test'], 'group mail');
  for (const box of [ann, ben]) assert.equal((await copies(a, box, 'group mail')).length, 1, box.address);
  for (const box of [cat, dan]) assert.equal((await copies(a, box, 'group mail')).length, 0, box.address);
  const [copy] = await copies(a, ann, 'group mail');
  assert.doesNotMatch(copy.toString(), /^List-Id:/im, 'a group is not a list');
});

test('a list fans out to members, nested groups and external members, with list headers', async () => {
  await send(['all@example.test'], 'list mail');
  for (const box of [ann, ben, cat]) {
    const [copy, extra] = await copies(a, box, 'list mail');
    assert.ok(copy, box.address);
    assert.equal(extra, undefined, box.address);
    assert.match(copy.toString(), /^List-Id: "All Hands" <all\.example\.test>\r$/m);
    assert.match(copy.toString(), /^List-Post: <mailto:all@example\.test>\r$/m);
  }
  assert.equal((await copies(a, dan, 'list mail')).length, 0);

  // The external member's copy goes through the outbound queue to the remote MX.
  const remote = (await waitFor(b, carol, 'list mail')).toString();
  assert.match(remote, /^List-Id: "All Hands" <all\.example\.test>\r$/m);
  assert.match(remote, /^Return-Path: <sender@outside\.test>/m);
});

test('a disabled member is skipped; an unknown address of a group domain is still refused', async () => {
  await a.api(`/api/v1/principals/${dan.userId}`, { method: 'PATCH', json: { disabled: true } });
  await a.api('/api/v1/principals/team', { method: 'PATCH', json: [{ action: 'addItem', field: 'members', value: dan.userId }] });
  await send(['team@example.test'], 'without dan');
  assert.equal((await copies(a, ann, 'without dan')).length, 1);
  assert.equal((await copies(a, dan, 'without dan')).length, 0);
  await assert.rejects(send(['nobody@example.test'], 'nobody'), /550|no mailbox/);
});

test('a full mailbox does not stop a group reaching its other members; alone, it still refuses', async () => {
  const eve = await addUser(a, 'eve@example.test');
  await send(['eve@example.test'], 'fills eve');
  assert.equal((await copies(a, eve, 'fills eve')).length, 1);
  // Now below what the mailbox holds: full.
  await a.api(`/api/v1/principals/${eve.userId}`, { method: 'PATCH', json: { quota: 10 } });
  await a.api('/api/v1/principals', { method: 'POST', json: { type: 'group', name: 'with-full', emails: ['with-full@example.test'], members: [ann.userId, eve.userId] } });
  await send(['with-full@example.test'], 'past the full one');
  assert.equal((await copies(a, ann, 'past the full one')).length, 1);
  assert.equal((await copies(a, eve, 'past the full one')).length, 0);
  await assert.rejects(send(['eve@example.test'], 'refused'), /full/);
});

test('a message that has already been through a list is not fanned out by it again', async () => {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: a.listeners.smtp.port, secure: false, ignoreTLS: true });
  const raw = 'From: carol@remote.test\r\nTo: all@example.test\r\nSubject: looped\r\nList-Id: "All Hands"\r\n <all.example.test>\r\n\r\nback again\r\n';
  await assert.rejects(transport.sendMail({ envelope: { from: 'carol@remote.test', to: ['all@example.test'] }, raw }), /554/);
  transport.close();
  assert.equal((await copies(a, cat, 'looped')).length, 0);
  // Another list's List-Id is no loop.
  await send(['all@example.test'], 'fresh');
  assert.equal((await copies(a, cat, 'fresh')).length, 1);
});
