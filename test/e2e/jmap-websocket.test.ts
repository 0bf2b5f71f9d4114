import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string; address: string; password: string };
let accountId: string;
const basic = () => 'Basic ' + Buffer.from(`${alice.address}:${alice.password}`).toString('base64');

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
  accountId = (await server.services.directory.accountOfUser(alice.id)).accountId;
});
after(() => server.stop());

/** A connected client that queues incoming messages for next(). */
async function connect(headers: Record<string, string> = { authorization: basic() }) {
  const session = await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic() } })).json();
  const url = session.capabilities['urn:ietf:params:jmap:websocket'].url as string;
  const socket = new WebSocket(url, 'jmap', { headers });
  const inbox: Record<string, any>[] = [];
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    inbox.push(JSON.parse(data.toString()));
    waiters.splice(0).forEach((w) => w());
  });
  await new Promise<void>((resolve, reject) => socket.once('open', () => resolve()).once('error', reject));
  return {
    socket,
    send: (v: unknown) => socket.send(typeof v === 'string' ? v : JSON.stringify(v)),
    async next(ms = 5000): Promise<Record<string, any>> {
      const deadline = Date.now() + ms;
      while (inbox.length === 0) {
        if (Date.now() > deadline) throw new Error('no message in time');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
      return inbox.shift()!;
    },
  };
}

test('the session advertises the websocket; requests get responses with their id', async () => {
  const session = await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic() } })).json();
  assert.deepEqual(session.capabilities['urn:ietf:params:jmap:websocket'], { url: `${server.baseUrl.replace('http', 'ws')}/jmap/ws`, supportsPush: true });
  const c = await connect();
  assert.equal(c.socket.protocol, 'jmap');
  c.send({ '@type': 'Request', id: 'r1', using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: [['Core/echo', { hello: true }, 'a'], ['Mailbox/get', { accountId, properties: ['role'] }, 'b']] });
  const res = await c.next();
  assert.equal(res['@type'], 'Response');
  assert.equal(res.requestId, 'r1');
  assert.deepEqual(res.methodResponses[0], ['Core/echo', { hello: true }, 'a']);
  assert.equal(res.methodResponses[1][1].list.length, 6);
  assert.ok(res.sessionState);

  c.send('{not json');
  assert.equal((await c.next()).type, 'urn:ietf:params:jmap:error:notJSON');
  c.send({ '@type': 'Request', id: 'r2', using: ['urn:example:nope'], methodCalls: [] });
  const err = await c.next();
  assert.equal(err['@type'], 'RequestError');
  assert.equal(err.requestId, 'r2');
  assert.equal(err.type, 'urn:ietf:params:jmap:error:unknownCapability');
  c.socket.close();
});

test('push: StateChange after a delivery, filtered by dataTypes, stopped by WebSocketPushDisable', async () => {
  const c = await connect();
  c.send({ '@type': 'WebSocketPushEnable', dataTypes: ['Email'] });
  await new Promise((r) => setTimeout(r, 100));
  await server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage(), headers: { 'content-type': 'message/rfc822' } });
  const change = await c.next();
  assert.equal(change['@type'], 'StateChange');
  assert.deepEqual(Object.keys(change.changed[accountId]), ['Email']);
  assert.match(change.pushState, /^\d+$/);

  c.send({ '@type': 'WebSocketPushDisable' });
  await new Promise((r) => setTimeout(r, 100));
  await server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage(), headers: { 'content-type': 'message/rfc822' } });
  await assert.rejects(c.next(500), /no message in time/);

  // Resuming from a pushState replays what happened since.
  c.send({ '@type': 'WebSocketPushEnable', dataTypes: null, pushState: change.pushState });
  const replay = await c.next();
  assert.ok(Number(replay.pushState) > Number(change.pushState));
  assert.ok(replay.changed[accountId].Mailbox);
  c.socket.close();
});

test('the upgrade needs credentials and the jmap subprotocol', async () => {
  const url = `${server.baseUrl.replace('http', 'ws')}/jmap/ws`;
  const unauth = new WebSocket(url, 'jmap');
  const status = await new Promise<number>((resolve) => unauth.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)).once('error', () => resolve(-1)));
  assert.equal(status, 401);
  const noProtocol = new WebSocket(url, { headers: { authorization: basic() } });
  const outcome = await new Promise<string>((resolve) => noProtocol.once('open', () => resolve('open')).once('error', () => resolve('error')).once('unexpected-response', () => resolve('refused')));
  assert.notEqual(outcome, 'open');
});
