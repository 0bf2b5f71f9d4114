import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow, type FetchMessageObject, type StatusObject } from 'imapflow';
import { USING, type Call } from '../../helpers/jmap.ts';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

/**
 * One mailbox, two faces: what an IMAP client marks \Deleted is gone for a JMAP client at once
 * (RFC 8621 §4.1.1), while IMAP keeps seeing and counting it until EXPUNGE.
 */

let server: TestServer;
let user: Awaited<ReturnType<typeof createUser>>;
let accountId: string;
let imap: ImapFlow;
let inboxId: string;

before(async () => {
  server = (await startTestServer())!;
  user = await createUser(server, 'dora');
  accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  imap = new ImapFlow({
    host: '127.0.0.1',
    port: server.listeners.imap.port,
    secure: false,
    auth: { user: user.username, pass: user.password },
    tls: { rejectUnauthorized: false },
    logger: false,
  });
  await imap.connect();
});
after(async () => {
  await imap.logout().catch(() => undefined);
  await server.stop();
});

async function jmap(calls: Call[]): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${server.baseUrl}/jmap`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Basic ' + Buffer.from(`${user.address}:${user.password}`).toString('base64') },
    body: JSON.stringify({ using: USING, methodCalls: calls }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()).methodResponses as Call[]).map(([, args]) => args);
}

/** What a JMAP client sees of the inbox, and what changed since `sinceState`. */
async function jmapView(ids: string[], sinceState: string) {
  const [mailboxes, got, query, changes] = await jmap([
    ['Mailbox/get', { accountId, ids: [inboxId], properties: ['totalEmails', 'unreadEmails', 'totalThreads', 'unreadThreads'] }, 'm'],
    ['Email/get', { accountId, ids, properties: ['subject'] }, 'g'],
    ['Email/query', { accountId, filter: { inMailbox: inboxId } }, 'q'],
    ['Email/changes', { accountId, sinceState }, 'c'],
  ]);
  const { id: _id, ...counts } = (mailboxes.list as Record<string, unknown>[])[0];
  return {
    counts,
    found: (got.list as { id: string }[]).map((e) => e.id),
    notFound: got.notFound,
    queried: query.ids,
    changes: { created: changes.created, updated: changes.updated, destroyed: changes.destroyed },
    state: got.state as string,
  };
}

test('IMAP sets \\Deleted: JMAP stops seeing the message; IMAP clears it: JMAP sees it again; EXPUNGE destroys it', async () => {
  inboxId = (await server.services.mailboxes.byRole(accountId, 'inbox')).id;
  const kept = await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Keep me' }) });
  const doomed = await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'Delete me' }) });
  const ids = [kept.id, doomed.id];
  const start = await jmapView(ids, '0');
  assert.deepEqual(start.counts, { totalEmails: 2, unreadEmails: 2, totalThreads: 2, unreadThreads: 2 });

  const box = await imap.mailboxOpen('INBOX');
  assert.equal(box.exists, 2);
  const last = (await imap.fetchOne('*', { uid: true, envelope: true })) as FetchMessageObject;
  assert.equal(last.envelope?.subject, 'Delete me');
  const uid = String(last.uid);
  await imap.messageFlagsAdd(uid, ['\\Deleted'], { uid: true });

  const hidden = await jmapView(ids, start.state);
  assert.deepEqual(hidden.counts, { totalEmails: 1, unreadEmails: 1, totalThreads: 1, unreadThreads: 1 });
  assert.deepEqual(hidden.found, [kept.id]);
  assert.deepEqual(hidden.notFound, [doomed.id]);
  assert.deepEqual(hidden.queried, [kept.id]);
  assert.deepEqual(hidden.changes, { created: [], updated: [], destroyed: [doomed.id] });

  // IMAP still sees and counts it: \Deleted messages stay until EXPUNGE.
  const status = (await imap.status('INBOX', { messages: true, unseen: true })) as StatusObject;
  assert.deepEqual({ messages: status.messages, unseen: status.unseen }, { messages: 2, unseen: 2 });
  const flags = ((await imap.fetchOne(uid, { flags: true }, { uid: true })) as FetchMessageObject).flags!;
  assert.ok(flags.has('\\Deleted'));

  // A COPY keeps the flags: the copy is born hidden and JMAP is never told of it.
  const copied = await imap.messageCopy(uid, 'Archive', { uid: true });
  assert.ok(copied);
  const afterCopy = await jmapView(ids, hidden.state);
  assert.deepEqual(afterCopy.changes, { created: [], updated: [], destroyed: [] });
  const [archive] = await jmap([['Mailbox/query', { accountId, filter: { role: 'archive' } }, 'a']]);
  const [archived] = await jmap([['Email/query', { accountId, filter: { inMailbox: (archive.ids as string[])[0] } }, 'q']]);
  assert.deepEqual(archived.ids, []);

  await imap.messageFlagsRemove(uid, ['\\Deleted'], { uid: true });
  const shown = await jmapView(ids, afterCopy.state);
  assert.deepEqual(shown.counts, { totalEmails: 2, unreadEmails: 2, totalThreads: 2, unreadThreads: 2 });
  assert.deepEqual(shown.found.sort(), [...ids].sort());
  assert.deepEqual((shown.queried as string[]).sort(), [...ids].sort());
  assert.deepEqual(shown.changes, { created: [doomed.id], updated: [], destroyed: [] });

  await imap.messageFlagsAdd(uid, ['\\Deleted'], { uid: true });
  await imap.mailboxClose();
  const expunged = await jmapView(ids, shown.state);
  assert.deepEqual(expunged.notFound, [doomed.id]);
  assert.deepEqual(expunged.changes, { created: [], updated: [], destroyed: [doomed.id] });
  assert.deepEqual(expunged.counts, { totalEmails: 1, unreadEmails: 1, totalThreads: 1, unreadThreads: 1 });
  assert.equal(((await imap.status('INBOX', { messages: true })) as StatusObject).messages, 1);
});
