import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { dovecotInstalled, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { ADMIN_TOKEN, createUser, startTestServer, type TestServer } from '../helpers/server.ts';

// The Simple IMAP2API REST API (seed 004) against a real upstream: a throwaway Dovecot.

const UPSTREAM = 'alice@upstream.test';
const OTHER = 'other@upstream.test';
const PASSWORD = 'upstream secret';
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let dovecot: Dovecot | null;
let server: TestServer;
let bob: { token: string };
let eve: { token: string };

function mail(o: { id: string; subject: string; from: string; to?: string; body: string; replyTo?: string[] }): Buffer {
  const refs = o.replyTo ?? [];
  const threading = refs.length ? `In-Reply-To: <${refs[refs.length - 1]}@upstream.test>\r\nReferences: ${refs.map((r) => `<${r}@upstream.test>`).join(' ')}\r\n` : '';
  return Buffer.from(
    `From: ${o.from}\r\nTo: ${o.to ?? UPSTREAM}\r\nSubject: ${o.subject}\r\nMessage-ID: <${o.id}@upstream.test>\r\n${threading}Date: Mon, 5 Jan 2026 09:00:00 +0000\r\n\r\n${o.body}\r\n`,
  );
}

// Folder, arrival day (the upstream INTERNALDATE, which is the seed's "date") and message.
const UPSTREAM_MAIL: [string, string, Buffer][] = [
  ['INBOX', '2026-01-05', mail({ id: 'q1', subject: 'Quarterly budget', from: 'carol@upstream.test', body: 'The numbers are attached.' })],
  ['INBOX', '2026-01-06', mail({ id: 'q2', subject: 'Re: Quarterly budget', from: 'dave@upstream.test', body: 'Looks fine to me.', replyTo: ['q1'] })],
  ['INBOX', '2026-01-07', mail({ id: 'q3', subject: 'Re: Quarterly budget', from: 'carol@upstream.test', body: 'Thanks, filed.', replyTo: ['q1', 'q2'] })],
  ['INBOX', '2026-01-08', mail({ id: 'l1', subject: 'Lunch plans', from: 'erin@upstream.test', body: 'Pizza on Friday?' })],
  ['Sent', '2026-01-09', mail({ id: 's1', subject: 'Sent one', from: UPSTREAM, to: 'carol@upstream.test', body: 'Outgoing.' })],
  ['Work', '2026-01-10', mail({ id: 'w1', subject: 'Another topic', from: 'frank@upstream.test', body: 'The project plan.' })],
  ['Trash', '2026-01-11', mail({ id: 't1', subject: 'Binned', from: 'spam@upstream.test', body: 'Gone.' })],
];

async function tokenFor(username: string, password: string, base = `${server.baseUrl}/compat/imap2api`): Promise<string> {
  const res = await fetch(`${base}/api-token-auth/`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  const body = (await res.json()) as { token: string };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token;
}

/** A request to the compat mount as a user (`token` null: no Authorization header). */
async function call(path: string, opts: { token?: string | null; method?: string; json?: unknown; headers?: Record<string, string>; base?: string } = {}) {
  const headers = new Headers(opts.headers);
  const token = opts.token === undefined ? bob.token : opts.token;
  if (token !== null) headers.set('authorization', `Token ${token}`);
  if (opts.json !== undefined) headers.set('content-type', 'application/json');
  const res = await fetch(`${opts.base ?? `${server.baseUrl}/compat/imap2api`}${path}`, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.json === undefined ? undefined : JSON.stringify(opts.json),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

const serverBody = (over: Record<string, unknown> = {}) => ({
  name: 'Upstream',
  host: '127.0.0.1',
  port: dovecot!.port,
  username: UPSTREAM,
  password: PASSWORD,
  use_ssl: false,
  sync_limit_type: 'all',
  folders_to_sync: '',
  exclude_trash: true,
  ...over,
});

describe('IMAP2API', { skip }, () => {
  let serverId = 0;
  const ids = new Map<string, number>();

  before(async () => {
    dovecot = await startDovecot({ [UPSTREAM]: PASSWORD, [OTHER]: PASSWORD });
    const c = await dovecot!.client(UPSTREAM);
    await c.mailboxCreate('Work');
    for (const [folder, day, raw] of UPSTREAM_MAIL) await c.append(folder, raw, ['\\Seen'], new Date(`${day}T09:00:00Z`));
    await c.logout();
    const o = await dovecot!.client(OTHER);
    await o.append('INBOX', mail({ id: 'x1', subject: 'Not for Bob', from: 'zed@upstream.test', body: 'private' }), []);
    await o.logout();
    server = (await startTestServer({ config: { mirrorPollSeconds: 3600 } }))!;
    const b = await createUser(server, 'bob');
    const e = await createUser(server, 'eve');
    bob = { token: await tokenFor(b.username, b.password) };
    eve = { token: await tokenFor(e.address, e.password) };
  });
  after(async () => {
    await server?.stop();
    await dovecot?.stop();
  });

  test('tokens: a Gannet user\'s login gives a token; anything else is refused in DRF\'s words', async () => {
    const wrong = await call('/api-token-auth/', { token: null, method: 'POST', json: { username: 'bob', password: 'nope' } });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.body, { non_field_errors: ['Unable to log in with provided credentials.'] });
    const missing = await call('/api-token-auth/', { token: null, method: 'POST', json: { username: 'bob' } });
    assert.deepEqual([missing.status, missing.body], [400, { password: ['This field is required.'] }]);
    // A form post, as curl -d sends it.
    const form = await fetch(`${server.baseUrl}/compat/imap2api/api-token-auth/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'username=bob&password=correct+horse+battery',
    });
    assert.equal(form.status, 200);
    assert.match(((await form.json()) as { token: string }).token, /^gnt_/);

    const none = await call('/api/imap-servers/', { token: null });
    assert.deepEqual([none.status, none.body], [401, { detail: 'Authentication credentials were not provided.' }]);
    assert.equal(none.headers.get('www-authenticate'), 'Token');
    const bad = await call('/api/imap-servers/', { token: 'gnt_not-a-real-token' });
    assert.deepEqual([bad.status, bad.body], [401, { detail: 'Invalid token.' }]);
    const bearer = await call('/api/emails/', { token: null, headers: { authorization: `Bearer ${bob.token}` } });
    assert.equal(bearer.status, 401, 'only the Token scheme');
    const admin = await call('/api/emails/', { token: ADMIN_TOKEN });
    assert.deepEqual([admin.status, admin.body], [403, { detail: 'You do not have permission to perform this action.' }]);
    const unknown = await call('/api/nothing-here/');
    assert.deepEqual([unknown.status, unknown.body], [404, { detail: 'Not found.' }]);
  });

  test('invalid servers are refused field by field', async () => {
    const empty = await call('/api/imap-servers/', { method: 'POST', json: {} });
    assert.equal(empty.status, 400);
    assert.deepEqual(empty.body, { host: ['This field is required.'], username: ['This field is required.'], password: ['This field is required.'] });
    const types = await call('/api/imap-servers/', { method: 'POST', json: serverBody({ port: 'imap', use_ssl: 'yes', sync_limit_type: 'years' }) });
    assert.equal(types.status, 400);
    assert.deepEqual(types.body.port, ['A valid integer is required.']);
    assert.deepEqual(types.body.use_ssl, ['Must be a valid boolean.']);
    assert.match(types.body.sync_limit_type[0], /not a valid choice/i);
    const rules = await call('/api/imap-servers/', { method: 'POST', json: serverBody({ host: 'not a host!', sync_limit_type: 'days' }) });
    assert.equal(rules.status, 400);
    assert.deepEqual(Object.keys(rules.body).sort(), ['host']);
    const limit = await call('/api/imap-servers/', { method: 'POST', json: serverBody({ sync_limit_type: 'days' }) });
    assert.deepEqual([limit.status, Object.keys(limit.body)], [400, ['sync_limit_value']]);
    assert.equal((await call('/api/imap-servers/')).body.count, 0, 'nothing was created');
  });

  test('a server is created (its password never shown), synced, and listed', async () => {
    const created = await call('/api/imap-servers/', { method: 'POST', json: serverBody({ unknown_field: 'ignored' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(typeof created.body.id, 'number');
    serverId = created.body.id;
    assert.deepEqual(created.body, {
      id: serverId,
      name: 'Upstream',
      host: '127.0.0.1',
      port: dovecot!.port,
      username: UPSTREAM,
      use_ssl: false,
      sync_limit_type: 'all',
      sync_limit_value: null,
      folders_to_sync: '',
      exclude_trash: true,
      last_sync: created.body.last_sync,
    });
    assert.ok(!JSON.stringify(created.body).includes(PASSWORD));

    const synced = await call(`/api/imap-servers/${serverId}/sync/`, { method: 'POST' });
    assert.deepEqual([synced.status, synced.body], [200, { status: 'success', message: 'Email sync completed' }]);

    const list = await call('/api/imap-servers/');
    assert.equal(list.status, 200);
    assert.deepEqual({ ...list.body, results: undefined }, { count: 1, next: null, previous: null, results: undefined });
    assert.match(list.body.results[0].last_sync, /^\d{4}-\d\d-\d\dT.*Z$/);
    assert.ok(!('password' in list.body.results[0]));
    assert.equal((await call(`/api/imap-servers/${serverId}/`)).body.id, serverId);
    // The rate limit headers ride on every answer, with the documented default.
    assert.equal(list.headers.get('x-ratelimit-limit'), '1000');

    const all = await call('/api/emails/?page_size=100');
    for (const e of all.body.results) ids.set(e.subject + '#' + e.date.slice(0, 10), e.id);
  });

  test('emails: the mirrored mail as one list, newest first, with DRF pagination', async () => {
    const all = await call('/api/emails/');
    assert.equal(all.status, 200);
    assert.equal(all.body.count, 6, 'Trash is excluded');
    assert.deepEqual(
      all.body.results.map((e: { subject: string }) => e.subject),
      ['Another topic', 'Sent one', 'Lunch plans', 'Re: Quarterly budget', 'Re: Quarterly budget', 'Quarterly budget'],
    );
    const first = all.body.results.find((e: { subject: string }) => e.subject === 'Quarterly budget');
    assert.deepEqual(Object.keys(first), ['id', 'message_id', 'subject', 'sender', 'recipient', 'date', 'folder', 'thread_id', 'thread_count']);
    assert.equal(typeof first.id, 'number');
    assert.equal(first.message_id, '<q1@upstream.test>');
    assert.equal(first.sender, 'carol@upstream.test');
    assert.equal(first.recipient, UPSTREAM);
    assert.equal(first.date, '2026-01-05T09:00:00.000Z');
    assert.equal(first.folder, 'INBOX');
    assert.equal(first.thread_count, 3);
    assert.equal(all.body.results.find((e: { subject: string }) => e.subject === 'Sent one').folder, 'Sent');

    const p1 = await call('/api/emails/?page_size=4&folder=');
    assert.equal(p1.body.count, 6);
    assert.equal(p1.body.results.length, 4);
    assert.equal(p1.body.previous, null);
    const next = new URL(p1.body.next);
    assert.equal(next.pathname, '/compat/imap2api/api/emails/');
    assert.deepEqual(Object.fromEntries(next.searchParams), { page_size: '4', folder: '', page: '2' });
    const p2 = await call(next.pathname.replace('/compat/imap2api', '') + next.search);
    assert.deepEqual(p2.body.results.map((e: { id: number }) => e.id), all.body.results.slice(4).map((e: { id: number }) => e.id));
    assert.equal(p2.body.next, null);
    assert.deepEqual(Object.fromEntries(new URL(p2.body.previous).searchParams), { page_size: '4', folder: '' }, 'page 1 is the link without page');
    const past = await call('/api/emails/?page=3&page_size=4');
    assert.deepEqual([past.status, past.body], [404, { detail: 'Invalid page.' }]);
    assert.equal((await call('/api/emails/?page=abc')).status, 404);
    assert.equal((await call('/api/emails/?page_size=1000')).body.results.length, 6, 'past the maximum is the maximum');
    assert.equal((await call('/api/v1/emails/')).body.count, 6, 'the versioned path serves the same');
  });

  test('emails: q, folder, imap_server, date_from/date_to, thread and ordering', async () => {
    const subjects = async (query: string) => {
      const res = await call(`/api/emails/?${query}`);
      assert.equal(res.status, 200, `${query}: ${JSON.stringify(res.body)}`);
      return res.body.results.map((e: { subject: string }) => e.subject);
    };
    assert.deepEqual(await subjects('q=pizza'), ['Lunch plans'], 'body');
    assert.deepEqual(await subjects('q=lunch'), ['Lunch plans'], 'subject');
    assert.deepEqual(await subjects('q=erin'), ['Lunch plans'], 'sender');
    assert.deepEqual((await subjects('q=carol')).sort(), ['Quarterly budget', 'Re: Quarterly budget', 'Sent one'], 'sender or recipient');
    assert.deepEqual(await subjects('folder=Sent'), ['Sent one']);
    assert.equal((await subjects('folder=INBOX')).length, 4);
    assert.deepEqual(await subjects('folder=Nowhere'), []);
    assert.equal((await subjects(`imap_server=${serverId}`)).length, 6);
    assert.deepEqual(await subjects('date_from=2026-01-07&date_to=2026-01-08'), ['Lunch plans', 'Re: Quarterly budget']);
    assert.deepEqual(await subjects('date_from=2026-01-10'), ['Another topic']);
    assert.deepEqual(await subjects('folder=INBOX&q=budget&date_to=2026-01-05'), ['Quarterly budget']);
    assert.deepEqual(await subjects('ordering=date'), ['Quarterly budget', 'Re: Quarterly budget', 'Re: Quarterly budget', 'Lunch plans', 'Sent one', 'Another topic']);
    // By subject without its Re: prefix, like a mail client; the same subject newest first.
    assert.deepEqual(await subjects('ordering=subject'), ['Another topic', 'Lunch plans', 'Re: Quarterly budget', 'Re: Quarterly budget', 'Quarterly budget', 'Sent one']);
    assert.deepEqual((await subjects('ordering=-subject,date'))[0], 'Sent one');
    assert.deepEqual(await subjects('ordering=-sender&folder=INBOX'), ['Lunch plans', 'Re: Quarterly budget', 'Re: Quarterly budget', 'Quarterly budget']);
    assert.deepEqual(await subjects('ordering=no_such_field'), await subjects(''), 'unknown ordering fields are ignored, as DRF does');

    const threaded = await call('/api/emails/?thread=true');
    assert.equal(threaded.body.count, 4);
    const budget = threaded.body.results.find((e: { thread_count: number }) => e.thread_count === 3);
    assert.equal(budget.subject, 'Re: Quarterly budget', 'a thread shows its newest email');

    const bad = await call(`/api/emails/?imap_server=99999&date_from=2026-13-01&date_to=yesterday&thread=maybe`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      imap_server: ['Select a valid choice. That choice is not one of the available choices.'],
      date_from: ['Enter a valid date.'],
      date_to: ['Enter a valid date.'],
      thread: ['Must be a valid boolean.'],
    });
  });

  test('an email in detail, its thread, the thread list, folders and statistics', async () => {
    const list = (await call('/api/emails/?ordering=date')).body.results;
    const [q1, q2, q3] = list;
    const d = await call(`/api/emails/${q2.id}/`);
    assert.equal(d.status, 200);
    assert.deepEqual(Object.keys(d.body), [
      'id', 'message_id', 'subject', 'sender', 'recipient', 'date', 'body_text', 'body_html', 'folder', 'created_at', 'updated_at', 'thread_id', 'in_reply_to', 'thread_emails',
    ]);
    assert.equal(d.body.message_id, '<q2@upstream.test>');
    assert.equal(d.body.in_reply_to, '<q1@upstream.test>');
    assert.match(d.body.body_text, /Looks fine to me\./);
    assert.equal(d.body.body_html, '');
    assert.equal(d.body.thread_id, q1.thread_id);
    assert.deepEqual(d.body.thread_emails.map((t: { id: number }) => t.id), [q1.id, q3.id]);
    assert.deepEqual(Object.keys(d.body.thread_emails[0]), ['id', 'subject', 'sender', 'recipient', 'date', 'body_text', 'body_html', 'folder']);
    assert.match(d.body.thread_emails[1].body_text, /Thanks, filed\./);
    assert.equal((await call(`/api/emails/${q1.id}/`)).body.in_reply_to, null);

    const thread = await call(`/api/emails/${q3.id}/thread/`);
    assert.equal(thread.status, 200);
    assert.deepEqual(thread.body.map((t: { id: number }) => t.id), [q1.id, q2.id, q3.id]);
    assert.match(thread.body[0].body_text, /The numbers are attached\./);

    const threads = await call('/api/emails/threads/');
    assert.equal(threads.body.count, 4);
    assert.deepEqual(Object.keys(threads.body.results[0]), ['id', 'subject', 'sender', 'recipient', 'date', 'folder', 'thread_id', 'thread_count']);
    assert.deepEqual(threads.body.results.map((t: { thread_count: number }) => t.thread_count).sort(), [1, 1, 1, 3]);
    assert.equal((await call('/api/emails/threads/?folder=Work')).body.count, 1);

    assert.deepEqual((await call('/api/emails/folders/')).body, ['INBOX', 'Sent', 'Work']);
    assert.deepEqual((await call('/api/emails/statistics/')).body, { total_emails: 6, total_threads: 4, folders: { INBOX: 4, Sent: 1, Work: 1 } });

    for (const path of ['/api/emails/999999/', '/api/emails/abc/', '/api/emails/999999/thread/']) {
      assert.deepEqual(await call(path).then((r) => [r.status, r.body]), [404, { detail: 'Not found.' }], path);
    }
  });

  test('another user sees none of it', async () => {
    const created = await call('/api/imap-servers/', { token: eve.token, method: 'POST', json: serverBody({ username: OTHER, name: 'Eve upstream' }) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal((await call(`/api/imap-servers/${created.body.id}/sync/`, { token: eve.token, method: 'POST' })).status, 200);
    const mine = await call('/api/emails/', { token: eve.token });
    assert.deepEqual(mine.body.results.map((e: { subject: string }) => e.subject), ['Not for Bob']);
    const bobsEmail = [...ids.values()][0]!;
    for (const [method, path] of [
      ['GET', `/api/imap-servers/${serverId}/`],
      ['PATCH', `/api/imap-servers/${serverId}/`],
      ['DELETE', `/api/imap-servers/${serverId}/`],
      ['POST', `/api/imap-servers/${serverId}/sync/`],
      ['GET', `/api/emails/${bobsEmail}/`],
      ['GET', `/api/emails/${bobsEmail}/thread/`],
    ] as const) {
      const res = await call(path, { token: eve.token, method, json: method === 'PATCH' ? { name: 'mine now' } : undefined });
      assert.deepEqual([res.status, res.body], [404, { detail: 'Not found.' }], `${method} ${path}`);
    }
    const filter = await call(`/api/emails/?imap_server=${serverId}`, { token: eve.token });
    assert.equal(filter.status, 400, 'another user\'s server is not a choice');
    assert.equal((await call('/api/emails/statistics/')).body.total_emails, 6, 'and Bob\'s view is unchanged');
  });

  test('update with PUT or PATCH, a failing upstream, and delete', async () => {
    const put = await call(`/api/imap-servers/${serverId}/`, { method: 'PUT', json: { name: 'Updated', sync_limit_type: 'weeks', sync_limit_value: 2 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual([put.body.name, put.body.sync_limit_type, put.body.sync_limit_value, put.body.use_ssl], ['Updated', 'weeks', 2, false]);
    // A client may send back what it read.
    const roundTrip = await call(`/api/imap-servers/${serverId}/`, { method: 'PUT', json: { ...put.body, folders_to_sync: 'INBOX, Work', sync_limit_type: 'all' } });
    assert.equal(roundTrip.status, 200, JSON.stringify(roundTrip.body));
    assert.equal(roundTrip.body.folders_to_sync, 'INBOX,Work');
    const patch = await call(`/api/imap-servers/${serverId}/`, { method: 'PATCH', json: { exclude_trash: false, port: 'x' } });
    assert.deepEqual([patch.status, patch.body], [400, { port: ['A valid integer is required.'] }]);
    assert.equal((await call(`/api/imap-servers/${serverId}/`)).body.exclude_trash, true, 'nothing changed');
    assert.equal((await call(`/api/imap-servers/${serverId}/sync/`, { method: 'POST' })).status, 200);
    assert.deepEqual((await call('/api/emails/folders/')).body, ['INBOX', 'Work'], 'Sent is no longer mirrored');

    const wrong = await call(`/api/imap-servers/${serverId}/`, { method: 'PATCH', json: { password: 'not the password' } });
    assert.equal(wrong.status, 200);
    const failed = await call(`/api/imap-servers/${serverId}/sync/`, { method: 'POST' });
    assert.equal(failed.status, 502);
    assert.deepEqual(Object.keys(failed.body), ['detail']);
    assert.match(failed.body.detail, /^Email sync failed: /);

    const del = await call(`/api/imap-servers/${serverId}/`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await call(`/api/imap-servers/${serverId}/`)).status, 404);
    assert.equal((await call('/api/emails/')).body.count, 0);
    assert.deepEqual((await call('/api/emails/statistics/')).body, { total_emails: 0, total_threads: 0, folders: {} });
  });
});

describe('IMAP2API rate limits, CORS and its own listener', () => {
  let limited: TestServer;
  let base: string;
  let root: string;

  before(async () => {
    limited = (await startTestServer({
      config: { imap2apiPort: 0, imap2apiAnonRateLimit: 3, imap2apiUserRateLimit: 4, imap2apiCorsOrigins: 'https://app.example' },
    }))!;
    base = `${limited.baseUrl}/compat/imap2api`;
    root = `http://127.0.0.1:${limited.listeners.imap2api!.port}`;
  });
  after(() => limited?.stop());

  test('per user and per anonymous address, with X-RateLimit headers and 429 past the limit; preflights are free', async () => {
    const u = await createUser(limited, 'rita');
    const started = Math.floor(Date.now() / 1000);
    const token = await tokenFor(u.username, u.password, base); // anonymous request 1 of 3
    const get = (url: string, auth = true) => fetch(url, { headers: auth ? { authorization: `Token ${token}` } : {} });

    const first = await get(`${base}/api/emails/`);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit'), '4');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '3');
    const reset = Number(first.headers.get('x-ratelimit-reset'));
    assert.ok(reset >= started + 3599 && reset <= started + 3602, `reset ${reset} is an hour from ${started}`);
    // The own listener serves the API at its root and shares the counters.
    const atRoot = await get(`${root}/api/emails/`);
    assert.equal(atRoot.status, 200);
    assert.deepEqual(await atRoot.json(), { count: 0, next: null, previous: null, results: [] });
    assert.equal(atRoot.headers.get('x-ratelimit-remaining'), '2');

    const preflight = await fetch(`${base}/api/emails/`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(preflight.headers.get('access-control-allow-methods')!, /GET/);
    assert.match(preflight.headers.get('access-control-allow-headers')!, /authorization/);
    assert.equal(preflight.headers.get('x-ratelimit-remaining'), '2', 'a preflight spends nothing (anonymous: 3 - 1)');

    const cors = await fetch(`${base}/api/emails/`, { headers: { authorization: `Token ${token}`, origin: 'https://app.example' } });
    assert.equal(cors.headers.get('access-control-allow-origin'), 'https://app.example');
    assert.match(cors.headers.get('access-control-expose-headers')!, /X-RateLimit-Remaining/);
    const foreign = await fetch(`${base}/api/emails/`, { headers: { authorization: `Token ${token}`, origin: 'https://evil.example' } });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);

    const over = await get(`${base}/api/emails/`);
    assert.equal(over.status, 429);
    assert.equal(over.headers.get('x-ratelimit-remaining'), '0');
    assert.ok(Number(over.headers.get('retry-after')) > 3500);
    assert.match(((await over.json()) as { detail: string }).detail, /^Request was throttled\. Expected available in \d+ seconds\.$/);

    // Anonymous: counted per address, separately from the user.
    assert.equal((await get(`${base}/api/emails/`, false)).status, 401);
    const lastAnon = await get(`${root}/api/emails/`, false);
    assert.deepEqual([lastAnon.status, lastAnon.headers.get('x-ratelimit-remaining')], [401, '0']);
    const throttled = await get(`${base}/api/emails/`, false);
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get('x-ratelimit-limit'), '3');
  });

  test('the native API and the OpenAPI document are untouched by the compat surface', async () => {
    const doc = (await (await fetch(`${limited.baseUrl}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    assert.ok(!Object.keys(doc.paths).some((p) => p.includes('imap2api')));
    const native = await limited.api('/api/v1/nothing');
    assert.equal(native.headers.get('content-type'), 'application/problem+json; charset=utf-8');
  });
});
