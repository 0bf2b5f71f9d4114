import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { freePort } from '../helpers/ports.ts';
import type { TestServer } from '../helpers/server.ts';
import { startServer } from '../protocols/smtp/fixtures.ts';

// Both test domains route to a closed port: every attempt is refused and deferred, so nothing
// leaves the queue unless the administrator cancels it.
let s: TestServer;
let first: string;
let second: string;

const raw = (subject: string) => Buffer.from(`From: a@example.test\r\nTo: x@down.test\r\nSubject: ${subject}\r\n\r\nbody\r\n`);

async function json(res: Response, status: number): Promise<any> {
  assert.equal(res.status, status, await res.clone().text());
  return res.json();
}

/** The rows of a message's recipients as the store has them. */
async function stored(id: string) {
  const rows = await s.store.db.selectFrom('queue_recipients').selectAll().where('message_id', '=', id).execute();
  return Object.fromEntries(rows.map((r) => [r.address, r]));
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

before(async () => {
  const dead = await freePort();
  s = await startServer({ relayRoutes: `down.test=127.0.0.1:${dead},far.test=127.0.0.1:${dead}` });
  const stopped = await json(await s.api('/api/v1/queue/status/stop', { method: 'POST' }), 200);
  assert.deepEqual(stopped, { running: false, messages: 0 });
  first = await s.services.queue.enqueue({ from: 'alice@example.test', to: ['x@down.test', 'y@down.test', 'z@far.test'], raw: raw('first'), origin: 'test' });
  // Ids order by their millisecond only: the listing's oldest-first order needs the two apart.
  await new Promise((r) => setTimeout(r, 5));
  second = await s.services.queue.enqueue({ from: 'bob@other.test', to: ['w@far.test'], raw: raw('second'), origin: 'test' });
});
after(() => s?.stop());

test('a stopped queue accepts mail and lists it, filtered and paged', async () => {
  assert.equal((await json(await s.api('/api/v1/queue/status'), 200)).running, false);
  const all = await json(await s.api('/api/v1/queue/messages'), 200);
  assert.equal(all.total, 2);
  assert.deepEqual(all.results.map((m: any) => m.id), [first, second]);
  assert.deepEqual(all.results.map((m: any) => m.status), ['pending', 'pending']);
  const ids = async (q: string) => (await json(await s.api(`/api/v1/queue/messages?${q}`), 200)).results.map((m: any) => m.id);
  assert.deepEqual(await ids('status=pending'), [first, second]);
  assert.deepEqual(await ids('status=deferred'), []);
  assert.deepEqual(await ids('domain=down.test'), [first]);
  assert.deepEqual(await ids('domain=far.test'), [first, second]);
  assert.deepEqual(await ids('from=BOB'), [second]);
  assert.deepEqual(await ids('recipient=w%40far'), [second]);
  assert.deepEqual(await ids('recipient=100%25'), []);

  const page1 = await json(await s.api('/api/v1/queue/messages?limit=1'), 200);
  assert.deepEqual([page1.total, page1.results.length], [2, 1]);
  const page2 = await json(await s.api(`/api/v1/queue/messages?limit=1&cursor=${page1.next}`), 200);
  assert.deepEqual([page2.results[0].id, page2.next], [second, null]);
});

test('bad input and unknown ids are problem details', async () => {
  const bad = await json(await s.api('/api/v1/queue/messages?status=lost'), 400);
  assert.equal(bad.type, 'urn:gannet:problem:invalid');
  assert.equal(bad.errors[0].field, 'status');
  assert.equal((await json(await s.api('/api/v1/queue/messages?cursor=nope'), 400)).errors[0].field, 'cursor');
  const missing = await s.api('/api/v1/queue/messages/q-none');
  assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  assert.equal((await json(missing, 404)).type, 'urn:gannet:problem:not-found');
  assert.equal((await json(await s.api(`/api/v1/queue/messages/${first}`, { method: 'PATCH', json: { at: 'soon' } }), 400)).errors[0].field, 'at');
  assert.equal((await json(await s.api(`/api/v1/queue/messages/${first}`, { method: 'PATCH', json: { when: 1 } }), 400)).errors[0].field, 'when');
  await json(await s.api(`/api/v1/queue/messages/${first}`, { method: 'PATCH', json: { recipients: ['nobody@down.test'] } }), 404);
  await json(await s.api(`/api/v1/queue/messages/${first}/recipients/nobody@down.test`, { method: 'DELETE' }), 404);
  await json(await s.api('/api/v1/queue/messages', { token: null }), 401);
  await json(await s.api('/api/v1/queue/status/stop', { method: 'POST', token: 'wrong' }), 401);
  await json(await s.api('/compat/stalwart/api/queue/status', { token: null }), 401);
  await json(await s.api('/compat/stalwart/api/queue/messages/q-none'), 404);
});

test('the administrator reschedules, cancels a recipient, and restarts delivery', async () => {
  const later = Date.now() + 3_600_000;
  const moved = await json(await s.api(`/api/v1/queue/messages/${first}`, { method: 'PATCH', json: { at: new Date(later).toISOString(), domain: 'down.test' } }), 200);
  assert.deepEqual(
    moved.recipients.map((r: any) => [r.address, r.status, r.nextAttemptAt !== null && Date.parse(r.nextAttemptAt) === later]),
    [['x@down.test', 'pending', true], ['y@down.test', 'pending', true], ['z@far.test', 'pending', false]],
  );
  assert.equal(Number((await stored(first))['x@down.test'].next_attempt_at), later);

  const gone = await s.api(`/api/v1/queue/messages/${first}/recipients/Z@far.test`, { method: 'DELETE' });
  assert.equal(gone.status, 204);
  assert.equal((await stored(first))['z@far.test'].status, 'cancelled');
  assert.equal((await json(await s.api(`/api/v1/queue/messages/${first}/recipients/z@far.test`, { method: 'DELETE' }), 409)).type, 'urn:gannet:problem:conflict');
  assert.equal((await json(await s.api(`/api/v1/queue/messages/${first}`), 200)).recipients[2].status, 'cancelled');

  // Started, the runner tries only what is due: the second message, refused and deferred.
  assert.deepEqual(await json(await s.api('/api/v1/queue/status/start', { method: 'POST' }), 200), { running: true, messages: 2 });
  await until(async () => (await stored(second))['w@far.test'].attempts === 1 && (await stored(second))['w@far.test'].lease_owner === null, 'the first attempt');
  assert.equal((await stored(first))['x@down.test'].attempts, 0);
  const deferred = await json(await s.api('/api/v1/queue/messages?status=deferred'), 200);
  assert.deepEqual(deferred.results.map((m: any) => [m.id, m.status]), [[second, 'deferred']]);
  assert.match(deferred.results[0].recipients[0].lastResponse, /./);

  // Rescheduled to now, it is tried again at once rather than in five minutes.
  await json(await s.api(`/api/v1/queue/messages/${second}`, { method: 'PATCH', json: {} }), 200);
  await until(async () => (await stored(second))['w@far.test'].attempts === 2, 'the rescheduled attempt');
  await json(await s.api('/api/v1/queue/status/stop', { method: 'POST' }), 200);
});

test('the Stalwart surface shows and drives the same queue', async () => {
  const api = (path: string, init?: Parameters<TestServer['api']>[1]) => s.api(`/compat/stalwart/api${path}`, init);
  assert.deepEqual(await json(await api('/queue/status'), 200), { data: false });
  assert.deepEqual(await json(await api('/queue/status/start', { method: 'PATCH' }), 200), { data: false });
  assert.deepEqual(await json(await api('/queue/status'), 200), { data: true });
  assert.equal((await json(await s.api('/api/v1/queue/status'), 200)).running, true);
  assert.deepEqual(await json(await api('/queue/status/stop', { method: 'PATCH' }), 200), { data: true });
  assert.equal(s.services.queue.running, false);

  assert.deepEqual(await json(await api('/queue/messages'), 200), { data: { items: [first, second], total: 2, status: false } });
  const paged = await json(await api('/queue/messages?page=2&limit=1&values=1'), 200);
  assert.deepEqual([paged.data.total, paged.data.items.length, paged.data.items[0].id, paged.data.items[0].return_path], [2, 1, second, 'bob@other.test']);
  assert.equal(paged.data.items[0].domains[0].status, 'temp_fail');
  assert.equal(paged.data.items[0].domains[0].retry_num, 2);

  const { data } = await json(await api(`/queue/messages/${first}`), 200);
  assert.equal(data.return_path, 'alice@example.test');
  assert.match(data.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // The cancelled far.test recipient is not shown, as Stalwart drops cancelled recipients.
  assert.deepEqual(
    data.domains.map((d: any) => [d.name, d.status, d.recipients.map((r: any) => [r.address, r.status])]),
    [['down.test', 'scheduled', [['x@down.test', 'scheduled'], ['y@down.test', 'scheduled']]]],
  );

  const before = Date.now();
  assert.deepEqual(await json(await api(`/queue/messages/${first}?filter=down.test`, { method: 'PATCH' }), 200), { data: true });
  assert.ok(Number((await stored(first))['x@down.test'].next_attempt_at) >= before);
  assert.ok(Number((await stored(first))['x@down.test'].next_attempt_at) <= Date.now());

  assert.deepEqual(await json(await api(`/queue/messages/${first}?filter=x@down.test`, { method: 'DELETE' }), 200), { data: true });
  assert.equal((await stored(first))['x@down.test'].status, 'cancelled');
  assert.equal((await stored(first))['y@down.test'].status, 'queued');

  const blob = (await s.store.db.selectFrom('queue_messages').select('blob_id').where('id', '=', first).executeTakeFirstOrThrow()).blob_id;
  const refs = async () => Number((await s.store.db.selectFrom('blobs').select('refcount').where('id', '=', blob).executeTakeFirst())?.refcount ?? 0);
  const held = await refs();
  assert.deepEqual(await json(await api(`/queue/messages/${first}`, { method: 'DELETE' }), 200), { data: true });
  assert.deepEqual(await stored(first), {});
  assert.equal(await s.store.db.selectFrom('queue_messages').select('id').where('id', '=', first).executeTakeFirst(), undefined);
  assert.equal(await refs(), held - 1);
  await json(await api(`/queue/messages/${first}`), 404);
});

test('cancelling a whole message takes it out of the queue', async () => {
  assert.equal((await s.api(`/api/v1/queue/messages/${second}`, { method: 'DELETE' })).status, 204);
  await json(await s.api(`/api/v1/queue/messages/${second}`), 404);
  await json(await s.api(`/api/v1/queue/messages/${second}`, { method: 'DELETE' }), 404);
  assert.deepEqual(await json(await s.api('/api/v1/queue/status'), 200), { running: false, messages: 0 });
});

test('bulk reschedule and cancel act on every matching message, on both faces', async () => {
  const enqueue = (from: string, to: string[]) => s.services.queue.enqueue({ from, to, raw: raw('bulk'), origin: 'test' });
  const a = await enqueue('alice@example.test', ['p@down.test', 'q@far.test']);
  const b = await enqueue('bob@other.test', ['r@far.test']);
  const c = await enqueue('carol@example.test', ['s@down.test']);
  const next = async (id: string, address: string) => Number((await stored(id))[address].next_attempt_at);
  // As a set: ids made in the same millisecond need not sort in the order they were made.
  const queued = async () => (await s.store.db.selectFrom('queue_messages').select('id').execute()).map((m) => m.id).sort();

  // Bad filters are problem details, and change nothing.
  const bad = await json(await s.api('/api/v1/queue/messages/reschedule', { method: 'POST', json: { status: 'lost' } }), 400);
  assert.deepEqual([bad.type, bad.errors[0].field], ['urn:gannet:problem:invalid', 'status']);
  assert.equal((await json(await s.api('/api/v1/queue/messages/cancel', { method: 'POST', json: { to: 'x' } }), 400)).errors[0].field, 'to');
  assert.equal((await json(await s.api('/api/v1/queue/messages/cancel', { method: 'POST', json: { recipient: '' } }), 400)).errors[0].field, 'recipient');
  await json(await s.api('/api/v1/queue/messages/cancel', { method: 'POST', json: {}, token: null }), 401);
  await json(await s.api('/compat/stalwart/api/queue/messages?text=', { method: 'DELETE' }), 400);
  await json(await s.api('/compat/stalwart/api/queue/messages?filter=a', { method: 'PATCH', token: null }), 401);
  assert.deepEqual(await queued(), [a, b, c].sort());

  // Native: the down.test recipients move, and only they.
  const later = Date.now() + 3_600_000;
  const before = [await next(a, 'q@far.test'), await next(b, 'r@far.test')];
  assert.deepEqual(await json(await s.api('/api/v1/queue/messages/reschedule', { method: 'POST', json: { domain: 'down.test', at: new Date(later).toISOString() } }), 200), { count: 2 });
  assert.deepEqual([await next(a, 'p@down.test'), await next(c, 's@down.test')], [later, later]);
  assert.deepEqual([await next(a, 'q@far.test'), await next(b, 'r@far.test')], before);
  assert.deepEqual(await json(await s.api('/api/v1/queue/messages/reschedule', { method: 'POST', json: { domain: 'nowhere.test' } }), 200), { count: 0 });

  // One message read at a time, the bulk operation still reaches every match.
  const soon = Date.now() + 60_000;
  assert.equal(await s.services.queueAdmin.rescheduleMatching({ from: 'example.test' }, soon, 1), 2);
  assert.deepEqual([await next(a, 'p@down.test'), await next(a, 'q@far.test'), await next(c, 's@down.test'), await next(b, 'r@far.test')].map((t) => t === soon), [true, true, true, false]);

  // Native cancel by recipient text: only the matching recipients of the matching messages.
  assert.deepEqual(await json(await s.api('/api/v1/queue/messages/cancel', { method: 'POST', json: { recipient: 'FAR.test' } }), 200), { count: 2 });
  assert.deepEqual(await queued(), [a, c].sort());
  assert.deepEqual([(await stored(a))['p@down.test'].status, (await stored(a))['q@far.test'].status], ['queued', 'cancelled']);
  assert.deepEqual(await json(await s.api('/api/v1/queue/messages/cancel', { method: 'POST', json: { recipient: 'far.test' } }), 200), { count: 0 });

  // Stalwart: free text over the reverse path and the recipients, whole messages.
  const api = (path: string, init?: Parameters<TestServer['api']>[1]) => s.api(`/compat/stalwart/api${path}`, init);
  const now = Date.now();
  assert.deepEqual(await json(await api('/queue/messages?filter=CAROL', { method: 'PATCH' }), 200), { data: true });
  assert.ok((await next(c, 's@down.test')) >= now && (await next(c, 's@down.test')) <= Date.now());
  assert.equal(await next(a, 'p@down.test'), soon);
  assert.deepEqual(await json(await api('/queue/messages?filter=nobody', { method: 'PATCH' }), 200), { data: false });
  assert.deepEqual(await json(await api('/queue/messages?text=p%40down', { method: 'DELETE' }), 200), { data: true });
  assert.deepEqual(await queued(), [c]);
  assert.deepEqual(await json(await api('/queue/messages?text=p%40down', { method: 'DELETE' }), 200), { data: false });
  assert.deepEqual(await json(await api('/queue/messages', { method: 'DELETE' }), 200), { data: true });
  assert.deepEqual(await json(await s.api('/api/v1/queue/status'), 200), { running: false, messages: 0 });
});
