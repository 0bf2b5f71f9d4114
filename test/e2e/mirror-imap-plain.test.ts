import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { dovecotInstalled, startDovecot, type Dovecot } from '../helpers/dovecot.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

// An upstream that advertises neither CONDSTORE nor QRESYNC: every pass compares the UID and
// flag lists (services/remote/imap/messages.ts) instead of asking for what changed.
const PLAIN_CAPABILITIES = 'imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ NAMESPACE UIDPLUS MOVE SPECIAL-USE CHILDREN UNSELECT\n';
const UPSTREAM = 'plain@upstream.test';
const PASSWORD = 'plain secret';
const skip = !dovecotInstalled() && 'skipped: dovecot is not installed';

let dovecot: Dovecot | null;
let server: TestServer;
let owner: { id: string };
let remoteId = '';

const msg = (subject: string) =>
  Buffer.from(`From: carol@upstream.test\r\nTo: ${UPSTREAM}\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@upstream.test>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0000\r\n\r\n${subject} body\r\n`);

before(async () => {
  if (skip) return;
  dovecot = await startDovecot({ [UPSTREAM]: PASSWORD }, PLAIN_CAPABILITIES);
  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxCreate('Work');
  for (const s of ['One', 'Two', 'Three', 'Four']) await c.append('INBOX', msg(s), ['\\Seen']);
  await c.logout();
  server = (await startTestServer({ config: { mirrorPollSeconds: 3600 } }))!;
  owner = await createUser(server, 'plainowner');
});
after(async () => {
  await server?.stop();
  await dovecot?.stop();
});

async function sync(): Promise<{ messages: number; lastError: string | null }> {
  const res = await server.api(`/api/v1/users/${owner.id}/remotes/${remoteId}/sync`, { method: 'POST' });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body;
}

/** Subject → keywords of the mirrored mail in one folder. */
async function folder(name: string): Promise<Map<string | null, string[]>> {
  const box = (await server.services.mailboxes.list(remoteId)).find((b) => b.name === name)!;
  const page = await server.services.messages.list(remoteId, box.id, { limit: 250 });
  return new Map(page.results.map((m) => [m.subject, m.keywords]));
}

test('an upstream without CONDSTORE or QRESYNC: flags, new, deleted and moved mail are found by comparing lists', { skip }, async () => {
  const probe = await dovecot!.client(UPSTREAM);
  assert.ok(!probe.capabilities.has('CONDSTORE') && !probe.capabilities.has('QRESYNC'), 'the upstream really lacks both');
  await probe.logout();

  const res = await server.api(`/api/v1/users/${owner.id}/remotes`, {
    method: 'POST',
    json: { email: UPSTREAM, password: PASSWORD, name: 'Plain', imap: { host: '127.0.0.1', port: dovecot!.port, tls: 0 } },
  });
  assert.equal(res.status, 201);
  remoteId = ((await res.json()) as { id: string }).id;
  assert.equal((await sync()).messages, 4);
  assert.deepEqual([...(await folder('INBOX')).keys()].sort(), ['Four', 'One', 'Three', 'Two']);

  const c = await dovecot!.client(UPSTREAM);
  await c.mailboxOpen('INBOX');
  const uids = (await c.search({ all: true }, { uid: true })) as number[];
  await c.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
  await c.messageFlagsRemove(String(uids[1]), ['\\Seen'], { uid: true });
  await c.messageDelete(String(uids[2]), { uid: true });
  await c.messageMove(String(uids[3]), 'Work', { uid: true });
  await c.append('INBOX', msg('Five'), []);
  await c.logout();

  const view = await sync();
  assert.equal(view.lastError, null);
  assert.equal(view.messages, 4);
  const inbox = await folder('INBOX');
  assert.deepEqual([...inbox.keys()].sort(), ['Five', 'One', 'Two']);
  assert.deepEqual(inbox.get('One')!.sort(), ['$flagged', '$seen']);
  assert.deepEqual(inbox.get('Two'), []);
  assert.deepEqual(inbox.get('Five'), []);
  assert.deepEqual([...(await folder('Work')).keys()], ['Four']);

  // A pass with nothing changed upstream changes nothing here.
  const state = await server.services.changes.current(remoteId);
  await sync();
  assert.equal(await server.services.changes.current(remoteId), state);
});
