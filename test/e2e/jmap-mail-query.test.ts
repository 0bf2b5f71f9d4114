import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { jmapFixture, type JmapFixture } from '../helpers/jmap.ts';

let f: JmapFixture;
let inbox: string;
let archive: string;
const ids: Record<string, string> = {};

// Three threads: a (a1 <- a2, a2 flagged), b (b1 flagged), c (c1 in archive).
before(async () => {
  f = await jmapFixture();
  inbox = await f.mailboxId('inbox');
  archive = await f.mailboxId('archive');
  ids.a1 = await f.upload(simpleMessage({ subject: 'apples', body: 'orchard one', messageId: 'a1@t', date: 'Fri, 20 Nov 2026 10:00:00 +0000' }));
  ids.b1 = await f.upload(simpleMessage({ subject: 'bananas', body: 'plantation', messageId: 'b1@t' }));
  ids.a2 = await f.upload(simpleMessage({ subject: 'Re: apples', body: 'orchard two', messageId: 'a2@t', inReplyTo: 'a1@t' }));
  ids.c1 = await f.upload(simpleMessage({ subject: 'cherries', body: 'orchard three', messageId: 'c1@t' }), archive);
  await f.jmap([['Email/set', { accountId: f.accountId, update: { [ids.a2]: { 'keywords/$flagged': true }, [ids.b1]: { 'keywords/$flagged': true } } }, 's']]);
});
after(() => f.server.stop());

async function query(args: Record<string, unknown>): Promise<Record<string, unknown>> {
  const [[name, res]] = await f.jmap([['Email/query', { accountId: f.accountId, sort: [{ property: 'receivedAt', isAscending: true }], ...args }, 'q']]);
  return { name, ...res };
}
const names = (res: Record<string, unknown>) => (res.ids as string[]).map((id) => Object.keys(ids).find((k) => ids[k] === id));

test('OR, NOT and nested operators', async () => {
  assert.deepEqual(names(await query({ filter: { operator: 'OR', conditions: [{ subject: 'bananas' }, { subject: 'cherries' }] } })), ['b1', 'c1']);
  assert.deepEqual(names(await query({ filter: { operator: 'NOT', conditions: [{ hasKeyword: '$flagged' }, { inMailbox: archive }] } })), ['a1']);
  const nested = await query({
    filter: { operator: 'AND', conditions: [{ inMailbox: inbox }, { operator: 'OR', conditions: [{ body: 'orchard' }, { operator: 'NOT', conditions: [{ hasKeyword: '$flagged' }] }] }] },
    calculateTotal: true,
  });
  assert.deepEqual(names(nested), ['a1', 'a2']);
  assert.equal(nested.total, 2);
  // Two inMailbox conditions under AND cannot both hold for a single-mailbox email.
  assert.deepEqual(names(await query({ filter: { operator: 'AND', conditions: [{ inMailbox: inbox }, { inMailbox: archive }] } })), []);
  assert.deepEqual(names(await query({ filter: { operator: 'OR', conditions: [] } })), []);
});

test('thread keyword conditions', async () => {
  assert.deepEqual(names(await query({ filter: { someInThreadHaveKeyword: '$flagged' } })), ['a1', 'b1', 'a2']);
  assert.deepEqual(names(await query({ filter: { allInThreadHaveKeyword: '$flagged' } })), ['b1']);
  assert.deepEqual(names(await query({ filter: { noneInThreadHaveKeyword: '$flagged' } })), ['c1']);
});

test('collapseThreads keeps the first email of each thread in sort order', async () => {
  const asc = await query({ collapseThreads: true, calculateTotal: true });
  assert.deepEqual(names(asc), ['a1', 'b1', 'c1']);
  assert.equal(asc.total, 3);
  const desc = await query({ collapseThreads: true, sort: [{ property: 'receivedAt', isAscending: false }] });
  assert.deepEqual(names(desc), ['c1', 'a2', 'b1']);
  assert.deepEqual(names(await query({ collapseThreads: true, position: 1, limit: 1 })), ['b1']);
});

test('$flagged and $seen across the account, walked from the flags partial indexes, keep receivedAt order and paging', async () => {
  const flagged = await query({ filter: { hasKeyword: '$flagged' }, calculateTotal: true });
  assert.deepEqual(names(flagged), ['b1', 'a2']);
  assert.equal(flagged.total, 2);
  assert.deepEqual(names(await query({ filter: { hasKeyword: '$flagged' }, sort: [{ property: 'receivedAt', isAscending: false }] })), ['a2', 'b1']);
  assert.deepEqual(names(await query({ filter: { hasKeyword: '$flagged' }, position: 1 })), ['a2']);
  assert.deepEqual(names(await query({ filter: { notKeyword: '$seen' }, sort: [{ property: 'receivedAt', isAscending: false }], limit: 3 })), ['c1', 'a2', 'b1']);
  assert.deepEqual(names(await query({ filter: { notKeyword: '$flagged' } })), ['a1', 'c1']);
});

test('anchor and anchorOffset', async () => {
  const res = await query({ anchor: ids.a2, anchorOffset: -1, limit: 2 });
  assert.equal(res.position, 1);
  assert.deepEqual(names(res), ['b1', 'a2']);
  const clamped = await query({ anchor: ids.b1, anchorOffset: -5, limit: 1 });
  assert.equal(clamped.position, 0);
  assert.deepEqual(names(clamped), ['a1']);
  const missing = await query({ anchor: ids.c1, filter: { inMailbox: inbox } });
  assert.equal(missing.name, 'error');
  assert.equal(missing.type, 'anchorNotFound');
});

test('unsupported and invalid filters', async () => {
  const unknown = await query({ filter: { xSpam: 'yes' } });
  assert.equal(unknown.type, 'unsupportedFilter');
  const badOp = await query({ filter: { operator: 'XOR', conditions: [] } });
  assert.equal(badOp.type, 'invalidArguments');
  const badSize = await query({ filter: { minSize: 'big' } });
  assert.equal(badSize.type, 'invalidArguments');
});
