import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messageWithAttachment, simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string };
let base: string;

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: 64 * 1024 } }))!;
  alice = await createUser(server, 'alice');
  base = `/api/v1/users/${alice.id}`;
});
after(() => server.stop());

const json = async (res: Response) => JSON.parse(await res.text());

async function upload(raw: Buffer, mailbox = 'inbox', query = '') {
  const res = await server.api(`${base}/mailboxes/${mailbox}/messages${query}`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
  assert.equal(res.status, 201, await res.clone().text());
  return json(res);
}

test('mailboxes: defaults with roles, create nested, rename, move, subscribe, delete', async () => {
  const list = await json(await server.api(`${base}/mailboxes`));
  assert.deepEqual(
    list.results.map((m: { name: string; role: string }) => [m.name, m.role]),
    [['Inbox', 'inbox'], ['Drafts', 'drafts'], ['Sent', 'sent'], ['Junk', 'junk'], ['Trash', 'trash'], ['Archive', 'archive']],
  );
  const work = await json(await server.api(`${base}/mailboxes`, { method: 'POST', json: { name: 'Work' } }));
  const proj = await json(await server.api(`${base}/mailboxes`, { method: 'POST', json: { name: 'Projects', parentId: work.id } }));
  assert.equal(proj.path, 'Work/Projects');
  assert.equal((await server.api(`${base}/mailboxes`, { method: 'POST', json: { name: 'Projects', parentId: work.id } })).status, 409);

  const renamed = await json(await server.api(`${base}/mailboxes/${work.id}`, { method: 'PATCH', json: { name: 'Job', subscribed: false } }));
  assert.equal(renamed.name, 'Job');
  assert.equal(renamed.subscribed, false);
  assert.equal((await json(await server.api(`${base}/mailboxes/${proj.id}`))).path, 'Job/Projects');
  // A mailbox cannot move inside itself; the inbox cannot be renamed or deleted.
  assert.equal((await server.api(`${base}/mailboxes/${work.id}`, { method: 'PATCH', json: { parentId: proj.id } })).status, 400);
  assert.equal((await server.api(`${base}/mailboxes/inbox`, { method: 'PATCH', json: { name: 'Other' } })).status, 400);
  assert.equal((await server.api(`${base}/mailboxes/inbox`, { method: 'DELETE' })).status, 400);
  assert.equal((await server.api(`${base}/mailboxes/${work.id}`, { method: 'DELETE' })).status, 409);

  const moved = await json(await server.api(`${base}/mailboxes/${proj.id}`, { method: 'PATCH', json: { parentId: null } }));
  assert.equal(moved.path, 'Projects');
  assert.equal((await server.api(`${base}/mailboxes/${work.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`${base}/mailboxes/${proj.id}`, { method: 'DELETE' })).status, 204);
});

test('mailboxes: hostile names are refused and change nothing', async () => {
  const before = (await json(await server.api(`${base}/mailboxes`))).total;
  for (const name of ['../x', 'a/b', '..', 'tab\there', 'nul\u0000', ' padded', 'x'.repeat(10_000), '']) {
    const res = await server.api(`${base}/mailboxes`, { method: 'POST', json: { name } });
    assert.equal(res.status, 400, JSON.stringify(name));
  }
  assert.equal((await json(await server.api(`${base}/mailboxes`))).total, before);
});

test('messages: upload raw, list, detail, raw bytes identical, attachment decoded', async () => {
  const raw = messageWithAttachment();
  const stored = await upload(raw, 'inbox', '?keywords=$flagged');
  assert.match(stored.id, /^e[0-9a-z]{23}$/);
  assert.equal(stored.subject, 'Rapport été');
  assert.equal(stored.flagged, true);
  assert.equal(stored.hasAttachment, true);
  assert.match(stored.html, /quarterly/);
  assert.equal(stored.attachments.length, 1);
  const att = stored.attachments[0];
  assert.equal(att.filename, 'résumé.pdf');
  assert.equal(att.contentType, 'application/pdf');

  const rawRes = await server.api(`${base}/messages/${stored.id}/raw`);
  assert.equal(rawRes.headers.get('content-type'), 'message/rfc822');
  assert.ok(Buffer.from(await rawRes.arrayBuffer()).equals(raw));

  const file = await server.api(`${base}/messages/${stored.id}/attachments/${att.id}`);
  assert.equal(file.status, 200);
  assert.equal(file.headers.get('content-type'), 'application/pdf');
  assert.match(file.headers.get('content-disposition') ?? '', /filename\*=UTF-8''r%C3%A9sum%C3%A9\.pdf/);
  assert.equal(Buffer.from(await file.arrayBuffer()).toString(), '%PDF-1.4 fake pdf bytes');
  assert.equal((await server.api(`${base}/messages/${stored.id}/attachments/p9`)).status, 404);

  const inbox = await json(await server.api(`${base}/mailboxes/inbox`));
  assert.equal(inbox.total, 1);
  assert.equal(inbox.unseen, 1);
  assert.equal(inbox.size, raw.length);
});

test('messages: newest-first paging with cursor, order and unseen filter', async () => {
  const box = await json(await server.api(`${base}/mailboxes`, { method: 'POST', json: { name: 'Paging' } }));
  for (let i = 0; i < 5; i++) {
    await upload(simpleMessage({ subject: `msg ${i}` }), box.id, `?receivedAt=2026-01-0${i + 1}T00:00:00Z${i % 2 ? '&keywords=$seen' : ''}`);
  }
  const first = await json(await server.api(`${base}/mailboxes/${box.id}/messages?limit=2`));
  assert.equal(first.total, 5);
  assert.deepEqual(first.results.map((m: { subject: string }) => m.subject), ['msg 4', 'msg 3']);
  const second = await json(await server.api(`${base}/mailboxes/${box.id}/messages?limit=2&cursor=${first.next}`));
  assert.deepEqual(second.results.map((m: { subject: string }) => m.subject), ['msg 2', 'msg 1']);
  const third = await json(await server.api(`${base}/mailboxes/${box.id}/messages?limit=2&cursor=${second.next}`));
  assert.deepEqual(third.results.map((m: { subject: string }) => m.subject), ['msg 0']);
  assert.equal(third.next, null);

  const asc = await json(await server.api(`${base}/mailboxes/${box.id}/messages?order=asc&limit=1`));
  assert.equal(asc.results[0].subject, 'msg 0');
  const unseen = await json(await server.api(`${base}/mailboxes/${box.id}/messages?unseen=true`));
  assert.equal(unseen.total, 3);
  assert.ok(unseen.results.every((m: { seen: boolean }) => !m.seen));
});

test('messages: flags and moves via PATCH keep counters right; delete removes everywhere', async () => {
  const m = await upload(simpleMessage({ subject: 'flag me' }));
  const archive = await json(await server.api(`${base}/mailboxes/archive`));

  const seen = await json(await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: { seen: true, addKeywords: ['Work', '\\Answered'] } }));
  assert.deepEqual(seen.keywords, ['$answered', '$seen', 'work']);
  const moved = await json(await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: { mailboxIds: [archive.id] } }));
  assert.deepEqual(moved.mailboxIds, [archive.id]);
  const archiveAfter = await json(await server.api(`${base}/mailboxes/archive`));
  assert.equal(archiveAfter.total, archive.total + 1);
  assert.equal(archiveAfter.unseen, archive.unseen);
  assert.ok(archiveAfter.uidNext > archive.uidNext);

  assert.equal((await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: { mailboxIds: [] } })).status, 400);
  assert.equal((await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: { mailboxIds: ['m-nope'] } })).status, 400);
  assert.equal((await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: { addKeywords: ['bad keyword'] } })).status, 400);
  assert.equal((await server.api(`${base}/messages/${m.id}`, { method: 'PATCH', json: {} })).status, 400);

  assert.equal((await server.api(`${base}/messages/${m.id}`, { method: 'DELETE' })).status, 204);
  assert.equal((await server.api(`${base}/messages/${m.id}`)).status, 404);
  assert.equal((await json(await server.api(`${base}/mailboxes/archive`))).total, archive.total);
});

test('search: words, fields, dates, flags and attachments', async () => {
  await upload(simpleMessage({ subject: 'Invoice for October', body: 'Please pay the zebra invoice.', from: 'Billing Dept <billing@shop.test>' }), 'inbox', '?receivedAt=2026-10-15T00:00:00Z');
  await upload(simpleMessage({ subject: 'Lunch', body: 'Zebra crossing at noon.', from: 'Pat <pat@friends.test>' }), 'inbox', '?receivedAt=2026-11-15T00:00:00Z&keywords=$seen');
  const q = async (query: string) => (await json(await server.api(`${base}/search?${query}`))).results.map((m: { subject: string }) => m.subject);
  assert.deepEqual(await q('q=zebra'), ['Lunch', 'Invoice for October']);
  assert.deepEqual(await q('q=zebra%20invoice'), ['Invoice for October']);
  assert.deepEqual(await q('from=billing@shop.test'), ['Invoice for October']);
  assert.deepEqual(await q('subject=lunch'), ['Lunch']);
  assert.deepEqual(await q('q=zebra&after=2026-11-01'), ['Lunch']);
  assert.deepEqual(await q('q=zebra&before=2026-11-01'), ['Invoice for October']);
  assert.deepEqual(await q('q=zebra&unseen=true'), ['Invoice for October']);
  assert.deepEqual(await q('q=quarterly&hasAttachment=true'), ['Rapport été']);
  assert.deepEqual(await q('q=zebra&mailbox=archive'), []);
  assert.deepEqual(await q('q=zebra&mailbox=inbox'), ['Lunch', 'Invoice for October']);
  assert.equal((await json(await server.api(`${base}/search?q=zebra&mailbox=inbox&unseen=true`))).total, 1);
  assert.ok((await q('flagged=true')).includes('Rapport été'));
  assert.ok(!(await q('flagged=true')).includes('Lunch'));
  assert.equal((await server.api(`${base}/search?after=yesterday`)).status, 400);
  assert.equal((await server.api(`${base}/search?q=zebra&bogus=1`)).status, 400);
});

test('threads: replies join the thread of the message they answer', async () => {
  const root = await upload(simpleMessage({ subject: 'Plans', messageId: 'plans-1@remote.test' }));
  const reply = await upload(simpleMessage({ subject: 'Re: Plans', messageId: 'plans-2@remote.test', inReplyTo: 'plans-1@remote.test' }));
  const other = await upload(simpleMessage({ subject: 'Unrelated', messageId: 'other@remote.test' }));
  assert.equal(reply.threadId, root.threadId);
  assert.notEqual(other.threadId, root.threadId);
  const thread = await json(await server.api(`${base}/threads/${root.threadId}`));
  assert.deepEqual(thread.messages.map((m: { id: string }) => m.id), [root.id, reply.id]);
  assert.equal((await server.api(`${base}/threads/t-nope`)).status, 404);
});

test('ingest limits: oversize message 413, over quota 507, empty or non-raw body refused; nothing stored', async () => {
  const before = (await json(await server.api(`${base}/mailboxes/inbox`))).total;
  const big = Buffer.concat([simpleMessage(), Buffer.alloc(70 * 1024, 'a')]);
  const tooBig = await server.api(`${base}/mailboxes/inbox/messages`, { method: 'POST', body: big, headers: { 'content-type': 'message/rfc822' } });
  assert.equal(tooBig.status, 413);
  const wrongType = await server.api(`${base}/mailboxes/inbox/messages`, { method: 'POST', json: { raw: 'x' } });
  assert.equal(wrongType.status, 400);
  const empty = await server.api(`${base}/mailboxes/inbox/messages`, { method: 'POST', body: Buffer.alloc(0), headers: { 'content-type': 'message/rfc822' } });
  assert.equal(empty.status, 400);

  const small = await createUser(server, 'smallbox');
  await server.api(`/api/v1/users/${small.id}`, { method: 'PATCH', json: { quota: 400 } });
  const ok = await server.api(`/api/v1/users/${small.id}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage(), headers: { 'content-type': 'message/rfc822' } });
  assert.equal(ok.status, 201);
  const full = await server.api(`/api/v1/users/${small.id}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage(), headers: { 'content-type': 'message/rfc822' } });
  assert.equal(full.status, 507);
  assert.equal((await json(full)).type, 'urn:gannet:problem:over-quota');
  assert.equal((await json(await server.api(`/api/v1/users/${small.id}/mailboxes/inbox`))).total, 1);
  assert.equal((await json(await server.api(`${base}/mailboxes/inbox`))).total, before);
});

test('a message that cannot be parsed is still stored and served raw', async () => {
  const garbage = Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x3a, 0x3a, 0x00, 0x80, 0x0d]);
  const stored = await upload(garbage);
  const raw = Buffer.from(await (await server.api(`${base}/messages/${stored.id}/raw`)).arrayBuffer());
  assert.ok(raw.equals(garbage));
});
