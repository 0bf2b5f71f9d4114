import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { SUBMISSION } from '../../src/protocols/jmap/core/capabilities.ts';
import { CORE, MAIL } from '../../src/protocols/jmap/types.ts';
import { jmapFixture, USING, type Call, type JmapFixture } from '../helpers/jmap.ts';
import { simpleMessage } from '../helpers/messages.ts';

/*
 * The examples of RFC 8620 (JMAP core) and RFC 8621 (JMAP Mail), sent to a real Gannet. Ids the
 * RFC makes up are replaced by real ones of seeded data; property lists, arguments and structure
 * are as printed. Assertions follow the example responses' shape and meaning, not their values.
 *
 * | Example                                                    | Status                                                            |
 * |------------------------------------------------------------|-------------------------------------------------------------------|
 * | 8620 §2.1 Session object                                   | tested                                                            |
 * | 8620 §3.3.1 Request / §3.4.1 Response                      | tested (made-up methods, so each answer is §3.6.2's error)        |
 * | 8620 §3.6.1.1 unknownCapability problem                    | tested                                                            |
 * | 8620 §3.6.1.1 limit (maxSizeRequest) problem               | tested                                                            |
 * | 8620 §3.6.2 ["error", {type}, id]                          | tested (in the §3.3.1 test)                                       |
 * | 8620 §3.7 Foo/changes + Foo/get of /created                | tested, Foo read as Email                                         |
 * | 8620 §3.7 Email/query → Email/get → Thread/get → Email/get | tested                                                            |
 * | 8620 §3.8 Accept-Language → Content-Language               | not runnable: Gannet's descriptions exist in one language only    |
 * | 8620 §4.1 Core/echo                                        | tested                                                            |
 * | 8620 §5.2 intermediate states A→B→C→D→E                    | tested (maxChanges 1, hasMoreChanges)                             |
 * | 8620 §5.6 splicing removed/added into a cached result      | tested (in the §5.7 and §4.10 queryChanges tests)                 |
 * | 8620 §5.7 Todo/query + Todo/get by reference               | tested, Todo read as Email (Todo is a made-up type)               |
 * | 8620 §5.7 Todo/set whole object as PatchObject             | tested, read as Email                                             |
 * | 8620 §5.7 Todo/set minimal patch (keywords/…: null)        | tested, read as Email                                             |
 * | 8620 §5.7 Todo/set create + update with "#k15"             | tested, read as Mailbox (parentId is the foreign key)             |
 * | 8620 §5.7 Todo/changes + Todo/queryChanges                 | tested, read as Email                                             |
 * | 8620 §5.7 Todo/copy with onSuccessDestroyOriginal          | tested (as Email/copy between two pool accounts)                  |
 * | 8620 §6.1/§6.2 upload and download (no printed example)    | tested as a flow                                                  |
 * | 8620 §6.3 Blob/copy (no printed example)                   | tested from the method description                               |
 * | 8620 §7.1.1 StateChange                                    | tested over §7.3 (one account: a second needs the account pool)   |
 * | 8620 §7.2.3 PushSubscription/get, /set create, PushVerification, verify, extend | tested                                       |
 * | 8620 §7.3 event source (no printed example)                | tested with §7.1.1 and 8621 §1.5.1                                |
 * | 8621 §1.5.1 EmailDelivery push                             | tested                                                            |
 * | 8621 §2.6 Mailbox/get ids null                             | tested                                                            |
 * | 8621 §2.6 Mailbox/changes + /created, /updated, /updatedProperties | tested (updatedProperties is null: §2.2 requires null when the server cannot tell count-only changes) |
 * | 8621 §2.6 Mailbox/set rename + refused destroy             | tested (the mailbox nobody may destroy is the inbox)              |
 * | 8621 §3.1.1 Thread/get                                     | tested                                                            |
 * | 8621 §4.1.2.3 address-list as Addresses                    | tested (the RFC's "John Smith" decodes to "John Smîth")           |
 * | 8621 §4.1.2.4 address-list as GroupedAddresses             | tested                                                            |
 * | 8621 §4.1.3 header:subject, header:Resent-To:asAddresses:all | tested                                                          |
 * | 8621 §4.1.4 MIME tree A…K → textBody/htmlBody/attachments  | tested                                                            |
 * | 8621 §4.2.1 Email/get with header form, bodyProperties     | tested (accountId added: the printed request lacks it)            |
 * | 8621 §4.4.2 example sort                                   | tested, with the other keyword sorts                              |
 * | 8621 §4.10 listing: query/get/Thread/get/get               | tested                                                            |
 * | 8621 §4.10 Email/set "keywords/$seen": null                | tested                                                            |
 * | 8621 §4.10 Email/changes + Email/queryChanges (collapseThreads, upToId) | tested                                               |
 * | 8621 §4.10 Email/set create plain draft (bodyStructure)    | tested                                                            |
 * | 8621 §4.10 Email/set create HTML draft + destroy old one   | tested                                                            |
 * | 8621 §4.10 Email/copy with onSuccessDestroyOriginal        | tested                                                            |
 * | 8621 §4.8 Email/import, §4.9 Email/parse (no printed examples) | tested from the method descriptions                           |
 * | 8621 §5.2 SearchSnippet/get                                | tested (whole words: Gannet does not stem, so "foo" ≠ "Foosball") |
 * | 8621 §6.4 Identity/get                                     | tested                                                            |
 * | 8621 §7.5.1 EmailSubmission/set + onSuccessUpdateEmail     | pending: EmailSubmission (issue 6)                                |
 * | 8621 §7.5.1 forbiddenToSend, localised                     | pending: EmailSubmission (issue 6)                                |
 * | 8621 §8 VacationResponse (no printed example)              | tested in vacation.test.ts from the method description           |
 */

let f: JmapFixture;
let acc: string;
let inbox: string;
let drafts: string;

before(async () => {
  f = await jmapFixture();
  acc = f.accountId;
  inbox = await f.mailboxId('inbox');
  drafts = await f.mailboxId('drafts');
});
after(() => f.server.stop());

type Args = Record<string, any>;
type Response = [string, Args, string];
const jmap = (calls: Call[], using?: string[]) => f.jmap(calls, using) as Promise<Response[]>;
const args = (r: Response) => r[1];
const raw = (lines: string[]) => Buffer.from(lines.join('\r\n'));

/** A full Request object; returns the HTTP status and the parsed body. */
async function request(body: unknown): Promise<{ status: number; type: string; body: Args }> {
  const res = await fetch(`${f.server.baseUrl}/jmap`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: f.auth }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: (await res.json()) as Args };
}

let boxes = 0;
/** A mailbox of its own for a test, so counts and results hold only what the test put there. */
async function newMailbox(name: string): Promise<string> {
  const [[, set]] = await jmap([['Mailbox/set', { accountId: acc, create: { m: { name: `${name} ${++boxes}` } } }, 's']]);
  assert.ok(set.created?.m, JSON.stringify(set));
  return (set.created as Args).m.id;
}

let clock = Date.parse('2026-03-01T00:00:00Z');
/** Imports a message with a receivedAt later than every earlier one, so date order is insertion order. */
async function importEmail(message: Buffer, mailboxId: string, keywords: Record<string, true> = {}): Promise<{ id: string; threadId: string; blobId: string }> {
  const { blobId } = await f.blob(message);
  clock += 60_000;
  const [[, res]] = await jmap([['Email/import', { accountId: acc, emails: { e: { blobId, mailboxIds: { [mailboxId]: true }, keywords, receivedAt: new Date(clock).toISOString().replace('.000', '') } } }, 'i']]);
  assert.ok(res.created?.e, JSON.stringify(res));
  return (res.created as Args).e;
}

const state = async (type = 'Email') => args((await jmap([[`${type}/get`, { accountId: acc, ids: [] }, 's']]))[0]).state as string;

function assertQueryResponse(q: Args, opts: { total?: number } = {}) {
  assert.equal(q.accountId, acc);
  assert.equal(typeof q.queryState, 'string');
  assert.equal(typeof q.canCalculateChanges, 'boolean');
  assert.equal(q.position, 0);
  assert.ok(Array.isArray(q.ids));
  if (opts.total === undefined) assert.equal('total' in q, false, 'total only when calculateTotal is true');
  else assert.equal(q.total, opts.total);
}

// ---------------------------------------------------------------- RFC 8620

test('RFC 8620 §2.1 example: the Session object', async () => {
  const res = await fetch(`${f.server.baseUrl}/session`, { headers: { authorization: f.auth } });
  assert.equal(res.status, 200);
  const s = (await res.json()) as Args;
  // The RFC's "maxConcurrentRequest" is a typo for the maxConcurrentRequests of §2's property list.
  for (const k of ['maxSizeUpload', 'maxConcurrentUpload', 'maxSizeRequest', 'maxConcurrentRequests', 'maxCallsInRequest', 'maxObjectsInGet', 'maxObjectsInSet']) {
    assert.equal(typeof s.capabilities[CORE][k], 'number', k);
  }
  assert.ok(s.capabilities[CORE].collationAlgorithms.includes('i;unicode-casemap'));
  assert.deepEqual(s.capabilities[MAIL], {});
  const account = s.accounts[acc];
  assert.equal(typeof account.name, 'string');
  assert.equal(account.isPersonal, true);
  assert.equal(account.isReadOnly, false);
  assert.equal(account.accountCapabilities[MAIL].maxMailboxesPerEmail, null);
  assert.equal(typeof account.accountCapabilities[MAIL].maxMailboxDepth, 'number');
  assert.equal(s.primaryAccounts[MAIL], acc);
  assert.equal(typeof s.username, 'string');
  assert.match(s.apiUrl, /^http:\/\//);
  for (const v of ['{accountId}', '{blobId}', '{name}', '{type}']) assert.ok(s.downloadUrl.includes(v), v);
  assert.ok(s.uploadUrl.includes('{accountId}'));
  for (const v of ['{types}', '{closeafter}', '{ping}']) assert.ok(s.eventSourceUrl.includes(v), v);
  assert.equal(typeof s.state, 'string');
});

test('RFC 8620 §3.3.1/§3.4.1/§3.6.2 examples: a Request of three calls and its Response', async () => {
  const { status, body } = await request({
    using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'],
    methodCalls: [
      ['method1', { arg1: 'arg1data', arg2: 'arg2data' }, 'c1'],
      ['method2', { arg1: 'arg1data' }, 'c2'],
      ['method3', {}, 'c3'],
    ],
  });
  // The methods are made up, so each gets the §3.6.2 "error" response; one per call, in order.
  assert.equal(status, 200);
  assert.deepEqual(body.methodResponses.map((r: Call) => [r[0], r[1].type, r[2]]), [
    ['error', 'unknownMethod', 'c1'],
    ['error', 'unknownMethod', 'c2'],
    ['error', 'unknownMethod', 'c3'],
  ]);
  assert.equal(typeof body.sessionState, 'string');
  assert.equal('createdIds' in body, false, 'createdIds only when the request gave it');
});

test('RFC 8620 §3.6.1.1 example: unknownCapability problem details', async () => {
  const { status, type, body } = await request({ using: [CORE, 'https://example.com/apis/foobar'], methodCalls: [] });
  assert.equal(status, 400);
  assert.match(type, /^application\/problem\+json/);
  assert.equal(body.type, 'urn:ietf:params:jmap:error:unknownCapability');
  assert.equal(body.status, 400);
  assert.match(body.detail, /https:\/\/example\.com\/apis\/foobar/);
});

test('RFC 8620 §3.6.1.1 second example: limit problem details for maxSizeRequest', async () => {
  const big = JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(10_000_001) }, 'c']] });
  const { status, body } = await request(big);
  assert.equal(status, 400);
  assert.equal(body.type, 'urn:ietf:params:jmap:error:limit');
  assert.equal(body.limit, 'maxSizeRequest');
  assert.equal(body.status, 400);
  assert.equal(typeof body.detail, 'string');
});

test('RFC 8620 §3.7 first example (Foo read as Email): Foo/changes then Foo/get of /created', async () => {
  const box = await newMailbox('ref-created');
  const since = await state();
  const f1 = await importEmail(simpleMessage({ subject: 'f1' }), box);
  const f4 = await importEmail(simpleMessage({ subject: 'f4' }), box);
  const [t0, t1] = await jmap([
    ['Email/changes', { accountId: acc, sinceState: since }, 't0'],
    ['Email/get', { accountId: acc, '#ids': { resultOf: 't0', name: 'Email/changes', path: '/created' } }, 't1'],
  ]);
  assert.equal(t0[0], 'Email/changes');
  assert.equal(args(t0).oldState, since);
  assert.equal(typeof args(t0).newState, 'string');
  assert.equal(args(t0).hasMoreChanges, false);
  assert.deepEqual(args(t0).created, [f1.id, f4.id]);
  assert.deepEqual(args(t0).updated, []);
  assert.deepEqual(args(t0).destroyed, []);
  assert.equal(t1[0], 'Email/get');
  assert.deepEqual(args(t1).list.map((e: Args) => e.id), [f1.id, f4.id]);
});

/** Three threads in a fresh mailbox, newest last: one (a) of two emails. */
async function threeThreads(name: string) {
  const box = await newMailbox(name);
  const a1 = await importEmail(simpleMessage({ subject: `${name} a`, messageId: `${name}-a1@t`, from: 'Jane Doe <jdoe@example.com>' }), box);
  const b1 = await importEmail(simpleMessage({ subject: `${name} b`, messageId: `${name}-b1@t` }), box, { $seen: true, $flagged: true });
  const a2 = await importEmail(simpleMessage({ subject: `Re: ${name} a`, messageId: `${name}-a2@t`, inReplyTo: `${name}-a1@t` }), box);
  const c1 = await importEmail(simpleMessage({ subject: `${name} c`, messageId: `${name}-c1@t` }), box);
  assert.equal(a1.threadId, a2.threadId);
  return { box, a1, a2, b1, c1 };
}

test('RFC 8620 §3.7 second example: the first 10 threads of a mailbox through four chained references', async () => {
  const { box, a1, a2, b1, c1 } = await threeThreads('ref-chain');
  const [t0, t1, t2, t3] = await jmap([
    ['Email/query', { accountId: acc, filter: { inMailbox: box }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true, position: 0, limit: 10, calculateTotal: true }, 't0'],
    ['Email/get', { accountId: acc, '#ids': { resultOf: 't0', name: 'Email/query', path: '/ids' }, properties: ['threadId'] }, 't1'],
    ['Thread/get', { accountId: acc, '#ids': { resultOf: 't1', name: 'Email/get', path: '/list/*/threadId' } }, 't2'],
    ['Email/get', { accountId: acc, '#ids': { resultOf: 't2', name: 'Thread/get', path: '/list/*/emailIds' }, properties: ['from', 'receivedAt', 'subject'] }, 't3'],
  ]);
  assert.deepEqual([t0, t1, t2, t3].map((r) => [r[0], r[2]]), [['Email/query', 't0'], ['Email/get', 't1'], ['Thread/get', 't2'], ['Email/get', 't3']]);
  assertQueryResponse(args(t0), { total: 3 });
  assert.deepEqual(args(t0).ids, [c1.id, a2.id, b1.id]);
  // The client's limit was honoured, so the response has none (RFC 8620 §5.5).
  assert.equal('limit' in args(t0), false);
  assert.deepEqual(args(t1).list, [{ id: c1.id, threadId: c1.threadId }, { id: a2.id, threadId: a2.threadId }, { id: b1.id, threadId: b1.threadId }]);
  assert.deepEqual(args(t1).notFound, []);
  assert.deepEqual(args(t2).list, [{ id: c1.threadId, emailIds: [c1.id] }, { id: a1.threadId, emailIds: [a1.id, a2.id] }, { id: b1.threadId, emailIds: [b1.id] }]);
  assert.equal(typeof args(t2).state, 'string');
  const list = args(t3).list as Args[];
  assert.deepEqual(list.map((e) => e.id), [c1.id, a1.id, a2.id, b1.id]);
  for (const e of list) assert.deepEqual(Object.keys(e).sort(), ['from', 'id', 'receivedAt', 'subject']);
  assert.deepEqual(list[1].from, [{ name: 'Jane Doe', email: 'jdoe@example.com' }]);
});

test('RFC 8620 §4.1 example: Core/echo', async () => {
  assert.deepEqual(await jmap([['Core/echo', { hello: true, high: 5 }, 'b3ff']]), [['Core/echo', { hello: true, high: 5 }, 'b3ff']]);
});

test('RFC 8620 §5.2 example: intermediate states with hasMoreChanges', async () => {
  const box = await newMailbox('intermediate');
  const since = await state();
  const made = [];
  for (const s of ['B', 'C', 'D']) made.push((await importEmail(simpleMessage({ subject: s }), box)).id);
  const seen: string[] = [];
  let from = since;
  let rounds = 0;
  for (let more = true; more; rounds++) {
    const [[, c]] = await jmap([['Email/changes', { accountId: acc, sinceState: from, maxChanges: 1 }, 'c']]);
    assert.equal(c.oldState, from);
    assert.ok(c.created.length + c.updated.length + c.destroyed.length <= 1, 'never more than maxChanges ids');
    seen.push(...c.created);
    more = c.hasMoreChanges;
    from = c.newState;
  }
  assert.ok(rounds >= 3);
  assert.deepEqual(seen.sort(), made.sort());
  assert.equal(from, await state(), 'the last newState is the current state');
});

/** Emails tagged like the §5.7 Todos: keywords music/video/other. */
async function todos() {
  const box = await newMailbox('todos');
  const piano = await importEmail(simpleMessage({ subject: 'Practise Piano' }), box, { music: true, beethoven: true, mozart: true, liszt: true, rachmaninov: true });
  const daft = await importEmail(simpleMessage({ subject: 'Watch Daft Punk music video' }), box, { music: true, video: true, trance: true });
  const film = await importEmail(simpleMessage({ subject: 'Film night' }), box, { video: true });
  await importEmail(simpleMessage({ subject: 'Groceries' }), box, { errand: true });
  return { box, piano, daft, film };
}

const musicOrVideo = (box: string) => ({ operator: 'AND', conditions: [{ inMailbox: box }, { operator: 'OR', conditions: [{ hasKeyword: 'music' }, { hasKeyword: 'video' }] }] });

test('RFC 8620 §5.7 examples (Todo read as Email): query with an OR filter, get by reference, whole-object and minimal patches', async () => {
  const { box, piano, daft, film } = await todos();
  // "title" is the Email's subject; the mailbox condition keeps other tests' emails out.
  const [q, g] = await jmap([
    ['Email/query', { accountId: acc, filter: musicOrVideo(box), sort: [{ property: 'subject' }], position: 0, limit: 10 }, '0'],
    ['Email/get', { accountId: acc, '#ids': { resultOf: '0', name: 'Email/query', path: '/ids' } }, '1'],
  ]);
  assertQueryResponse(args(q));
  assert.deepEqual(args(q).ids, [film.id, piano.id, daft.id]);
  const list = args(g).list as Args[];
  assert.deepEqual(list.map((e) => e.id), [film.id, piano.id, daft.id]);
  assert.deepEqual(list[1].keywords, { music: true, beethoven: true, mozart: true, liszt: true, rachmaninov: true });
  const ifInState = args(g).state as string;

  // The whole object as a PatchObject: the server-set id is included with its current value.
  const [[, whole]] = await jmap([['Email/set', { accountId: acc, ifInState, update: { [piano.id]: { id: piano.id, subject: 'Practise Piano', keywords: { music: true, beethoven: true, chopin: true, liszt: true, rachmaninov: true } } } }, '0']]);
  assert.equal(whole.oldState, ifInState, JSON.stringify(whole));
  assert.notEqual(whole.newState, ifInState);
  assert.deepEqual(Object.keys(whole.updated), [piano.id]);
  // Or a minimal patch, with null removing a keyword.
  const [[, minimal]] = await jmap([['Email/set', { accountId: acc, ifInState: whole.newState, update: { [piano.id]: { 'keywords/mozart': true, 'keywords/chopin': null } } }, '0']]);
  assert.deepEqual(minimal.updated, { [piano.id]: null });
  const [[, after]] = await jmap([['Email/get', { accountId: acc, ids: [piano.id], properties: ['keywords'] }, 'g']]);
  assert.deepEqual(after.list[0].keywords, { beethoven: true, liszt: true, music: true, mozart: true, rachmaninov: true });
  // A server-set property with a different value is still refused.
  const [[, changedId]] = await jmap([['Email/set', { accountId: acc, update: { [piano.id]: { threadId: daft.threadId } } }, '0']]);
  assert.equal(changedId.notUpdated[piano.id].type, 'invalidProperties');
});

test('RFC 8620 §5.7 example (Todo read as Mailbox): a create and an update referring to it by creation id', async () => {
  const a = await newMailbox('Practise Piano');
  // subTodoIds is a foreign key to another Todo; a Mailbox's is parentId.
  const [[, set]] = await jmap([['Mailbox/set', { accountId: acc, create: { k15: { name: 'Warm up with scales' } }, update: { [a]: { parentId: '#k15' } } }, '0']]);
  assert.equal(typeof set.created.k15.id, 'string');
  assert.deepEqual(set.updated, { [a]: null });
  const [[, got]] = await jmap([['Mailbox/get', { accountId: acc, ids: [a], properties: ['parentId'] }, 'g']]);
  assert.equal(got.list[0].parentId, set.created.k15.id);
});

test('RFC 8620 §5.7 example (Todo read as Email): /changes and /queryChanges after a destroy; §5.6 splicing', async () => {
  const { box, piano, daft, film } = await todos();
  const query = { accountId: acc, filter: musicOrVideo(box), sort: [{ property: 'subject' }] };
  const [[, before]] = await jmap([['Email/query', query, 'q']]);
  const since = await state();
  await jmap([['Email/set', { accountId: acc, destroy: [daft.id] }, 'd']]);
  const [c, qc] = await jmap([
    ['Email/changes', { accountId: acc, sinceState: since, maxChanges: 50 }, '0'],
    ['Email/queryChanges', { ...query, sinceQueryState: before.queryState, maxChanges: 50 }, '1'],
  ]);
  assert.deepEqual([c[0], c[2], qc[0], qc[2]], ['Email/changes', '0', 'Email/queryChanges', '1']);
  assert.equal(args(c).oldState, since);
  assert.equal(args(c).hasMoreChanges, false);
  assert.deepEqual([args(c).created, args(c).updated, args(c).destroyed], [[], [], [daft.id]]);
  assert.equal(args(qc).oldQueryState, before.queryState);
  assert.equal(typeof args(qc).newQueryState, 'string');
  assert.deepEqual(args(qc).removed, [daft.id]);
  // The RFC prints "added": null, but its type is AddedItem[]: nothing was added.
  assert.deepEqual(args(qc).added, []);
  // §5.6: splice out the removed ids, splice in the added ones, and the cache is the new result.
  const cache = (before.ids as string[]).filter((id) => !args(qc).removed.includes(id));
  for (const { id, index } of args(qc).added as { id: string; index: number }[]) cache.splice(index, 0, id);
  assert.deepEqual(cache, [film.id, piano.id]);
});

test('RFC 8620 §6.1/§6.2 flow: upload a file, then download it through the downloadUrl template', async () => {
  const session = (await (await fetch(`${f.server.baseUrl}/session`, { headers: { authorization: f.auth } })).json()) as Args;
  const content = Buffer.from('%PDF-1.4 a file for the RFC 8620 §6 flow');
  const up = await fetch(session.uploadUrl.replace('{accountId}', acc), { method: 'POST', headers: { authorization: f.auth, 'content-type': 'application/pdf' }, body: new Uint8Array(content) });
  assert.equal(up.status, 201);
  const blob = (await up.json()) as Args;
  assert.deepEqual(Object.keys(blob).sort(), ['accountId', 'blobId', 'size', 'type']);
  assert.equal(blob.accountId, acc);
  assert.equal(blob.type, 'application/pdf');
  assert.equal(blob.size, content.length);
  const url = session.downloadUrl.replace('{accountId}', acc).replace('{blobId}', blob.blobId).replace('{name}', 'report.pdf').replace('{type}', encodeURIComponent('application/pdf'));
  const down = await fetch(url, { headers: { authorization: f.auth } });
  assert.equal(down.status, 200);
  assert.equal(down.headers.get('content-type'), 'application/pdf');
  assert.match(down.headers.get('content-disposition') ?? '', /report\.pdf/);
  assert.match(down.headers.get('cache-control') ?? '', /immutable/);
  assert.ok(Buffer.from(await down.arrayBuffer()).equals(content));
});

/** Opens the event source with closeafter=state and returns a reader of the events it sent. */
async function eventSource(types: string): Promise<() => Promise<{ event: string; id?: string; data: Args }[]>> {
  const res = await fetch(`${f.server.baseUrl}/eventsource?types=${types}&closeafter=state&ping=0`, { headers: { authorization: f.auth }, signal: AbortSignal.timeout(5000) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
  return async () =>
    (await res.text())
      .split('\n\n')
      .filter((block) => block.includes('event:'))
      .map((block) => {
        const field = (name: string) => /^(\w+): ?(.*)$/m.exec(block.split('\n').find((l) => l.startsWith(`${name}:`)) ?? '')?.[2];
        return { event: field('event')!, id: field('id'), data: JSON.parse(field('data') ?? 'null') };
      });
}

test('RFC 8620 §7.1.1 example over the §7.3 event source: a StateChange for the account', async () => {
  const read = await eventSource('*');
  await f.upload(simpleMessage({ subject: 'state change' }));
  const events = await read();
  assert.equal(events.length, 1);
  const [ev] = events;
  assert.equal(ev.event, 'state');
  assert.equal(ev.data['@type'], 'StateChange');
  assert.deepEqual(Object.keys(ev.data.changed), [acc]);
  const states = ev.data.changed[acc] as Record<string, string>;
  for (const t of ['Email', 'Mailbox', 'Thread', 'EmailDelivery']) assert.equal(typeof states[t], 'string', t);
  assert.equal(states.Email, await state(), 'the state Email/get now returns');
});

test('RFC 8620 §7.2.3 example: PushSubscription get, create, verify, extend', async () => {
  const received: Args[] = [];
  const endpoint: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ url: req.url, body: JSON.parse(body) });
      res.writeHead(201).end();
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  try {
    // The RFC's https://example.com endpoint becomes a loopback one; the query string is kept.
    const url = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/push/?device=X8980fc&client=12c6d086`;
    const core = (calls: Call[]) => jmap(calls, [CORE]);
    const [[, other]] = await core([['PushSubscription/set', { create: { o: { deviceClientId: 'X8980fc', url, types: ['Mailbox', 'Email', 'EmailDelivery'] } } }, '0']]);
    assert.ok(other.created?.o, JSON.stringify(other));

    const [[name, got]] = await core([['PushSubscription/get', { ids: null }, '0']]);
    assert.equal(name, 'PushSubscription/get');
    assert.deepEqual(Object.keys(got).sort(), ['list', 'notFound']);
    assert.deepEqual(got.notFound, []);
    const existing = got.list.find((s: Args) => s.id === other.created.o.id);
    assert.deepEqual(Object.keys(existing).sort(), ['deviceClientId', 'expires', 'id', 'types', 'verificationCode']);
    assert.deepEqual(existing.types, ['Mailbox', 'Email', 'EmailDelivery']);

    const [[, set]] = await core([['PushSubscription/set', { create: { '4f29': { deviceClientId: 'a889-ffea-910', url, types: null } } }, '0']]);
    const created = set.created['4f29'];
    assert.equal(typeof created.id, 'string');
    assert.equal(created.keys, null);
    const expires = Date.parse(created.expires);
    assert.ok(expires > Date.now() && expires <= Date.now() + 7 * 86400_000 + 60_000, 'expiry limited to at most 7 days');
    assert.equal('accountId' in set || 'oldState' in set || 'newState' in set, false);

    const deadline = Date.now() + 5000;
    while (!received.some((r) => r.body.pushSubscriptionId === created.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const verification = received.find((r) => r.body.pushSubscriptionId === created.id)!;
    assert.equal(verification.url, '/push/?device=X8980fc&client=12c6d086');
    assert.deepEqual(Object.keys(verification.body).sort(), ['@type', 'pushSubscriptionId', 'verificationCode']);
    assert.equal(verification.body['@type'], 'PushVerification');

    const [[, verified]] = await core([['PushSubscription/set', { update: { [created.id]: { verificationCode: verification.body.verificationCode } } }, '0']]);
    assert.deepEqual(Object.keys(verified.updated), [created.id]);
    const [[, extended]] = await core([['PushSubscription/set', { update: { [created.id]: { expires: new Date(Date.now() + 40 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z') } } }, '0']]);
    assert.ok(Date.parse(extended.updated[created.id].expires) <= Date.now() + 7 * 86400_000 + 60_000, 'extended only to the 7-day maximum');
    await core([['PushSubscription/set', { destroy: [created.id, other.created.o.id] }, '0']]);
  } finally {
    await new Promise((resolve) => endpoint.close(resolve));
  }
});

// ---------------------------------------------------------------- RFC 8621

test('RFC 8621 §1.5.1 example: EmailDelivery is pushed for a new email, not for marking one read', async () => {
  const first = await f.upload(simpleMessage({ subject: 'to be read' }));
  const read = await eventSource('EmailDelivery');
  await jmap([['Email/set', { accountId: acc, update: { [first]: { 'keywords/$seen': true } } }, 's']]);
  const afterRead = await state();
  await f.upload(simpleMessage({ subject: 'a new arrival' }));
  const events = await read();
  assert.equal(events.length, 1);
  assert.deepEqual(Object.keys(events[0].data.changed[acc]), ['EmailDelivery']);
  assert.ok(Number(events[0].id) > Number(afterRead), 'the push is for the delivery, not the earlier change');
});

const MAILBOX_PROPERTIES = ['id', 'name', 'parentId', 'role', 'sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads', 'myRights', 'isSubscribed'];
const RIGHTS = ['mayReadItems', 'mayAddItems', 'mayRemoveItems', 'maySetSeen', 'maySetKeywords', 'mayCreateChild', 'mayRename', 'mayDelete', 'maySubmit'];

test('RFC 8621 §2.6 first example: Mailbox/get with ids null', async () => {
  const [[name, res, id]] = await jmap([['Mailbox/get', { accountId: acc, ids: null }, '0']]);
  assert.deepEqual([name, id], ['Mailbox/get', '0']);
  assert.equal(res.accountId, acc);
  assert.equal(typeof res.state, 'string');
  assert.deepEqual(res.notFound, []);
  const box = (res.list as Args[]).find((m) => m.role === 'inbox')!;
  assert.deepEqual(Object.keys(box).sort(), [...MAILBOX_PROPERTIES].sort());
  assert.equal(box.name, 'Inbox');
  assert.equal(box.parentId, null);
  for (const k of ['sortOrder', 'totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads']) assert.equal(typeof box[k], 'number', k);
  assert.deepEqual(Object.keys(box.myRights).sort(), [...RIGHTS].sort());
  assert.equal(box.myRights.mayRename, false);
  assert.equal(box.myRights.mayDelete, false);
  assert.equal(box.isSubscribed, true);
});

test('RFC 8621 §2.6 second example: Mailbox/changes with back-references to /created, /updated and /updatedProperties', async () => {
  const box = await newMailbox('counted');
  const e = await importEmail(simpleMessage({ subject: 'unread' }), box);
  const [[, before]] = await jmap([['Mailbox/get', { accountId: acc, ids: [box] }, 'b']]);
  await jmap([['Email/set', { accountId: acc, update: { [e.id]: { 'keywords/$seen': true } } }, 's']]);
  const [c, g1, g2] = await jmap([
    ['Mailbox/changes', { accountId: acc, sinceState: before.state }, '0'],
    ['Mailbox/get', { accountId: acc, '#ids': { resultOf: '0', name: 'Mailbox/changes', path: '/created' } }, '1'],
    ['Mailbox/get', { accountId: acc, '#ids': { resultOf: '0', name: 'Mailbox/changes', path: '/updated' }, '#properties': { resultOf: '0', name: 'Mailbox/changes', path: '/updatedProperties' } }, '2'],
  ]);
  assert.equal(args(c).oldState, before.state);
  assert.equal(args(c).hasMoreChanges, false);
  assert.deepEqual(args(c).created, []);
  assert.deepEqual(args(c).updated, [box]);
  assert.deepEqual(args(c).destroyed, []);
  const counts = ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'];
  const updatedProperties = args(c).updatedProperties as string[] | null;
  assert.ok(updatedProperties === null || updatedProperties.every((p) => counts.includes(p)), JSON.stringify(updatedProperties));
  assert.deepEqual([args(g1).list, args(g1).notFound], [[], []]);
  assert.equal(args(g2).state, args(c).newState);
  const [after] = args(g2).list as Args[];
  assert.equal(after.id, box);
  assert.equal(after.unreadEmails, before.list[0].unreadEmails - 1);
  assert.equal(after.unreadThreads, before.list[0].unreadThreads - 1);
  assert.equal(after.totalEmails, before.list[0].totalEmails);
  if (updatedProperties) assert.deepEqual(Object.keys(after).sort(), ['id', ...updatedProperties].sort());
});

test('RFC 8621 §2.6 third example: Mailbox/set renaming one mailbox and failing to destroy another', async () => {
  const important = await newMailbox('Important mail');
  const ifInState = await state('Mailbox');
  // The RFC's user may not destroy the mailbox; here the one nobody may destroy is the inbox.
  const [[, set]] = await jmap([['Mailbox/set', { accountId: acc, ifInState, update: { [important]: { name: 'Maybe important mail' } }, destroy: [inbox] }, '0']]);
  assert.equal(set.oldState, ifInState);
  assert.notEqual(set.newState, ifInState);
  assert.deepEqual(set.updated, { [important]: null });
  assert.equal(set.notDestroyed[inbox].type, 'forbidden', JSON.stringify(set.notDestroyed));
});

test('RFC 8621 §3.1.1 example: Thread/get of two threads', async () => {
  const box = await newMailbox('threads');
  const x1 = await importEmail(simpleMessage({ subject: 'Thread one', messageId: 'thr-x1@t' }), box);
  const x2 = await importEmail(simpleMessage({ subject: 'Re: Thread one', messageId: 'thr-x2@t', inReplyTo: 'thr-x1@t' }), box);
  const y1 = await importEmail(simpleMessage({ subject: 'Thread two', messageId: 'thr-y1@t' }), box);
  const [[name, res, id]] = await jmap([['Thread/get', { accountId: acc, ids: [x1.threadId, y1.threadId] }, '#1']]);
  assert.deepEqual([name, id], ['Thread/get', '#1']);
  assert.equal(typeof res.state, 'string');
  assert.deepEqual(res.list, [{ id: x1.threadId, emailIds: [x1.id, x2.id] }, { id: y1.threadId, emailIds: [y1.id] }]);
  assert.deepEqual(res.notFound, []);
});

// The address-list of §4.1.2.3 and §4.1.2.4, folded as printed.
const ADDRESS_LIST = '"  James Smythe" <james@example.com>, Friends:\r\n  jane@example.com, =?UTF-8?Q?John_Sm=C3=AEth?=\r\n  <john@example.com>;';

async function getOne(message: Buffer, properties: string[], extra: Args = {}): Promise<Args> {
  const { id } = await importEmail(message, drafts);
  const [[, res]] = await jmap([['Email/get', { accountId: acc, ids: [id], properties, ...extra }, 'g']]);
  assert.equal(res.list.length, 1, JSON.stringify(res));
  return res.list[0];
}

test('RFC 8621 §4.1.2.3 and §4.1.2.4 examples: an address-list as Addresses and as GroupedAddresses', async () => {
  const e = await getOne(raw(['From: a@example.test', `To: ${ADDRESS_LIST}`, 'Subject: groups', '', 'body']), ['to', 'header:To:asAddresses', 'header:To:asGroupedAddresses']);
  // The RFC prints "John Smith", but =C3=AE decodes to "î".
  const james = { name: 'James Smythe', email: 'james@example.com' };
  const jane = { name: null, email: 'jane@example.com' };
  const john = { name: 'John Smîth', email: 'john@example.com' };
  assert.deepEqual(e['header:To:asAddresses'], [james, jane, john]);
  assert.deepEqual(e.to, [james, jane, john]);
  assert.deepEqual(e['header:To:asGroupedAddresses'], [
    { name: null, addresses: [james] },
    { name: 'Friends', addresses: [jane, john] },
  ]);
});

test('RFC 8621 §4.1.3 examples: header:subject and header:Resent-To:asAddresses:all', async () => {
  const e = await getOne(
    raw(['From: a@example.test', 'Resent-To: one@example.com', 'Subject: first', 'Resent-To: Two <two@example.com>, three@example.com', 'subject:  last one', '', 'body']),
    ['header:subject', 'header:Resent-To:asAddresses:all', 'header:X-Missing', 'header:X-Missing:all'],
  );
  assert.equal(e['header:subject'], '  last one');
  assert.deepEqual(e['header:Resent-To:asAddresses:all'], [
    [{ name: null, email: 'one@example.com' }],
    [{ name: 'Two', email: 'two@example.com' }, { name: null, email: 'three@example.com' }],
  ]);
  assert.equal(e['header:X-Missing'], null);
  assert.deepEqual(e['header:X-Missing:all'], []);
});

test('RFC 8621 §4.1.4 example: a list-manager message decomposed into textBody, htmlBody and attachments', async () => {
  const part = (type: string, letter: string, disposition?: string) => [`Content-Type: ${type}`, ...(disposition ? [`Content-Disposition: ${disposition}`] : []), '', letter];
  const multipart = (type: string, boundary: string, parts: string[][]) => [`Content-Type: multipart/${type}; boundary="${boundary}"`, '', ...parts.flatMap((p) => [`--${boundary}`, ...p]), `--${boundary}--`];
  const body = multipart('mixed', 'b0', [
    part('text/plain', 'A', 'inline'),
    multipart('mixed', 'b1', [
      multipart('alternative', 'b2', [
        multipart('mixed', 'b3', [part('text/plain', 'B', 'inline'), part('image/jpeg', 'C', 'inline'), part('text/plain', 'D', 'inline')]),
        multipart('related', 'b4', [part('text/html', 'E'), part('image/jpeg', 'F')]),
      ]),
      part('image/jpeg', 'G', 'attachment'),
      part('application/x-excel', 'H'),
      part('message/rfc822', 'J'),
    ]),
    part('text/plain', 'K', 'inline'),
  ]);
  const e = await getOne(raw(['From: list@example.test', 'Subject: decomposed', 'MIME-Version: 1.0', ...body, '']), ['textBody', 'htmlBody', 'attachments', 'bodyValues'], { fetchAllBodyValues: true, bodyProperties: ['partId', 'type'] });
  // Each leaf's content is its letter; bodyValues only holds text parts, so the rest are named by type.
  const letters: Record<string, string> = { 'image/jpeg': '?', 'application/x-excel': 'H', 'message/rfc822': 'J' };
  const byPart = (parts: Args[]) => parts.map((p) => e.bodyValues[p.partId]?.value.trim() ?? letters[p.type] ?? p.type);
  assert.deepEqual(byPart(e.textBody), ['A', 'B', '?', 'D', 'K']);
  assert.deepEqual(byPart(e.htmlBody), ['A', 'E', 'K']);
  assert.deepEqual(byPart(e.attachments), ['?', '?', '?', 'H', 'J']);
  // C (in the text body and attachments), F and G are the three images, in depth-first order.
  const images = (e.attachments as Args[]).filter((p) => p.type === 'image/jpeg').map((p) => p.partId);
  assert.equal(images[0], (e.textBody as Args[])[2].partId, 'C is both inline in the text body and an attachment');
  assert.equal(new Set(images).size, 3);
});

test('RFC 8621 §4.2.1 example: Email/get with header:List-POST:asURLs, htmlBody, bodyProperties and maxBodyValueBytes', async () => {
  const html = `<html><body><p>Hello ${'and welcome to the party. '.repeat(20)}</p></body></html>`;
  const { id, threadId } = await importEmail(
    raw([
      'From: Joe Bloggs <joe@example.com>',
      'To: partytime@lists.example.com',
      'Subject: Dinner on Thursday?',
      'List-Post: <mailto:partytime@lists.example.com>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="x"',
      '',
      '--x',
      'Content-Type: text/html; charset=utf-8',
      '',
      html,
      '--x',
      'Content-Type: text/plain; charset=utf-8',
      '',
      '-- Sent by your friendly mailing list software',
      '--x--',
      '',
    ]),
    inbox,
  );
  // The RFC's request has no accountId, which RFC 8620 §5.1 requires; it is added.
  const [[name, res, callId]] = await jmap([
    ['Email/get', {
      accountId: acc,
      ids: ['f123u456', id],
      properties: ['threadId', 'mailboxIds', 'from', 'subject', 'receivedAt', 'header:List-POST:asURLs', 'htmlBody', 'bodyValues'],
      bodyProperties: ['partId', 'blobId', 'size', 'type'],
      fetchHTMLBodyValues: true,
      maxBodyValueBytes: 256,
    }, '#1'],
  ]);
  assert.deepEqual([name, callId], ['Email/get', '#1']);
  assert.equal(res.accountId, acc);
  assert.equal(typeof res.state, 'string');
  assert.deepEqual(res.notFound, ['f123u456']);
  const [e] = res.list as Args[];
  assert.deepEqual(Object.keys(e).sort(), ['bodyValues', 'from', 'header:List-POST:asURLs', 'htmlBody', 'id', 'mailboxIds', 'receivedAt', 'subject', 'threadId']);
  assert.equal(e.id, id);
  assert.equal(e.threadId, threadId);
  assert.deepEqual(e.mailboxIds, { [inbox]: true });
  assert.deepEqual(e.from, [{ name: 'Joe Bloggs', email: 'joe@example.com' }]);
  assert.equal(e.subject, 'Dinner on Thursday?');
  assert.match(e.receivedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  assert.deepEqual(e['header:List-POST:asURLs'], ['mailto:partytime@lists.example.com']);
  assert.deepEqual(e.htmlBody.map((p: Args) => p.type), ['text/html', 'text/plain']);
  for (const p of e.htmlBody) assert.deepEqual(Object.keys(p).sort(), ['blobId', 'partId', 'size', 'type']);
  const [h, t] = e.htmlBody.map((p: Args) => e.bodyValues[p.partId]);
  assert.deepEqual(Object.keys(e.bodyValues).sort(), e.htmlBody.map((p: Args) => p.partId).sort());
  assert.equal(h.isTruncated, true);
  assert.equal(h.isEncodingProblem, false);
  assert.ok(Buffer.byteLength(h.value) <= 256);
  assert.ok(h.value.startsWith('<html><body><p>Hello '));
  assert.deepEqual(t, { value: '-- Sent by your friendly mailing list software', isEncodingProblem: false, isTruncated: false });
});

test('RFC 8621 §4.4.2 example sort: flagged threads first, then base subject, then newest; the other keyword sorts', async () => {
  const box = await newMailbox('sorted');
  const plain = await importEmail(simpleMessage({ subject: 'Alpha' }), box);
  const older = await importEmail(simpleMessage({ subject: 'Beta' }), box);
  const newer = await importEmail(simpleMessage({ subject: 're: beta' }), box, { $flagged: true });
  assert.equal(newer.threadId, older.threadId, 'the reply joins its thread by subject');
  const query = async (sort: unknown[]) => args((await jmap([['Email/query', { accountId: acc, filter: { inMailbox: box }, sort }, 'q']]))[0]);
  // The RFC's example, as printed: a thread with a flagged email sorts first.
  const example = await query([
    { property: 'someInThreadHaveKeyword', keyword: '$flagged', isAscending: false },
    { property: 'subject', collation: 'i;ascii-casemap' },
    { property: 'receivedAt', isAscending: false },
  ]);
  assert.deepEqual(example.ids, [newer.id, older.id, plain.id]);
  assert.deepEqual((await query([{ property: 'hasKeyword', keyword: '$flagged' }, { property: 'receivedAt', isAscending: false }])).ids, [older.id, plain.id, newer.id]);
  assert.deepEqual((await query([{ property: 'allInThreadHaveKeyword', keyword: '$flagged', isAscending: false }, { property: 'receivedAt' }])).ids, [plain.id, older.id, newer.id]);
  const session = (await (await fetch(`${f.server.baseUrl}/session`, { headers: { authorization: f.auth } })).json()) as Args;
  assert.ok(session.accounts[acc].accountCapabilities[MAIL].emailQuerySortOptions.includes('someInThreadHaveKeyword'));
  assert.equal((await query([{ property: 'hasKeyword' }])).type, 'invalidArguments', 'a keyword sort needs its keyword');
  // Base subject (RFC 5256, so "re: beta" is "beta"), then newest first.
  const sorted = await query([{ property: 'subject', collation: 'i;ascii-casemap' }, { property: 'receivedAt', isAscending: false }]);
  assert.deepEqual(sorted.ids, [plain.id, newer.id, older.id]);
  const [[, unknown]] = await jmap([['Email/query', { accountId: acc, sort: [{ property: 'subject', collation: 'i;klingon' }] }, 'q']]);
  assert.equal(unknown.type, 'unsupportedSort', 'a collation the server does not know');
});

/** The §4.10 listing: query, threadIds, threads, then what a mailbox listing shows. */
const listing = (box: string): Call[] => [
  ['Email/query', { accountId: acc, filter: { inMailbox: box }, sort: [{ isAscending: false, property: 'receivedAt' }], collapseThreads: true, position: 0, limit: 30, calculateTotal: true }, '0'],
  ['Email/get', { accountId: acc, '#ids': { resultOf: '0', name: 'Email/query', path: '/ids' }, properties: ['threadId'] }, '1'],
  ['Thread/get', { accountId: acc, '#ids': { resultOf: '1', name: 'Email/get', path: '/list/*/threadId' } }, '2'],
  ['Email/get', { accountId: acc, '#ids': { resultOf: '2', name: 'Thread/get', path: '/list/*/emailIds' }, properties: ['threadId', 'mailboxIds', 'keywords', 'hasAttachment', 'from', 'subject', 'receivedAt', 'size', 'preview'] }, '3'],
];

test('RFC 8621 §4.10 examples: first login listing, marking unread, then Email/changes and Email/queryChanges with collapseThreads', async () => {
  const { box, a1, a2, b1, c1 } = await threeThreads('login');
  const [q, g, t, full] = await jmap(listing(box));
  assertQueryResponse(args(q), { total: 3 });
  assert.deepEqual(args(q).ids, [c1.id, a2.id, b1.id]);
  assert.deepEqual(args(g).list.map((e: Args) => e.threadId), [c1.threadId, a2.threadId, b1.threadId]);
  assert.deepEqual(args(t).list.map((x: Args) => x.emailIds), [[c1.id], [a1.id, a2.id], [b1.id]]);
  const emails = args(full).list as Args[];
  assert.deepEqual(emails.map((e) => e.id), [c1.id, a1.id, a2.id, b1.id]);
  for (const e of emails) assert.deepEqual(Object.keys(e).sort(), ['from', 'hasAttachment', 'id', 'keywords', 'mailboxIds', 'preview', 'receivedAt', 'size', 'subject', 'threadId']);
  const flagged = emails.find((e) => e.id === b1.id)!;
  assert.deepEqual(flagged.keywords, { $seen: true, $flagged: true });
  assert.deepEqual(flagged.mailboxIds, { [box]: true });
  assert.equal(typeof flagged.size, 'number');
  assert.equal(typeof flagged.preview, 'string');
  assert.equal(flagged.hasAttachment, false);

  // On another device the user marks the flagged email unread.
  const [[, unread]] = await jmap([['Email/set', { accountId: acc, update: { [b1.id]: { 'keywords/$seen': null } } }, '0']]);
  assert.deepEqual(unread.updated, { [b1.id]: null });
  assert.equal(typeof unread.oldState, 'string');
  assert.equal(typeof unread.newState, 'string');
  // ... deletes an email, and a new message arrives.
  await jmap([['Email/set', { accountId: acc, destroy: [c1.id] }, 'd']]);
  const arrived = await importEmail(simpleMessage({ subject: 'login d', messageId: 'login-d1@t' }), box);

  const [c, qc] = await jmap([
    ['Email/changes', { accountId: acc, sinceState: args(g).state, maxChanges: 50 }, '3'],
    ['Email/queryChanges', { accountId: acc, filter: { inMailbox: box }, sort: [{ property: 'receivedAt', isAscending: false }], collapseThreads: true, sinceQueryState: args(q).queryState, upToId: b1.id, maxChanges: 25, calculateTotal: true }, '11'],
  ]);
  assert.deepEqual([c[0], c[2], qc[0], qc[2]], ['Email/changes', '3', 'Email/queryChanges', '11']);
  assert.deepEqual([args(c).created, args(c).updated, args(c).destroyed], [[arrived.id], [b1.id], [c1.id]]);
  assert.equal(args(c).hasMoreChanges, false);
  assert.equal(args(qc).oldQueryState, args(q).queryState, JSON.stringify(args(qc)));
  assert.equal(typeof args(qc).newQueryState, 'string');
  assert.equal(args(qc).total, 3);
  assert.ok(args(qc).removed.includes(c1.id));
  assert.ok(args(qc).added.some((x: Args) => x.id === arrived.id && x.index === 0));
  const cache = (args(q).ids as string[]).filter((id) => !args(qc).removed.includes(id));
  for (const { id, index } of args(qc).added as { id: string; index: number }[]) cache.splice(index, 0, id);
  const [[, now]] = await jmap([listing(box)[0]]);
  assert.deepEqual(cache, now.ids);
});

/** The raw message behind a blobId, through the download URL. */
async function download(blobId: string): Promise<string> {
  const res = await fetch(`${f.server.baseUrl}/raw/${acc}/${blobId}/m.eml?type=message/rfc822`, { headers: { authorization: f.auth } });
  assert.equal(res.status, 200);
  return res.text();
}

const DRAFT_TEXT = 'I have the most brilliant plan.  Let me tell you all about it.  What we do is, we';

test('RFC 8621 §4.10 examples: saving a plain-text draft, then replacing it with an HTML one', async () => {
  const draftKeywords = { $seen: true, $draft: true };
  // What both saves of the draft say alike, in the RFC's order.
  const draft = (rest: Args) => ({ mailboxIds: { [drafts]: true }, keywords: draftKeywords, from: [{ name: 'Joe Bloggs', email: 'joe@example.com' }], ...rest });
  const [[, first]] = await jmap([['Email/set', {
    accountId: acc,
    create: {
      k192: draft({
        subject: 'World domination',
        receivedAt: '2018-07-10T01:03:11Z',
        sentAt: '2018-07-10T11:03:11+10:00',
        bodyStructure: { type: 'text/plain', partId: 'bd48', 'header:Content-Language': 'en' },
        bodyValues: { bd48: { value: DRAFT_TEXT, isTruncated: false } },
      }),
    },
  }, '0']]);
  const k192 = first.created?.k192;
  assert.ok(k192, JSON.stringify(first));
  assert.deepEqual(Object.keys(k192).sort(), ['blobId', 'id', 'size', 'threadId']);
  assert.equal(typeof first.oldState, 'string');
  assert.notEqual(first.newState, first.oldState);
  const message = await download(k192.blobId);
  assert.equal(Buffer.byteLength(message), k192.size);
  assert.match(message, /^Message-ID: <[^>]+@[^>]+>$/im);
  assert.match(message, /^Date: Tue, 10 Jul 2018 \d\d:03:11 [+-]\d{4}$/m);
  assert.match(message, /^From: "?Joe Bloggs"? <joe@example\.com>$/m);
  assert.match(message, /^Subject: World domination$/m);
  assert.match(message, /^Content-Language: en$/m);
  assert.match(message, /^Content-Type: text\/plain/m);
  assert.ok(message.replace(/=\r\n/g, '').replace(/\r\n/g, ' ').includes(DRAFT_TEXT), message);
  const [[, stored]] = await jmap([['Email/get', { accountId: acc, ids: [k192.id], properties: ['receivedAt', 'sentAt', 'keywords', 'bodyStructure'] }, 'g']]);
  assert.equal(stored.list[0].receivedAt, '2018-07-10T01:03:11Z');
  assert.equal(Date.parse(stored.list[0].sentAt), Date.parse('2018-07-10T11:03:11+10:00'));
  assert.deepEqual(stored.list[0].keywords, draftKeywords);
  assert.deepEqual(stored.list[0].bodyStructure.language, ['en']);

  const html = '<!DOCTYPE html><html><head><title></title><style type="text/css">div{font-size:16px}</style></head><body><div>I have the most <b>brilliant</b> plan.  Let me tell you all about it.  What we do is, we</div></body></html>';
  const [[, second]] = await jmap([['Email/set', {
    accountId: acc,
    create: {
      k1546: draft({
        to: [{ name: 'John', email: 'john@example.com' }],
        subject: 'World domination',
        receivedAt: '2018-07-10T01:05:08Z',
        sentAt: '2018-07-10T11:05:08+10:00',
        bodyStructure: {
          type: 'multipart/alternative',
          subParts: [
            { partId: 'a49d', type: 'text/html', 'header:Content-Language': 'en' },
            { partId: 'bd48', type: 'text/plain', 'header:Content-Language': 'en' },
          ],
        },
        bodyValues: { bd48: { value: DRAFT_TEXT, isTruncated: false }, a49d: { value: html, isTruncated: false } },
      }),
    },
    destroy: [k192.id],
  }, '0']]);
  const k1546 = second.created?.k1546;
  assert.ok(k1546, JSON.stringify(second));
  assert.deepEqual(Object.keys(k1546).sort(), ['blobId', 'id', 'size', 'threadId']);
  assert.deepEqual(second.destroyed, [k192.id]);
  assert.equal(second.oldState, first.newState);
  const [[, got]] = await jmap([['Email/get', { accountId: acc, ids: [k1546.id, k192.id], properties: ['to', 'bodyStructure', 'textBody', 'htmlBody', 'bodyValues'], fetchAllBodyValues: true, bodyProperties: ['partId', 'type', 'language'] }, 'g']]);
  assert.deepEqual(got.notFound, [k192.id]);
  const e = got.list[0];
  assert.deepEqual(e.to, [{ name: 'John', email: 'john@example.com' }]);
  assert.equal(e.bodyStructure.type, 'multipart/alternative');
  assert.deepEqual(e.bodyStructure.subParts.map((p: Args) => [p.type, p.language]), [['text/html', ['en']], ['text/plain', ['en']]]);
  assert.equal(e.bodyValues[e.textBody[0].partId].value, DRAFT_TEXT);
  assert.equal(e.bodyValues[e.htmlBody[0].partId].value, html);
});

test('RFC 8621 §5.2 example: SearchSnippet/get for a text search', async () => {
  const box = await newMailbox('snippets');
  // Matched on its sender, so neither subject nor body has anything to mark.
  const none = await importEmail(simpleMessage({ from: 'Foo Fighters <foo@remote.test>', subject: 'Quarterly numbers', body: 'Nothing to see here.' }), box);
  const both = await importEmail(simpleMessage({ subject: 'The Foo competition', body: 'This year the foo competition will be held in the Stadium de France.' }), box);
  const body = await importEmail(simpleMessage({ subject: 'Widgets', body: 'We found the Foo/bar method results often returns <1 widget rather than the complete set.' }), box);
  const [[name, res, id]] = await jmap([['SearchSnippet/get', { accountId: acc, filter: { text: 'foo' }, emailIds: [none.id, both.id, body.id] }, '0']]);
  assert.deepEqual([name, id], ['SearchSnippet/get', '0']);
  assert.equal(res.accountId, acc);
  assert.equal(res.notFound, null, 'null when every id was found');
  const byId = new Map((res.list as Args[]).map((s) => [s.emailId, s]));
  assert.deepEqual(Object.keys(byId.get(none.id)!).sort(), ['emailId', 'preview', 'subject']);
  assert.equal(byId.get(none.id)!.subject, null);
  assert.equal(byId.get(none.id)!.preview, null);
  const [[, q]] = await jmap([['Email/query', { accountId: acc, filter: { operator: 'AND', conditions: [{ inMailbox: box }, { text: 'foo' }] } }, 'q']]);
  assert.deepEqual(new Set(q.ids), new Set([none.id, both.id, body.id]), 'the three are the results of the search the snippets are for');
  assert.equal(byId.get(both.id)!.subject, 'The <mark>Foo</mark> competition');
  assert.match(byId.get(both.id)!.preview, /the <mark>foo<\/mark> competition will/);
  assert.equal(byId.get(body.id)!.subject, null);
  assert.match(byId.get(body.id)!.preview, /the <mark>Foo<\/mark>\/bar method results often returns &lt;1 widget/);
  for (const s of res.list as Args[]) assert.ok(s.preview === null || Buffer.byteLength(s.preview) <= 255);
});

test('RFC 8621 §6.4 example: Identity/get without ids', async () => {
  const using = [...USING, SUBMISSION];
  // The RFC's second identity is a domain wildcard; the user must hold that address to use it.
  const wildcard = await f.server.api(`/api/v1/users/${f.userId}/addresses`, { method: 'POST', json: { address: '*@example.test' } });
  assert.equal(wildcard.status, 201, await wildcard.clone().text());
  const [[, seeded]] = await jmap([['Identity/get', { accountId: acc }, 's']], using);
  const main = seeded.list[0].id;
  const [[, set]] = await jmap([['Identity/set', {
    accountId: acc,
    update: { [main]: { name: 'Joe Bloggs', bcc: [{ name: null, email: 'alice+archive@example.test' }], textSignature: '-- \nJoe Bloggs\nMaster of Email', htmlSignature: '<div><b>Joe Bloggs</b></div><div>Master of Email</div>' } },
    create: { w: { name: 'Joe B', email: '*@example.test' } },
  }, 's']], using);
  assert.ok(set.created?.w, JSON.stringify(set));
  const [[name, res, id]] = await jmap([['Identity/get', { accountId: acc }, '0']], using);
  assert.deepEqual([name, id], ['Identity/get', '0']);
  assert.equal(res.accountId, acc);
  assert.equal(typeof res.state, 'string');
  assert.deepEqual(res.notFound, []);
  assert.equal(res.list.length, 2);
  for (const i of res.list) assert.deepEqual(Object.keys(i).sort(), ['bcc', 'email', 'htmlSignature', 'id', 'mayDelete', 'name', 'replyTo', 'textSignature']);
  const [joe, any] = [res.list.find((i: Args) => i.id === main), res.list.find((i: Args) => i.id === set.created.w.id)];
  // Whether the main address may be deleted is the server's choice (§6); Gannet lets it go and recreates it.
  assert.equal(typeof joe.mayDelete, 'boolean');
  assert.deepEqual(joe, { id: main, name: 'Joe Bloggs', email: 'alice@example.test', replyTo: null, bcc: [{ name: null, email: 'alice+archive@example.test' }], textSignature: '-- \nJoe Bloggs\nMaster of Email', htmlSignature: '<div><b>Joe Bloggs</b></div><div>Master of Email</div>', mayDelete: joe.mayDelete });
  assert.deepEqual(any, { id: set.created.w.id, name: 'Joe B', email: '*@example.test', replyTo: null, bcc: null, textSignature: '', htmlSignature: '', mayDelete: true });
});

test('RFC 8621 §4.8 Email/import of an uploaded message (no example in the RFC: arguments as §4.8 lists them)', async () => {
  const { blobId } = await f.blob(simpleMessage({ subject: 'imported' }));
  const ifInState = await state();
  const [[name, res]] = await jmap([['Email/import', { accountId: acc, ifInState, emails: { k1: { blobId, mailboxIds: { [inbox]: true }, keywords: { $seen: true }, receivedAt: '2026-01-02T03:04:05Z' }, k2: { blobId: 'Bmissing', mailboxIds: { [inbox]: true } } } }, '0']]);
  assert.equal(name, 'Email/import');
  assert.equal(res.oldState, ifInState);
  assert.deepEqual(Object.keys(res.created.k1).sort(), ['blobId', 'id', 'size', 'threadId']);
  assert.equal(res.notCreated.k2.type, 'blobNotFound');
  assert.deepEqual(res.notCreated.k2.notFound, ['Bmissing']);
  const [[, mismatch]] = await jmap([['Email/import', { accountId: acc, ifInState, emails: {} }, '0']]);
  assert.equal(mismatch.type, 'stateMismatch');
});

test('RFC 8621 §4.9 Email/parse of an attached message by its blobId (no example in the RFC: §4.1.4 names the use)', async () => {
  const inner = simpleMessage({ subject: 'the attached one', from: 'Dora <dora@remote.test>', body: 'inner body' });
  const e = await getOne(
    raw(['From: a@example.test', 'Subject: forwarding', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="f"', '', '--f', 'Content-Type: text/plain', '', 'see attached', '--f', 'Content-Type: message/rfc822', '', inner.toString(), '--f--', '']),
    ['attachments'],
  );
  const blobId = e.attachments[0].blobId;
  const [[name, res]] = await jmap([['Email/parse', { accountId: acc, blobIds: [blobId, 'Bmissing'], properties: ['id', 'mailboxIds', 'keywords', 'receivedAt', 'subject', 'from'] }, '0']]);
  assert.equal(name, 'Email/parse');
  assert.deepEqual(res.parsed[blobId], { id: null, mailboxIds: null, keywords: null, receivedAt: null, subject: 'the attached one', from: [{ name: 'Dora', email: 'dora@remote.test' }] });
  assert.deepEqual(res.notFound, ['Bmissing']);
  assert.equal(res.notParsable, null, 'null when every blob parsed');
});

// ------------------------------------------------------------ /copy between two accounts of the pool

/** A second account in the user's pool (a team account, as RFC 8620 §5.7 puts it). */
async function teamAccount(): Promise<{ id: string; inbox: string }> {
  const team = await f.server.services.directory.addAccount(f.userId, { name: 'Team' });
  const mailboxes = await f.server.services.mailboxes.list(team.id);
  return { id: team.id, inbox: mailboxes.find((m) => m.role === 'inbox')!.id };
}

test('RFC 8621 §4.10 / RFC 8620 §5.7 examples: Email/copy with onSuccessDestroyOriginal answers twice under one call id', async () => {
  const team = await teamAccount();
  const draft = await importEmail(raw(['From: joe@example.com', 'Subject: Moving accounts', 'Message-ID: <move@example.com>', '', 'A draft to move.']), drafts, { $draft: true });
  const responses = await jmap([
    ['Email/copy', { fromAccountId: acc, accountId: team.id, create: { k45: { id: draft.id, mailboxIds: { [team.inbox]: true } } }, onSuccessDestroyOriginal: true }, '0'],
  ]);
  assert.deepEqual(responses.map((r) => [r[0], r[2]]), [['Email/copy', '0'], ['Email/set', '0']]);
  const [[, copy], [, set]] = responses;
  assert.equal(copy.fromAccountId, acc);
  assert.equal(copy.accountId, team.id);
  assert.equal(typeof copy.oldState, 'string');
  assert.notEqual(copy.newState, copy.oldState);
  assert.deepEqual(Object.keys(copy.created.k45).sort(), ['blobId', 'id', 'size', 'threadId']);
  assert.notEqual(copy.created.k45.id, draft.id, 'the copy has an id of its own');
  assert.equal(copy.notCreated, null);
  assert.equal(set.accountId, acc);
  assert.deepEqual(set.destroyed, [draft.id]);
  const [[, got]] = await jmap([['Email/get', { accountId: team.id, ids: [copy.created.k45.id], properties: ['subject', 'keywords', 'mailboxIds'] }, 'g']]);
  assert.deepEqual(got.list[0].keywords, { $draft: true });
  assert.deepEqual(got.list[0].mailboxIds, { [team.inbox]: true });
});

test('RFC 8620 §6.3 Blob/copy: a blob uploaded to one account becomes usable in another', async () => {
  const team = await teamAccount();
  const { blobId } = await f.blob(Buffer.from('shared bytes'));
  const [[name, res]] = await jmap([['Blob/copy', { fromAccountId: acc, accountId: team.id, blobIds: [blobId, 'Bnope'] }, 'b']]);
  assert.equal(name, 'Blob/copy');
  assert.equal(res.fromAccountId, acc);
  assert.equal(res.accountId, team.id);
  assert.equal(typeof res.copied[blobId], 'string');
  assert.equal(res.notCopied.Bnope.type, 'notFound');
  const dl = await fetch(`${f.server.baseUrl}/raw/${team.id}/${res.copied[blobId]}/x.bin`, { headers: { authorization: f.auth } });
  assert.equal(await dl.text(), 'shared bytes');
});
