import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const CORE = 'urn:ietf:params:jmap:core';
const MAIL = 'urn:ietf:params:jmap:mail';
const BLOB = 'urn:ietf:params:jmap:blob';
const MAX = 64 * 1024;

type User = { id: string; address: string; password: string };
let server: TestServer;
let alice: User;
let bob: User;
let accountId: string;
let bobAccountId: string;

const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

before(async () => {
  server = (await startTestServer({ config: { maxMessageSize: MAX } }))!;
  alice = await createUser(server, 'alice');
  bob = await createUser(server, 'bob');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
  bobAccountId = (await server.services.directory.accountOfUser(bob.id)).accountId;
});
after(() => server.stop());

async function jmap(calls: [string, Record<string, unknown>, string][], who = alice, using = [CORE, MAIL, BLOB]) {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

const upload = (data: Record<string, unknown>[], type?: string) =>
  jmap([['Blob/upload', { accountId, create: { b: { data, ...(type ? { type } : {}) } } }, 'u']]).then((r) => r[0][1]);

test('the session advertises RFC 9404 account capabilities', async () => {
  const session = await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic(alice) } })).json();
  assert.deepEqual(session.capabilities[BLOB], {});
  assert.deepEqual(session.accounts[accountId].accountCapabilities[BLOB], {
    maxSizeBlobSet: MAX,
    maxDataSources: 64,
    supportedTypeNames: ['Email', 'Mailbox', 'Thread'],
    supportedDigestAlgorithms: ['sha-256', 'sha'],
  });
});

test('Blob/upload concatenates text, base64 and ranges of earlier blobs; Blob/get reads them back', async () => {
  const [[, up], [, got]] = await jmap([
    [
      'Blob/upload',
      {
        accountId,
        create: {
          first: { data: [{ 'data:asText': 'Hello, ' }, { 'data:asBase64': Buffer.from('wörld').toString('base64') }], type: 'text/plain' },
          second: { data: [{ blobId: '#first', offset: 7, length: 6 }, { 'data:asText': '!' }, { blobId: '#first', length: 5 }] },
          empty: { data: [] },
        },
      },
      'u',
    ],
    ['Blob/get', { accountId, ids: ['#first', '#second', '#empty'], properties: ['data:asText', 'digest:sha-256', 'digest:sha', 'size'] }, 'g'],
  ]);
  assert.deepEqual(up.notCreated, {});
  assert.deepEqual(up.created.first, { id: up.created.first.id, type: 'text/plain', size: Buffer.byteLength('Hello, wörld') });
  assert.match(up.created.first.id, /^B[0-9a-f]{64}$/);
  assert.equal(up.created.second.type, 'application/octet-stream');
  const [first, second, empty] = got.list;
  assert.equal(first['data:asText'], 'Hello, wörld');
  assert.equal(first['digest:sha-256'], createHash('sha256').update('Hello, wörld').digest('base64'));
  assert.equal(first['digest:sha'], createHash('sha1').update('Hello, wörld').digest('base64'));
  assert.equal(second['data:asText'], 'wörld!Hello');
  assert.equal(second.size, Buffer.byteLength('wörld!Hello'));
  assert.equal(empty.size, 0);
  assert.equal(empty['data:asText'], '');

  // A Blob/upload blob is an ordinary upload: it downloads like one.
  const dl = await fetch(`${server.baseUrl}/raw/${accountId}/${up.created.first.id}/f.txt`, { headers: { authorization: basic(alice) } });
  assert.equal(dl.status, 200);
  assert.equal(await dl.text(), 'Hello, wörld');
});

test('Blob/get ranges, encoding problems and truncation (RFC 9404 §4.2)', async () => {
  const bytes = Buffer.concat([Buffer.from('The quick brown fox jumped over the '), Buffer.from([0x81, 0x81]), Buffer.from(' dog.')]);
  const { created } = await upload([{ 'data:asBase64': bytes.toString('base64') }]);
  const id = created.b.id;
  const get = (args: Record<string, unknown>) => jmap([['Blob/get', { accountId, ids: [id], ...args }, 'g']]).then((r) => r[0][1]);

  const g1 = (await get({})).list[0];
  assert.deepEqual(g1, { id, isEncodingProblem: true, 'data:asBase64': bytes.toString('base64'), size: bytes.length });
  const g2 = (await get({ properties: ['data:asText'] })).list[0];
  assert.deepEqual(g2, { id, isEncodingProblem: true, 'data:asText': null });
  const g3 = (await get({ properties: ['data:asBase64'] })).list[0];
  assert.deepEqual(g3, { id, 'data:asBase64': bytes.toString('base64') });
  const g4 = (await get({ properties: ['data'], offset: 4, length: 5 })).list[0];
  assert.deepEqual(g4, { id, 'data:asText': 'quick' });
  const g5 = (await get({ properties: ['data', 'size'], offset: 38, length: 100 })).list[0];
  assert.deepEqual(g5, { id, isTruncated: true, 'data:asText': ' dog.', size: bytes.length });
  const past = (await get({ properties: ['data'], offset: 1000 })).list[0];
  assert.deepEqual(past, { id, isTruncated: true, 'data:asText': '' });
});

test('Blob/get errors: unknown ids, unknown properties, other accounts', async () => {
  const { created } = await upload([{ 'data:asText': 'private' }]);
  const [[, res]] = await jmap([['Blob/get', { accountId, ids: [created.b.id, 'B' + '0'.repeat(64), 'junk'] }, 'g']]);
  assert.equal(res.list.length, 1);
  assert.deepEqual(res.notFound, ['B' + '0'.repeat(64), 'junk']);
  const [[name, bad]] = await jmap([['Blob/get', { accountId, ids: [created.b.id], properties: ['digest:md5'] }, 'g']]);
  assert.equal(name, 'error');
  assert.equal(bad.type, 'invalidArguments');
  const [[, noIds]] = await jmap([['Blob/get', { accountId }, 'g']]);
  assert.equal(noIds.type, 'invalidArguments');
  const [[, negative]] = await jmap([['Blob/get', { accountId, ids: [created.b.id], offset: -1 }, 'g']]);
  assert.equal(negative.type, 'invalidArguments');
  const [[, bobs]] = await jmap([['Blob/get', { accountId: bobAccountId, ids: [created.b.id] }, 'g']], bob);
  assert.deepEqual(bobs.notFound, [created.b.id], 'blobs are scoped to the account that uploaded them');
  const [[, notUsing]] = await jmap([['Blob/get', { accountId, ids: [created.b.id] }, 'g']], alice, [CORE, MAIL]);
  assert.equal(notUsing.type, 'unknownMethod');
});

test('Blob/upload rejects invalid sources per creation', async () => {
  const { created } = await upload([{ 'data:asText': 'twelve bytes' }]);
  const ref = created.b.id;
  const [[, res]] = await jmap([
    [
      'Blob/upload',
      {
        accountId,
        create: {
          badBase64: { data: [{ 'data:asBase64': 'not base64!' }] },
          both: { data: [{ 'data:asText': 'a', 'data:asBase64': 'YQ==' }] },
          nothing: { data: [{}] },
          range: { data: [{ blobId: ref, offset: 10, length: 5 }] },
          offsetPast: { data: [{ blobId: ref, offset: 13 }] },
          missing: { data: [{ blobId: 'B' + 'f'.repeat(64) }] },
          unknownRef: { data: [{ blobId: '#nope' }] },
          noData: { type: 'text/plain' },
          extra: { data: [], name: 'x' },
          tooMany: { data: Array.from({ length: 65 }, () => ({ 'data:asText': 'a' })) },
          tooLarge: { data: [{ 'data:asText': 'x'.repeat(MAX / 2) }, { 'data:asText': 'x'.repeat(MAX / 2 + 1) }] },
          fine: { data: [{ blobId: ref, offset: 12 }] },
        },
      },
      'u',
    ],
  ]);
  for (const cid of ['badBase64', 'both', 'nothing', 'range', 'offsetPast', 'missing', 'unknownRef', 'noData', 'extra', 'tooMany']) {
    assert.equal(res.notCreated[cid]?.type, 'invalidProperties', `${cid}: ${JSON.stringify(res.notCreated[cid])}`);
  }
  assert.equal(res.notCreated.tooLarge.type, 'tooLarge');
  assert.deepEqual(Object.keys(res.created), ['fine']);
  assert.equal(res.created.fine.size, 0);
  const [[, noCreate]] = await jmap([['Blob/upload', { accountId }, 'u']]);
  assert.equal(noCreate.type, 'invalidArguments');
});

test('Blob/lookup finds the email, thread and mailboxes of a message blob', async () => {
  const raw = simpleMessage({ subject: 'look me up' });
  const delivered = await server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
  assert.equal(delivered.status, 201);
  const [[, q], [, got]] = await jmap([
    ['Email/query', { accountId, filter: { subject: 'look me up' } }, 'q'],
    ['Email/get', { accountId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['blobId', 'threadId', 'mailboxIds'] }, 'g'],
  ]);
  const email = got.list[0];
  assert.equal(q.ids.length, 1);
  const loose = (await upload([{ 'data:asText': 'loose' }])).created.b.id;
  const unknown = 'M' + 'a'.repeat(64);
  const [[, res]] = await jmap([['Blob/lookup', { accountId, typeNames: ['Email', 'Thread', 'Mailbox'], ids: [email.blobId, loose, unknown, 'not-a-blob'] }, 'l']]);
  assert.deepEqual(res.list, [
    { id: email.blobId, matchedIds: { Email: [email.id], Thread: [email.threadId], Mailbox: Object.keys(email.mailboxIds) } },
    { id: loose, matchedIds: { Email: [], Thread: [], Mailbox: [] } },
    { id: unknown, matchedIds: { Email: [], Thread: [], Mailbox: [] } },
  ]);
  assert.deepEqual(res.notFound, ['not-a-blob']);

  const [[, bobs]] = await jmap([['Blob/lookup', { accountId: bobAccountId, typeNames: ['Email'], ids: [email.blobId] }, 'l']], bob);
  assert.deepEqual(bobs.list, [{ id: email.blobId, matchedIds: { Email: [] } }], "another account's blob matches nothing and leaks nothing");
  const [[name, unknownType]] = await jmap([['Blob/lookup', { accountId, typeNames: ['Email', 'Calendar'], ids: [email.blobId] }, 'l']]);
  assert.equal(name, 'error');
  assert.equal(unknownType.type, 'unknownDataType');
  const [[, noMail]] = await jmap([['Blob/lookup', { accountId, typeNames: ['Email'], ids: [email.blobId] }, 'l']], alice, [CORE, BLOB]);
  assert.equal(noMail.type, 'unknownDataType');
});

test('Blob/copy: same account, inaccessible accounts, and per-blob errors', async () => {
  const { created } = await upload([{ 'data:asText': 'copy me' }]);
  const copy = (args: Record<string, unknown>) => jmap([['Blob/copy', { blobIds: [created.b.id], ...args }, 'c']], alice, [CORE]).then((r) => r[0]);
  const [n1, same] = await copy({ fromAccountId: accountId, accountId });
  assert.equal(n1, 'error');
  assert.equal(same.type, 'invalidArguments');
  const [, fromOther] = await copy({ fromAccountId: bobAccountId, accountId });
  assert.equal(fromOther.type, 'fromAccountNotFound');
  const [, toOther] = await copy({ fromAccountId: accountId, accountId: bobAccountId });
  assert.equal(toOther.type, 'accountNotFound');
  const [, missing] = await copy({ accountId });
  assert.equal(missing.type, 'invalidArguments');
});
