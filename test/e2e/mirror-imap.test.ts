import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { corpusFiles } from '../helpers/corpus.ts';
import { startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';
import { rawMessage } from '../protocols/smtp/fixtures.ts';
import { DEFAULT_SYNC } from '../../src/services/remote/settings.ts';
import { syncFolderMessages } from '../../src/services/remote/imap/messages.ts';
import { ParsePool } from '../../src/services/mail/parse-pool.ts';
import { indexStaged, stageMessages } from '../../src/services/remote/imap/staging.ts';
import { EmailWriter } from '../../src/services/mail/email-writer.ts';
import { Mirror } from '../../src/services/remote/imap/mirror.ts';
import { remoteRepo } from '../../src/store/repos/remote.ts';

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

/** Stages what is new in an upstream folder (the first stage of a pass) without indexing it, as a pass cut short would. */
async function stageOnly(path: string): Promise<void> {
  const row = (await remoteRepo.folders(server.store.db, remoteId)).find((f) => f.path === path)!;
  const client = await dovecot!.client(UPSTREAM);
  try {
    const deps = { store: server.store, mirror: new Mirror(server.store, new EmailWriter(server.store), server.services.mailboxes), accountId: remoteId, sync: DEFAULT_SYNC, progress: () => {} };
    await syncFolderMessages(client, deps, { row, path });
  } finally {
    await client.logout();
  }
}

const stagedRows = () => server.store.db.selectFrom('remote_staged').selectAll().execute();

test('a download staged but not yet indexed when a pass stopped becomes an email at the next pass, once, and its pack goes', { skip }, async () => {
  // Sent: no IDLE there, so the account's own worker leaves it alone until asked.
  const c = await dovecot!.client(UPSTREAM);
  await c.append('Sent', msg('Staged reply'), ['\\Seen', '$Label1']);
  await c.logout();
  await stageOnly('Sent');
  const staged = await stagedRows();
  assert.equal(staged.length, 1);
  assert.equal(staged[0].keywords, '$label1 $seen');
  assert.deepEqual(await server.store.packs.list(), [staged[0].pack]);
  assert.ok(!(await mirrored(remoteId)).get('Sent')!.emails.some((e) => e.subject === 'Staged reply'), 'not visible before it is indexed');

  await sync(remoteId);
  const sent = (await mirrored(remoteId)).get('Sent')!.emails.filter((e) => e.subject === 'Staged reply');
  assert.equal(sent.length, 1, 'indexed once, not fetched a second time');
  assert.deepEqual(sent[0].keywords, ['$label1', '$seen']);
  assert.deepEqual(await stagedRows(), []);
  await server.services.packedBlobs.writeOut();
  assert.deepEqual(await server.store.packs.list(), [], 'the drained pack is deleted once its blob is a file');
  assert.deepEqual((await rawMessage(server, remoteId, sent[0].id)).toString(), msg('Staged reply').toString());
});

test('a staged download whose bytes are lost is fetched again from the upstream, not dropped', { skip }, async () => {
  const c = await dovecot!.client(UPSTREAM);
  await c.append('Sent', msg('Lost pack'), []);
  await c.logout();
  await stageOnly('Sent');
  const [row] = await stagedRows();
  await server.store.packs.remove(row.pack);
  await sync(remoteId);
  const found = (await mirrored(remoteId)).get('Sent')!.emails.filter((e) => e.subject === 'Lost pack');
  assert.equal(found.length, 1);
  assert.deepEqual((await rawMessage(server, remoteId, found[0].id)).toString(), msg('Lost pack').toString());
  assert.deepEqual(await stagedRows(), []);
});

test('a folder deleted between reading its staged rows and indexing them: the rows go with it, the pass does not fail', { skip }, async () => {
  const sent = (await remoteRepo.folders(server.store.db, remoteId)).find((f) => f.path === 'Sent')!;
  const ghost = { ...sent, id: 'xghostfolder0000000000000000', path: 'Ghost', uidvalidity: 0, uidnext: 0, highestmodseq: 0, synced_at: null };
  await remoteRepo.insertFolder(server.store.db, ghost);
  const raw = msg('Never indexed');
  await stageMessages(server.store, ghost.id, [{ seq: 1, uid: 7, source: raw, flags: new Set(), internalDate: new Date() } as never]);
  const deps = {
    store: server.store,
    ingest: server.services.ingest,
    mirror: new Mirror(server.store, new EmailWriter(server.store), server.services.mailboxes),
    packed: server.services.packedBlobs,
    parser: new ParsePool(),
    // The user's write that wins the lock first: the folder goes, its staged rows with it.
    exclusive: async <T>(_: string, fn: () => Promise<T>) => {
      await remoteRepo.deleteFolder(server.store.db, ghost.id);
      return fn();
    },
  };
  await indexStaged(deps, remoteId, ghost.id);
  assert.deepEqual(await stagedRows(), []);
  assert.ok(!(await mirrored(remoteId)).get('Sent')!.emails.some((e) => e.subject === 'Never indexed'));
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
  // Two more in Sent from the staging tests above.
  assert.equal(view.messages, corpus.length + 3 + 2 - 1 + 1);
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
  // Several fetch batches (200 each), so the download can be caught between two of them.
  const count = 700;
  for (let i = 0; i < count; i++) await c.append('INBOX', msg(`Bulk ${i}`), []);
  await c.logout();
  const created = await (await addRemote({ email: user, name: 'Big' })).json();
  // Wait until the first pass is under way (messages staged or already indexed), then pull the plug.
  const until = Date.now() + 20_000;
  for (;;) {
    const view = await server.services.remotes.get(created.id);
    const staged = (await stagedRows()).length;
    const done = (view.protocol === 'imap' ? view.messages : 0) + staged;
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

async function jmap(calls: [string, Record<string, unknown>, string][]): Promise<[string, Record<string, any>, string][]> {
  const auth = 'Basic ' + Buffer.from(`bob@example.test:correct horse battery`).toString('base64');
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: auth },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail'], methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses;
}

/** Subjects and flags of a Dovecot folder, as another IMAP client sees them. */
async function upstreamFolder(path: string): Promise<{ subject: string; flags: string[] }[]> {
  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxOpen(path);
  const out: { subject: string; flags: string[] }[] = [];
  // \Recent only says this session is the first to see the message.
  for await (const m of c.fetch('1:*', { envelope: true, flags: true })) out.push({ subject: m.envelope?.subject ?? '', flags: [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort() });
  await c.logout();
  return out;
}

test('changes made through Gannet reach Dovecot first: flags, moves, deletes, appends and folders', { skip }, async () => {
  const accountId = remoteId;
  const boxes = await mirrored(accountId);
  const inbox = boxes.get('INBOX')!;
  const work = boxes.get('Work')!;
  const fresh = inbox.emails.find((e) => e.subject === 'Fresh upstream')!;
  const idle = inbox.emails.find((e) => e.subject === 'Pushed by IDLE')!;

  const [[, flagged]] = await jmap([['Email/set', { accountId, update: { [fresh.id]: { 'keywords/$flagged': true, 'keywords/$seen': true } } }, 'f']]);
  assert.deepEqual(flagged.updated, { [fresh.id]: null }, JSON.stringify(flagged));
  assert.deepEqual((await upstreamFolder('INBOX')).find((m) => m.subject === 'Fresh upstream')!.flags, ['\\Flagged', '\\Seen']);

  const [[, moved]] = await jmap([['Email/set', { accountId, update: { [fresh.id]: { mailboxIds: { [work.id]: true } } } }, 'm']]);
  assert.deepEqual(moved.updated, { [fresh.id]: null }, JSON.stringify(moved));
  assert.ok(!(await upstreamFolder('INBOX')).some((m) => m.subject === 'Fresh upstream'));
  assert.ok((await upstreamFolder('Work')).some((m) => m.subject === 'Fresh upstream'));

  const [[, destroyed]] = await jmap([['Email/set', { accountId, destroy: [idle.id] }, 'd']]);
  assert.deepEqual(destroyed.destroyed, [idle.id]);
  assert.ok(!(await upstreamFolder('INBOX')).some((m) => m.subject === 'Pushed by IDLE'));

  const upload = await fetch(`${server.baseUrl}/upload/${accountId}`, {
    method: 'POST',
    headers: { authorization: 'Basic ' + Buffer.from('bob@example.test:correct horse battery').toString('base64'), 'content-type': 'message/rfc822' },
    body: new Uint8Array(msg('Imported through JMAP')),
  });
  const { blobId } = await upload.json();
  const [[, imported]] = await jmap([['Email/import', { accountId, emails: { i: { blobId, mailboxIds: { [work.id]: true }, keywords: { $seen: true } } } }, 'i']]);
  assert.ok(imported.created?.i, JSON.stringify(imported));
  assert.deepEqual((await upstreamFolder('Work')).find((m) => m.subject === 'Imported through JMAP')!.flags, ['\\Seen']);

  const [[, made]] = await jmap([['Mailbox/set', { accountId, create: { n: { name: 'Receipts', parentId: work.id } } }, 'c']]);
  assert.ok(made.created?.n, JSON.stringify(made));
  const c = await dovecot!.client(UPSTREAM);
  assert.ok((await c.list()).some((f) => f.path === 'Work/Receipts'));
  await c.logout();
  const [[, renamed]] = await jmap([['Mailbox/set', { accountId, update: { [made.created.n.id]: { name: 'Invoices' } } }, 'r']]);
  assert.deepEqual(renamed.updated, { [made.created.n.id]: null }, JSON.stringify(renamed));
  const c2 = await dovecot!.client(UPSTREAM);
  const paths = (await c2.list()).map((f) => f.path);
  assert.ok(paths.includes('Work/Invoices') && !paths.includes('Work/Receipts'));
  await c2.logout();
  const [[, gone]] = await jmap([['Mailbox/set', { accountId, destroy: [made.created.n.id] }, 'x']]);
  assert.deepEqual(gone.destroyed, [made.created.n.id]);

  // Nothing of this comes back as a duplicate on the next sync.
  const view = await sync(accountId);
  const after = await mirrored(accountId);
  assert.equal(after.get('Work')!.emails.filter((e) => e.subject === 'Fresh upstream').length, 1);
  assert.equal(after.get('Work')!.emails.filter((e) => e.subject === 'Imported through JMAP').length, 1);
  assert.ok(!after.has('Work/Invoices'));
  assert.equal(view.lastError, null);
});

test('a folder gone upstream between the tree pass and its message pass is skipped, not a failed sync', { skip }, async () => {
  // The window a Mailbox/set destroy made through Gannet can fall into while a background pass runs.
  const [row] = await remoteRepo.folders(server.store.db, remoteId);
  const client = await dovecot!.client(UPSTREAM);
  try {
    const deps = { store: server.store, ingest: server.services.ingest, mirror: new Mirror(server.store, new EmailWriter(server.store), server.services.mailboxes), accountId: remoteId, sync: DEFAULT_SYNC, progress: () => {} };
    await syncFolderMessages(client, deps, { row, path: 'Work/Never-There' });
    // Any other failure still fails the pass.
    await client.logout();
    await assert.rejects(syncFolderMessages(client, deps, { row, path: 'Work' }));
  } finally {
    client.close();
  }
});

test('when the upstream refuses, the caller gets the error and nothing changes here', { skip }, async () => {
  const accountId = remoteId;
  const email = (await mirrored(accountId)).get('Work')!.emails[0];
  await dovecot!.kill();
  try {
    const [[, res]] = await jmap([['Email/set', { accountId, update: { [email.id]: { 'keywords/$answered': true } } }, 'u']]);
    assert.ok(res.notUpdated?.[email.id], JSON.stringify(res));
    assert.match(res.notUpdated[email.id].description, /upstream/);
    const [[, got]] = await jmap([['Email/get', { accountId, ids: [email.id], properties: ['keywords'] }, 'g']]);
    assert.ok(!got.list[0].keywords.$answered, 'the local copy is unchanged');
  } finally {
    await dovecot!.start();
  }
});

test('RENAME INBOX of a mirrored account: the folder is made upstream and the mail moved there with its email ids; INBOX stays', { skip }, async () => {
  const accountId = remoteId;
  const before = await mirrored(accountId);
  const inbox = before.get('INBOX')!;
  assert.ok(inbox.emails.length > 0);
  await server.services.imap.folders.rename(accountId, 'INBOX', 'Old mail');

  const after = await mirrored(accountId);
  assert.equal(after.get('INBOX')!.id, inbox.id, 'INBOX is the same mailbox');
  assert.deepEqual(after.get('INBOX')!.emails, []);
  assert.deepEqual(after.get('Old mail')!.emails.map((e) => e.id).sort(), inbox.emails.map((e) => e.id).sort(), 'the same emails');
  const c = await dovecot!.client(UPSTREAM);
  const count = async (path: string) => {
    const st = await c.status(path, { messages: true });
    return st ? st.messages : -1;
  };
  assert.equal(await count('INBOX'), 0, 'upstream too');
  assert.equal(await count('Old mail'), inbox.emails.length);
  await c.logout();

  // The next sync finds nothing to change: every moved message is linked to its new upstream UID.
  const view = await sync(accountId);
  assert.equal(view.lastError, null);
  const synced = await mirrored(accountId);
  assert.deepEqual(synced.get('Old mail')!.emails.map((e) => e.id).sort(), inbox.emails.map((e) => e.id).sort());
  assert.deepEqual(synced.get('INBOX')!.emails, []);
  await assert.rejects(server.services.imap.folders.rename(accountId, 'INBOX', 'Work'), (err: Error & { code?: string }) => err.code === 'conflict');
});

test('without an IMAP host, the servers are discovered from autoconfig', { skip }, async () => {
  const { createServer } = await import('node:http');
  const xml = `<clientConfig version="1.1"><emailProvider id="upstream.test"><incomingServer type="imap"><hostname>127.0.0.1</hostname><port>${dovecot!.port}</port><socketType>plain</socketType></incomingServer></emailProvider></clientConfig>`;
  const asked: string[] = [];
  const http = createServer((req, res) => {
    asked.push(req.url ?? '');
    res.writeHead(req.url?.startsWith('/upstream.test') ? 200 : 404, { 'content-type': 'text/xml' }).end(xml);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as { port: number }).port;
  // No DNS here: a resolver that refuses at once sends discovery straight to autoconfig.
  const other = (await startTestServer({ config: { autoconfigUrls: `http://127.0.0.1:${port}/{domain}.xml?emailaddress={email}`, dnsServers: '127.0.0.1:9', mirrorPollSeconds: 3600 } }))!;
  try {
    const user = await createUser(other, 'dora');
    const res = await other.api(`/api/v1/users/${user.id}/remotes`, { method: 'POST', json: { email: UPSTREAM, password: PASSWORD } });
    const created = await res.json();
    assert.equal(res.status, 201, JSON.stringify(created));
    assert.deepEqual(created.imap, { host: '127.0.0.1', port: dovecot!.port, tls: 0 });
    assert.equal(asked[0], `/upstream.test.xml?emailaddress=${encodeURIComponent(UPSTREAM)}`);
    const synced = await other.api(`/api/v1/users/${user.id}/remotes/${created.id}/sync`, { method: 'POST' });
    assert.equal(synced.status, 200);
    assert.ok((await synced.json()).messages > 0);
    const none = await other.api(`/api/v1/users/${user.id}/remotes`, { method: 'POST', json: { email: 'x@nowhere.test', password: 'p' } });
    assert.equal(none.status, 400);
    assert.match((await none.json()).detail, /no IMAP server could be discovered/);
  } finally {
    await other.stop();
    http.close();
  }
});
