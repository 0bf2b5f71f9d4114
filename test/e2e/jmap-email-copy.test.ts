import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { jmapFixture, USING, type Call, type JmapFixture } from '../helpers/jmap.ts';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser } from '../helpers/server.ts';

const QUOTA = 'urn:ietf:params:jmap:quota';
const BLOB = 'urn:ietf:params:jmap:blob';

let f: JmapFixture;
let primary: string;
let archive: string;
let bobAccountId: string;
const alice = 'Basic ' + Buffer.from('alice@example.test:correct horse battery').toString('base64');

before(async () => {
  f = await jmapFixture();
  primary = f.accountId;
  const { id } = await f.server.services.directory.accountOfUser('alice');
  archive = (await f.server.services.directory.addAccount(id, { name: 'Archive' })).id;
  const bob = await createUser(f.server, 'bob');
  bobAccountId = (await f.server.services.directory.accountOfUser(bob.id)).accountId;
});
after(() => f.server.stop());

/** One method call with extra capabilities; returns every response it produced. */
async function call(name: string, args: Record<string, unknown>, using: string[] = USING): Promise<Call[]> {
  const res = await fetch(`${f.server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: alice },
    body: JSON.stringify({ using, methodCalls: [[name, args, 'c']] }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses;
}

const copy = (args: Record<string, unknown>) => call('Email/copy', { fromAccountId: primary, accountId: archive, ...args });
const state = async (accountId: string) => (await call('Email/get', { accountId, ids: [] }))[0][1].state as string;
const archiveInbox = async () => ((await call('Mailbox/query', { accountId: archive, filter: { role: 'inbox' } }))[0][1].ids as string[])[0];

test('the session lists every account of the pool; the primary stays primary', async () => {
  const session = await (await fetch(`${f.server.baseUrl}/session`, { headers: { authorization: alice } })).json();
  assert.deepEqual(Object.keys(session.accounts).sort(), [primary, archive].sort());
  assert.equal(session.accounts[archive].name, 'Archive');
  assert.equal(session.accounts[archive].isPersonal, true);
  assert.equal(session.accounts[archive].isReadOnly, false);
  assert.deepEqual(session.accounts[archive].accountCapabilities, session.accounts[primary].accountCapabilities);
  assert.ok(Object.values(session.primaryAccounts).every((id) => id === primary));
  const [[, boxes]] = await call('Mailbox/get', { accountId: archive, properties: ['role'] });
  assert.equal((boxes.list as unknown[]).length, 6, 'an added account has its own default mailboxes');
  const up = await fetch(`${f.server.baseUrl}/upload/${archive}`, { method: 'POST', headers: { authorization: alice, 'content-type': 'text/plain' }, body: 'hi' });
  assert.equal(up.status, 201);
  assert.equal((await up.json()).accountId, archive);
});

test('Email/copy: the copy shares the stored message, lands in the target with its own ids, and counts in its quota', async () => {
  const raw = simpleMessage({ subject: 'copy me' });
  const original = await f.upload(raw);
  const inbox = await archiveInbox();
  const oldState = await state(archive);
  const [[name, res]] = await copy({ create: { c1: { id: original, mailboxIds: { [inbox]: true } } } });
  assert.equal(name, 'Email/copy');
  assert.equal(res.fromAccountId, primary);
  assert.equal(res.oldState, oldState);
  assert.notEqual(res.newState, oldState);
  assert.equal(res.notCreated, null);
  const created = (res.created as Record<string, { id: string; blobId: string; threadId: string; size: number }>).c1;
  assert.notEqual(created.id, original);
  assert.equal(created.size, raw.length);

  const [[, orig]] = await call('Email/get', { accountId: primary, ids: [original], properties: ['blobId', 'threadId'] });
  const [[, got]] = await call('Email/get', { accountId: archive, ids: [created.id], properties: ['blobId', 'threadId', 'subject', 'mailboxIds', 'keywords'] });
  const [origEmail] = orig.list as { blobId: string; threadId: string }[];
  const [copyEmail] = got.list as { blobId: string; threadId: string; subject: string; mailboxIds: object; keywords: object }[];
  assert.equal(copyEmail.blobId, origEmail.blobId, 'the same bytes, so the same blob id');
  assert.equal(copyEmail.blobId, created.blobId);
  assert.equal(copyEmail.threadId, created.threadId);
  assert.notEqual(copyEmail.threadId, origEmail.threadId, 'threads belong to their account');
  assert.equal(copyEmail.subject, 'copy me');
  assert.deepEqual(copyEmail.mailboxIds, { [inbox]: true });
  const dl = await fetch(`${f.server.baseUrl}/raw/${archive}/${created.blobId}/m.eml`, { headers: { authorization: alice } });
  assert.deepEqual(Buffer.from(await dl.arrayBuffer()), raw);

  const sha = created.blobId.slice(1);
  const blob = await f.server.store.db.selectFrom('blobs').select('refcount').where('id', '=', sha).executeTakeFirstOrThrow();
  assert.equal(Number(blob.refcount), 2, 'one stored file, referenced by both emails');
  const [[, quota]] = await call('Quota/get', { accountId: archive, ids: null }, [...USING, QUOTA]);
  assert.equal((quota.list as { used: number }[])[0].used, raw.length);
});

test('Email/copy: mailboxIds, keywords and receivedAt override the original; nothing else may be set', async () => {
  const original = await f.upload(simpleMessage({ subject: 'flagged original' }));
  await call('Email/set', { accountId: primary, update: { [original]: { 'keywords/$seen': true } } });
  const [[, made]] = await call('Mailbox/set', { accountId: archive, create: { box: { name: 'Kept' } } });
  const kept = (made.created as Record<string, { id: string }>).box.id;
  const [[, res]] = await copy({
    create: {
      asIs: { id: original, mailboxIds: { [kept]: true } },
      changed: { id: original, mailboxIds: { [kept]: true, [await archiveInbox()]: true }, keywords: { $flagged: true }, receivedAt: '2020-01-02T03:04:05Z' },
      subject: { id: original, mailboxIds: { [kept]: true }, subject: 'no' },
    },
  });
  const created = res.created as Record<string, { id: string }>;
  const [[, got]] = await call('Email/get', { accountId: archive, ids: [created.asIs.id, created.changed.id], properties: ['mailboxIds', 'keywords', 'receivedAt'] });
  const [asIs, changed] = got.list as { mailboxIds: object; keywords: object; receivedAt: string }[];
  assert.deepEqual(asIs.keywords, { $seen: true }, "the original's keywords by default");
  assert.deepEqual(asIs.mailboxIds, { [kept]: true });
  assert.deepEqual(changed.keywords, { $flagged: true });
  assert.equal(Object.keys(changed.mailboxIds).length, 2);
  assert.equal(changed.receivedAt, '2020-01-02T03:04:05Z');
  assert.deepEqual((res.notCreated as Record<string, { type: string; properties: string[] }>).subject, {
    type: 'invalidProperties',
    description: 'only mailboxIds, keywords and receivedAt can be set on a copy',
    properties: ['subject'],
  });
});

test('Email/copy per-record errors: notFound, mailboxes of the wrong account, no mailboxes', async () => {
  const original = await f.upload(simpleMessage({ subject: 'errors' }));
  const inbox = await archiveInbox();
  const primaryInbox = await f.mailboxId('inbox');
  const [[, res]] = await copy({
    create: {
      missing: { id: 'e00000000000000000000000', mailboxIds: { [inbox]: true } },
      unknownRef: { id: '#nope', mailboxIds: { [inbox]: true } },
      foreignBox: { id: original, mailboxIds: { [primaryInbox]: true } },
      noBoxes: { id: original },
      good: { id: original, mailboxIds: { [inbox]: true } },
    },
  });
  const notCreated = res.notCreated as Record<string, { type: string; properties?: string[] }>;
  assert.equal(notCreated.missing.type, 'notFound');
  assert.equal(notCreated.unknownRef.type, 'notFound');
  assert.equal(notCreated.foreignBox.type, 'invalidProperties');
  assert.deepEqual(notCreated.foreignBox.properties, ['mailboxIds']);
  assert.deepEqual(notCreated.noBoxes.properties, ['mailboxIds']);
  assert.deepEqual(Object.keys(res.created as object), ['good'], 'each record succeeds or fails alone');
});

test('Email/copy method errors: the same account, accounts outside the pool, state mismatches', async () => {
  const original = await f.upload(simpleMessage({ subject: 'refused' }));
  const create = { c: { id: original, mailboxIds: { [await archiveInbox()]: true } } };
  const errorOf = async (args: Record<string, unknown>) => {
    const [[name, res]] = await call('Email/copy', { create, ...args });
    assert.equal(name, 'error', JSON.stringify(res));
    return res.type;
  };
  assert.equal(await errorOf({ fromAccountId: primary, accountId: primary }), 'invalidArguments');
  assert.equal(await errorOf({ fromAccountId: 'a00000000000000000000000', accountId: archive }), 'fromAccountNotFound');
  assert.equal(await errorOf({ fromAccountId: bobAccountId, accountId: archive }), 'fromAccountNotFound');
  assert.equal(await errorOf({ fromAccountId: primary, accountId: bobAccountId }), 'accountNotFound');
  assert.equal(await errorOf({ fromAccountId: primary, accountId: archive, ifInState: '0' }), 'stateMismatch');
  assert.equal(await errorOf({ fromAccountId: primary, accountId: archive, ifFromInState: '0' }), 'stateMismatch');
  assert.equal(await errorOf({ accountId: archive }), 'invalidArguments');
  const [[, fine]] = await copy({ create, ifInState: await state(archive), ifFromInState: await state(primary) });
  assert.ok((fine.created as Record<string, unknown>).c);
});

test('onSuccessDestroyOriginal: an implicit Email/set destroys the originals; both accounts log their changes', async () => {
  const original = await f.upload(simpleMessage({ subject: 'move me' }));
  const inbox = await archiveInbox();
  const [fromBefore, toBefore] = [await state(primary), await state(archive)];
  const responses = await copy({ create: { m: { id: original, mailboxIds: { [inbox]: true } }, gone: { id: 'e00000000000000000000000', mailboxIds: { [inbox]: true } } }, onSuccessDestroyOriginal: true });
  assert.deepEqual(responses.map(([name]) => name), ['Email/copy', 'Email/set']);
  const moved = (responses[0][1].created as Record<string, { id: string; blobId: string }>).m;
  const set = responses[1][1];
  assert.equal(set.accountId, primary);
  assert.deepEqual(set.destroyed, [original], 'only originals that were copied');
  assert.deepEqual(set.notDestroyed, {});
  assert.deepEqual((await call('Email/get', { accountId: primary, ids: [original] }))[0][1].notFound, [original]);
  const dl = await fetch(`${f.server.baseUrl}/raw/${archive}/${moved.blobId}/m.eml`, { headers: { authorization: alice } });
  assert.equal(dl.status, 200, 'the copy keeps the shared message alive');

  const [[, fromChanges]] = await call('Email/changes', { accountId: primary, sinceState: fromBefore });
  assert.deepEqual([fromChanges.created, fromChanges.destroyed], [[], [original]]);
  const [[, toChanges]] = await call('Email/changes', { accountId: archive, sinceState: toBefore });
  assert.deepEqual([toChanges.created, toChanges.destroyed], [[moved.id], []]);
  const [[, boxChanges]] = await call('Mailbox/changes', { accountId: archive, sinceState: toBefore });
  assert.deepEqual(boxChanges.updated, [inbox]);

  const kept = await f.upload(simpleMessage({ subject: 'stays' }));
  const refused = await copy({ create: { k: { id: kept, mailboxIds: { [inbox]: true } } }, onSuccessDestroyOriginal: true, destroyFromIfInState: '0' });
  assert.deepEqual(refused.map(([name]) => name), ['Email/copy', 'error']);
  assert.equal(refused[1][1].type, 'stateMismatch');
  assert.equal(((await call('Email/get', { accountId: primary, ids: [kept] }))[0][1].list as unknown[]).length, 1, 'the original stays');
});

test('the event source announces the copy under the target account', async () => {
  const original = await f.upload(simpleMessage({ subject: 'announced' }));
  const stream = await fetch(`${f.server.baseUrl}/eventsource?types=*&closeafter=state&ping=0`, { headers: { authorization: alice } });
  assert.equal(stream.status, 200);
  await copy({ create: { a: { id: original, mailboxIds: { [await archiveInbox()]: true } } } });
  const text = await stream.text();
  const id = /^id: (.*)$/m.exec(text)![1];
  const change = JSON.parse(/^data: (.*)$/m.exec(text)![1]) as { changed: Record<string, Record<string, string>> };
  const target = await state(archive);
  assert.deepEqual(Object.keys(change.changed), [archive]);
  assert.equal(change.changed[archive].Email, target);
  assert.equal(id, `${await state(primary)},${archive}:${target}`, 'the event id is a position over the whole pool');
});

test('WebSocket push covers the pool: the StateChange names the target, its pushState the whole position', async () => {
  const original = await f.upload(simpleMessage({ subject: 'pushed' }));
  const socket = new WebSocket(`${f.server.baseUrl.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { authorization: alice } });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  try {
    const message = new Promise<Record<string, any>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
    socket.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: ['Email'] }));
    await new Promise((r) => setTimeout(r, 100));
    await copy({ create: { w: { id: original, mailboxIds: { [await archiveInbox()]: true } } } });
    const change = await message;
    assert.deepEqual(change.changed, { [archive]: { Email: await state(archive) } });
    assert.equal(change.pushState, `${await state(primary)},${archive}:${await state(archive)}`);
  } finally {
    socket.close();
  }
});

test('Blob/copy between two accounts of the pool', async () => {
  const [[, up]] = await call('Blob/upload', { accountId: primary, create: { b: { data: [{ 'data:asText': 'pool blob' }] } } }, [...USING, BLOB]);
  const blobId = (up.created as Record<string, { id: string }>).b.id;
  const [[, res]] = await call('Blob/copy', { fromAccountId: primary, accountId: archive, blobIds: [blobId] }, [...USING, BLOB]);
  assert.deepEqual(res.copied, { [blobId]: blobId });
  const [[, got]] = await call('Blob/get', { accountId: archive, ids: [blobId], properties: ['data:asText'] }, [...USING, BLOB]);
  assert.equal((got.list as { 'data:asText': string }[])[0]['data:asText'], 'pool blob');
});

test('Email/copy over the quota fails for that record only', async () => {
  const { id } = await f.server.services.directory.accountOfUser('alice');
  const small = (await f.server.services.directory.addAccount(id, { name: 'Small' })).id;
  const inbox = ((await call('Mailbox/query', { accountId: small, filter: { role: 'inbox' } }))[0][1].ids as string[])[0];
  const a = simpleMessage({ subject: 'fits', body: 'x'.repeat(400) });
  const b = simpleMessage({ subject: 'does not fit', body: 'y'.repeat(400) });
  const [ida, idb] = [await f.upload(a), await f.upload(b)];
  // The limit applies to each account of the pool; the new account holds nothing yet.
  await f.server.services.directory.updateUser(id, { quota: a.length + 100 });
  try {
    const [[, res]] = await call('Email/copy', { fromAccountId: primary, accountId: small, create: { a: { id: ida, mailboxIds: { [inbox]: true } }, b: { id: idb, mailboxIds: { [inbox]: true } } } });
    assert.deepEqual(Object.keys(res.created as object), ['a']);
    assert.equal((res.notCreated as Record<string, { type: string }>).b.type, 'overQuota');
  } finally {
    await f.server.services.directory.updateUser(id, { quota: 0 });
  }
});
