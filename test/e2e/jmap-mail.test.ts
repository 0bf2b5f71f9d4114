import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string; address: string; password: string };
let accountId: string;
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
});
after(() => server.stop());

type Call = [string, Record<string, unknown>, string];

async function jmap(calls: Call[], who = alice): Promise<Call[]> {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(`${who.address}:${who.password}`).toString('base64') },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses;
}

const upload = (raw: Buffer, mailbox = 'inbox') =>
  server.api(`/api/v1/users/${alice.id}/mailboxes/${mailbox}/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } }).then((r) => r.json());

test('Mailbox/get lists the default mailboxes with roles, counts and rights', async () => {
  await upload(simpleMessage({ subject: 'counted' }));
  const [[name, res]] = await jmap([['Mailbox/get', { accountId }, 'a']]);
  assert.equal(name, 'Mailbox/get');
  const list = res.list as Record<string, unknown>[];
  assert.deepEqual(list.map((m) => m.role), ['inbox', 'drafts', 'sent', 'junk', 'trash', 'archive']);
  const inbox = list[0];
  assert.equal(inbox.totalEmails, 1);
  assert.equal(inbox.unreadEmails, 1);
  assert.equal(inbox.totalThreads, 1);
  assert.equal((inbox.myRights as Record<string, boolean>).mayDelete, false);
  assert.match(res.state as string, /^\d+$/);
});

test('Mailbox/set with creation ids, result references, rename, and destroy rules', async () => {
  const responses = await jmap([
    ['Mailbox/set', { accountId, create: { p: { name: 'Projects' }, c: { name: 'Gannet', parentId: '#p' } } }, 's'],
    ['Mailbox/get', { accountId, '#ids': { resultOf: 's', name: 'Mailbox/set', path: '/created/*/id' }, properties: ['name', 'parentId'] }, 'g'],
  ]);
  const created = responses[0][1].created as Record<string, { id: string }>;
  const got = responses[1][1].list as { id: string; name: string; parentId: string | null }[];
  assert.deepEqual(got.map((m) => m.name).sort(), ['Gannet', 'Projects']);
  assert.equal(got.find((m) => m.name === 'Gannet')!.parentId, created.p.id);

  const [[, renamed]] = await jmap([['Mailbox/set', { accountId, update: { [created.c.id]: { name: 'Gannet dev' } } }, 'u']]);
  assert.deepEqual(Object.keys(renamed.updated as object), [created.c.id]);
  const [[, hasChild]] = await jmap([['Mailbox/set', { accountId, destroy: [created.p.id] }, 'd']]);
  assert.equal((hasChild.notDestroyed as Record<string, { type: string }>)[created.p.id].type, 'mailboxHasChild');

  await upload(simpleMessage({ subject: 'filed' }), created.c.id);
  const [[, hasEmail]] = await jmap([['Mailbox/set', { accountId, destroy: [created.c.id] }, 'd']]);
  assert.equal((hasEmail.notDestroyed as Record<string, { type: string }>)[created.c.id].type, 'mailboxHasEmail');
  const [[, gone]] = await jmap([['Mailbox/set', { accountId, destroy: [created.c.id], onDestroyRemoveEmails: true }, 'd']]);
  assert.deepEqual(gone.destroyed, [created.c.id]);

  const [[, bad]] = await jmap([['Mailbox/set', { accountId, create: { x: { name: 'a/b' } } }, 'x']]);
  assert.equal((bad.notCreated as Record<string, { type: string }>).x.type, 'invalidProperties');
  const [[, mismatch]] = await jmap([['Mailbox/set', { accountId, ifInState: '0', create: { y: { name: 'never' } } }, 'y']]);
  assert.equal(mismatch.type, 'stateMismatch');
});

test('Email/query then Email/get by reference: properties, body structure and body values', async () => {
  await upload(messageWithAttachment());
  const inboxId = ((await jmap([['Mailbox/query', { accountId, filter: { role: 'inbox' } }, 'q']]))[0][1].ids as string[])[0];
  const responses = await jmap([
    ['Email/query', { accountId, filter: { inMailbox: inboxId }, sort: [{ property: 'receivedAt', isAscending: false }], limit: 1, calculateTotal: true }, 'q'],
    ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'from', 'mailboxIds', 'keywords', 'hasAttachment', 'htmlBody', 'attachments', 'bodyValues', 'bodyStructure', 'receivedAt'], fetchHTMLBodyValues: true }, 'g'],
  ]);
  const q = responses[0][1];
  assert.equal(q.total, 2);
  assert.equal((q.ids as string[]).length, 1);
  const [email] = responses[1][1].list as Record<string, any>[];
  assert.equal(email.subject, 'Rapport été');
  assert.deepEqual(email.from, [{ name: 'Carol', email: 'carol@remote.test' }]);
  assert.deepEqual(email.mailboxIds, { [inboxId]: true });
  assert.equal(email.hasAttachment, true);
  assert.equal(email.attachments[0].name, 'résumé.pdf');
  assert.equal(email.attachments[0].type, 'application/pdf');
  const htmlPart = email.htmlBody[0].partId;
  assert.match(email.bodyValues[htmlPart].value, /quarterly/);
  assert.equal(email.bodyStructure.type, 'multipart/mixed');
  assert.equal(email.bodyStructure.subParts.length, 2);
  assert.match(email.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
});

test('Email/set keywords and moves; Email/changes and Mailbox/changes report them', async () => {
  const stored = await upload(simpleMessage({ subject: 'change me' }));
  const [[, before]] = await jmap([['Email/get', { accountId, ids: [stored.id], properties: ['keywords'] }, 'g']]);
  const since = before.state as string;
  const archive = ((await jmap([['Mailbox/query', { accountId, filter: { role: 'archive' } }, 'q']]))[0][1].ids as string[])[0];

  const [[, set]] = await jmap([['Email/set', { accountId, update: { [stored.id]: { 'keywords/$seen': true, 'keywords/$flagged': true, mailboxIds: { [archive]: true } } } }, 's']]);
  assert.deepEqual(Object.keys(set.updated as object), [stored.id]);
  const [[, after]] = await jmap([['Email/get', { accountId, ids: [stored.id], properties: ['keywords', 'mailboxIds'] }, 'g']]);
  const e = (after.list as Record<string, any>[])[0];
  assert.deepEqual(e.keywords, { $flagged: true, $seen: true });
  assert.deepEqual(e.mailboxIds, { [archive]: true });

  const responses = await jmap([
    ['Email/changes', { accountId, sinceState: since }, 'c1'],
    ['Mailbox/changes', { accountId, sinceState: since }, 'c2'],
  ]);
  assert.deepEqual(responses[0][1].updated, [stored.id]);
  assert.equal(responses[0][1].newState, after.state);
  assert.ok((responses[1][1].updated as string[]).includes(archive));

  const [[, destroyed]] = await jmap([['Email/set', { accountId, destroy: [stored.id, 'e-missing'] }, 'd']]);
  assert.deepEqual(destroyed.destroyed, [stored.id]);
  assert.equal((destroyed.notDestroyed as Record<string, { type: string }>)['e-missing'].type, 'notFound');
  const [[, changes]] = await jmap([['Email/changes', { accountId, sinceState: after.state }, 'c']]);
  assert.deepEqual(changes.destroyed, [stored.id]);
  const [[, tooOld]] = await jmap([['Email/changes', { accountId, sinceState: 'garbage' }, 'c']]);
  assert.equal(tooOld.type, 'cannotCalculateChanges');
});

test('Email/query text search and filters; Thread/get groups a reply', async () => {
  const root = await upload(simpleMessage({ subject: 'Ostrich plans', messageId: 'ostrich@remote.test', body: 'about the ostrich' }));
  const reply = await upload(simpleMessage({ subject: 'Re: Ostrich plans', inReplyTo: 'ostrich@remote.test', body: 'sounds good' }));
  const [[, q]] = await jmap([['Email/query', { accountId, filter: { text: 'ostrich' } }, 'q']]);
  assert.deepEqual(q.ids, [reply.id, root.id]);
  const [[, unseen]] = await jmap([['Email/query', { accountId, filter: { operator: 'AND', conditions: [{ subject: 'ostrich' }, { notKeyword: '$seen' }, { minSize: 10 }] } }, 'q']]);
  assert.equal((unseen.ids as string[]).length, 2);
  const [[, unsupported]] = await jmap([['Email/query', { accountId, filter: { xSpam: 'yes' } }, 'q']]);
  assert.equal(unsupported.type, 'unsupportedFilter');
  const [[, threads]] = await jmap([['Thread/get', { accountId, ids: [root.threadId, 't-nope'] }, 't']]);
  assert.deepEqual(threads.list, [{ id: root.threadId, emailIds: [root.id, reply.id] }]);
  assert.deepEqual(threads.notFound, ['t-nope']);
});

test('another user sees none of it: foreign ids are notFound, a foreign account is accountNotFound', async () => {
  const bob = await createUser(server, 'bob');
  const aliceEmail = await upload(simpleMessage({ subject: 'private' }));
  const [[, foreign]] = await jmap([['Email/get', { accountId, ids: [aliceEmail.id] }, 'g']], bob);
  assert.equal(foreign.type, 'accountNotFound');
  const bobAccount = (await server.services.directory.accountOfUser(bob.id)).accountId;
  const [[, none]] = await jmap([['Email/get', { accountId: bobAccount, ids: [aliceEmail.id] }, 'g']], bob);
  assert.deepEqual(none.notFound, [aliceEmail.id]);
  const [[, q]] = await jmap([['Email/query', { accountId: bobAccount, filter: { text: 'private' } }, 'q']], bob);
  assert.deepEqual(q.ids, []);
});
