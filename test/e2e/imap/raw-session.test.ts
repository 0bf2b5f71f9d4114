import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawImap } from '../../helpers/imap-raw.ts';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

const text = (r: { lines: Buffer[] }) => r.lines.map((l) => l.toString('utf8'));
/** "1:3,7" → [1, 2, 3, 7] */
const expand = (set: string) =>
  set ? set.split(',').flatMap((p) => {
    const [a, b] = p.split(':').map(Number);
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  }) : [];

/** Scripted sessions over a plain socket: the exact responses RFC 9051, 7162, 4731 and 5182 ask for. */
describe('IMAP wire protocol', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof createUser>>;
  let accountId: string;
  const open: RawImap[] = [];

  const login = async () => {
    const c = await RawImap.connect(server.listeners.imap.port);
    open.push(c);
    await c.command(`LOGIN ${user.username} "${user.password}"`);
    return c;
  };

  before(async () => {
    server = (await startTestServer())!;
    user = await createUser(server, 'wire');
    accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
    for (const subject of ['alpha', 'beta', 'gamma']) {
      await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject, from: 'Zoe <zoe@remote.test>' }) });
    }
  });
  after(async () => {
    for (const c of open) c.close();
    await server.stop();
  });

  test('LIST "" "" gives the delimiter; SELECT answers with every required response', async () => {
    const c = await login();
    assert.deepEqual(text(await c.command('LIST "" ""')), ['* LIST (\\Noselect) "/" ""']);
    const sel = await c.command('SELECT INBOX');
    const lines = text(sel);
    assert.ok(lines.includes('* 3 EXISTS'));
    assert.ok(lines.includes('* FLAGS (\\Seen \\Flagged \\Answered \\Draft \\Deleted)'));
    assert.ok(lines.some((l) => l.startsWith('* OK [PERMANENTFLAGS (') && l.includes('\\*)]')));
    assert.ok(lines.some((l) => /^\* OK \[UIDVALIDITY \d+\]/.test(l)));
    assert.ok(lines.some((l) => l.startsWith('* OK [UIDNEXT 4]')));
    assert.ok(lines.some((l) => /^\* OK \[HIGHESTMODSEQ \d+\]/.test(l)));
    assert.match(sel.status, /^OK \[READ-WRITE\]/);
  });

  test('FETCH sections: HEADER.FIELDS, partial bodies, and a message number that does not exist is BAD', async () => {
    const c = await login();
    await c.command('EXAMINE INBOX');
    const r = text(await c.command('FETCH 2 (UID BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)] BODY.PEEK[TEXT]<0.5>)'));
    assert.equal(r.length, 1);
    assert.match(r[0], /^\* 2 FETCH \(UID 2 BODY\[HEADER\.FIELDS \(SUBJECT FROM\)\] \{\d+\}\r\nFrom: Zoe <zoe@remote\.test>\r\nSubject: beta\r\n\r\n BODY\[TEXT\]<0> "Hello"\)$/);
    await assert.rejects(c.command('FETCH 9 (FLAGS)'), /BAD/);
    await assert.rejects(c.command('STORE 1 +FLAGS (\\Seen)'), /NO \[CANNOT\]/, 'EXAMINE is read-only');
  });

  test('CONDSTORE: MODSEQ in FETCH, UNCHANGEDSINCE refusing a changed message with MODIFIED, SEARCH MODSEQ', async () => {
    const c = await login();
    await c.command('SELECT INBOX (CONDSTORE)');
    const before = text(await c.command('FETCH 1 (MODSEQ)'))[0];
    const modseq = Number(/MODSEQ \((\d+)\)/.exec(before)![1]);
    const set = text(await c.command(`STORE 1 (UNCHANGEDSINCE ${modseq}) +FLAGS (\\Flagged)`));
    const after = Number(/MODSEQ \((\d+)\)/.exec(set[0])![1]);
    assert.ok(after > modseq);
    const stale = await c.command(`STORE 1 (UNCHANGEDSINCE ${modseq}) -FLAGS (\\Flagged)`);
    assert.match(stale.status, /^OK \[MODIFIED 1\]/);
    const found = text(await c.command(`SEARCH MODSEQ ${after}`));
    assert.deepEqual(found, [`* SEARCH 1 (MODSEQ ${after})`]);
    const changed = text(await c.command(`FETCH 1:* (FLAGS) (CHANGEDSINCE ${after - 1})`));
    assert.equal(changed.length, 1, 'only the message changed since');
  });

  test('STORE on a range keeps the unseen counters that STATUS and JMAP read, and logs each email as changed', async () => {
    const box = await server.services.mailboxes.create(accountId, { name: 'Counters' });
    for (const subject of ['c1', 'c2', 'c3']) await server.services.ingest.ingest({ accountId, mailboxId: box.id, raw: simpleMessage({ subject }) });
    const c = await login();
    await c.command('SELECT Counters');
    const start = await server.services.changes.current(accountId);
    await c.command('STORE 1:3 +FLAGS.SILENT (\\Seen $Done)');
    assert.deepEqual(text(await c.command('STATUS Counters (MESSAGES UNSEEN)')), ['* STATUS "Counters" (MESSAGES 3 UNSEEN 0)']);
    assert.equal((await server.services.mailboxes.get(accountId, box.id)).unseen, 0);
    const changed = (await server.services.changes.changesOf(accountId, 'Email', start, 100))!;
    assert.equal(changed.updated.length, 3);
    await c.command('STORE 2 -FLAGS.SILENT (\\Seen)');
    assert.deepEqual(text(await c.command('STATUS Counters (UNSEEN)')), ['* STATUS "Counters" (UNSEEN 1)']);
    assert.deepEqual(text(await c.command('FETCH 1:3 (FLAGS)')), ['* 1 FETCH (FLAGS ($done \\Seen))', '* 2 FETCH (FLAGS ($done))', '* 3 FETCH (FLAGS ($done \\Seen))']);
  });

  test('ESEARCH return options and SEARCHRES ($)', async () => {
    const c = await login();
    await c.command('SELECT INBOX');
    assert.deepEqual(text(await c.command('UID SEARCH RETURN (MIN MAX COUNT) ALL')), ['* ESEARCH (TAG "R3") UID MIN 1 MAX 3 COUNT 3']);
    assert.deepEqual(text(await c.command('SEARCH RETURN (SAVE) SUBJECT gamma')), []);
    assert.deepEqual(text(await c.command('FETCH $ (UID)')), ['* 3 FETCH (UID 3)']);
    await assert.rejects(c.command('SEARCH CHARSET KOI8-R SUBJECT x'), /NO \[BADCHARSET/);
  });

  test('an expunge made by another session waits while message numbers are in use, then is reported', async () => {
    const reader = await login();
    const writer = await login();
    await reader.command('SELECT INBOX');
    await writer.command('SELECT INBOX');
    await writer.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await writer.command('EXPUNGE');
    const during = text(await reader.command('FETCH 1:* (UID)'));
    assert.ok(!during.some((l) => l.includes('EXPUNGE')), 'no EXPUNGE during a FETCH by number');
    // The gone message has no data left to send; the others keep their numbers until NOOP.
    assert.deepEqual(during, ['* 2 FETCH (UID 2)', '* 3 FETCH (UID 3)']);
    const noop = text(await reader.command('NOOP'));
    assert.ok(noop.includes('* 1 EXPUNGE'), noop.join('\n'));
  });

  test('QRESYNC: SELECT catches up with VANISHED (EARLIER) and changed flags; expunges come as VANISHED', async () => {
    const c = await login();
    await c.command('ENABLE QRESYNC');
    const sel = text(await c.command('SELECT INBOX'));
    const uidValidity = Number(/UIDVALIDITY (\d+)/.exec(sel.join('\n'))![1]);
    const modseq = Number(/HIGHESTMODSEQ (\d+)/.exec(sel.join('\n'))![1]);
    const uids = text(await c.command('UID SEARCH ALL'))[0].split(' ').slice(2).map(Number);
    await c.command('UNSELECT');
    // Elsewhere: one message flagged, one expunged.
    const other = await login();
    await other.command('SELECT INBOX');
    await other.command(`UID STORE ${uids[0]} +FLAGS (\\Answered)`);
    await other.command(`UID STORE ${uids[1]} +FLAGS (\\Deleted)`);
    await other.command('EXPUNGE');
    const back = text(await c.command(`SELECT INBOX (QRESYNC (${uidValidity} ${modseq} 1:*))`));
    // Every UID of the known set no longer here; the server keeps no per-UID history, so one
    // expunged before the client's modseq may be named too (RFC 7162 §3.2.6), never a present one.
    const vanished = (lines: string[]) => expand(/^\* VANISHED \(EARLIER\) (\S+)$/.exec(lines.find((l) => l.startsWith('* VANISHED (EARLIER)')) ?? '')?.[1] ?? '');
    assert.ok(vanished(back).includes(uids[1]), back.join('\n'));
    assert.ok(!vanished(back).includes(uids[0]));
    assert.ok(back.some((l) => l.includes(`FETCH (UID ${uids[0]} FLAGS (\\Answered`)), back.join('\n'));
    // A live expunge, with QRESYNC on, is a VANISHED of its UID.
    await other.command(`UID STORE ${uids[0]} +FLAGS (\\Deleted)`);
    await other.command('EXPUNGE');
    assert.ok(text(await c.command('NOOP')).includes(`* VANISHED ${uids[0]}`));
    const fetched = text(await c.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${modseq} VANISHED)`));
    assert.ok(uids.every((u) => vanished(fetched).includes(u)), fetched.join('\n'));
  });

  test('APPEND takes a LITERAL+ message and the UTF8 (literal8) form of RFC 6855', async () => {
    const c = await login();
    const plain = await c.command('APPEND Drafts {22+}\r\nSubject: plus\r\n\r\nbody\r\n');
    assert.match(plain.status, /^OK \[APPENDUID \d+ \d+\]/);
    const utf8 = Buffer.from('Subject: Grüße\r\n\r\nbody\r\n');
    const wide = await c.command(`APPEND Drafts UTF8 (~{${utf8.length}+}\r\n${utf8.toString('utf8')})`);
    assert.match(wide.status, /^OK \[APPENDUID \d+ \d+\]/);
    await assert.rejects(c.command('APPEND Nowhere {5+}\r\nhello'), /NO \[TRYCREATE\]/);
  });

  test('SORT and THREAD (RFC 5256) over a reply chain', async () => {
    const box = await server.services.mailboxes.create(accountId, { name: 'Threads' });
    const put = (subject: string, messageId: string, inReplyTo?: string, date?: string) =>
      server.services.ingest.ingest({ accountId, mailboxId: box.id, raw: simpleMessage({ subject, messageId, inReplyTo, date }) });
    await put('Topic', 't1@x.test', undefined, 'Mon, 02 Nov 2026 10:00:00 +0000');
    await put('Another', 'a1@x.test', undefined, 'Tue, 03 Nov 2026 10:00:00 +0000');
    await put('Re: Topic', 't2@x.test', 't1@x.test', 'Wed, 04 Nov 2026 10:00:00 +0000');
    const c = await login();
    await c.command('SELECT Threads');
    assert.deepEqual(text(await c.command('SORT (SUBJECT) UTF-8 ALL')), ['* SORT 2 1 3']);
    assert.deepEqual(text(await c.command('SORT (REVERSE DATE) UTF-8 ALL')), ['* SORT 3 2 1']);
    assert.deepEqual(text(await c.command('UID THREAD REFERENCES UTF-8 ALL')), ['* THREAD (1 3)(2)']);
    assert.deepEqual(text(await c.command('THREAD ORDEREDSUBJECT UTF-8 SUBJECT topic')), ['* THREAD (1 3)']);
  });

  test('BINARY (RFC 9051 §6.4.5): decoded text with CRLF lines, a size to match, and NO [UNKNOWN-CTE] or [NONEXISTENT] as the answer', async () => {
    const box = await server.services.mailboxes.create(accountId, { name: 'Binary' });
    const parts = [
      'Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\ncaf=C3=A9  \nsoft=\nbreak\n',
      'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nAAEC\n',
      'Content-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n`\nend\n',
    ];
    // Stored as it came, with bare LF line ends.
    const raw = Buffer.from(`Subject: parts\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=B\n\n${parts.map((p) => `--B\n${p}`).join('')}--B--\n`);
    await server.services.ingest.ingest({ accountId, mailboxId: box.id, raw });
    const c = await login();
    await c.command('EXAMINE Binary');
    const text1 = text(await c.command('FETCH 1 (BINARY.PEEK[1] BINARY.SIZE[1])'));
    // A string, not literal8, as there is no NUL (the RFC's SHOULD; Dovecot sends literal8).
    assert.deepEqual(text1, ['* 1 FETCH (BINARY[1] {16}\r\ncaf\u00e9\r\nsoftbreak BINARY.SIZE[1] 16)']);
    assert.deepEqual(text(await c.command('FETCH 1 (BINARY.PEEK[2])')), ['* 1 FETCH (BINARY[2] ~{3}\r\n\u0000\u0001\u0002)']);
    // Answered at once, and the session goes on (the responses of the round are not held back).
    await assert.rejects(c.command('FETCH 1 (BINARY.PEEK[3])'), /NO \[UNKNOWN-CTE\]/);
    await assert.rejects(c.command('FETCH 1 (BINARY.SIZE[3])'), /NO \[UNKNOWN-CTE\]/);
    await assert.rejects(c.command('FETCH 1 (BINARY.PEEK[9])'), /NO \[NONEXISTENT\]/);
    assert.deepEqual(text(await c.command('FETCH 1 (BINARY.SIZE[2])')), ['* 1 FETCH (BINARY.SIZE[2] 3)']);
  });

  test('unknown commands and bad syntax are BAD; the connection survives', async () => {
    const c = await login();
    await assert.rejects(c.command('FROBNICATE'), /BAD/);
    await assert.rejects(c.command('SELECT'), /BAD/);
    await c.command('NOOP');
  });
});

describe('IMAP RENAME INBOX (RFC 9051 §6.3.6)', () => {
  let server: TestServer;
  let user: Awaited<ReturnType<typeof createUser>>;
  let accountId: string;
  const open: RawImap[] = [];
  // More than one chunk of the move (200 per transaction), so the walk across chunks is tested.
  const COUNT = 230;

  const login = async () => {
    const c = await RawImap.connect(server.listeners.imap.port);
    open.push(c);
    await c.command(`LOGIN ${user.username} "${user.password}"`);
    return c;
  };
  const uidValidity = (lines: string[]) => Number(/\[UIDVALIDITY (\d+)\]/.exec(lines.join('\n'))?.[1]);
  /** UID and EMAILID of every message, in message-number order. */
  const ids = async (c: RawImap) =>
    text(await c.command('FETCH 1:* (UID EMAILID)')).map((l) => {
      const m = /^\* \d+ FETCH \(UID (\d+) EMAILID \((\S+)\)\)$/.exec(l);
      assert.ok(m, l);
      return { uid: Number(m[1]), emailId: m[2] };
    });
  const expunges = (lines: string[]) => lines.filter((l) => /^\* \d+ EXPUNGE$/.test(l)).length;

  before(async () => {
    server = (await startTestServer())!;
    user = await createUser(server, 'inboxrenamer');
    accountId = (await server.services.directory.accountOfUser(user.id)).accountId;
    for (let i = 1; i <= COUNT; i++) await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: `message ${i}` }), keywords: i % 2 ? ['$seen'] : [] });
    const child = await server.services.mailboxes.create(accountId, { name: 'child', parentId: (await server.services.mailboxes.byRole(accountId, 'inbox')).id });
    await server.services.ingest.ingest({ accountId, mailboxId: child.id, raw: simpleMessage({ subject: 'in the child' }) });
  });
  after(async () => {
    for (const c of open) c.close();
    await server.stop();
  });

  test('the messages move to the new mailbox with their EMAILIDs; INBOX stays, empty, with its UIDVALIDITY; INBOX/child is untouched', async () => {
    const renamer = await login();
    const selected = text(await renamer.command('SELECT INBOX'));
    const inboxValidity = uidValidity(selected);
    const before = await ids(renamer);
    assert.equal(before.length, COUNT);
    const watcher = await login();
    await watcher.command('SELECT INBOX');

    const renamed = await renamer.command('RENAME INBOX "Old mail"');
    assert.match(renamed.status, /^OK/);
    // The renaming session has INBOX selected: it is told at once that every message left.
    assert.equal(expunges(text(renamed)), COUNT, text(renamed).slice(0, 3).join('\n'));
    // Another session with INBOX selected hears of it at its next command.
    assert.equal(expunges(text(await watcher.command('NOOP'))), COUNT);

    const oldMail = text(await renamer.command('SELECT "Old mail"'));
    assert.ok(oldMail.includes(`* ${COUNT} EXISTS`), oldMail.join('\n'));
    assert.notEqual(uidValidity(oldMail), inboxValidity, 'a new mailbox, a new UIDVALIDITY');
    const after = await ids(renamer);
    assert.deepEqual(after.map((m) => m.emailId), before.map((m) => m.emailId), 'the same emails, in the same order');
    assert.deepEqual(after.map((m) => m.uid), Array.from({ length: COUNT }, (_, i) => i + 1), 'new UIDs from 1');
    const unseen = text(await renamer.command('STATUS "Old mail" (MESSAGES UNSEEN)'));
    assert.deepEqual(unseen, [`* STATUS "Old mail" (MESSAGES ${COUNT} UNSEEN ${COUNT / 2})`], 'flags and counters travel with the mail');

    const inbox = text(await renamer.command('SELECT INBOX'));
    assert.ok(inbox.includes('* 0 EXISTS'), inbox.join('\n'));
    assert.equal(uidValidity(inbox), inboxValidity);
    assert.ok(inbox.some((l) => l.startsWith(`* OK [UIDNEXT ${COUNT + 1}]`)), 'UIDs are not given out again');
    const list = text(await renamer.command('LIST "" "*"'));
    for (const name of ['INBOX', 'INBOX/child', 'Old mail']) assert.ok(list.some((l) => l.endsWith(` "/" "${name}"`)), `${name} in\n${list.join('\n')}`);
    assert.ok(!list.some((l) => l.includes('Old mail/')), 'INBOX\'s children stay where they are');
    assert.deepEqual(text(await renamer.command('STATUS INBOX/child (MESSAGES)')), ['* STATUS "INBOX/child" (MESSAGES 1)']);

    // New mail goes to INBOX as before, and INBOX can be renamed again.
    await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'after the rename' }) });
    assert.ok(text(await renamer.command('NOOP')).includes('* 1 EXISTS'));
    assert.match((await renamer.send('RENAME inbox Later')).status, /^OK/);
    assert.deepEqual(text(await renamer.command('STATUS Later (MESSAGES)')), ['* STATUS "Later" (MESSAGES 1)']);
  });

  test('renaming INBOX onto a name that exists is NO [ALREADYEXISTS] and changes nothing', async () => {
    await server.services.ingest.ingest({ accountId, raw: simpleMessage({ subject: 'stays' }) });
    const c = await login();
    // A name that says "child" is still a name taken, not HASCHILDREN.
    for (const name of ['Drafts', '"Old mail"', 'inbox/child', 'INBOX']) {
      assert.match((await c.send(`RENAME INBOX ${name}`)).status, /^NO \[ALREADYEXISTS\]/, name);
    }
    assert.deepEqual(text(await c.command('STATUS INBOX (MESSAGES)')), ['* STATUS "INBOX" (MESSAGES 1)']);
    assert.deepEqual(text(await c.command('STATUS Drafts (MESSAGES)')), ['* STATUS "Drafts" (MESSAGES 0)']);
  });
});

describe('IMAP failed logins', () => {
  let server: TestServer;
  before(async () => {
    server = (await startTestServer({ config: { loginFailuresPerUser: 3 } }))!;
    await createUser(server, 'guarded');
  });
  after(() => server.stop());

  test('after the allowed failures for a user, even the right password is refused for a while', async () => {
    const c = await RawImap.connect(server.listeners.imap.port);
    for (let i = 0; i < 3; i++) await assert.rejects(c.command('LOGIN guarded wrong'), /NO \[AUTHENTICATIONFAILED\]/);
    await assert.rejects(c.command('LOGIN guarded "correct horse battery"'), /NO \[UNAVAILABLE\]/);
    c.close();
  });
});

describe('IMAP before TLS with plaintextAuth = never', () => {
  let server: TestServer;
  before(async () => {
    server = (await startTestServer({ config: { plaintextAuth: 'never' } }))!;
  });
  after(() => server.stop());

  test('LOGINDISABLED and STARTTLS are advertised, and LOGIN is refused with PRIVACYREQUIRED', async () => {
    const c = await RawImap.connect(server.listeners.imap.port);
    const caps = text(await c.command('CAPABILITY'))[0];
    assert.match(caps, / STARTTLS/);
    assert.match(caps, / LOGINDISABLED/);
    assert.doesNotMatch(caps, /AUTH=PLAIN/);
    await assert.rejects(c.command('LOGIN someone secret'), /NO \[PRIVACYREQUIRED\]/);
    c.close();
  });
});
