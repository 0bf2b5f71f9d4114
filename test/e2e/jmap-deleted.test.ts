import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { jmapFixture, type Call, type JmapFixture } from '../helpers/jmap.ts';
import { simpleMessage } from '../helpers/messages.ts';

/**
 * RFC 8621 §4.1.1: an email carrying IMAP's \Deleted ($deleted) MUST NOT be visible via JMAP,
 * nor counted in the Mailbox counts. IMAP (and REST) keep seeing it until it is expunged.
 */

let f: JmapFixture;
let accountId: string;
let inbox: string;

before(async () => {
  f = await jmapFixture();
  accountId = f.accountId;
  inbox = await f.mailboxId('inbox');
});
after(() => f.server.stop());

const hide = (id: string) => f.server.services.messages.update(accountId, id, { addKeywords: ['$deleted'] });
const show = (id: string) => f.server.services.messages.update(accountId, id, { removeKeywords: ['$deleted'] });
const one = async (call: Call) => (await f.jmap([call]))[0][1];
const state = async () => (await one(['Email/get', { accountId, ids: [] }, 'g'])).state as string;
const counts = async (mailboxId: string) => {
  const res = await one(['Mailbox/get', { accountId, ids: [mailboxId], properties: ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'] }, 'm']);
  const { totalEmails, unreadEmails, totalThreads, unreadThreads } = (res.list as Record<string, number>[])[0];
  return { totalEmails, unreadEmails, totalThreads, unreadThreads };
};
const changes = async (type: string, sinceState: string) => {
  const res = await one([`${type}/changes`, { accountId, sinceState }, 'c']);
  return { created: res.created as string[], updated: res.updated as string[], destroyed: res.destroyed as string[] };
};

test('a $deleted email is not found, listed, counted, threaded or snippeted; IMAP counters and REST still see it', async () => {
  const box = (await one(['Mailbox/set', { accountId, create: { b: { name: 'Hiding' } } }, 's'])).created as Record<string, { id: string }>;
  const mailboxId = box.b.id;
  const root = await f.upload(simpleMessage({ subject: 'Plans', messageId: 'plans@x', body: 'apricot jam' }), mailboxId);
  const reply = await f.upload(simpleMessage({ subject: 'Re: Plans', messageId: 'plans-2@x', inReplyTo: 'plans@x', body: 'apricot tart' }), mailboxId);
  const alone = await f.upload(simpleMessage({ subject: 'Alone', messageId: 'alone@x', body: 'apricot pie' }), mailboxId);
  assert.deepEqual(await counts(mailboxId), { totalEmails: 3, unreadEmails: 3, totalThreads: 2, unreadThreads: 2 });
  const [threadId, aloneThread] = ((await one(['Email/get', { accountId, ids: [reply, alone], properties: ['threadId'] }, 'g'])).list as { threadId: string }[]).map((e) => e.threadId);

  await hide(reply);
  await hide(alone);

  const got = await one(['Email/get', { accountId, ids: [root, reply, alone], properties: ['keywords'] }, 'g']);
  assert.deepEqual((got.list as { id: string }[]).map((e) => e.id), [root]);
  assert.deepEqual(got.notFound, [reply, alone]);
  const all = await one(['Email/get', { accountId, properties: ['id'] }, 'g']);
  assert.ok(!(all.list as { id: string }[]).some((e) => e.id === reply || e.id === alone), 'Email/get without ids lists no hidden email');

  const query = (filter: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    one(['Email/query', { accountId, filter, calculateTotal: true, ...extra }, 'q']).then((r) => ({ ids: r.ids, total: r.total }));
  assert.deepEqual(await query({ inMailbox: mailboxId }), { ids: [root], total: 1 });
  assert.deepEqual(await query({ inMailbox: mailboxId }, { collapseThreads: true }), { ids: [root], total: 1 }, 'the thread is represented by its visible email');
  assert.deepEqual(await query({ text: 'apricot' }), { ids: [root], total: 1 });
  assert.deepEqual(await query({ hasKeyword: '$deleted' }), { ids: [], total: 0 });
  assert.deepEqual(await query({ operator: 'OR', conditions: [{ inMailbox: mailboxId }, { subject: 'Alone' }] }), { ids: [root], total: 1 });

  const threads = await one(['Thread/get', { accountId, ids: [threadId, aloneThread] }, 't']);
  assert.deepEqual(threads.list, [{ id: threadId, emailIds: [root] }]);
  assert.deepEqual(threads.notFound, [aloneThread], 'a thread of hidden emails only does not exist');

  const snippets = await one(['SearchSnippet/get', { accountId, emailIds: [root, reply], filter: { text: 'apricot' } }, 'n']);
  assert.deepEqual((snippets.list as { emailId: string }[]).map((s) => s.emailId), [root]);
  assert.deepEqual(snippets.notFound, [reply]);

  assert.deepEqual(await counts(mailboxId), { totalEmails: 1, unreadEmails: 1, totalThreads: 1, unreadThreads: 1 });
  // IMAP's STATUS/SELECT numbers come from the mailbox's own counters: \Deleted counts until EXPUNGE.
  const view = await f.server.services.mailboxes.get(accountId, mailboxId);
  assert.deepEqual({ total: view.total, unseen: view.unseen }, { total: 3, unseen: 3 });
  const rest = await f.server.api(`/api/v1/users/${f.userId}/mailboxes/${mailboxId}/messages`);
  const listed = (await rest.json()) as { total: number; results: { id: string; keywords: string[] }[] };
  assert.equal(listed.total, 3);
  assert.deepEqual(listed.results.find((m) => m.id === alone)!.keywords, ['$deleted']);

  await show(alone);
  assert.deepEqual(await counts(mailboxId), { totalEmails: 2, unreadEmails: 2, totalThreads: 2, unreadThreads: 2 });
  assert.deepEqual((await query({ inMailbox: mailboxId })).total, 2);
});

test('thread conditions and sorts ignore hidden siblings', async () => {
  const root = await f.upload(simpleMessage({ subject: 'Sibling', messageId: 'sib@x' }));
  const reply = await f.upload(simpleMessage({ subject: 'Re: Sibling', messageId: 'sib-2@x', inReplyTo: 'sib@x' }));
  await f.server.services.messages.update(accountId, reply, { addKeywords: ['$flagged', '$deleted'] });
  const ids = async (filter: Record<string, unknown>) => (await one(['Email/query', { accountId, filter }, 'q'])).ids as string[];
  assert.ok(!(await ids({ someInThreadHaveKeyword: '$flagged' })).includes(root), 'only the hidden sibling is flagged');
  assert.ok((await ids({ noneInThreadHaveKeyword: '$flagged' })).includes(root));
  await f.server.services.messages.update(accountId, root, { addKeywords: ['$seen'] });
  assert.ok((await ids({ allInThreadHaveKeyword: '$seen' })).includes(root), 'the unseen sibling is hidden');
});

test('Email/changes: hidden is destroyed, shown again is created, and nothing in between is told', async () => {
  const id = await f.upload(simpleMessage({ subject: 'Comes and goes' }));
  const [threadId] = ((await one(['Email/get', { accountId, ids: [id], properties: ['threadId'] }, 'g'])).list as { threadId: string }[]).map((e) => e.threadId);
  const s0 = await state();

  await hide(id);
  const s1 = await state();
  assert.deepEqual(await changes('Email', s0), { created: [], updated: [], destroyed: [id] });
  assert.deepEqual((await changes('Mailbox', s0)).updated, [inbox], 'the mailbox counts changed');
  assert.deepEqual(await changes('Thread', s0), { created: [], updated: [], destroyed: [threadId] });

  await f.server.services.messages.update(accountId, id, { addKeywords: ['$flagged'] });
  assert.deepEqual(await changes('Email', s1), { created: [], updated: [], destroyed: [] }, 'a hidden email changes unseen');
  assert.deepEqual(await changes('Thread', s1), { created: [], updated: [], destroyed: [] }, 'a keyword change is no Thread change (RFC 8621 §3)');

  await show(id);
  assert.deepEqual(await changes('Email', s1), { created: [id], updated: [], destroyed: [] });
  assert.deepEqual(await changes('Email', s0), { created: [], updated: [id], destroyed: [] }, 'visible at both ends: an update');
  assert.deepEqual((await changes('Mailbox', s1)).updated, [inbox]);

  const beforeCopy = await state();
  // What an IMAP COPY of a \Deleted message makes: an email that is hidden from birth.
  const copy = await f.server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Born hidden' }), keywords: ['$deleted'] });
  assert.deepEqual(await changes('Email', beforeCopy), { created: [], updated: [], destroyed: [] });
  await show(copy.id);
  assert.deepEqual(await changes('Email', beforeCopy), { created: [copy.id], updated: [], destroyed: [] });

  const beforeExpunge = await state();
  await hide(id);
  await f.server.services.messages.delete(accountId, id);
  assert.deepEqual(await changes('Email', beforeExpunge), { created: [], updated: [], destroyed: [id] });
});

test('Email/queryChanges removes a hidden email and adds it back when shown', async () => {
  const id = await f.upload(simpleMessage({ subject: 'Query changes' }));
  const filter = { inMailbox: inbox };
  const q0 = (await one(['Email/query', { accountId, filter }, 'q'])).queryState as string;
  await hide(id);
  const hidden = await one(['Email/queryChanges', { accountId, filter, sinceQueryState: q0 }, 'c']);
  assert.deepEqual(hidden.removed, [id]);
  assert.deepEqual(hidden.added, []);
  await show(id);
  const shown = await one(['Email/queryChanges', { accountId, filter, sinceQueryState: hidden.newQueryState }, 'c']);
  assert.deepEqual(shown.added, [{ id, index: 0 }]);
});

test('Email/set: a hidden email cannot be updated or destroyed, and JMAP cannot give $deleted', async () => {
  const hidden = await f.upload(simpleMessage({ subject: 'Out of reach' }));
  const visible = await f.upload(simpleMessage({ subject: 'In reach' }));
  await hide(hidden);
  const set = await one([
    'Email/set',
    {
      accountId,
      update: { [hidden]: { 'keywords/$seen': true }, [visible]: { 'keywords/$deleted': true } },
      destroy: [hidden],
    },
    's',
  ]);
  const notUpdated = set.notUpdated as Record<string, { type: string; properties?: string[] }>;
  assert.equal(notUpdated[hidden].type, 'notFound');
  assert.deepEqual(notUpdated[visible], { ...notUpdated[visible], type: 'invalidProperties', properties: ['keywords/$deleted'] });
  assert.equal((set.notDestroyed as Record<string, { type: string }>)[hidden].type, 'notFound');

  const whole = await one(['Email/set', { accountId, update: { [visible]: { keywords: { $Deleted: true } } } }, 's']);
  assert.equal((whole.notUpdated as Record<string, { type: string }>)[visible].type, 'invalidProperties');
  const created = await one(['Email/set', { accountId, create: { n: { mailboxIds: { [inbox]: true }, keywords: { '\\Deleted': true }, subject: 'x' } } }, 's']);
  assert.equal((created.notCreated as Record<string, { type: string }>).n.type, 'invalidProperties');
  const { blobId } = await f.blob(simpleMessage({ subject: 'Imported' }));
  const imported = await one(['Email/import', { accountId, emails: { i: { blobId, mailboxIds: { [inbox]: true }, keywords: { $deleted: true } } } }, 'i']);
  assert.equal((imported.notCreated as Record<string, { type: string }>).i.type, 'invalidProperties');

  const stored = await f.server.services.messages.records(accountId, [hidden, visible]);
  assert.deepEqual(new Map(stored.map((r) => [r.id, JSON.parse(r.keywords)])), new Map([[hidden, ['$deleted']], [visible, []]]), 'nothing was written');
});

test('a mailbox whose emails are all hidden can be destroyed, and they go with it', async () => {
  const box = ((await one(['Mailbox/set', { accountId, create: { b: { name: 'Expunge me' } } }, 's'])).created as Record<string, { id: string }>).b.id;
  const id = await f.upload(simpleMessage({ subject: 'Awaiting expunge' }), box);
  await hide(id);
  const destroyed = await one(['Mailbox/set', { accountId, destroy: [box] }, 'd']);
  assert.deepEqual(destroyed.destroyed, [box], JSON.stringify(destroyed.notDestroyed));
  assert.deepEqual(await f.server.services.messages.records(accountId, [id]), []);
});

test('the blob of a hidden email is out of reach', async () => {
  const id = await f.upload(simpleMessage({ subject: 'Blob of a hidden email', body: 'unique body 4417' }));
  const blobId = ((await one(['Email/get', { accountId, ids: [id], properties: ['blobId'] }, 'g'])).list as { blobId: string }[])[0].blobId;
  await hide(id);
  const download = await fetch(`${f.server.baseUrl}/raw/${accountId}/${blobId}/m.eml`, { headers: { authorization: f.auth } });
  assert.equal(download.status, 404);
  const lookup = (await f.jmap([['Blob/lookup', { accountId, typeNames: ['Email'], ids: [blobId] }, 'l']], ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:blob']))[0][1];
  assert.deepEqual(lookup.list, [{ id: blobId, matchedIds: { Email: [] } }]);
});

test('the change log entries behind Email/changes reach no other reader', async () => {
  const id = await f.upload(simpleMessage({ subject: 'Private entries' }));
  const from = await f.server.services.changes.current(accountId);
  await hide(id);
  const batch = await f.server.services.changes.since(accountId, from);
  assert.deepEqual(batch.events.flatMap((e) => e.changes.map((c) => c.type)).sort(), ['Email', 'Mailbox', 'Thread']);
});
