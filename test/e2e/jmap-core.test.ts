import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, test } from 'node:test';
import { CORE, MAIL } from '../../src/protocols/jmap/types.ts';
import { simpleMessage } from '../helpers/messages.ts';
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string; accountId: string; basic: string };

before(async () => {
  server = (await startTestServer())!;
  const { directory } = server.services;
  await directory.createDomain({ name: 'example.test' });
  const user = await directory.createUser({ username: 'alice', password: 'correct horse battery', address: 'alice@example.test' });
  const { accountId } = await directory.accountOfUser(user.id);
  alice = { id: user.id, accountId, basic: `Basic ${Buffer.from('alice:correct horse battery').toString('base64')}` };
});
after(() => server.stop());

const jmap = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { authorization: alice.basic, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || Buffer.isBuffer(body) ? (body as string) : JSON.stringify(body),
  });

async function problem(res: Response, type: string, status = 400) {
  assert.equal(res.status, status);
  assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
  const body = (await res.json()) as { type: string; status: number; detail: string; limit?: string };
  assert.equal(body.type, `urn:ietf:params:jmap:error:${type}`);
  assert.equal(body.status, status);
  assert.ok(body.detail);
  return body;
}

test('/.well-known/jmap redirects to /session', async () => {
  const res = await fetch(`${server.baseUrl}/.well-known/jmap`, { redirect: 'manual' });
  assert.equal(res.status, 301);
  assert.equal(res.headers.get('location'), '/session');
  const followed = await fetch(`${server.baseUrl}/.well-known/jmap`, { headers: { authorization: alice.basic } });
  assert.equal(followed.status, 200);
  assert.equal(((await followed.json()) as { username: string }).username, 'alice');
});

test('the session describes the user, the account, the capabilities and absolute URLs', async () => {
  const res = await fetch(`${server.baseUrl}/session`, { headers: { authorization: alice.basic } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/);
  const s = (await res.json()) as Record<string, any>;
  assert.equal(s.username, 'alice');
  assert.deepEqual(Object.keys(s.accounts), [alice.accountId]);
  const account = s.accounts[alice.accountId];
  assert.equal(account.name, 'alice');
  assert.equal(account.isPersonal, true);
  assert.equal(account.isReadOnly, false);
  const core = s.capabilities[CORE];
  assert.equal(core.maxCallsInRequest, 64);
  assert.equal(core.maxSizeRequest, 10_000_000);
  assert.equal(core.maxConcurrentRequests, 8);
  assert.equal(core.maxObjectsInGet, 1000);
  assert.equal(core.maxObjectsInSet, 1000);
  assert.equal(core.maxConcurrentUpload, 4);
  assert.equal(core.maxSizeUpload, server.config.maxMessageSize);
  assert.deepEqual(core.collationAlgorithms, ['i;ascii-numeric', 'i;ascii-casemap', 'i;unicode-casemap']);
  // Every capability with registered methods is advertised and usable with the account.
  // The websocket capability (RFC 8887) describes the session's transport, not an account.
  for (const urn of Object.keys(s.capabilities).filter((c) => c !== CORE && c !== 'urn:ietf:params:jmap:websocket')) {
    assert.ok(account.accountCapabilities[urn], `${urn} in accountCapabilities`);
    assert.equal(s.primaryAccounts[urn], alice.accountId);
  }
  if (s.capabilities[MAIL]) {
    assert.deepEqual(s.capabilities[MAIL], {});
    assert.equal(account.accountCapabilities[MAIL].maxSizeAttachmentsPerEmail, server.config.maxMessageSize);
    assert.equal(account.accountCapabilities[MAIL].mayCreateTopLevelMailbox, true);
  }
  assert.equal(s.primaryAccounts[CORE], undefined);
  assert.equal(s.apiUrl, `${server.baseUrl}/jmap`);
  assert.equal(s.downloadUrl, `${server.baseUrl}/raw/{accountId}/{blobId}/{name}?type={type}`);
  assert.equal(s.uploadUrl, `${server.baseUrl}/upload/{accountId}`);
  assert.equal(s.eventSourceUrl, `${server.baseUrl}/eventsource?types={types}&closeafter={closeafter}&ping={ping}`);
  assert.equal(typeof s.state, 'string');
});

test('the session URLs follow the Host the client used', async () => {
  const body = await new Promise<string>((resolve, reject) => {
    const port = new URL(server.baseUrl).port;
    const r = httpRequest({ host: '127.0.0.1', port, path: '/session', headers: { host: `mail.example.test:${port}`, authorization: alice.basic } }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve(data));
    });
    r.on('error', reject);
    r.end();
  });
  assert.match(JSON.parse(body).apiUrl, /^http:\/\/mail\.example\.test:\d+\/jmap$/);
});

test('Core/echo over HTTP, with sessionState equal to the session state', async () => {
  const session = (await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: alice.basic } })).json()) as { state: string };
  const res = await jmap({ using: [CORE], methodCalls: [['Core/echo', { hello: true, high: 5 }, 'b3ff']] });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(await res.json(), { methodResponses: [['Core/echo', { hello: true, high: 5 }, 'b3ff']], sessionState: session.state });
});

test('method-level errors come back in a 200 response', async () => {
  const res = await jmap({ using: [CORE], methodCalls: [['Nope/nope', {}, 'a'], ['Core/echo', {}, 'b']], createdIds: { k: 'x1' } });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { methodResponses: unknown[][]; createdIds: unknown };
  assert.equal((body.methodResponses[0][1] as { type: string }).type, 'unknownMethod');
  assert.deepEqual(body.methodResponses[1], ['Core/echo', {}, 'b']);
  assert.deepEqual(body.createdIds, { k: 'x1' });
});

test('request-level errors: notJSON', async () => {
  await problem(await jmap('{"using": ['), 'notJSON');
  await problem(await jmap(JSON.stringify({ using: [CORE], methodCalls: [] }), { 'content-type': 'text/plain' }), 'notJSON');
  await problem(await jmap(''), 'notJSON');
  await problem(await fetch(`${server.baseUrl}/jmap`, { method: 'POST', headers: { authorization: alice.basic } }), 'notJSON');
});

test('request-level errors: notRequest', async () => {
  await problem(await jmap({ using: [CORE] }), 'notRequest');
  await problem(await jmap([1, 2]), 'notRequest');
  await problem(await jmap({ using: [CORE], methodCalls: [['Core/echo', {}]] }), 'notRequest');
});

test('request-level errors: unknownCapability', async () => {
  const body = await problem(await jmap({ using: [CORE, 'https://example.com/apis/foobar'], methodCalls: [] }), 'unknownCapability');
  assert.match(body.detail, /foobar/);
});

test('request-level errors: limit on maxCallsInRequest', async () => {
  const calls = Array.from({ length: 65 }, (_, i) => ['Core/echo', {}, `c${i}`]);
  const body = await problem(await jmap({ using: [CORE], methodCalls: calls }), 'limit');
  assert.equal(body.limit, 'maxCallsInRequest');
  assert.equal((await jmap({ using: [CORE], methodCalls: calls.slice(0, 64) })).status, 200);
});

test('request-level errors: limit on maxSizeRequest', async () => {
  const huge = JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(10_000_001) }, 'c']] });
  const body = await problem(await jmap(huge), 'limit');
  assert.equal(body.limit, 'maxSizeRequest');
  // Just under the limit is accepted (the REST API's 1 MB body limit does not apply here).
  const big = JSON.stringify({ using: [CORE], methodCalls: [['Core/echo', { pad: 'x'.repeat(2_000_000) }, 'c']] });
  assert.equal((await jmap(big)).status, 200);
});

test('authentication: none is 401, the admin token is 403, a user token works', async () => {
  for (const path of ['/session', '/jmap', '/eventsource']) {
    const method = path === '/jmap' ? 'POST' : 'GET';
    const none = await fetch(`${server.baseUrl}${path}`, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(none.status, 401, path);
    assert.match(none.headers.get('www-authenticate') ?? '', /Basic/);
    assert.match(none.headers.get('content-type') ?? '', /problem\+json/);
    const admin = await fetch(`${server.baseUrl}${path}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    assert.equal(admin.status, 403, path);
    assert.match(admin.headers.get('content-type') ?? '', /problem\+json/);
  }
  const wrong = await jmap({ using: [CORE], methodCalls: [] }, { authorization: `Basic ${Buffer.from('alice:nope').toString('base64')}` });
  assert.equal(wrong.status, 401);
  const token = await server.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: 'alice', password: 'correct horse battery' } });
  const { token: bearer } = (await token.json()) as { token: string };
  const res = await jmap({ using: [CORE], methodCalls: [['Core/echo', { x: 1 }, 'a']] }, { authorization: `Bearer ${bearer}` });
  assert.equal(res.status, 200);
});

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Reads an event stream with Basic auth, collecting parsed events; `ended` resolves when the server closes it. */
function openEventSource(query: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  let buffer = '';
  let status = 0;
  let contentType = '';
  let wake: () => void = () => {};
  let destroy: () => void = () => {};
  const ended = new Promise<void>((resolveEnded) => {
    const r = httpRequest(`${server.baseUrl}/eventsource${query}`, { headers: { authorization: alice.basic, ...headers } }, (res) => {
      status = res.statusCode ?? 0;
      contentType = String(res.headers['content-type']);
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let idx;
        while ((idx = buffer.indexOf('\n\n')) >= 0) {
          const ev: SseEvent = {};
          for (const line of buffer.slice(0, idx).split('\n')) {
            const m = /^(id|event|data): ?(.*)$/.exec(line);
            if (m) ev[m[1] as keyof SseEvent] = m[2];
          }
          buffer = buffer.slice(idx + 2);
          if (ev.event) events.push(ev);
          wake();
        }
      });
      res.on('end', () => resolveEnded());
      res.on('close', () => resolveEnded());
      wake();
    });
    r.on('error', () => resolveEnded());
    r.end();
    destroy = () => r.destroy();
  });
  const stream = {
    events,
    ended,
    get status() {
      return status;
    },
    get contentType() {
      return contentType;
    },
    close: () => destroy(),
    async until(pred: () => boolean, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > deadline) throw new Error(`timed out; status ${status}, events ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          wake = r;
          setTimeout(r, 50);
        });
      }
    },
  };
  return stream;
}

async function deliver(subject: string) {
  const res = await fetch(`${server.baseUrl}/api/v1/users/${alice.id}/mailboxes/inbox/messages`, {
    method: 'POST',
    headers: { authorization: alice.basic, 'content-type': 'message/rfc822' },
    body: new Uint8Array(simpleMessage({ subject })),
  });
  assert.equal(res.status, 201, await res.clone().text());
}

test('event source: a StateChange after a message arrives, and closeafter=state ends the stream', async () => {
  const stream = openEventSource('?types=*&closeafter=state&ping=0');
  await stream.until(() => stream.status !== 0);
  assert.equal(stream.status, 200);
  assert.match(stream.contentType, /^text\/event-stream/);
  await deliver('push me');
  await stream.ended;
  assert.equal(stream.events.length, 1);
  const [ev] = stream.events;
  assert.equal(ev.event, 'state');
  const data = JSON.parse(ev.data!) as { '@type': string; changed: Record<string, Record<string, string>> };
  assert.equal(data['@type'], 'StateChange');
  assert.deepEqual(Object.keys(data.changed), [alice.accountId]);
  const states = data.changed[alice.accountId];
  assert.ok(states.Email, 'Email changed');
  assert.ok(states.Mailbox, 'Mailbox counts changed');
  assert.equal(states.Email, ev.id, 'the state string is the modseq the event id carries');
  assert.equal(states.Email, String(await server.services.changes.current(alice.accountId)));
});

test('event source: types filter, ping events, and Last-Event-ID catch-up', async () => {
  const threadOnly = openEventSource('?types=Thread&closeafter=no&ping=1');
  await threadOnly.until(() => threadOnly.status === 200);
  const before = await server.services.changes.current(alice.accountId);
  await deliver('second');
  await threadOnly.until(() => threadOnly.events.some((e) => e.event === 'state'));
  const state = threadOnly.events.find((e) => e.event === 'state')!;
  assert.deepEqual(Object.keys(JSON.parse(state.data!).changed[alice.accountId]), ['Thread']);
  await threadOnly.until(() => threadOnly.events.some((e) => e.event === 'ping'), 3000);
  const ping = threadOnly.events.find((e) => e.event === 'ping')!;
  assert.deepEqual(JSON.parse(ping.data!), { interval: 1 });
  assert.equal(ping.id, undefined, 'a ping sets no event id');
  threadOnly.close();

  // Reconnecting from before that delivery replays it at once.
  const resumed = openEventSource('?types=*&closeafter=state&ping=0', { 'last-event-id': String(before) });
  await resumed.ended;
  assert.equal(resumed.events.length, 1);
  assert.ok(JSON.parse(resumed.events[0].data!).changed[alice.accountId].Email);
});

test('event source: bad parameters are 400 problem details', async () => {
  for (const q of ['?types=*&closeafter=sometimes&ping=0', '?types=*&closeafter=no&ping=-5', '?types=&closeafter=no&ping=0']) {
    const res = await fetch(`${server.baseUrl}/eventsource${q}`, { headers: { authorization: alice.basic } });
    assert.equal(res.status, 400, q);
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
  }
});

test('open event streams do not hold up shutdown', async () => {
  const other = (await startTestServer())!;
  try {
    await other.services.directory.createDomain({ name: 'example.test' });
    await other.services.directory.createUser({ username: 'alice', password: 'correct horse battery', address: 'alice@example.test' });
    // Shut down only once the stream is open: a login still being checked is not an open stream.
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const ended = new Promise<void>((resolve) => {
      const r = httpRequest(`${other.baseUrl}/eventsource?types=*&closeafter=no&ping=0`, { headers: { authorization: alice.basic } }, (res) => {
        opened();
        res.resume();
        res.on('close', () => resolve());
      });
      r.end();
    });
    await open;
    const t0 = Date.now();
    await other.stop();
    await ended;
    assert.ok(Date.now() - t0 < 5000);
  } catch (err) {
    await other.stop().catch(() => {});
    throw err;
  }
});
