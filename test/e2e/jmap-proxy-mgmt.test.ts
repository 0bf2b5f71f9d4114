import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dovecotInstalled, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { USING } from '../helpers/jmap.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

// The JMAP proxy's management API (seed 000, "Health & Metrics" and "Accounts") on the
// management port, mirroring a real Dovecot.

const ALICE = 'alice@upstream.test';
const MALLORY = 'mallory@upstream.test';
const PASSWORD = 'upstream secret';

let dovecot: Dovecot | null;
let server: TestServer;
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

const msg = (subject: string) =>
  Buffer.from(`From: carol@upstream.test\r\nTo: ${ALICE}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@upstream.test>\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n\r\n${subject} body\r\n`);

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({ [ALICE]: PASSWORD, [MALLORY]: PASSWORD });
  const c = await dovecot!.client(ALICE);
  await c.mailboxCreate('Work');
  for (const s of ['One', 'Two', 'Three']) await c.append('INBOX', msg(s), []);
  await c.append('Work', msg('Plan'), ['\\Seen']);
  await c.logout();
  server = (await startTestServer({ config: { mirrorPollSeconds: 3600 } }))!;
});
after(async () => {
  await server?.stop();
  await dovecot?.stop();
});

async function mgmt(path: string, init: { method?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${server.mgmtUrl}${path}`, { method: init.method ?? (body === undefined ? 'GET' : 'POST'), headers, body });
  return { status: res.status, body: (await res.json()) as any };
}

const imapAccount = (accountid: string, email: string, password = PASSWORD) => ({
  accountid,
  email,
  type: 'imap',
  username: email,
  password,
  imapHost: '127.0.0.1',
  imapPort: dovecot!.port,
  imapSSL: 0,
  smtpHost: '127.0.0.1',
  smtpPort: 587,
  smtpSSL: 3,
  caldavURL: 'https://dav.upstream.test',
  carddavURL: 'https://dav.upstream.test',
});

const basic = (user: string, password: string) => 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');

async function jmap(auth: string, calls: [string, Record<string, unknown>, string][]) {
  const res = await fetch(`${server.baseUrl}/jmap`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify({ using: USING, methodCalls: calls }) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

test('POST /api/accounts makes the account, syncs it, and answers 201 {accountid, type}', { skip, timeout: 30_000 }, async () => {
  const res = await mgmt('/api/accounts', { json: imapAccount('alice', ALICE) });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  assert.deepEqual(res.body, { accountid: 'alice', type: 'imap' });
  assert.deepEqual(await mgmt('/api/accounts/alice/sync', { method: 'POST' }), { status: 200, body: { synced: 'alice' } });
  // Straight after a pass the worker is opening INBOX to IDLE: a sync asked for then is not lost.
  const { id } = await server.services.remotes.byExternalId('alice');
  await server.services.remotes.sync(id);
  await server.services.remotes.sync(id);
});

test('the accountid and password log in over JMAP: the mirror is the primary account and its mail is there', { skip }, async () => {
  const mirror = await server.services.remotes.byExternalId('alice');
  const session = await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic('alice', PASSWORD) } });
  assert.equal(session.status, 200);
  const s = await session.json();
  assert.equal(s.primaryAccounts['urn:ietf:params:jmap:mail'], mirror.id);
  assert.deepEqual(Object.keys(s.accounts), [mirror.id]);
  const [[, query], [, got]] = await jmap(basic('alice', PASSWORD), [
    ['Email/query', { accountId: mirror.id }, 'q'],
    ['Email/get', { accountId: mirror.id, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject'] }, 'g'],
  ]);
  assert.equal(query.ids.length, 4);
  assert.deepEqual(got.list.map((e: { subject: string }) => e.subject).sort(), ['One', 'Plan', 'Three', 'Two']);
});

test('GET /api/accounts and /api/accounts/{accountid}: the seed fields with folder and message counts', { skip }, async () => {
  const expected = { accountid: 'alice', email: ALICE, type: 'imap', imapHost: '127.0.0.1', imapPort: dovecot!.port, folders: 4, messages: 4 };
  const list = await mgmt('/api/accounts');
  assert.equal(list.status, 200);
  assert.deepEqual(list.body, [expected]);
  const one = await mgmt('/api/accounts/alice');
  assert.equal(one.status, 200);
  assert.deepEqual(one.body, expected);
});

test('unknown accounts are 404 {"error":"not found"} on every route', { skip }, async () => {
  assert.deepEqual(await mgmt('/api/accounts/nobody'), { status: 404, body: { error: 'not found' } });
  assert.deepEqual(await mgmt('/api/accounts/nobody', { method: 'DELETE' }), { status: 404, body: { error: 'not found' } });
  assert.deepEqual(await mgmt('/api/accounts/nobody/sync', { method: 'POST' }), { status: 404, body: { error: 'not found' } });
  assert.deepEqual(await mgmt('/api/nothing'), { status: 404, body: { error: 'not found' } });
});

test('bad bodies: 400 invalid JSON, accountid required, and named field errors', { skip }, async () => {
  const invalidJson = { status: 400, body: { error: 'invalid JSON' } };
  assert.deepEqual(await mgmt('/api/accounts', { body: '{"accountid": ', headers: { 'content-type': 'application/json' } }), invalidJson);
  assert.deepEqual(await mgmt('/api/accounts', { method: 'POST' }), invalidJson);
  assert.deepEqual(await mgmt('/api/accounts', { json: {} }), { status: 400, body: { error: 'accountid required' } });
  assert.deepEqual(await mgmt('/api/accounts', { json: { accountid: '', email: ALICE } }), { status: 400, body: { error: 'accountid required' } });
  // curl -d without a Content-Type sends form encoding; the body is JSON all the same.
  const form = await mgmt('/api/accounts', { body: JSON.stringify({ email: ALICE }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.deepEqual(form, { status: 400, body: { error: 'accountid required' } });
  const badId = await mgmt('/api/accounts', { json: { ...imapAccount('has space', ALICE) } });
  assert.equal(badId.status, 400);
  assert.match(badId.body.error, /^accountid: /);
  const badSsl = await mgmt('/api/accounts', { json: { ...imapAccount('zed', ALICE), imapSSL: 1 } });
  assert.equal(badSsl.status, 400);
  assert.match(badSsl.body.error, /^imapSSL /);
  assert.deepEqual(await mgmt('/api/accounts', { json: { ...imapAccount('zed', ALICE), colour: 'red' } }), { status: 400, body: { error: 'colour unknown field in body' } });
  // The password is also the new login's, so Gannet's password rules apply.
  assert.deepEqual(await mgmt('/api/accounts', { json: imapAccount('zed', ALICE, 'secret') }), { status: 400, body: { error: 'password: must be at least 8 characters' } });
  // A JMAP upstream that cannot be reached: the seed's 500 "backend error during setup".
  const jmapType = await mgmt('/api/accounts', { json: { accountid: 'bob', email: 'bob@upstream.test', sessionUrl: 'http://127.0.0.1:9/session', password: PASSWORD } });
  assert.equal(jmapType.status, 500);
  assert.match(jmapType.body.error, /127\.0\.0\.1:9/);
  assert.equal((await mgmt('/api/accounts')).body.length, 1, 'nothing was made');
});

test('a duplicate accountid is refused with 409', { skip }, async () => {
  const again = await mgmt('/api/accounts', { json: imapAccount('alice', ALICE) });
  assert.equal(again.status, 409);
  assert.match(again.body.error, /alice already exists/);
});

test('POST /api/accounts/{accountid}/sync answers {synced} once new upstream mail is in', { skip }, async () => {
  const c = await dovecot!.client(ALICE);
  await c.append('INBOX', msg('Four'), []);
  await c.logout();
  // An empty body with a JSON Content-Type is no body, not invalid JSON.
  const res = await mgmt('/api/accounts/alice/sync', { method: 'POST', headers: { 'content-type': 'application/json' } });
  assert.deepEqual(res, { status: 200, body: { synced: 'alice' } });
  assert.equal((await mgmt('/api/accounts/alice')).body.messages, 5);
});

let nativeId = '';

test('accounts added through the native API show under their Gannet id; the admin lists every mirror', { skip }, async () => {
  const bob = await createUser(server, 'bob');
  const made = await server.api(`/api/v1/users/${bob.id}/remotes`, { method: 'POST', json: { email: ALICE, password: PASSWORD, imap: { host: '127.0.0.1', port: dovecot!.port, tls: 0 } } });
  assert.equal(made.status, 201);
  nativeId = (await made.json()).id;
  await server.services.remotes.sync(nativeId);
  const one = await mgmt(`/api/accounts/${nativeId}`);
  assert.equal(one.status, 200);
  assert.equal(one.body.accountid, nativeId);
  assert.equal(one.body.messages, 5);

  const all = await server.api('/api/v1/remotes');
  assert.equal(all.status, 200);
  const body = await all.json();
  assert.equal(body.total, 2);
  assert.deepEqual(body.results.map((r: { id: string }) => r.id).sort(), [(await server.services.remotes.byExternalId('alice')).id, nativeId].sort());
  const token = await (await server.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: 'bob', password: 'correct horse battery' } })).json();
  assert.equal((await server.api('/api/v1/remotes', { token: token.token })).status, 403);
});

test('a wrong upstream password: 201 with a setup warning, the account exists, and its sync is a 500', { skip }, async () => {
  const res = await mgmt('/api/accounts', { json: imapAccount('mallory', MALLORY, 'not the upstream one') });
  assert.equal(res.status, 201);
  assert.equal(res.body.accountid, 'mallory');
  assert.equal(res.body.type, 'imap');
  assert.match(res.body.warning, /^setup failed: login to 127\.0\.0\.1:\d+ failed/);
  const one = await mgmt('/api/accounts/mallory');
  assert.equal(one.status, 200);
  assert.equal(one.body.messages, 0);
  const sync = await mgmt('/api/accounts/mallory/sync', { method: 'POST' });
  assert.equal(sync.status, 500);
  assert.match(sync.body.error, /login to 127\.0\.0\.1:\d+ failed/);
});

test('GET /healthz: status, uptime, children (live sync workers) and pid', { skip }, async () => {
  const res = await mgmt('/healthz');
  assert.equal(res.status, 200);
  assert.deepEqual(Object.keys(res.body), ['status', 'uptime', 'children', 'pid']);
  assert.equal(res.body.status, 'ok');
  assert.equal(typeof res.body.uptime, 'number');
  assert.equal(res.body.children, 3);
  assert.equal(res.body.children, server.services.mirrors.active);
  assert.equal(res.body.pid, process.pid);
});

test('GET /metrics: the proxy metric names next to Gannet\'s own, sync age by accountid', { skip }, async () => {
  const text = await (await fetch(`${server.mgmtUrl}/metrics`)).text();
  assert.match(text, /^jmap_uptime_seconds \d+$/m);
  assert.match(text, /^jmap_backend_workers_active 3$/m);
  const requests = Number(/^jmap_http_requests_total (\d+)$/m.exec(text)?.[1]);
  assert.ok(requests >= 4, `jmap_http_requests_total ${requests}`);
  assert.match(text, /^jmap_account_last_sync_age_seconds\{accountid="alice"\} \d+$/m);
  assert.match(text, new RegExp(`^jmap_account_last_sync_age_seconds\\{accountid="${nativeId}"\\} \\d+$`, 'm'));
  assert.doesNotMatch(text, /accountid="mallory"/, 'never synced: no age');
  assert.match(text, /^gannet_http_requests_total\{/m);
});

test('DELETE /api/accounts/{accountid}: {deleted:true}, the login is gone, the worker stopped', { skip }, async () => {
  assert.deepEqual(await mgmt('/api/accounts/alice', { method: 'DELETE' }), { status: 200, body: { deleted: true } });
  assert.deepEqual(await mgmt('/api/accounts/alice'), { status: 404, body: { error: 'not found' } });
  const session = await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic('alice', PASSWORD) } });
  assert.equal(session.status, 401);
  assert.equal((await mgmt('/healthz')).body.children, 2);
  assert.deepEqual((await mgmt('/api/accounts')).body.map((a: { accountid: string }) => a.accountid).sort(), [nativeId, 'mallory'].sort());
});

test('with mgmtToken set the accounts API wants it; health and metrics stay open', async () => {
  const guarded = (await startTestServer({ config: { mgmtToken: 'mgmt-token-0123456789' } }))!;
  try {
    const url = `${guarded.mgmtUrl}/api/accounts`;
    const denied = await fetch(url);
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { error: 'unauthorized' });
    assert.equal((await fetch(url, { headers: { authorization: 'Bearer wrong' } })).status, 401);
    const allowed = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer mgmt-token-0123456789', 'content-type': 'application/json' }, body: '{}' });
    assert.deepEqual(await allowed.json(), { error: 'accountid required' });
    assert.equal((await fetch(`${guarded.mgmtUrl}/healthz`)).status, 200);
    assert.equal((await fetch(`${guarded.mgmtUrl}/metrics`)).status, 200);
  } finally {
    await guarded.stop();
  }
});

test('a JMAP passthrough account: 201 with the canonical accountid, and the new login reaches the upstream mail', async () => {
  const upstream = (await startTestServer())!;
  try {
    const carol = await createUser(upstream, 'carol', 'upstream.test');
    const raw = Buffer.from('From: x@upstream.test\r\nTo: carol@upstream.test\r\nSubject: Held upstream\r\n\r\nhi\r\n');
    await upstream.api(`/api/v1/users/${carol.id}/mailboxes/inbox/messages`, { method: 'POST', body: raw, headers: { 'content-type': 'message/rfc822' } });
    const created = await mgmt('/api/accounts', {
      json: { accountid: 'carolproxy', email: carol.address, sessionUrl: `${upstream.baseUrl}/.well-known/jmap`, username: carol.address, password: carol.password, type: 'jmap' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.type, 'jmap');
    assert.equal(created.body.email, carol.address);
    const session = await (await fetch(`${server.baseUrl}/session`, { headers: { authorization: basic('carolproxy', carol.password) } })).json();
    assert.ok(session.accounts[created.body.accountid], 'the canonical accountid is the session account id');
    const [[, query], [, got]] = await jmap(basic('carolproxy', carol.password), [
      ['Email/query', { accountId: created.body.accountid }, 'q'],
      ['Email/get', { accountId: created.body.accountid, '#ids': { resultOf: 'q', name: 'Email/query', path: '/ids' }, properties: ['subject'] }, 'g'],
    ]);
    assert.equal(query.ids.length, 1);
    assert.equal(got.list[0].subject, 'Held upstream');
    assert.deepEqual((await mgmt(`/api/accounts/${created.body.accountid}/sync`, { method: 'POST' })).status, 200);
    assert.deepEqual((await mgmt(`/api/accounts/${created.body.accountid}`, { method: 'DELETE' })).body, { deleted: true });
  } finally {
    await upstream.stop();
  }
});
