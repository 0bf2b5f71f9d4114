import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { corpusFiles } from '../helpers/corpus.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { rawMessage } from '../protocols/smtp/fixtures.ts';

const UPSTREAM = 'alice@upstream.test';
const PASSWORD = 'upstream secret';

let dovecot: Dovecot | null;
let server: TestServer;
let bob: { id: string };
const skip = !(await import('../helpers/dovecot.ts')).dovecotInstalled() && 'skipped: dovecot is not installed';

// Real messages from the corpus, small enough that seeding stays quick.
const corpus = corpusFiles()
  .map((f) => readFileSync(f))
  .filter((b) => b.length < 64 * 1024)
  .slice(0, 40);
const msg = (subject: string, id = subject.replace(/\W/g, '')) =>
  Buffer.from(`From: carol@upstream.test\r\nTo: ${UPSTREAM}\r\nSubject: ${subject}\r\nMessage-ID: <${id}@upstream.test>\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n\r\n${subject} body\r\n`);

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({ [UPSTREAM]: PASSWORD, 'big@upstream.test': PASSWORD });
  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxCreate('Work');
  await c.mailboxCreate('Work/Projects');
  for (const raw of corpus) await c.append('INBOX', raw, ['\\Seen']);
  await c.append('Work/Projects', msg('Plan'), ['\\Flagged', '$Important']);
  await c.append('Sent', msg('Sent one'), ['\\Seen']);
  await c.append('Trash', msg('Binned'), []);
  await c.logout();
  server = (await startTestServer({ config: { mirrorPollSeconds: 3600 } }))!;
  bob = await createUser(server, 'bob');
});
after(async () => {
  await server?.stop();
  await dovecot?.stop();
});

const addRemote = (body: Record<string, unknown>) =>
  server.api(`/api/v1/users/${bob.id}/remotes`, {
    method: 'POST',
    json: { email: UPSTREAM, password: PASSWORD, imap: { host: '127.0.0.1', port: dovecot!.port, tls: 0 }, ...body },
  });

async function sync(id: string): Promise<Record<string, any>> {
  const res = await server.api(`/api/v1/users/${bob.id}/remotes/${id}/sync`, { method: 'POST' });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** Mailboxes of the mirrored account by path ("Work/Projects"), with their message ids. */
async function mirrored(accountId: string): Promise<Map<string, { id: string; role: string | null; emails: { id: string; subject: string | null; keywords: string[] }[] }>> {
  const boxes = await server.services.mailboxes.list(accountId);
  const byId = new Map(boxes.map((b) => [b.id, b]));
  const path = (b: (typeof boxes)[number]): string => (b.parentId ? `${path(byId.get(b.parentId)!)}/${b.name}` : b.name);
  const out = new Map();
  for (const b of boxes) {
    const emails = [];
    let cursor: string | undefined;
    do {
      const page = await server.services.messages.list(accountId, b.id, { limit: 250, cursor });
      emails.push(...page.results.map((m) => ({ id: m.id, subject: m.subject, keywords: m.keywords })));
      cursor = page.next ?? undefined;
    } while (cursor);
    out.set(path(b), { id: b.id, role: b.role, emails });
  }
  return out;
}

let remoteId = '';

test('a mirrored IMAP account: the whole upstream arrives, byte for byte, with folders, roles and flags', { skip }, async () => {
  const res = await addRemote({ name: 'Upstream' });
  const created = await res.json();
  assert.equal(res.status, 201, JSON.stringify(created));
  assert.ok(!('password' in created) && !JSON.stringify(created).includes(PASSWORD), 'the password never comes back');
  remoteId = created.id;
  const after = await sync(remoteId);
  assert.equal(after.status, 'idle');
  assert.equal(after.lastError, null);
  assert.equal(after.messages, corpus.length + 3);

  const boxes = await mirrored(remoteId);
  assert.deepEqual([...boxes.keys()].sort(), ['INBOX', 'Sent', 'Trash', 'Work', 'Work/Projects']);
  assert.equal(boxes.get('INBOX')!.role, 'inbox');
  assert.equal(boxes.get('Sent')!.role, 'sent');
  assert.equal(boxes.get('Trash')!.role, 'trash');
  assert.equal(boxes.get('INBOX')!.emails.length, corpus.length);
  const plan = boxes.get('Work/Projects')!.emails[0];
  assert.deepEqual(plan.keywords, ['$flagged', '$important']);

  // Byte-identical: every message comes out of Gannet exactly as Dovecot serves it.
  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxOpen('INBOX');
  const upstream: string[] = [];
  for await (const m of c.fetch('1:*', { source: true })) upstream.push(m.source!.toString('base64'));
  await c.logout();
  const stored = await Promise.all(boxes.get('INBOX')!.emails.map(async (e) => (await rawMessage(server, remoteId, e.id)).toString('base64')));
  assert.deepEqual(stored.sort(), upstream.sort());

  // The pool: the user's session now has the mirror as a second account.
  const session = await server.services.directory.principal(bob.id);
  assert.ok(session?.accounts.some((a) => a.id === remoteId && a.kind === 'imap'));
});

test('changes made upstream by another client reach Gannet: flags, new, deleted, moved mail and a renamed folder', { skip }, async () => {
  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxOpen('INBOX');
  const first = (await c.search({ all: true }, { uid: true })) as number[];
  await c.messageFlagsAdd(String(first[0]), ['\\Flagged'], { uid: true });
  await c.messageFlagsRemove(String(first[1]), ['\\Seen'], { uid: true });
  await c.messageDelete(String(first[2]), { uid: true });
  await c.messageMove(String(first[3]), 'Work', { uid: true });
  await c.append('INBOX', msg('Fresh upstream'), []);
  await c.mailboxRename('Work/Projects', 'Work/Done');
  await c.logout();

  const before = await mirrored(remoteId);
  const planId = before.get('Work/Projects')!.emails[0].id;
  const view = await sync(remoteId);
  const boxes = await mirrored(remoteId);
  assert.ok(!boxes.has('Work/Projects') && boxes.has('Work/Done'), 'the folder was renamed');
  assert.equal(boxes.get('Work/Done')!.id, before.get('Work/Projects')!.id, 'a rename keeps the mailbox');
  assert.equal(boxes.get('Work/Done')!.emails[0].id, planId, 'and its mail');
  const inbox = boxes.get('INBOX')!.emails;
  assert.equal(inbox.length, corpus.length - 2 + 1);
  assert.ok(inbox.some((e) => e.subject === 'Fresh upstream'));
  assert.equal(boxes.get('Work')!.emails.length, 1, 'the moved message is in Work');
  const flagged = inbox.filter((e) => e.keywords.includes('$flagged'));
  assert.equal(flagged.length, 1);
  assert.equal(inbox.filter((e) => !e.keywords.includes('$seen')).length, 2, 'the unseen one and the fresh one');
  assert.equal(view.messages, corpus.length + 3 - 1 + 1);
});

test('new upstream mail arrives without asking, through IDLE on INBOX', { skip }, async () => {
  const c = await dovecot!.client(UPSTREAM);
  await c.append('INBOX', msg('Pushed by IDLE'), []);
  await c.logout();
  const until = Date.now() + 10_000;
  for (;;) {
    const inbox = (await mirrored(remoteId)).get('INBOX')!.emails;
    if (inbox.some((e) => e.subject === 'Pushed by IDLE')) break;
    assert.ok(Date.now() < until, 'the message did not arrive through IDLE');
    await new Promise((r) => setTimeout(r, 100));
  }
});

test('a UIDVALIDITY reset re-maps the folder without duplicating a message', { skip }, async () => {
  const before = (await mirrored(remoteId)).get('INBOX')!.emails;
  await dovecot!.kill();
  // Without its UID list and indexes Dovecot renumbers the folder under a new UIDVALIDITY.
  const maildir = join(dovecot!.dir, 'mail', UPSTREAM, 'Maildir');
  for (const f of readdirSync(maildir)) if (f.startsWith('dovecot-uidlist') || f.startsWith('dovecot.index')) rmSync(join(maildir, f), { force: true });
  await dovecot!.start();
  await new Promise((r) => setTimeout(r, 300));
  await sync(remoteId).catch(() => undefined); // the worker may still be reconnecting
  await sync(remoteId);
  const after = (await mirrored(remoteId)).get('INBOX')!.emails;
  assert.equal(after.length, before.length, 'nothing duplicated, nothing lost');
  assert.deepEqual(after.map((e) => e.id).sort(), before.map((e) => e.id).sort(), 'the same emails, under their new UIDs');
});

test('sync limits: newest N messages, chosen folders only, Trash left out', { skip }, async () => {
  const res = await addRemote({ name: 'Limited', sync: { limitType: 'messages', limitValue: 5, folders: ['INBOX', 'Trash', 'Work'], excludeTrash: true } });
  const created = await res.json();
  assert.equal(res.status, 201, JSON.stringify(created));
  await sync(created.id);
  const boxes = await mirrored(created.id);
  assert.deepEqual([...boxes.keys()].sort(), ['INBOX', 'Work']);
  assert.equal(boxes.get('INBOX')!.emails.length, 5);
  const days = await (await addRemote({ name: 'Recent', sync: { limitType: 'days', limitValue: 1, folders: ['INBOX'] } })).json();
  await sync(days.id);
  // Everything was appended just now, so a one-day window holds the whole INBOX.
  assert.equal((await mirrored(days.id)).get('INBOX')!.emails.length, (await mirrored(remoteId)).get('INBOX')!.emails.length);
  for (const id of [created.id, days.id]) assert.equal((await server.api(`/api/v1/users/${bob.id}/remotes/${id}`, { method: 'DELETE' })).status, 204);
});

test('wrong credentials: the account reports the upstream error, sync answers 502', { skip }, async () => {
  const res = await addRemote({ name: 'Wrong', password: 'not the password' });
  const created = await res.json();
  assert.equal(res.status, 201);
  const sync = await server.api(`/api/v1/users/${bob.id}/remotes/${created.id}/sync`, { method: 'POST' });
  const problem = await sync.json();
  assert.equal(sync.status, 502);
  assert.match(problem.detail, /login to 127\.0\.0\.1:\d+ failed/);
  const view = await (await server.api(`/api/v1/users/${bob.id}/remotes/${created.id}`)).json();
  assert.equal(view.status, 'error');
  assert.match(view.lastError, /login .* failed/);
  await server.api(`/api/v1/users/${bob.id}/remotes/${created.id}`, { method: 'DELETE' });
});

test('bad settings are 400 problem details naming the field; another user cannot see the mirror', { skip }, async () => {
  const bad = await server.api(`/api/v1/users/${bob.id}/remotes`, { method: 'POST', json: { email: UPSTREAM, password: 'x', imap: { host: 'bad host name!', port: 143 } } });
  assert.equal(bad.status, 400);
  assert.match((await bad.json()).detail, /imap\.host/);
  const carol = await createUser(server, 'carol');
  const token = await (await server.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: 'carol', password: 'correct horse battery' } })).json();
  const peek = await server.api(`/api/v1/users/${carol.id}/remotes/${remoteId}`, { token: token.token });
  assert.equal(peek.status, 404);
});

test('Dovecot killed in the middle of the first sync: after it is back, nothing is missing and nothing doubled', { skip }, async () => {
  const user = 'big@upstream.test';
  const c = await dovecot!.client(user);
  const count = 400;
  for (let i = 0; i < count; i++) await c.append('INBOX', msg(`Bulk ${i}`), []);
  await c.logout();
  const created = await (await addRemote({ email: user, name: 'Big' })).json();
  // Wait until the first pass is under way, then pull the plug.
  const until = Date.now() + 20_000;
  for (;;) {
    const view = await server.services.remotes.get(created.id);
    const done = view.protocol === 'imap' ? view.messages : 0;
    if (done > 0 && done < count) break;
    assert.ok(Date.now() < until && done < count, `the sync was not caught mid-way (${done} of ${count})`);
    await new Promise((r) => setTimeout(r, 5));
  }
  await dovecot!.kill();
  await new Promise((r) => setTimeout(r, 200));
  await dovecot!.start();
  await sync(created.id).catch(() => undefined); // the worker may still be backing off
  const view = await sync(created.id);
  assert.equal(view.messages, count);
  const inbox = (await mirrored(created.id)).get('INBOX')!.emails;
  assert.equal(inbox.length, count);
  assert.equal(new Set(inbox.map((e) => e.subject)).size, count, 'each message once');
});
