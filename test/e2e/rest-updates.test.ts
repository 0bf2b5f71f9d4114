import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, test } from 'node:test';
import { simpleMessage } from '../helpers/messages.ts';
import { ADMIN_TOKEN, createUser, startTestServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let alice: { id: string };
before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
});
after(() => server.stop());

interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/** Opens the update stream and collects parsed events until `until` is satisfied. */
function openStream(path: string, headers: Record<string, string> = {}) {
  const events: SseEvent[] = [];
  const waiters: (() => void)[] = [];
  let buffer = '';
  const req = request(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let idx;
      while ((idx = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, idx);
        buffer = buffer.slice(idx + 2);
        const ev: SseEvent = {};
        for (const line of block.split('\n')) {
          const m = /^(id|event|data): (.*)$/.exec(line);
          if (m) ev[m[1] as keyof SseEvent] = m[2];
        }
        if (ev.event) events.push(ev);
        waiters.splice(0).forEach((w) => w());
      }
    });
  });
  req.end();
  return {
    events,
    async until(pred: (evs: SseEvent[]) => boolean, ms = 5000) {
      const deadline = Date.now() + ms;
      while (!pred(events)) {
        if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(events)}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 100);
        });
      }
    },
    close: () => req.destroy(),
  };
}

const upload = (subject: string) =>
  server.api(`/api/v1/users/${alice.id}/mailboxes/inbox/messages`, { method: 'POST', body: simpleMessage({ subject }), headers: { 'content-type': 'message/rfc822' } });

test('update stream: live change events, then resume with Last-Event-ID', async () => {
  const stream = openStream(`/api/v1/users/${alice.id}/updates`);
  await stream.until((e) => e.some((x) => x.event === 'ready'));
  const created = await (await upload('live one')).json();
  await stream.until((e) => e.some((x) => x.event === 'change' && x.data!.includes(created.id)));
  const change = stream.events.find((x) => x.event === 'change')!;
  const payload = JSON.parse(change.data!);
  assert.equal(String(payload.modseq), change.id);
  assert.ok(payload.changes.some((c: { type: string; id: string; op: string }) => c.type === 'Email' && c.id === created.id && c.op === 'c'));
  assert.ok(payload.changes.some((c: { type: string }) => c.type === 'Mailbox'));
  stream.close();

  // While disconnected: two more changes. Resuming from the last seen id replays exactly those.
  const lastId = change.id!;
  const second = await (await upload('missed one')).json();
  await server.api(`/api/v1/users/${alice.id}/messages/${second.id}`, { method: 'PATCH', json: { flagged: true } });
  const resumed = openStream(`/api/v1/users/${alice.id}/updates`, { 'last-event-id': lastId });
  await resumed.until((e) => e.filter((x) => x.event === 'change').length >= 2);
  const replay = resumed.events.filter((x) => x.event === 'change').map((x) => JSON.parse(x.data!));
  assert.equal(replay[0].changes.find((c: { type: string }) => c.type === 'Email').op, 'c');
  assert.equal(replay[1].changes.find((c: { type: string }) => c.type === 'Email').op, 'u');
  assert.ok(replay.every((r) => r.modseq > Number(lastId)));
  resumed.close();
});

test('update stream: another user\'s stream sees nothing; bad Last-Event-ID is refused', async () => {
  const bob = await createUser(server, 'bob');
  const stream = openStream(`/api/v1/users/${bob.id}/updates`);
  await stream.until((e) => e.some((x) => x.event === 'ready'));
  await upload('for alice only');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(stream.events.filter((x) => x.event === 'change').length, 0);
  stream.close();

  const bad = await server.api(`/api/v1/users/${alice.id}/updates`, { headers: { 'last-event-id': 'abc' } });
  assert.equal(bad.status, 400);
});

test('shutting down ends open update streams instead of waiting on them', async () => {
  const own = (await startTestServer())!;
  const u = await createUser(own, 'carol');
  const res = await own.api(`/api/v1/users/${u.id}/updates`);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  await reader.read();
  const started = Date.now();
  await own.stop();
  assert.ok(Date.now() - started < 5000, `stop took ${Date.now() - started} ms`);
  // The stream ends cleanly from the client's side too.
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
});
