import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { createServices } from '../../src/services/index.ts';
import { simpleMessage } from '../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

type User = Awaited<ReturnType<typeof createUser>>;
type Hook = { id: string; url: string; events: string[]; userId: string | null; secret?: string };
type Received = { path: string; headers: IncomingHttpHeaders; body: string; json: any };
type Delivery = { id: string; eventId: string; type: string; status: string; attempts: number; responseStatus: number | null; error: string | null; payload: any };

// Retries follow at once, so no test waits on a clock.
const CONFIG = { webhookRetrySchedule: '0s,0s,0s' };

let server: TestServer;
let alice: User;
let bob: User;
let aliceToken: string;
let aliceAccount: string;
let bobAccount: string;
let receiver: Server;
let base: string;
const received: Received[] = [];
const tries = new Map<string, number>();
// While set, requests to /hang get no answer until the server gives up on them.
let hang = true;

/** The receiver answers by path: /flaky fails each event twice, /down always, /moved redirects, anything else takes it. */
function answer(path: string, eventId: string): number {
  if (path.startsWith('/down')) return 500;
  if (path.startsWith('/moved')) return 302;
  if (path.startsWith('/flaky')) {
    const n = (tries.get(eventId) ?? 0) + 1;
    tries.set(eventId, n);
    return n <= 2 ? 503 : 200;
  }
  return 204;
}

before(async () => {
  server = (await startTestServer({ config: CONFIG }))!;
  alice = await createUser(server, 'alice');
  bob = await createUser(server, 'bob');
  aliceToken = await tokenOf(server, alice);
  aliceAccount = (await server.services.directory.accountOfUser(alice.id)).accountId;
  bobAccount = (await server.services.directory.accountOfUser(bob.id)).accountId;
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const json = JSON.parse(body);
      received.push({ path: req.url ?? '', headers: req.headers, body, json });
      if (req.url === '/hang' && hang) return;
      const status = answer(req.url ?? '', json.id);
      res.writeHead(status, status === 302 ? { location: `${base}/elsewhere` } : {}).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});
after(async () => {
  await server.stop();
  receiver.closeAllConnections();
  await new Promise((resolve) => receiver.close(resolve));
});

async function tokenOf(s: TestServer, user: User): Promise<string> {
  const res = await s.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: user.username, password: user.password } });
  return ((await res.json()) as { token: string }).token;
}

async function createHook(s: TestServer, body: Record<string, unknown>, token?: string): Promise<Hook> {
  const res = await s.api('/api/v1/webhooks', { method: 'POST', json: body, token });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as Hook;
}

async function deliver(s: TestServer, user: User, subject: string): Promise<{ id: string; threadId: string; mailboxIds: string[] }> {
  const res = await s.api(`/api/v1/users/${user.id}/mailboxes/inbox/messages`, { method: 'POST', headers: { 'content-type': 'message/rfc822' }, body: simpleMessage({ subject, to: user.address }) });
  assert.equal(res.status, 201, await res.clone().text());
  return (await res.json()) as { id: string; threadId: string; mailboxIds: string[] };
}

async function deliveries(s: TestServer, hookId: string, token?: string): Promise<Delivery[]> {
  const res = await s.api(`/api/v1/webhooks/${hookId}/deliveries?limit=250`, { token });
  assert.equal(res.status, 200);
  return ((await res.json()) as { results: Delivery[] }).results;
}

/** Polls until `find` returns something; the test fails after 10 s (a hang, not a timing claim). */
async function waitFor<T>(what: string, find: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const found = await find();
    if (found !== undefined && found !== false) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const at = (path: string) => received.filter((r) => r.path === path);
const arrival = (path: string, type: string, match: (data: any) => boolean = () => true) =>
  waitFor(`${type} at ${path}`, () => at(path).find((r) => r.json.type === type && match(r.json.data)));

function assertSigned(r: Received, secret: string): void {
  const timestamp = Number(r.headers['x-gannet-timestamp']);
  assert.ok(Math.abs(Date.now() / 1000 - timestamp) < 300, 'the timestamp is current');
  const expected = 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${r.body}`).digest('hex');
  assert.equal(r.headers['x-gannet-signature'], expected);
  assert.equal(r.headers['content-type'], 'application/json');
  assert.equal(r.headers['x-gannet-event'], r.json.type);
  assert.match(String(r.headers['x-gannet-delivery']), /^y[0-9a-z]{23}$/);
}

test('bad urls and unknown event types are 400 problem details; the secret is shown only at creation', async () => {
  for (const url of ['ftp://example.com/hook', 'http://user:pass@example.com/hook', 'not a url']) {
    const res = await server.api('/api/v1/webhooks', { method: 'POST', json: { url } });
    assert.equal(res.status, 400, url);
    assert.equal(res.headers.get('content-type'), 'application/problem+json; charset=utf-8');
    const problem = (await res.json()) as { type: string; errors: { field: string }[] };
    assert.equal(problem.type, 'urn:gannet:problem:invalid');
    assert.equal(problem.errors[0].field, 'url');
  }
  const res = await server.api('/api/v1/webhooks', { method: 'POST', json: { url: `${base}/x`, events: ['email.created', 'email.exploded'] } });
  assert.equal(res.status, 400);
  assert.deepEqual(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field), ['events.1']);
  const ping = await server.api('/api/v1/webhooks', { method: 'POST', json: { url: `${base}/x`, events: ['ping'] } });
  assert.equal(ping.status, 400);

  const hook = await createHook(server, { url: `${base}/shown-once` }, aliceToken);
  assert.match(hook.secret!, /^whsec_/);
  assert.equal(hook.userId, alice.id);
  assert.deepEqual(hook.events, ['*']);
  const fetched = (await (await server.api(`/api/v1/webhooks/${hook.id}`, { token: aliceToken })).json()) as Hook;
  assert.equal(fetched.secret, undefined);
  const listed = (await (await server.api('/api/v1/webhooks', { token: aliceToken })).json()) as { results: Hook[] };
  assert.ok(listed.results.every((h) => h.secret === undefined));
  const rotated = (await (await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'PATCH', json: { rotateSecret: true }, token: aliceToken })).json()) as Hook;
  assert.match(rotated.secret!, /^whsec_/);
  assert.notEqual(rotated.secret, hook.secret);
  assert.equal((await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE', token: aliceToken })).status, 204);
});

test('a user sees only their own webhooks and cannot make one for someone else; the admin sees all', async () => {
  const bobToken = await tokenOf(server, bob);
  const own = await createHook(server, { url: `${base}/bobs` }, bobToken);
  const global = await createHook(server, { url: `${base}/global-listing`, enabled: false });
  assert.equal(global.userId, null);
  const forBob = await createHook(server, { url: `${base}/for-bob`, userId: bob.username, enabled: false });
  assert.equal(forBob.userId, bob.id);

  assert.equal((await server.api(`/api/v1/webhooks/${global.id}`, { token: bobToken })).status, 404);
  assert.equal((await server.api(`/api/v1/webhooks/${own.id}`, { token: aliceToken })).status, 404);
  assert.equal((await server.api(`/api/v1/webhooks/${own.id}/deliveries`, { token: aliceToken })).status, 404);
  assert.equal((await server.api(`/api/v1/webhooks/${own.id}`, { method: 'DELETE', token: aliceToken })).status, 404);
  const foreign = await server.api('/api/v1/webhooks', { method: 'POST', json: { url: `${base}/x`, userId: bob.id }, token: aliceToken });
  assert.equal(foreign.status, 404);
  const nobody = await server.api('/api/v1/webhooks', { method: 'POST', json: { url: `${base}/x`, userId: 'nobody-here' } });
  assert.equal(nobody.status, 400);

  const bobs = (await (await server.api('/api/v1/webhooks', { token: bobToken })).json()) as { total: number; results: Hook[] };
  assert.deepEqual(bobs.results.map((h) => h.id).sort(), [own.id, forBob.id].sort());
  const all = (await (await server.api('/api/v1/webhooks?limit=1')).json()) as { total: number; next: string | null };
  assert.ok(all.total >= 3 && all.next !== null);
  for (const h of [own, global, forBob]) assert.equal((await server.api(`/api/v1/webhooks/${h.id}`, { method: 'DELETE' })).status, 204);
});

test('email.created arrives signed, with a summary; an event filter keeps other types out', async () => {
  const filtered = await createHook(server, { url: `${base}/created-only`, events: ['email.created'] }, aliceToken);
  const everything = await createHook(server, { url: `${base}/everything`, events: ['*'] }, aliceToken);
  const email = await deliver(server, alice, 'Webhook hello');

  const got = await arrival('/created-only', 'email.created', (d) => d.emailId === email.id);
  assertSigned(got, filtered.secret!);
  assert.match(got.json.id, /^v[0-9a-z]{23}$/);
  assert.equal(got.json.accountId, aliceAccount);
  assert.equal(got.json.userId, alice.id);
  assert.ok(!Number.isNaN(Date.parse(got.json.createdAt)));
  assert.equal(got.json.data.subject, 'Webhook hello');
  assert.deepEqual(got.json.data.from, { name: 'Bob Sender', email: 'bob@remote.test' });
  assert.deepEqual(got.json.data.mailboxIds, email.mailboxIds);
  assert.ok(!Number.isNaN(Date.parse(got.json.data.receivedAt)));

  // The same write reached the catch-all hook as three events, queued together with the filtered one's.
  await arrival('/everything', 'thread.updated', (d) => d.threadId === email.threadId);
  await arrival('/everything', 'mailbox.updated', (d) => d.mailboxId === email.mailboxIds[0]);
  const same = await arrival('/everything', 'email.created', (d) => d.emailId === email.id);
  assertSigned(same, everything.secret!);
  assert.equal(same.json.id, got.json.id, 'one change is one event, whichever hook gets it');
  assert.deepEqual(
    (await deliveries(server, filtered.id, aliceToken)).map((d) => d.type),
    ['email.created'],
  );
  for (const h of [filtered, everything]) await server.api(`/api/v1/webhooks/${h.id}`, { method: 'DELETE' });
});

test('updates and deletions of emails and mailboxes arrive with their ids', async () => {
  const path = '/lifecycle';
  await createHook(server, { url: base + path, events: ['email.updated', 'email.deleted', 'mailbox.created', 'mailbox.updated', 'mailbox.deleted', 'thread.updated'] }, aliceToken);
  const email = await deliver(server, alice, 'Lifecycle');
  await arrival(path, 'thread.updated', (d) => d.threadId === email.threadId);

  const patch = await server.api(`/api/v1/users/${alice.id}/messages/${email.id}`, { method: 'PATCH', json: { seen: true } });
  assert.equal(patch.status, 200);
  await arrival(path, 'email.updated', (d) => d.emailId === email.id);

  const created = (await (await server.api(`/api/v1/users/${alice.id}/mailboxes`, { method: 'POST', json: { name: 'Projects' } })).json()) as { id: string };
  await arrival(path, 'mailbox.created', (d) => d.mailboxId === created.id);
  assert.equal((await server.api(`/api/v1/users/${alice.id}/mailboxes/${created.id}`, { method: 'PATCH', json: { name: 'Projects 2026' } })).status, 200);
  await arrival(path, 'mailbox.updated', (d) => d.mailboxId === created.id);

  assert.equal((await server.api(`/api/v1/users/${alice.id}/messages/${email.id}`, { method: 'DELETE' })).status, 204);
  await arrival(path, 'email.deleted', (d) => d.emailId === email.id);
  assert.equal((await server.api(`/api/v1/users/${alice.id}/mailboxes/${created.id}`, { method: 'DELETE' })).status, 204);
  await arrival(path, 'mailbox.deleted', (d) => d.mailboxId === created.id);

  const events = at(path).map((r) => r.json);
  assert.equal(new Set(events.map((e) => e.id)).size, events.length, 'no event twice');
  assert.ok(events.every((e) => e.accountId === aliceAccount && e.userId === alice.id));
  assert.ok(!events.some((e) => e.type === 'email.created'), 'not subscribed');
});

test('a failing receiver gets the same event again until it takes it, and the log shows the attempts', async () => {
  const hook = await createHook(server, { url: `${base}/flaky`, events: ['email.created'] }, aliceToken);
  const email = await deliver(server, alice, 'Flaky');
  const [log] = await waitFor('the delivery to settle', async () => {
    const rows = await deliveries(server, hook.id, aliceToken);
    return rows.length === 1 && rows[0].status === 'delivered' ? rows : undefined;
  });
  const attempts = at('/flaky').filter((r) => r.json.data.emailId === email.id);
  assert.equal(attempts.length, 3);
  assert.equal(new Set(attempts.map((r) => r.json.id)).size, 1, 'the same event id every time');
  assert.equal(new Set(attempts.map((r) => r.headers['x-gannet-delivery'])).size, 1);
  assert.equal(new Set(attempts.map((r) => r.body)).size, 1, 'the same bytes every time');
  for (const r of attempts) assertSigned(r, hook.secret!);
  assert.equal(log.eventId, attempts[0].json.id);
  assert.equal(log.attempts, 3);
  assert.equal(log.responseStatus, 200);
  assert.equal(log.payload.data.emailId, email.id);
  await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE' });
});

test('a receiver that keeps failing, or redirects, is given up after the schedule', async () => {
  const down = await createHook(server, { url: `${base}/down`, events: ['email.created'] }, aliceToken);
  const moved = await createHook(server, { url: `${base}/moved`, events: ['email.created'] }, aliceToken);
  await deliver(server, alice, 'Nobody home');
  for (const [hook, error] of [
    [down, 'HTTP 500'],
    [moved, 'redirect (HTTP 302) not followed'],
  ] as const) {
    const [log] = await waitFor('the delivery to fail', async () => {
      const rows = await deliveries(server, hook.id, aliceToken);
      return rows[0]?.status === 'failed' ? rows : undefined;
    });
    assert.equal(log.attempts, 4, 'one attempt and three retries');
    assert.equal(log.error, error);
  }
  assert.ok(!received.some((r) => r.path === '/elsewhere'), 'the redirect was not followed');
  for (const h of [down, moved]) await server.api(`/api/v1/webhooks/${h.id}`, { method: 'DELETE' });
});

test('a user\'s webhook never gets another user\'s events; a global one gets everyone\'s', async () => {
  const mine = await createHook(server, { url: `${base}/alice-only`, events: ['email.created'] }, aliceToken);
  const global = await createHook(server, { url: `${base}/global`, events: ['email.created'] });
  const bobs = await deliver(server, bob, 'For Bob');
  const alices = await deliver(server, alice, 'For Alice');
  await arrival('/global', 'email.created', (d) => d.emailId === bobs.id);
  await arrival('/global', 'email.created', (d) => d.emailId === alices.id);
  await arrival('/alice-only', 'email.created', (d) => d.emailId === alices.id);
  assert.ok(at('/alice-only').every((r) => r.json.accountId === aliceAccount));
  assert.ok((await deliveries(server, mine.id, aliceToken)).every((d) => d.payload.accountId === aliceAccount));
  const bobEvent = at('/global').find((r) => r.json.data.emailId === bobs.id)!;
  assert.equal(bobEvent.json.accountId, bobAccount);
  assert.equal(bobEvent.json.userId, bob.id);
  for (const h of [mine, global]) await server.api(`/api/v1/webhooks/${h.id}`, { method: 'DELETE' });
});

test('emit() delivers sync and error events to the hooks that want them; test pings the hook alone', async () => {
  const syncs = await createHook(server, { url: `${base}/syncs`, events: ['sync.completed'] }, aliceToken);
  const errors = await createHook(server, { url: `${base}/errors`, events: ['account.error'] }, aliceToken);
  const syncId = await server.services.webhooks.emit(aliceAccount, 'sync.completed', { mailboxes: 3, emails: 120 });
  const errorId = await server.services.webhooks.emit(aliceAccount, 'account.error', { message: 'upstream refused the login' });
  const sync = await arrival('/syncs', 'sync.completed');
  assert.equal(sync.json.id, syncId);
  assert.deepEqual(sync.json.data, { mailboxes: 3, emails: 120 });
  assert.equal(sync.json.accountId, aliceAccount);
  assert.equal(sync.json.userId, alice.id);
  assertSigned(sync, syncs.secret!);
  assert.equal((await arrival('/errors', 'account.error')).json.id, errorId);
  assert.ok(!at('/syncs').some((r) => r.json.type === 'account.error'));
  await assert.rejects(server.services.webhooks.emit(aliceAccount, 'email.created' as never, {}), /type/);
  await assert.rejects(server.services.webhooks.emit('a-missing-account', 'sync.completed', {}), /not found/);

  const res = await server.api(`/api/v1/webhooks/${errors.id}/test`, { method: 'POST', token: aliceToken });
  assert.equal(res.status, 202);
  const queued = (await res.json()) as Delivery;
  const ping = await arrival('/errors', 'ping');
  assert.equal(ping.json.id, queued.eventId);
  assert.deepEqual(ping.json.data, { webhookId: errors.id });
  for (const h of [syncs, errors]) await server.api(`/api/v1/webhooks/${h.id}`, { method: 'DELETE' });
});

test('changes committed while nothing dispatched are delivered after a restart', async () => {
  const first = (await startTestServer({ backend: server.backend, config: CONFIG }))!;
  const carol = await createUser(first, 'carol');
  const hook = await createHook(first, { url: `${base}/restart`, events: ['email.created', 'mailbox.created'] });
  // As if the node died right after these commits: nothing turns them into deliveries.
  await first.services.webhooks.stop();
  const email = await deliver(first, carol, 'Survives a restart');
  const box = (await (await first.api(`/api/v1/users/${carol.id}/mailboxes`, { method: 'POST', json: { name: 'Later' } })).json()) as { id: string };
  assert.equal((await deliveries(first, hook.id)).length, 0);
  await first.close();

  const second = (await startTestServer({ backend: server.backend, config: { ...CONFIG, dataDir: first.config.dataDir, databaseUrl: first.config.databaseUrl } }))!;
  try {
    const got = await arrival('/restart', 'email.created', (d) => d.emailId === email.id);
    assertSigned(got, hook.secret!);
    await arrival('/restart', 'mailbox.created', (d) => d.mailboxId === box.id);
    assert.equal((await deliveries(second, hook.id)).length, 2);
  } finally {
    await second.stop();
  }
});

test('a delivery in flight at shutdown is sent again after a restart, as the same event, not counted as an attempt', async () => {
  const first = (await startTestServer({ backend: server.backend, config: CONFIG }))!;
  const erin = await createUser(first, 'erin');
  const hook = await createHook(first, { url: `${base}/hang`, events: ['email.created'] });
  const email = await deliver(first, erin, 'In flight');
  const inFlight = await arrival('/hang', 'email.created', (d) => d.emailId === email.id);
  await first.close();
  hang = false;

  const second = (await startTestServer({ backend: server.backend, config: { ...CONFIG, dataDir: first.config.dataDir, databaseUrl: first.config.databaseUrl } }))!;
  try {
    const [log] = await waitFor('the delivery to settle', async () => {
      const rows = await deliveries(second, hook.id);
      return rows[0]?.status === 'delivered' ? rows : undefined;
    });
    assert.equal(log.attempts, 1);
    assert.equal(log.eventId, inFlight.json.id);
    assert.equal(at('/hang').filter((r) => r.json.id === inFlight.json.id).length, 2);
  } finally {
    await second.stop();
  }
});

test('a disabled webhook gets nothing; enabled again, it gets only what changes from then on', async () => {
  const hook = await createHook(server, { url: `${base}/toggled`, events: ['email.created'], enabled: false }, aliceToken);
  const whileOff = await deliver(server, alice, 'While off');
  const patched = await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'PATCH', json: { enabled: true }, token: aliceToken });
  assert.equal(((await patched.json()) as { enabled: boolean }).enabled, true);
  const whileOn = await deliver(server, alice, 'While on');
  await arrival('/toggled', 'email.created', (d) => d.emailId === whileOn.id);
  // Changes are dispatched in modseq order, so the earlier one would have come first.
  assert.ok(!at('/toggled').some((r) => r.json.data.emailId === whileOff.id));
  assert.equal((await deliveries(server, hook.id, aliceToken)).length, 1);

  await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'PATCH', json: { enabled: false }, token: aliceToken });
  assert.equal((await server.api(`/api/v1/webhooks/${hook.id}/test`, { method: 'POST', token: aliceToken })).status, 409);
  await server.api(`/api/v1/webhooks/${hook.id}`, { method: 'DELETE' });
});

test('two nodes dispatching the same changes queue and send each event once', async () => {
  const node = (await startTestServer({ backend: server.backend, config: CONFIG }))!;
  const other = createServices(node.store, node.config);
  try {
    const dave = await createUser(node, 'dave');
    const hook = await createHook(node, { url: `${base}/two-nodes`, events: ['email.created'] });
    await node.services.webhooks.stop();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push((await deliver(node, dave, `Twice? ${i}`)).id);
    node.services.webhooks.start();
    other.webhooks.start();
    for (const id of ids) await arrival('/two-nodes', 'email.created', (d) => d.emailId === id);
    const log = await waitFor('every delivery to settle', async () => {
      const rows = await deliveries(node, hook.id);
      return rows.every((d) => d.status === 'delivered') ? rows : undefined;
    });
    assert.equal(log.length, ids.length);
    const sent = at('/two-nodes').map((r) => r.json.id);
    assert.equal(new Set(sent).size, sent.length, 'no event sent twice');
  } finally {
    await other.webhooks.stop();
    await node.stop();
  }
});
