import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
before(async () => {
  f = await jmapFixture();
});
after(() => f.server.stop());

test('Email/queryChanges reports removals and re-adds current matches at their index', async () => {
  const a = await f.upload(simpleMessage({ subject: 'a' }));
  const b = await f.upload(simpleMessage({ subject: 'b' }));
  const args = { accountId: f.accountId, filter: { notKeyword: '$seen' }, sort: [{ property: 'receivedAt', isAscending: true }] };
  const [[, q0]] = await f.jmap([['Email/query', args, 'q']]);
  assert.equal(q0.canCalculateChanges, true);
  assert.deepEqual(q0.ids, [a, b]);

  const c = await f.upload(simpleMessage({ subject: 'c' }));
  await f.jmap([['Email/set', { accountId: f.accountId, update: { [a]: { 'keywords/$seen': true } } }, 's']]);
  const [[name, ch], [, q1]] = await f.jmap([
    ['Email/queryChanges', { ...args, sinceQueryState: q0.queryState, calculateTotal: true }, 'c'],
    ['Email/query', args, 'q'],
  ]);
  assert.equal(name, 'Email/queryChanges');
  assert.equal(ch.oldQueryState, q0.queryState);
  assert.equal(ch.newQueryState, q1.queryState);
  assert.deepEqual([...(ch.removed as string[])].sort(), [a, c].sort());
  assert.deepEqual(ch.added, [{ id: c, index: 1 }]);
  assert.equal(ch.total, 2);

  // Applying the changes to the old ids gives the new ids.
  const ids = (q0.ids as string[]).filter((id) => !(ch.removed as string[]).includes(id));
  for (const { id, index } of ch.added as { id: string; index: number }[]) ids.splice(index, 0, id);
  assert.deepEqual(ids, q1.ids);

  const [[, none]] = await f.jmap([['Email/queryChanges', { ...args, sinceQueryState: q1.queryState }, 'c']]);
  assert.deepEqual(none.removed, []);
  assert.deepEqual(none.added, []);
});

test('a keyword on one email of a thread moves its sibling in a thread-dependent query, and is no Thread change', async () => {
  const root = await f.upload(simpleMessage({ subject: 'Pair', messageId: 'pair-1@x' }));
  const reply = await f.upload(simpleMessage({ subject: 'Re: Pair', messageId: 'pair-2@x', inReplyTo: 'pair-1@x' }));
  const args = { accountId: f.accountId, filter: { someInThreadHaveKeyword: 'urgent' } };
  const [[, q0], [, s0]] = await f.jmap([
    ['Email/query', args, 'q'],
    ['Thread/get', { accountId: f.accountId, ids: [] }, 't'],
  ]);
  assert.deepEqual(q0.ids, []);
  await f.jmap([['Email/set', { accountId: f.accountId, update: { [reply]: { 'keywords/urgent': true } } }, 's']]);
  const [[, ch], [, q1], [, threads]] = await f.jmap([
    ['Email/queryChanges', { ...args, sinceQueryState: q0.queryState }, 'c'],
    ['Email/query', args, 'q'],
    ['Thread/changes', { accountId: f.accountId, sinceState: s0.state }, 't'],
  ]);
  assert.deepEqual([...(q1.ids as string[])].sort(), [root, reply].sort());
  // Only the reply changed, but its sibling entered the results too: the changes must say so.
  assert.deepEqual([...(ch.added as { id: string }[]).map((a) => a.id)].sort(), [root, reply].sort());
  assert.deepEqual([threads.created, threads.updated, threads.destroyed], [[], [], []]);
});

test('Email/queryChanges errors', async () => {
  const [[, bad]] = await f.jmap([['Email/queryChanges', { accountId: f.accountId, sinceQueryState: 'nope' }, 'c']]);
  assert.equal(bad.type, 'cannotCalculateChanges');
  // Thread-dependent queries are calculated too (their changes cover whole threads).
  const [[, q]] = await f.jmap([['Email/query', { accountId: f.accountId, collapseThreads: true }, 'q']]);
  assert.equal(q.canCalculateChanges, true);
  const [[name]] = await f.jmap([['Email/queryChanges', { accountId: f.accountId, collapseThreads: true, sinceQueryState: q.queryState }, 'c']]);
  assert.equal(name, 'Email/queryChanges');
  await f.upload(simpleMessage({ subject: 'one' }));
  await f.upload(simpleMessage({ subject: 'two' }));
  const [[, tooMany]] = await f.jmap([['Email/queryChanges', { accountId: f.accountId, sinceQueryState: q.queryState, maxChanges: 1 }, 'c']]);
  assert.equal(tooMany.type, 'tooManyChanges');
});

test('Mailbox/queryChanges', async () => {
  const args = { accountId: f.accountId, sort: [{ property: 'name', isAscending: true }] };
  const [[, q0]] = await f.jmap([['Mailbox/query', args, 'q']]);
  assert.equal(q0.canCalculateChanges, true);
  const [[, set]] = await f.jmap([['Mailbox/set', { accountId: f.accountId, create: { n: { name: 'Aardvark' } } }, 's']]);
  const id = (set.created as Record<string, { id: string }>).n.id;
  const [[, ch], [, q1]] = await f.jmap([
    ['Mailbox/queryChanges', { ...args, sinceQueryState: q0.queryState }, 'c'],
    ['Mailbox/query', args, 'q'],
  ]);
  assert.ok((ch.removed as string[]).includes(id));
  assert.deepEqual(ch.added, [{ id, index: (q1.ids as string[]).indexOf(id) }]);
  assert.equal(ch.newQueryState, q1.queryState);
});
