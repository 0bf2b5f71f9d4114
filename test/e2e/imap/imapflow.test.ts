import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

/** A whole session with a real client, imapflow, over STARTTLS: what a mail app does all day. */
describe('IMAP with imapflow', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof createUser>>;
  let accountId: string;
  const clients: ImapFlow[] = [];

  const connect = async (opts: { secure?: boolean } = {}) => {
    const client = new ImapFlow({
      host: '127.0.0.1',
      port: opts.secure ? server.listeners.imaps.port : server.listeners.imap.port,
      secure: opts.secure ?? false,
      auth: { user: user.username, pass: user.password },
      tls: { rejectUnauthorized: false },
      logger: false,
    });
    await client.connect();
    clients.push(client);
    return client;
  };
  const deliver = (subject: string, body = 'Hello') =>
    server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject, body }) });

  before(async () => {
    server = (await startTestServer())!;
    user = await createUser(server, 'ivy');
    accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
  });
  after(async () => {
    for (const c of clients) await c.logout().catch(() => undefined);
    await server.stop();
  });

  test('STARTTLS, login, the folder list with special-use roles', async () => {
    const client = await connect();
    assert.equal(client.secureConnection, true, 'upgraded with STARTTLS');
    const list = await client.list();
    const byPath = new Map(list.map((f) => [f.path, f]));
    assert.ok(byPath.has('INBOX'));
    assert.equal(byPath.get('Sent')?.specialUse, '\\Sent');
    assert.equal(byPath.get('Trash')?.specialUse, '\\Trash');
  });

  test('implicit TLS on the imaps port', async () => {
    const client = await connect({ secure: true });
    const box = await client.mailboxOpen('INBOX');
    assert.ok(box.uidValidity > 0n);
  });

  test('delivered mail is fetched with envelope, flags and exact source; flags, search, move and expunge work', async () => {
    const one = await deliver('First one', 'apples and pears');
    await deliver('Second one', 'only pears');
    const client = await connect();
    const box = await client.mailboxOpen('INBOX');
    assert.equal(box.exists, 2);
    const msgs = [];
    for await (const m of client.fetch('1:*', { uid: true, flags: true, envelope: true, source: true, bodyStructure: true, internalDate: true, size: true, threadId: true })) msgs.push(m);
    assert.equal(msgs.length, 2);
    assert.equal(msgs[0].envelope?.subject, 'First one');
    assert.equal(msgs[0].envelope?.from?.[0]?.address, 'bob@remote.test');
    assert.equal(msgs[0].bodyStructure?.type, 'text/plain');
    assert.equal(msgs[0].emailId, one.id, 'EMAILID is the JMAP id');
    assert.equal(msgs[0].threadId, one.threadId);
    const raw = await server.services.messages.rawBytes(one.blobId);
    assert.ok(msgs[0].source?.equals(raw), 'BODY[] is the stored bytes');
    assert.equal(msgs[0].size, raw.length);

    await client.messageFlagsAdd({ uid: String(msgs[0].uid) }, ['\\Flagged', '$Important'], { uid: true });
    const detail = await server.services.messages.get(accountId, one.id);
    assert.ok(detail.keywords.includes('$flagged') && detail.keywords.includes('$important'), 'flags reach the JMAP keywords');

    assert.deepEqual(await client.search({ body: 'apples' }, { uid: true }), [msgs[0].uid]);
    assert.deepEqual(await client.search({ flagged: true }, { uid: true }), [msgs[0].uid]);
    assert.deepEqual(await client.search({ subject: 'second' }, { uid: true }), [msgs[1].uid]);

    const moved = await client.messageMove(String(msgs[1].uid), 'Archive', { uid: true });
    assert.ok(moved && moved.uidMap && moved.uidMap.size === 1, 'COPYUID came back');
    assert.equal(((await client.status('INBOX', { messages: true })) as { messages: number }).messages, 1);
    assert.equal(((await client.status('Archive', { messages: true })) as { messages: number }).messages, 1);

    await client.messageDelete(String(msgs[0].uid), { uid: true });
    assert.equal(((await client.status('INBOX', { messages: true })) as { messages: number }).messages, 0);
    await assert.rejects(server.services.messages.get(accountId, one.id), 'expunged through IMAP, gone for JMAP and REST');
  });

  test('APPEND with flags and date answers APPENDUID; CREATE, RENAME and DELETE change the tree', async () => {
    const client = await connect();
    const appended = await client.append('Drafts', simpleMessage({ subject: 'draft' }), ['\\Draft', '\\Seen'], new Date('2025-01-02T03:04:05Z'));
    assert.ok(appended && appended.uid && appended.uidValidity);
    await client.mailboxOpen('Drafts');
    const [m] = await client.fetchAll(String(appended.uid), { flags: true, internalDate: true }, { uid: true });
    assert.deepEqual([...m.flags!].sort(), ['\\Draft', '\\Seen']);
    assert.equal(new Date(m.internalDate!).toISOString(), '2025-01-02T03:04:05.000Z');

    await client.mailboxCreate('Projects/Alpha');
    let paths = (await client.list()).map((f) => f.path);
    assert.ok(paths.includes('Projects') && paths.includes('Projects/Alpha'), 'the missing parent was created');
    await client.mailboxRename('Projects', 'Work');
    paths = (await client.list()).map((f) => f.path);
    assert.ok(paths.includes('Work/Alpha') && !paths.includes('Projects/Alpha'), 'children follow a rename');
    await client.mailboxDelete('Work/Alpha');
    assert.ok(!(await client.list()).some((f) => f.path === 'Work/Alpha'));
  });

  test('IDLE reports a delivery made through another face within a second', async () => {
    const client = await connect();
    await client.mailboxOpen('INBOX');
    const before = client.mailbox && typeof client.mailbox === 'object' ? client.mailbox.exists : 0;
    const seen = new Promise<number>((resolve) => client.on('exists', (e: { count: number }) => resolve(e.count)));
    const idling = client.idle();
    await new Promise((r) => setTimeout(r, 100));
    const started = Date.now();
    await deliver('While idling');
    const count = await seen;
    assert.equal(count, before + 1);
    assert.ok(Date.now() - started < 1000, `reported after ${Date.now() - started} ms`);
    await client.noop(); // ends IDLE with DONE
    await idling;
  });
});
