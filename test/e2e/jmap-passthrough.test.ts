import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { simpleMessage } from '../helpers/messages.ts';
import { until } from '../helpers/until.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * A proxied JMAP account, with a second Gannet as its upstream: alice's pool on the front holds
 * her local account and carol's account of the upstream, which every call reaches through the
 * front with its account id rewritten.
 */

type Call = [string, Record<string, any>, string];
type User = { id: string; address: string; password: string };
const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'];
const MAX_UPLOAD = 256 * 1024;
const basic = (u: User) => 'Basic ' + Buffer.from(`${u.address}:${u.password}`).toString('base64');

let upstream: TestServer;
let front: TestServer;
let carol: User;
let alice: User;
/** carol's account id on the upstream, alice's local one and the proxied one on the front. */
let upstreamId: string;
let localId: string;
let remoteId: string;
const raws = [1, 2, 3].map((n) => simpleMessage({ to: 'carol@upstream.test', subject: `Upstream ${n}`, body: `Body number ${n}.`, date: `Fri, 20 Nov 2026 1${n}:00:00 +0000` }));

async function jmap(server: TestServer, who: User, calls: Call[], extra: Record<string, unknown> = {}): Promise<{ methodResponses: Call[]; createdIds?: Record<string, string> }> {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: basic(who) },
    body: JSON.stringify({ using: USING, methodCalls: calls, ...extra }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}
const viaFront = async (calls: Call[]) => (await jmap(front, alice, calls)).methodResponses;
const direct = async (calls: Call[]) => (await jmap(upstream, carol, calls)).methodResponses;

async function deliver(server: TestServer, user: User, raw: Buffer): Promise<void> {
  const res = await server.api(`/api/v1/users/${user.id}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
  assert.equal(res.status, 201, await res.text());
}

const addRemote = (body: Record<string, unknown>) => front.api(`/api/v1/users/${alice.id}/remotes`, { method: 'POST', json: { protocol: 'jmap', email: carol.address, password: carol.password, ...body } });

before(async () => {
  upstream = (await startTestServer())!;
  front = (await startTestServer({ config: { maxMessageSize: MAX_UPLOAD } }))!;
  carol = await createUser(upstream, 'carol', 'upstream.test');
  alice = await createUser(front, 'alice');
  upstreamId = (await upstream.services.directory.accountOfUser(carol.id)).accountId;
  localId = (await front.services.directory.accountOfUser(alice.id)).accountId;
  for (const raw of raws) await deliver(upstream, carol, raw);
  await deliver(front, alice, simpleMessage({ subject: 'Local one' }));
});
let upstreamDown = false;
after(async () => {
  await front?.stop();
  if (!upstreamDown) await upstream?.stop();
});

test('adding the account reads the upstream Session: the answer names the account id to use', async () => {
  const res = await addRemote({ name: 'Carol upstream', sessionUrl: `${upstream.baseUrl}/.well-known/jmap` });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  remoteId = body.id;
  assert.equal(body.protocol, 'jmap');
  assert.equal(body.status, 'idle');
  assert.equal(body.username, carol.address);
  assert.deepEqual(body.jmap, {
    sessionUrl: `${upstream.baseUrl}/.well-known/jmap`,
    authType: 'basic',
    apiUrl: `${upstream.baseUrl}/jmap`,
    downloadUrl: `${upstream.baseUrl}/raw/{accountId}/{blobId}/{name}?type={type}`,
    uploadUrl: `${upstream.baseUrl}/upload/{accountId}`,
    upstreamAccountId: upstreamId,
  });
  assert.notEqual(remoteId, upstreamId);
  assert.equal(body.password, undefined);
  assert.equal(body.imap, undefined);

  const session = await (await fetch(`${front.baseUrl}/session`, { headers: { authorization: basic(alice) } })).json();
  assert.deepEqual(Object.keys(session.accounts).sort(), [localId, remoteId].sort());
  assert.equal(session.accounts[remoteId].name, 'Carol upstream');
  assert.ok(session.accounts[remoteId].accountCapabilities['urn:ietf:params:jmap:mail'], 'the upstream account has mail');
  assert.equal(session.primaryAccounts['urn:ietf:params:jmap:mail'], localId);

  const listed = await (await front.api(`/api/v1/users/${alice.id}/remotes`)).json();
  assert.deepEqual(listed.results.map((r: { id: string; protocol: string }) => [r.id, r.protocol]), [[remoteId, 'jmap']]);
  const sync = await front.api(`/api/v1/users/${alice.id}/remotes/${remoteId}/sync`, { method: 'POST' });
  assert.equal(sync.status, 200, 'a sync of a proxied account is a no-op');
  assert.equal(front.services.mirrors.active, 0, 'no IMAP worker runs for a proxied account');
});

test('wrong credentials or a Session URL that is not JMAP are refused, naming what the upstream said', async () => {
  const wrong = await addRemote({ password: 'not the password', sessionUrl: `${upstream.baseUrl}/session` });
  const problem = await wrong.json();
  assert.equal(wrong.status, 502, JSON.stringify(problem));
  assert.match(problem.detail, /refused the credentials \(HTTP 401: .*credentials are not valid/);
  const notJmap = await addRemote({ sessionUrl: `${upstream.baseUrl}/api/v1/domains` });
  assert.equal(notJmap.status, 502);
  const missing = await addRemote({});
  assert.equal(missing.status, 400);
  assert.match((await missing.json()).detail, /sessionUrl/);
  const mixed = await addRemote({ sessionUrl: `${upstream.baseUrl}/session`, imap: { host: 'imap.example.test' } });
  assert.equal(mixed.status, 400);
  const listed = await (await front.api(`/api/v1/users/${alice.id}/remotes`)).json();
  assert.equal(listed.total, 1, 'nothing was added by a refused request');
});

test('changing the account: a new login is checked upstream first, IMAP settings do not apply', async () => {
  const patch = (json: Record<string, unknown>) => front.api(`/api/v1/users/${alice.id}/remotes/${remoteId}`, { method: 'PATCH', json });
  const refused = await patch({ password: 'not the password' });
  assert.equal(refused.status, 502);
  assert.equal((await patch({ sync: { excludeTrash: true } })).status, 400);
  const renamed = await patch({ name: 'Carol (upstream)', sessionUrl: `${upstream.baseUrl}/session` });
  const body = await renamed.json();
  assert.equal(renamed.status, 200, JSON.stringify(body));
  assert.equal(body.name, 'Carol (upstream)');
  assert.equal(body.jmap.sessionUrl, `${upstream.baseUrl}/session`);
  const [[name]] = await viaFront([['Mailbox/get', { accountId: remoteId, ids: [] }, 'm']]);
  assert.equal(name, 'Mailbox/get', 'the refused password was not stored');
});

test('Mailbox/get is the upstream mailboxes, under the front account id', async () => {
  const [[name, res]] = await viaFront([['Mailbox/get', { accountId: remoteId }, 'm']]);
  assert.equal(name, 'Mailbox/get');
  assert.equal(res.accountId, remoteId);
  const [[, up]] = await direct([['Mailbox/get', { accountId: upstreamId }, 'm']]);
  assert.deepEqual(res.list, up.list);
  assert.equal(res.state, up.state);
  const inbox = res.list.find((m: { role: string }) => m.role === 'inbox');
  assert.equal(inbox.totalEmails, 3);
});

test('Email/query and Email/get with a back-reference travel together and come back rewritten', async () => {
  const responses = await viaFront([
    ['Email/query', { accountId: remoteId, sort: [{ property: 'receivedAt', isAscending: true }] }, 'q'],
    ['Email/get', { accountId: remoteId, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject', 'preview'] }, 'g'],
  ]);
  assert.deepEqual(responses.map(([n, a, c]) => [n, a.accountId, c]), [['Email/query', remoteId, 'q'], ['Email/get', remoteId, 'g']]);
  assert.deepEqual(responses[1][1].list.map((e: { subject: string }) => e.subject).sort(), ['Upstream 1', 'Upstream 2', 'Upstream 3']);
});

test('Email/set changes keywords upstream', async () => {
  const [[, q]] = await viaFront([['Email/query', { accountId: remoteId, filter: { subject: 'Upstream 2' } }, 'q']]);
  const id = q.ids[0];
  const [[name, set]] = await viaFront([['Email/set', { accountId: remoteId, update: { [id]: { 'keywords/$flagged': true } } }, 's']]);
  assert.equal(name, 'Email/set', JSON.stringify(set));
  assert.equal(set.accountId, remoteId);
  assert.ok(id in set.updated);
  const [[, got]] = await direct([['Email/get', { accountId: upstreamId, ids: [id], properties: ['keywords'] }, 'g']]);
  assert.deepEqual(got.list[0].keywords, { $flagged: true });
});

test('creation ids: made upstream, used later in the request, across a local call, and returned in createdIds', async () => {
  const [[, boxes]] = await viaFront([['Mailbox/query', { accountId: remoteId, filter: { role: 'drafts' } }, 'm']]);
  const drafts = boxes.ids[0];
  const res = await jmap(front, alice, [
    ['Email/set', {
      accountId: remoteId,
      create: { d1: { mailboxIds: { [drafts]: true }, keywords: { $draft: true }, from: [{ email: carol.address }], subject: 'Draft via the front', bodyValues: { t: { value: 'Drafted.' } }, textBody: [{ partId: 't', type: 'text/plain' }] } },
    }, 'c'],
    ['Email/set', { accountId: remoteId, update: { '#d1': { 'keywords/$seen': true } } }, 'u'],
    ['Mailbox/get', { accountId: localId, ids: null, properties: ['name'] }, 'local'],
    ['Email/get', { accountId: remoteId, ids: ['#d1'], properties: ['subject', 'keywords'] }, 'g'],
  ], { createdIds: {} });
  const [created, updated, local, got] = res.methodResponses;
  const id = created[1].created?.d1?.id;
  assert.ok(id, JSON.stringify(created));
  assert.deepEqual(res.createdIds, { d1: id });
  assert.deepEqual(Object.keys(updated[1].updated), [id], JSON.stringify(updated));
  assert.equal(local[0], 'Mailbox/get');
  assert.equal(local[1].accountId, localId);
  assert.equal(got[0], 'Email/get', JSON.stringify(got));
  assert.deepEqual(got[1].list, [{ id, subject: 'Draft via the front', keywords: { $draft: true, $seen: true } }]);
  const [[, up]] = await direct([['Email/get', { accountId: upstreamId, ids: [id], properties: ['subject'] }, 'g']]);
  assert.equal(up.list[0].subject, 'Draft via the front');
});

test('one request mixing local and proxied calls: references resolve across them, in order', async () => {
  const responses = await viaFront([
    ['Email/query', { accountId: localId }, 'lq'],
    ['Email/query', { accountId: remoteId, filter: { subject: 'Upstream' } }, 'rq'],
    ['Email/get', { accountId: localId, '#ids': { resultOf: 'lq', name: 'Email/query', path: '/ids' }, properties: ['subject'] }, 'lg'],
    // The query ran upstream in an earlier batch: its ids are resolved here before this call leaves.
    ['Email/get', { accountId: remoteId, '#ids': { resultOf: 'rq', name: 'Email/query', path: '/ids' }, properties: ['subject'] }, 'rg'],
    // Local ids sent to the upstream are simply not found there.
    ['Email/get', { accountId: remoteId, '#ids': { resultOf: 'lq', name: 'Email/query', path: '/ids' }, properties: ['subject'] }, 'cross'],
    ['Core/echo', { hello: 'local' }, 'e'],
  ]);
  assert.deepEqual(responses.map(([n, , c]) => `${n} ${c}`), ['Email/query lq', 'Email/query rq', 'Email/get lg', 'Email/get rg', 'Email/get cross', 'Core/echo e']);
  assert.deepEqual(responses[2][1].list.map((e: { subject: string }) => e.subject), ['Local one']);
  assert.equal(responses[2][1].accountId, localId);
  assert.deepEqual(responses[3][1].list.map((e: { subject: string }) => e.subject).sort(), ['Upstream 1', 'Upstream 2', 'Upstream 3']);
  assert.equal(responses[3][1].accountId, remoteId);
  assert.deepEqual(responses[4][1].notFound, responses[0][1].ids);
});

test('the WebSocket transport forwards the same way', async () => {
  const socket = new WebSocket(`${front.baseUrl.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { authorization: basic(alice) } });
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  const answer = new Promise<Record<string, any>>((resolve) => socket.once('message', (data) => resolve(JSON.parse(data.toString()))));
  socket.send(JSON.stringify({ '@type': 'Request', id: 'w1', using: USING, methodCalls: [['Email/query', { accountId: remoteId, filter: { subject: 'Upstream 1' } }, 'q']] }));
  const res = await answer;
  socket.close();
  assert.equal(res['@type'], 'Response');
  assert.deepEqual(res.methodResponses.map(([n, a]: Call) => [n, a.accountId, a.ids.length]), [['Email/query', remoteId, 1]]);
});

test("push: the front's event source and WebSocket announce the upstream account's changes, with its states", async () => {
  // The front follows the upstream's event source while a client's stream is open.
  const controller = new AbortController();
  const res = await fetch(`${front.baseUrl}/eventsource?types=Email&closeafter=no&ping=0`, { headers: { authorization: basic(alice) }, signal: controller.signal });
  assert.equal(res.status, 200);
  const events: Record<string, any>[] = [];
  const reading = (async () => {
    let text = '';
    try {
      for await (const chunk of res.body!) {
        text += Buffer.from(chunk).toString();
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const data = /^data: (.*)$/m.exec(text.slice(0, end));
          if (data) events.push(JSON.parse(data[1]));
          text = text.slice(end + 2);
        }
      }
    } catch {
      // aborted at the end of the test
    }
  })();
  const socket = new WebSocket(`${front.baseUrl.replace('http', 'ws')}/jmap/ws`, 'jmap', { headers: { authorization: basic(alice) } });
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  const pushed: Record<string, any>[] = [];
  socket.on('message', (data) => pushed.push(JSON.parse(data.toString())));
  socket.send(JSON.stringify({ '@type': 'WebSocketPushEnable', dataTypes: ['Email'] }));
  await new Promise((r) => setTimeout(r, 500));

  await deliver(upstream, carol, simpleMessage({ to: 'carol@upstream.test', subject: 'Pushed through' }));
  const [[, got]] = await direct([['Email/get', { accountId: upstreamId, ids: [] }, 'g']]);
  const announces = (e: Record<string, any>) => e.changed?.[remoteId]?.Email === got.state;
  await until(() => events.some(announces) && pushed.some(announces), 'the StateChange through the front', 10_000);
  for (const e of [...events, ...pushed].filter((x) => x.changed?.[remoteId])) {
    assert.deepEqual(Object.keys(e.changed), [remoteId], 'announced under the front account id, never the upstream one');
    assert.deepEqual(Object.keys(e.changed[remoteId]), ['Email'], 'only the types asked for');
  }
  // The announced state is one the proxied /changes understands.
  const [[name, changes]] = await viaFront([['Email/changes', { accountId: remoteId, sinceState: got.state }, 'c']]);
  assert.equal(name, 'Email/changes');
  assert.deepEqual(changes.created, []);
  controller.abort();
  socket.close();
  await reading;
});

test('a copy between a local and a proxied account is refused clearly', async () => {
  const [[, q]] = await viaFront([['Email/query', { accountId: localId }, 'q']]);
  const [[name, err]] = await viaFront([['Email/copy', { fromAccountId: localId, accountId: remoteId, create: { c: { id: q.ids[0], mailboxIds: {} } } }, 'c']]);
  assert.equal(name, 'error');
  assert.equal(err.type, 'invalidArguments');
  assert.match(err.description, /cross-server copy is not supported/);
});

test('download through the front is byte-identical; upload through the front lands upstream', async () => {
  const [[, q]] = await viaFront([
    ['Email/query', { accountId: remoteId, filter: { subject: 'Upstream 1' } }, 'q'],
  ]);
  const [[, got]] = await viaFront([['Email/get', { accountId: remoteId, ids: q.ids, properties: ['blobId'] }, 'g']]);
  const res = await fetch(`${front.baseUrl}/raw/${remoteId}/${got.list[0].blobId}/one.eml?type=message/rfc822`, { headers: { authorization: basic(alice) } });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'message/rfc822');
  assert.match(res.headers.get('content-disposition') ?? '', /one\.eml/);
  assert.deepEqual(Buffer.from(await res.arrayBuffer()), raws[0]);
  const missing = await fetch(`${front.baseUrl}/raw/${remoteId}/M${'0'.repeat(64)}/x`, { headers: { authorization: basic(alice) } });
  assert.equal(missing.status, 404);

  const raw = simpleMessage({ to: carol.address, subject: 'Uploaded through the front' });
  const up = await fetch(`${front.baseUrl}/upload/${remoteId}`, { method: 'POST', headers: { authorization: basic(alice), 'content-type': 'message/rfc822' }, body: new Uint8Array(raw) });
  const blob = await up.json();
  assert.equal(up.status, 201, JSON.stringify(blob));
  assert.deepEqual({ accountId: blob.accountId, size: blob.size, type: blob.type }, { accountId: remoteId, size: raw.length, type: 'message/rfc822' });
  const [[, inbox]] = await viaFront([['Mailbox/query', { accountId: remoteId, filter: { role: 'inbox' } }, 'm']]);
  const [[name, imported]] = await viaFront([['Email/import', { accountId: remoteId, emails: { i: { blobId: blob.blobId, mailboxIds: { [inbox.ids[0]]: true } } } }, 'i']]);
  assert.equal(name, 'Email/import', JSON.stringify(imported));
  const [[, direct1]] = await direct([['Email/get', { accountId: upstreamId, ids: [imported.created.i.id], properties: ['subject'] }, 'g']]);
  assert.equal(direct1.list[0].subject, 'Uploaded through the front');

  const big = await fetch(`${front.baseUrl}/upload/${remoteId}`, { method: 'POST', headers: { authorization: basic(alice), 'content-type': 'application/octet-stream' }, body: new Uint8Array(MAX_UPLOAD + 1) });
  assert.equal(big.status, 413, 'the front keeps its upload limit for proxied accounts');
  // Without a length up front the limit still holds, counted as the bytes stream through.
  const chunked = await fetch(`${front.baseUrl}/upload/${remoteId}`, {
    method: 'POST',
    headers: { authorization: basic(alice), 'content-type': 'application/octet-stream' },
    body: new ReadableStream({ start: (c) => { for (let i = 0; i < 5; i++) c.enqueue(new Uint8Array(64 * 1024)); c.close(); } }),
    duplex: 'half',
  } as RequestInit);
  assert.equal(chunked.status, 413);
  const local = await fetch(`${front.baseUrl}/upload/${localId}`, { method: 'POST', headers: { authorization: basic(alice), 'content-type': 'text/plain' }, body: 'local bytes' });
  assert.equal(local.status, 201);
  assert.equal((await local.json()).accountId, localId);
});

test('a bearer token works as the upstream credential', async () => {
  const token = await (await upstream.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: carol.address, password: carol.password } })).json();
  const res = await addRemote({ name: 'Carol by token', sessionUrl: `${upstream.baseUrl}/session`, authType: 'bearer', password: token.token });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  assert.equal(body.jmap.upstreamAccountId, upstreamId);
  const [[name, res2]] = await viaFront([['Mailbox/get', { accountId: body.id, ids: null, properties: ['role'] }, 'm']]);
  assert.equal(name, 'Mailbox/get', JSON.stringify(res2));
  const removed = await front.api(`/api/v1/users/${alice.id}/remotes/${body.id}`, { method: 'DELETE' });
  assert.equal(removed.status, 204);
});

test('a user made for a proxied account alone has it as the primary account of its session', async () => {
  const dave = { id: '', address: 'dave', password: 'dave proxied password' };
  const view = await front.services.remotes.create(
    { newUser: { username: dave.address, password: dave.password } },
    { protocol: 'jmap', email: carol.address, password: carol.password, sessionUrl: `${upstream.baseUrl}/session` },
    'dave',
  );
  assert.equal(view.protocol, 'jmap');
  const session = await (await fetch(`${front.baseUrl}/session`, { headers: { authorization: basic(dave) } })).json();
  assert.deepEqual(Object.keys(session.accounts), [view.id]);
  assert.equal(session.primaryAccounts['urn:ietf:params:jmap:mail'], view.id);
  const [[name, res]] = (await jmap(front, dave, [['Email/query', { accountId: view.id, filter: { subject: 'Upstream 3' } }, 'q']])).methodResponses;
  assert.equal(name, 'Email/query', JSON.stringify(res));
  assert.equal(res.ids.length, 1);
  assert.equal((await front.services.remotes.byExternalId('dave')).id, view.id);
});

test('an upstream that is down answers serverUnavailable for its calls; local calls still run', async () => {
  await upstream.stop();
  upstreamDown = true;
  const responses = await viaFront([
    ['Mailbox/get', { accountId: remoteId }, 'r'],
    ['Email/get', { accountId: remoteId, '#ids': { resultOf: 'r', name: 'Mailbox/get', path: '/ids' } }, 'r2'],
    ['Mailbox/get', { accountId: localId, properties: ['role'] }, 'l'],
  ]);
  assert.deepEqual(responses.map(([n, , c]) => `${n} ${c}`), ['error r', 'error r2', 'Mailbox/get l']);
  assert.equal(responses[0][1].type, 'serverUnavailable');
  assert.match(responses[0][1].description, /cannot reach the upstream JMAP server/);
  const down = await fetch(`${front.baseUrl}/raw/${remoteId}/M${'0'.repeat(64)}/x`, { headers: { authorization: basic(alice) } });
  assert.equal(down.status, 503);
});
