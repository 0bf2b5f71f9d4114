import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RawImap, type RawResponse } from '../../helpers/imap-raw.ts';
import { fetchItems, parseValues, show as render, type Value } from '../../helpers/imap-value.ts';
import { simpleMessage } from '../../helpers/messages.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

/*
 * The example sessions of the IMAP RFCs, sent over a plain socket to a real Gannet. Names, UIDs,
 * counts and mod-sequences are Gannet's own: each test sets up data so that the example's shape
 * holds (which messages match, which UIDs have gaps, which mailboxes have children) and asserts
 * the lines that matter: status, response codes, untagged responses and their shapes. RFC 9051
 * examples run in IMAP4rev2 sessions (ENABLE IMAP4rev2); those of RFC 3501 and of the extensions
 * written against it run in IMAP4rev1 sessions, which is what a client gets without ENABLE.
 * Where Gannet differs from what an RFC requires, the test keeps asserting the RFC.
 *
 * | Example                                                          | Status                                                                  |
 * |------------------------------------------------------------------|-------------------------------------------------------------------------|
 * | 9051 §6.1.1 CAPABILITY, STARTTLS, CAPABILITY (3501 §6.1.1)       | runs (plaintextAuth = never, so LOGINDISABLED before TLS)               |
 * | 9051 §6.1.2 NOOP, then NOOP with EXPUNGE, EXISTS and FETCH       | runs                                                                    |
 * | 9051 §6.1.3 LOGOUT                                               | runs                                                                    |
 * | 9051 §6.2.1 STARTTLS, CAPABILITY, AUTHENTICATE PLAIN <ir>        | runs                                                                    |
 * | 9051 §6.2.2 AUTHENTICATE GSSAPI (3501 §6.2.2)                    | runs as the refusal: Gannet offers no GSSAPI, so a tagged NO            |
 * | 9051 §6.2.2 greeting with CAPABILITY, STARTTLS, PLAIN <ir>       | runs (with §6.2.1)                                                      |
 * | 9051 §6.2.2 AUTHENTICATE PLAIN without initial response         | runs                                                                    |
 * | 9051 §6.2.2 AUTHENTICATE EXTERNAL =                              | runs as the refusal: no AUTH=EXTERNAL (no client certificates)          |
 * | 9051 §6.2.3 LOGIN                                                | runs (with §6.1.3)                                                      |
 * | 9051 §6.3.1 ENABLE: CAPABILITY unchanged, unknown names ignored  | runs                                                                    |
 * | 9051 §6.3.1 ENABLE CONDSTORE                                     | runs                                                                    |
 * | 9051 §6.3.2 SELECT INBOX                                         | runs                                                                    |
 * | 9051 §6.3.2 SELECT, then SELECT Drafts with [CLOSED]             | runs                                                                    |
 * | 9051 §6.3.3 EXAMINE                                              | runs                                                                    |
 * | 9051 §6.3.4 CREATE owatagusiam/ and owatagusiam/blurdybloop      | runs                                                                    |
 * | 9051 §6.3.4 CREATE of a non-NFC name: LIST with OLDNAME          | runs (with SELECT of that name, §6.3.2)                                 |
 * | 9051 §6.3.5 DELETE, first example ("/", \Noselect foo)           | runs: Gannet has no \Noselect names, so foo stays a mailbox             |
 * | 9051 §6.3.5 DELETE, second example (parent becomes \Noselect)    | not runnable: Gannet takes §6.3.5's other choice (NO for a parent)      |
 * | 9051 §6.3.6 RENAME blurdybloop and foo (children follow)         | runs                                                                    |
 * | 9051 §6.3.6 RENAME INBOX old-mail                                | runs (with "/" for "."; raw-session.test.ts checks the moved mail)      |
 * | 9051 §6.3.6 RENAME X Y, SUBSCRIBE Y, UNSUBSCRIBE X               | runs                                                                    |
 * | 9051 §6.3.7 SUBSCRIBE, §6.3.8 UNSUBSCRIBE                        | runs, on an existing mailbox (Gannet checks existence, §6.3.7 allows it)|
 * | 9051 §6.3.9.8 basic LIST: A101 LIST "" ""                        | covered by raw-session.test.ts                                          |
 * | 9051 §6.3.9.8 basic LIST: A102, A103 (reference, "")             | runs (a Gannet name as reference)                                       |
 * | 9051 §6.3.9.8 basic LIST: A202 LIST ~/Mail/ %                    | runs as LIST Fruit/ %                                                   |
 * | 9051 §6.3.9.8 ext. 1 LIST "" "*" (5258 §5 ex. 1)                 | runs                                                                    |
 * | 9051 §6.3.9.8 ext. 2 LIST (SUBSCRIBED) (5258 ex. 2)              | runs, without Fruit/Peach: a subscription cannot outlive its mailbox    |
 * | 9051 §6.3.9.8 ext. 3 RETURN (CHILDREN) (5258 ex. 3)              | runs                                                                    |
 * | 9051 §6.3.9.8 ext. 4 LIST (REMOTE) … (5258 ex. 4)                | runs (no remote mailboxes: REMOTE changes nothing)                      |
 * | 9051 §6.3.9.8 ext. 5 LIST (REMOTE SUBSCRIBED) (5258 ex. 5)       | runs, without Fruit/Peach and Bread                                     |
 * | 9051 §6.3.9.8 ext. 6 RETURN (SUBSCRIBED) (5258 ex. 6)            | runs, without Bread and Meat                                            |
 * | 9051 §6.3.9.8 ext. 7 CHILDREN vs CHILDINFO (5258 ex. 8)          | runs: CA3, C02, A, A1, B, C; A2 not runnable (Foo would have to not exist) |
 * | 9051 §6.3.9.8 ext. 8 RECURSIVEMATCH with "*2" (5258 ex. 9)       | runs (qux2 exists in Gannet: parents are always created)                |
 * | 9051 §6.3.9.8 ext. 9 a1 LIST "" ("foo")                          | runs; a2, a3 not runnable: need a subscription without its mailbox      |
 * | 9051 §6.3.9.8 ext. 10 missing hierarchy (5258 ex. 11)            | not runnable: Gannet creates every parent and has no remote mailboxes   |
 * | 9051 §6.3.9.8 ext. 11 A01 RETURN (STATUS …) (5819 §5 A01)        | runs, without the \NoSelect "bar" (Gannet has no \Noselect names)       |
 * | 9051 §6.3.9.8 ext. 11 A02 RECURSIVEMATCH + STATUS (5819 §5 A02)  | runs                                                                    |
 * | 9051 §6.3.9.1 text: RECURSIVEMATCH alone is BAD                  | runs (no printed example)                                               |
 * | 5258 §5 ex. 7 LIST "" ("INBOX" "Drafts" "Sent/%")                | runs                                                                    |
 * | 5258 §5 ex. 10 a1 LIST "" ("foo" "foo/*")                        | runs; a2, a3 as 9051 ext. 9                                             |
 * | 9051 §6.3.10 NAMESPACE ex. 1 (2342 §5 ex. 5.1)                   | runs                                                                    |
 * | 9051 §6.3.10 NAMESPACE ex. 2–9 (2342 ex. 5.2–5.9), §7.3.2        | not runnable: one personal namespace only (no shared, other users, anonymous) |
 * | 9051 §6.3.11 STATUS (§7.3.3)                                     | runs                                                                    |
 * | 9051 §6.3.12 APPEND with a synchronizing literal                 | runs                                                                    |
 * | 9051 §6.3.12 APPEND {n+}, COPY, UID COPY, SELECT (4315 §3)       | runs; UIDs are sticky, so COPY 2 funny has COPYUID and no UIDNOTSTICKY  |
 * | 9051 §6.3.13 IDLE                                                | runs                                                                    |
 * | 9051 §6.4.1 CLOSE                                                | runs                                                                    |
 * | 9051 §6.4.2 UNSELECT                                             | runs                                                                    |
 * | 9051 §6.4.3 EXPUNGE (§7.5.1)                                     | runs                                                                    |
 * | 9051 §6.4.4 A282 RETURN (MIN COUNT) (4731 §3.1)                  | runs                                                                    |
 * | 9051 §6.4.4 A283 RETURN () (4731 §3.1)                           | runs                                                                    |
 * | 9051 §6.4.4 A284 not found, A285 CHARSET UTF-8 TEXT {12}         | runs                                                                    |
 * | 9051 §6.4.4 RETURN (MIN) UNSEEN (4731)                           | runs                                                                    |
 * | 9051 §6.4.4 UID SEARCH RETURN (MIN MAX) 1:5000 (4731)            | runs                                                                    |
 * | 9051 §6.4.4 RETURN (COUNT) DELETED (4731)                        | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 1 and 2 (5182 §2.2 ex. 1, 2)              | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 3 UID SEARCH UID $ SMALLER                | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 4 (OR $ 1,3000:3021) TEXT {8+}            | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 5 failed SEARCH (SAVE) empties $          | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 6 COPY $ with $ empty (5182 ex. 6)        | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 7 COPY $, STORE $ pipelined (5182 ex. 7)  | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 8, ex. 9 (5182 ex. 8, 9)                  | runs                                                                    |
 * | 9051 §6.4.4.4 SAVE ex. 10 result options and $                   | runs                                                                    |
 * | 9051 §6.4.5 FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])    | runs                                                                    |
 * | 9051 §6.4.6 STORE 2:4 +FLAGS (\Deleted)                          | runs                                                                    |
 * | 9051 §6.4.7 COPY 2:4 MEETING                                     | runs (in the §6.3.12 test)                                              |
 * | 9051 §6.4.8 UID MOVE 42:69 foo                                   | runs                                                                    |
 * | 9051 §6.4.8 / 6851 §3.3 text: MOVE into the selected mailbox     | runs (no printed example)                                               |
 * | 9051 §6.4.9 UID EXPUNGE 3000:3002 (4315 §2.1)                    | runs                                                                    |
 * | 9051 §6.4.9 UID FETCH … FLAGS                                    | runs                                                                    |
 * | 9051 §6.5 XPIG-LATIN                                             | not runnable: a fictitious extension                                    |
 * | 9051 §7.1 ALREADYEXISTS (RENAME this that)                       | runs                                                                    |
 * | 9051 §7.1 AUTHENTICATIONFAILED                                   | covered by raw-session.test.ts                                          |
 * | 9051 §7.1 AUTHORIZATIONFAILED                                    | runs                                                                    |
 * | 9051 §7.1 CANNOT (create "///////")                              | runs                                                                    |
 * | 9051 §7.1 CLIENTBUG (STATUS of the selected mailbox)             | runs (the code is optional; the STATUS must work)                       |
 * | 9051 §7.1 CLOSED                                                 | runs (with §6.3.2)                                                      |
 * | 9051 §7.1 CONTACTADMIN, CORRUPTION, EXPIRED, SERVERBUG           | not runnable: no such condition can be provoked from a test             |
 * | 9051 §7.1 EXPUNGEISSUED                                          | not runnable: an optional code Gannet does not send                     |
 * | 9051 §7.1 HASCHILDREN (DELETE Notes)                             | runs                                                                    |
 * | 9051 §7.1 INUSE                                                  | not runnable: Gannet takes no exclusive mailbox locks                   |
 * | 9051 §7.1 LIMIT                                                  | not runnable: no limit on flags per message or mailbox                  |
 * | 9051 §7.1 NONEXISTENT (RENAME this that)                         | runs                                                                    |
 * | 9051 §7.1 NOPERM                                                 | not runnable: no ACL (RFC 4314)                                         |
 * | 9051 §7.1 OVERQUOTA (uid copy 1:* oldmail)                       | runs                                                                    |
 * | 9051 §7.1 PRIVACYREQUIRED                                        | covered by raw-session.test.ts (LOGIN); SELECT before login is BAD      |
 * | 9051 §7.1 UNAVAILABLE                                            | covered by raw-session.test.ts (the failed-login limit)                 |
 * | 9051 §7.1.1 greeting; OK [ALERT]                                 | greeting runs (with §6.2.1); ALERT not runnable: Gannet sends no alerts |
 * | 9051 §7.1.2 untagged NO warnings (disk full)                     | not runnable: no such warnings                                          |
 * | 9051 §7.1.3 BAD: line too long, empty line                       | runs; "disk crash" not runnable                                         |
 * | 9051 §7.1.4 PREAUTH                                              | not runnable: Gannet never pre-authenticates                            |
 * | 9051 §7.1.5 BYE autologout                                       | not runnable: the autologout comes after 30 minutes                     |
 * | 9051 §7.2.1 ENABLED CONDSTORE QRESYNC                            | runs                                                                    |
 * | 9051 §7.2.2 CAPABILITY                                           | runs (with §6.1.1)                                                      |
 * | 9051 §7.3.1 LIST responses                                       | "~/Mail/foo" runs with A202; "tablecloth" not runnable (fictitious)     |
 * | 9051 §7.3.4 ESEARCH (TAG "a567") UID COUNT … ALL …               | runs                                                                    |
 * | 9051 §7.3.4 ESEARCH without TAG (two examples)                   | not runnable: Gannet sends ESEARCH only in answer to a command          |
 * | 9051 §7.3.5 FLAGS, §7.4.1 EXISTS, §7.5.1 EXPUNGE                 | runs (with §6.3.2, §6.1.2, §6.4.3)                                      |
 * | 9051 §7.5.2 FETCH (FLAGS RFC822.SIZE UID)                        | runs                                                                    |
 * | 9051 §7.6 LOGIN {11} / {7}; BLURDYBLOOP {102856}                 | runs                                                                    |
 * | 9051 §8 sample IMAP4rev2 connection                              | runs, with LOGIN after STARTTLS: Gannet has no SCRAM-SHA-256            |
 * | 3501 §6.3.1 SELECT (RECENT, UNSEEN)                              | runs; the RECENT count is 0: no per-message \Recent (ADR 0014)          |
 * | 3501 §6.3.9 LSUB "#news." "comp.mail.*" and "comp.%"             | runs, with news/ for #news.                                             |
 * | 3501 §6.4.1 CHECK                                                | runs                                                                    |
 * | 3501 §6.4.4 SEARCH (untagged SEARCH responses), §7.2.5           | runs                                                                    |
 * | 3501 §7.3.2 * 5 RECENT                                           | not runnable: no per-message \Recent (ADR 0014)                         |
 * | 2177 §3 IDLE                                                     | runs as 9051 §6.3.13 (the same exchange)                                |
 * | 4315 §2.1 UID EXPUNGE, §3 APPEND/COPY                            | run as 9051 §6.4.9 and §6.3.12 (the same exchanges)                     |
 * | 4731 §3.1 A282, A283 in an IMAP4rev1 session                     | runs; A284–A286 as 9051 §6.4.4                                          |
 * | 4731 §3.2 a1–a4 RETURN (MIN/MAX/…) with MODSEQ                   | runs                                                                    |
 * | 5182 §2.2 ex. 1, 2, 6–9                                          | run as 9051 §6.4.4.4 (the same exchanges)                               |
 * | 5182 §2.2 ex. 3, 4, 5 in an IMAP4rev1 session                    | runs; ex. 5 as printed (no SAVE on B283) to 5182 §2.1's text            |
 * | 5182 §2.4 ex. 10                                                 | runs as 9051 §6.4.4.4 ex. 10                                            |
 * | 6851 §3.3 UID MOVE; §4.3 untagged COPYUID first                  | runs (with 9051 §6.4.8)                                                 |
 * | 6851 §4.4 text: MOVE with QRESYNC sends HIGHESTMODSEQ            | runs (no printed example)                                               |
 * | 7162 §3.1.2.1 ex. 1, §3.1.8 ex. 18 SELECT (CONDSTORE)            | runs                                                                    |
 * | 7162 §3.1.2.2 ex. 2 NOMODSEQ                                     | not runnable: every Gannet mailbox keeps mod-sequences                  |
 * | 7162 §3.1.3 ex. 3 UID STORE (UNCHANGEDSINCE) .SILENT             | runs                                                                    |
 * | 7162 §3.1.3 ex. 4 STORE * (UNCHANGEDSINCE)                       | runs                                                                    |
 * | 7162 §3.1.3 ex. 5 first enabling command sends HIGHESTMODSEQ     | runs                                                                    |
 * | 7162 §3.1.3 ex. 6, 7 MODIFIED 7,9                                | runs                                                                    |
 * | 7162 §3.1.3 ex. 8 UNCHANGEDSINCE 0                               | runs                                                                    |
 * | 7162 §3.1.3 ex. 9, 10 MODIFIED, then retry                       | runs                                                                    |
 * | 7162 §3.1.3 ex. 11 STORE over expunged messages                  | runs                                                                    |
 * | 7162 §3.1.4.1 ex. 12 UID FETCH (CHANGEDSINCE)                    | runs                                                                    |
 * | 7162 §3.1.4.2 ex. 13 FETCH 1:3 (MODSEQ)                          | runs                                                                    |
 * | 7162 §3.1.4.2 ex. 14 sessions 1 and 2                            | runs; session 3 not runnable: no shared mailboxes, no private flags     |
 * | 7162 §3.1.5 ex. 15, 16 SEARCH MODSEQ                             | runs                                                                    |
 * | 7162 §3.1.7 ex. 17 STATUS HIGHESTMODSEQ                          | runs                                                                    |
 * | 7162 §3.1 text: STATUS (HIGHESTMODSEQ) enables CONDSTORE         | runs (no printed example)                                               |
 * | 7162 §3.1.10 ex. 19 SEARCH RETURN (ALL) MODSEQ                   | runs                                                                    |
 * | 7162 §3.1.10 ex. 20 SORT RETURN (ALL)                            | not runnable: SORT is in progress elsewhere (ADR 0014)                  |
 * | 7162 §3.2.4 text: UID and MODSEQ in every FETCH once enabled     | runs (no printed example)                                               |
 * | 7162 §3.2.5 UIDVALIDITY mismatch                                 | runs                                                                    |
 * | 7162 §3.2.5.1 A03 SELECT (QRESYNC) with known UIDs; §6 A142      | runs                                                                    |
 * | 7162 §3.2.5.2 A04 (no sequence match data)                       | runs, scaled down (UIDs divisible by 3 remain)                          |
 * | 7162 §3.2.5.2 B04 (sequence match data)                          | runs, scaled down                                                       |
 * | 7162 §3.2.6 s100/s101, then UID FETCH (CHANGEDSINCE VANISHED)    | runs (s101 as UID SEARCH UID: the printed one searches numbers)         |
 * | 7162 §3.2.7 A202 EXPUNGE without QRESYNC                         | runs                                                                    |
 * | 7162 §3.2.7 B202 EXPUNGE with QRESYNC                            | runs                                                                    |
 * | 7162 §3.2.8 CLOSE                                                | runs                                                                    |
 * | 7162 §3.2.9 UID EXPUNGE without QRESYNC                          | runs                                                                    |
 * | 7162 §3.2.9 text: UID EXPUNGE with QRESYNC sends HIGHESTMODSEQ   | runs (no printed example)                                               |
 * | 7162 §3.2.10.2 VANISHED 505,507,510,625 then 504,508             | runs                                                                    |
 * | 7162 §3.2.11 CLOSED without a CONDSTORE enabling command         | runs (text; the example is 9051 §6.3.2's)                               |
 * | 7162 §6 A150–A153 delayed VANISHED and HIGHESTMODSEQ             | runs (A150, A152)                                                       |
 * | 6154 §5.1 LIST "" "%", §5.2 RETURN (SPECIAL-USE), (SPECIAL-USE)  | runs                                                                    |
 * | 6154 §5.3 CREATE … (USE (…))                                     | not runnable: no CREATE-SPECIAL-USE                                     |
 * | 6154 §5.4 METADATA                                               | not runnable: no METADATA (RFC 5464)                                    |
 * | 9208 §4.1.1 GETQUOTA, §4.2.1 QUOTA                               | runs with Gannet's root ""                                              |
 * | 9208 §4.1.2 GETQUOTAROOT INBOX, §4.2.2 QUOTAROOT INBOX ""        | runs                                                                    |
 * | 9208 §4.1.3 SETQUOTA S0001 (rounded)                             | not runnable: no QUOTASET (quotas are set by an administrator)          |
 * | 9208 §4.1.3 SETQUOTA S0002 refused                               | runs                                                                    |
 * | 9208 §4.1.4 STATUS (MESSAGES DELETED DELETED-STORAGE)            | runs                                                                    |
 * | 9208 §4.2.2 QUOTAROOT comp.mail.mime (no root)                   | not runnable: every mailbox has the root ""                             |
 * | 9208 §4.3.1 OVERQUOTA ex. 1 APPEND                               | runs                                                                    |
 * | 9208 §4.3.1 OVERQUOTA ex. 2, 3 (soft quota)                      | not runnable: Gannet's quota is hard only                               |
 * | 8474 §4.1 CREATE with MAILBOXID                                  | runs                                                                    |
 * | 8474 §4.2 SELECT with MAILBOXID                                  | runs                                                                    |
 * | 8474 §4.3 STATUS (MAILBOXID) across RENAME; LIST-STATUS          | runs (values read leniently; the syntax is the §7 row)                  |
 * | 8474 §5 APPEND, FETCH EMAILID THREADID, MOVE, SELECT foo         | runs (values read leniently; the syntax is the §7 row)                  |
 * | 8474 §5 no THREADID support                                      | not runnable: Gannet supports THREADID                                  |
 * | 8474 §6 SEARCH EMAILID, THREADID                                 | runs                                                                    |
 * | 8474 §7 ABNF of the §4.3 and §5 responses (bare objectid)        | runs                                                                    |
 * | 2971 §3.1 ID (params), §3.2 ID NIL                               | runs                                                                    |
 *
 * 165 rows: 139 run (some partly, or as a refusal), 22 not runnable, 4 covered by raw-session.test.ts.
 */

let server: TestServer;
/** The same server with plaintextAuth = never: LOGINDISABLED and STARTTLS before TLS. */
let tlsServer: TestServer;
const open: RawImap[] = [];

before(async () => {
  server = (await startTestServer())!;
  tlsServer = (await startTestServer({ config: { plaintextAuth: 'never' } }))!;
});
after(async () => {
  for (const c of open) c.close();
  await server.stop();
  await tlsServer.stop();
});

// ---------------------------------------------------------------- helpers

interface Account {
  id: string;
  username: string;
  password: string;
  accountId: string;
}

async function account(name: string, on = server): Promise<Account> {
  const user = await createUser(on, name);
  const { accountId } = await on.services.directory.accountOfUser(user.id);
  return { id: user.id, username: user.username, password: user.password, accountId };
}

async function connect(on = server): Promise<RawImap> {
  const c = await RawImap.connect(on.listeners.imap.port);
  open.push(c);
  return c;
}

/** A logged-in session; `enable` goes out as ENABLE (IMAP4rev2 makes it an RFC 9051 session). */
async function login(acc: Account, enable?: string): Promise<RawImap> {
  const c = await connect();
  await c.command(`LOGIN ${acc.username} "${acc.password}"`);
  if (enable) await c.command(`ENABLE ${enable}`);
  return c;
}

const REV2 = 'IMAP4rev2';
let clock = Date.UTC(2026, 2, 1);

interface Put {
  mailbox?: string;
  subject?: string;
  from?: string;
  body?: string;
  /** JMAP keywords: $seen, $flagged, $deleted, or any other. */
  keywords?: string[];
  receivedAt?: number;
  date?: string;
  headers?: string[];
}

/** Delivers a message into a mailbox by IMAP name (INBOX by default); each one later than the last. */
async function put(acc: Account, opts: Put = {}): Promise<void> {
  const mailboxId = opts.mailbox ? (await server.services.imap.folders.get(acc.accountId, opts.mailbox)).id : undefined;
  clock += 60_000;
  const raw = simpleMessage({ subject: opts.subject, from: opts.from, body: opts.body, date: opts.date, headers: opts.headers });
  await server.services.ingest.ingest({ accountId: acc.accountId, raw, mailboxId, keywords: opts.keywords, receivedAt: opts.receivedAt ?? clock });
}

async function putMany(acc: Account, n: number, opts: Put = {}): Promise<void> {
  for (let i = 1; i <= n; i++) await put(acc, { subject: `message ${i}`, ...opts });
}

const text = (r: RawResponse): string[] => r.lines.map((l) => l.toString('utf8'));
const show = (r: RawResponse): string => [...text(r), `<tag> ${r.status}`].join('\n');
/** The untagged lines that start with `prefix` ("* LIST", "* OK [CLOSED]"…). */
const lines = (r: RawResponse, prefix: string): string[] => text(r).filter((l) => l.startsWith(prefix));

/** "1:3,7" → [1, 2, 3, 7]; "" → []. */
function expand(set: string): number[] {
  if (!set) return [];
  return set.split(',').flatMap((part) => {
    const [a, b] = part.split(':').map(Number);
    const [lo, hi] = [Math.min(a, b ?? a), Math.max(a, b ?? a)];
    return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
  });
}

const atomText = (v: Value | undefined): string => (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) ? v.atom : '');
/** A string, atom or number as text: a mailbox name may come quoted or not. */
const str = (v: Value | undefined): string => (Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'number' ? String(v) : atomText(v));

interface Listed {
  attrs: string[];
  name: string;
  /** The extended data items, rendered: ("CHILDINFO" ("SUBSCRIBED")). */
  ext: string;
}

/** A LIST or LSUB line read into its parts (the delimiter must be "/"). */
function listed(line: string): Listed {
  const v = parseValues(Buffer.from(line));
  assert.ok(Array.isArray(v[2]) && str(v[3]) === '/', `not a LIST line with "/": ${line}`);
  return { attrs: v[2].map(atomText), name: str(v[4]), ext: v.slice(5).map(render).join(' ') };
}
const listedOf = (r: RawResponse, kind = 'LIST'): Listed[] => lines(r, `* ${kind} `).map(listed);
const names = (r: RawResponse, kind = 'LIST'): string[] => listedOf(r, kind).map((e) => e.name);

/** A STATUS line: the mailbox name and its items. */
function statusOf(line: string | undefined): { name: string; items: Record<string, number | string> } {
  const v = parseValues(Buffer.from(line ?? ''));
  assert.ok(atomText(v[1]) === 'STATUS' && Array.isArray(v[3]), `not a STATUS line: ${line}`);
  const items: Record<string, number | string> = {};
  for (let i = 0; i + 1 < v[3].length; i += 2) items[atomText(v[3][i])] = typeof v[3][i + 1] === 'number' ? (v[3][i + 1] as number) : render(v[3][i + 1]);
  return { name: str(v[2]), items };
}

/** The flags of a FETCH item value, sorted: (\Seen \Deleted) → ['\Deleted', '\Seen']. */
const flags = (v: Value | undefined): string[] => (Array.isArray(v) ? v.map(atomText).sort() : []);

/** Every untagged FETCH of a response: message number → items (upper-cased names). */
function fetches(r: RawResponse): Map<number, Map<string, Value>> {
  const out = new Map<number, Map<string, Value>>();
  for (const l of r.lines) {
    if (!/^\* \d+ FETCH /.test(l.toString('latin1', 0, 24))) continue;
    const { seq, items } = fetchItems(l);
    out.set(seq, items);
  }
  return out;
}

/** A MODSEQ item's value: MODSEQ (n) → n. */
const modseqOf = (items: Map<string, Value> | undefined): number => {
  const v = items?.get('MODSEQ');
  return Array.isArray(v) && typeof v[0] === 'number' ? v[0] : NaN;
};

/** The one ESEARCH response: its TAG, whether UID, and the return data (ALL expanded to numbers). */
function esearch(r: RawResponse): { tag: string | null; uid: boolean; data: Map<string, number | number[]> } {
  const found = r.lines.filter((l) => l.toString('latin1', 0, 10) === '* ESEARCH ' || l.toString('latin1') === '* ESEARCH');
  assert.equal(found.length, 1, `one ESEARCH response expected:\n${show(r)}`);
  const v = parseValues(found[0]).slice(2);
  let tag: string | null = null;
  if (Array.isArray(v[0])) {
    tag = Buffer.isBuffer(v[0][1]) ? v[0][1].toString() : null;
    v.shift();
  }
  const uid = atomText(v[0]).toUpperCase() === 'UID';
  if (uid) v.shift();
  const data = new Map<string, number | number[]>();
  for (let i = 0; i + 1 < v.length; i += 2) {
    const name = atomText(v[i]).toUpperCase();
    const value = v[i + 1];
    data.set(name, name === 'ALL' ? expand(typeof value === 'number' ? String(value) : atomText(value)) : (value as number));
  }
  return { tag, uid, data };
}

/** The numbers of an untagged SEARCH response (IMAP4rev1), and its (MODSEQ n) if any. */
function search(r: RawResponse): { numbers: number[]; modseq: number | null } {
  const found = lines(r, '* SEARCH');
  assert.equal(found.length, 1, `one SEARCH response expected:\n${show(r)}`);
  const m = /\(MODSEQ (\d+)\)$/.exec(found[0]);
  const numbers = found[0].replace(/\s*\(MODSEQ \d+\)$/, '').split(' ').slice(2).filter(Boolean).map(Number);
  return { numbers, modseq: m ? Number(m[1]) : null };
}

/** Applies EXPUNGE responses in order to a list of message numbers' owners: what is left. */
function afterExpunges(before: number[], r: RawResponse | string[]): number[] {
  const left = [...before];
  for (const l of Array.isArray(r) ? r : text(r)) {
    const m = /^\* (\d+) EXPUNGE$/.exec(l);
    if (m) left.splice(Number(m[1]) - 1, 1);
  }
  return left;
}

/** The value of a response code in a line: code(`OK [HIGHESTMODSEQ 12] x`, 'HIGHESTMODSEQ') → '12'. */
function code(line: string | undefined, name: string): string | null {
  const m = new RegExp(`\\[${name}(?: ([^\\]]*))?\\]`).exec(line ?? '');
  return m ? (m[1] ?? '') : null;
}

/** The response code of a status line or of any untagged OK/NO in the response. */
function anyCode(r: RawResponse, name: string): string | null {
  for (const l of [r.status, ...text(r).filter((t) => /^\* (OK|NO|BAD) \[/.test(t))]) {
    const c = code(l, name);
    if (c !== null) return c;
  }
  return null;
}

/** Reads response lines until one satisfies `want`; fails after `ms` with what came. */
async function until(c: RawImap, want: (line: string) => boolean, ms = 8000): Promise<string[]> {
  const seen: string[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    let timer: NodeJS.Timeout | undefined;
    const line = await Promise.race([c.next(), new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), Math.max(0, left))))]);
    clearTimeout(timer);
    if (line === null) assert.fail(`timed out waiting; got:\n${seen.join('\n')}`);
    seen.push(line.toString('utf8'));
    if (want(seen[seen.length - 1])) return seen;
  }
}

/** Sends a command whose last argument is a synchronizing literal: waits for "+", then sends it. */
async function withLiteral(c: RawImap, head: string, literal: Buffer | string, tail = ''): Promise<RawResponse> {
  const data = Buffer.from(literal);
  const tag = c.start(`${head} {${data.length}}`);
  const cont = (await c.next()).toString('utf8');
  assert.match(cont, /^\+/, `continuation expected for ${head}, got ${cont}`);
  c.write(Buffer.concat([data, Buffer.from(`${tail}\r\n`)]));
  return c.finish(tag);
}

const select = async (c: RawImap, box = 'INBOX') => c.command(`SELECT ${box}`);
/** HIGHESTMODSEQ from a response code (SELECT, EXAMINE) or a STATUS response. */
const highestModseq = (r: RawResponse): number => {
  const st = lines(r, '* STATUS ')[0];
  return Number(st ? statusOf(st).items.HIGHESTMODSEQ : anyCode(r, 'HIGHESTMODSEQ'));
};
const uidValidity = (r: RawResponse): number => Number(anyCode(r, 'UIDVALIDITY'));

/** "Another client": a second session of the account with INBOX selected. */
async function elsewhere(acc: Account): Promise<RawImap> {
  const c = await login(acc);
  await select(c);
  return c;
}

/** An account with n messages in INBOX, and a session (after ENABLE `enable`) that has INBOX selected. */
async function withInbox(name: string, n: number, enable?: string): Promise<{ acc: Account; c: RawImap; selected: RawResponse }> {
  const acc = await account(name);
  await putMany(acc, n);
  const c = await login(acc, enable);
  return { acc, c, selected: await select(c) };
}

/** A session (after ENABLE `enable`) of a new account whose mailbox `box` was created and holds n messages. */
async function withMailbox(name: string, box: string, n: number, enable?: string): Promise<RawImap> {
  const acc = await account(name);
  const c = await login(acc, enable);
  await c.command(`CREATE ${box}`);
  await putMany(acc, n, { mailbox: box });
  return c;
}

/** Marks messages \Deleted and expunges them in a session of its own: gaps in the UIDs. */
async function expungeUids(acc: Account, uids: string, box = 'INBOX'): Promise<void> {
  const c = await login(acc);
  await select(c, box);
  await c.command(`UID STORE ${uids} +FLAGS.SILENT (\\Deleted)`);
  await c.command(`UID EXPUNGE ${uids}`);
  c.close();
}

/**
 * The mailbox the SEARCH examples share, 11 messages numbered 1–11 with UIDs 3–13:
 * - \Flagged: 1 (received 1993), 2, 5 (from Smith), 10, 11; so FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith" is 2,10,11;
 * - \Seen: 1, 2, 3, 6, 7 (4 is the first unseen); \Deleted: 6, 9; $Junk: 3, 7;
 * - bodies: 8 says "отпуск", 1, 5 and 9 say "мать"; 11 is larger than 4096 octets.
 */
async function searchFixture(name: string): Promise<Account> {
  const acc = await account(name);
  await putMany(acc, 2, { subject: 'gone' });
  await expungeUids(acc, '1:2');
  const seen = [1, 2, 3, 6, 7];
  const flagged = [1, 2, 5, 10, 11];
  const deleted = [6, 9];
  const junk = [3, 7];
  const bodies: Record<number, string> = { 1: 'мать', 5: 'мать', 8: 'отпуск', 9: 'мать', 11: 'x'.repeat(5000) };
  for (let n = 1; n <= 11; n++) {
    const keywords = [...(seen.includes(n) ? ['$seen'] : []), ...(flagged.includes(n) ? ['$flagged'] : []), ...(deleted.includes(n) ? ['$deleted'] : []), ...(junk.includes(n) ? ['$junk'] : [])];
    await put(acc, {
      subject: `message ${n}`,
      from: n === 5 ? 'John Smith <smith@remote.test>' : 'Zoe <zoe@remote.test>',
      body: bodies[n] ?? `plain body ${n}`,
      keywords,
      receivedAt: n === 1 ? Date.UTC(1993, 5, 1) : undefined,
    });
  }
  return acc;
}
/** Of the fixture: message number → UID. */
const fixtureUid = (n: number) => n + 2;

// ---------------------------------------------------------------- RFC 9051 §6.1, §6.2

describe('RFC 9051 §6.1–§6.2: any state and not authenticated', () => {
  test('§6.1.1, §6.2.1, §6.2.2 (second example), §7.2.2, RFC 3501 §6.1.1: CAPABILITY, STARTTLS, CAPABILITY again, AUTHENTICATE PLAIN with an initial response', async () => {
    const acc = await account('tlsuser', tlsServer);
    const c = await connect(tlsServer);
    // §6.2.2: "* OK [CAPABILITY IMAP4rev2 STARTTLS AUTH=GSSAPI LOGINDISABLED] Server ready"
    const greeting = c.greeting.toString('utf8');
    assert.match(greeting, /^\* OK \[CAPABILITY [^\]]*\]/);
    for (const cap of ['IMAP4rev2', 'IMAP4rev1', 'STARTTLS', 'LOGINDISABLED']) assert.ok(greeting.split(/[ \]]/).includes(cap), `${cap} in ${greeting}`);

    const before = await c.command('CAPABILITY');
    assert.equal(before.lines.length, 1, 'a single untagged CAPABILITY');
    const capsBefore = text(before)[0].split(' ');
    assert.equal(capsBefore[1], 'CAPABILITY');
    for (const cap of ['IMAP4rev2', 'STARTTLS', 'LOGINDISABLED']) assert.ok(capsBefore.includes(cap), cap);
    assert.ok(!capsBefore.includes('AUTH=PLAIN'), 'no plain-text mechanism before TLS');
    assert.match(before.status, /^OK/);

    const starttls = await c.command('STARTTLS');
    assert.deepEqual(starttls.lines, []);
    await c.startTls();

    const afterTls = text(await c.command('CAPABILITY'))[0].split(' ');
    assert.ok(afterTls.includes('IMAP4rev2'));
    assert.ok(afterTls.includes('AUTH=PLAIN'), 'AUTH=PLAIN under TLS');
    assert.ok(!afterTls.includes('STARTTLS'), 'STARTTLS SHOULD NOT be advertised after TLS');
    assert.ok(!afterTls.includes('LOGINDISABLED'));

    // "a004 AUTHENTICATE PLAIN dGVzdAB0ZXN0AHRlc3Q=": authzid, authcid and password all given.
    const ir = Buffer.from(`${acc.username}\0${acc.username}\0${acc.password}`).toString('base64');
    const auth = await c.send(`AUTHENTICATE PLAIN ${ir}`);
    assert.match(auth.status, /^OK/);
    assert.match((await c.send('SELECT INBOX')).status, /^OK/, 'authenticated');
  });

  test('§6.2.2: AUTHENTICATE PLAIN without an initial response ("+ " then the response); GSSAPI and EXTERNAL are refused with NO', async () => {
    const acc = await account('saslplain');
    const c = await connect();
    const gssapi = await c.send('AUTHENTICATE GSSAPI');
    assert.match(gssapi.status, /^NO/, 'an unsupported mechanism SHOULD get a tagged NO');
    assert.deepEqual(gssapi.lines, [], 'no challenge for a mechanism not offered');
    assert.match((await c.send('AUTHENTICATE EXTERNAL =')).status, /^NO/);

    const tag = c.start('AUTHENTICATE PLAIN');
    // "Note that in the above example there is a space following the "+" from the server."
    assert.equal((await c.next()).toString('latin1'), '+ ');
    c.write(Buffer.from(`\0${acc.username}\0${acc.password}`).toString('base64') + '\r\n');
    assert.match((await c.finish(tag)).status, /^OK/);
  });

  test('§6.1.2 and §7.4.1, §7.5.1: NOOP; later NOOP reports an EXPUNGE, the new EXISTS and changed flags (with UID)', async () => {
    const { acc, c } = await withInbox('nooper', 4, REV2);
    const quiet = await c.command('NOOP');
    assert.deepEqual(text(quiet), [], 'a002: nothing to report');
    // Elsewhere: message 3 expunged, two deliveries, message 2 flagged \Seen \Deleted.
    await expungeUids(acc, '3');
    await putMany(acc, 2, { subject: 'new' });
    const other = await elsewhere(acc);
    await other.command('UID STORE 2 +FLAGS.SILENT (\\Seen \\Deleted)');
    const busy = await c.command('NOOP');
    assert.ok(text(busy).includes('* 3 EXPUNGE'), show(busy));
    assert.ok(text(busy).includes('* 5 EXISTS'), show(busy));
    const f = fetches(busy).get(2);
    assert.ok(f, show(busy));
    assert.equal(f.get('UID'), 2, 'RFC 9051 §7.5.2: an unsolicited FETCH includes UID');
    assert.deepEqual(flags(f.get('FLAGS')), ['\\Deleted', '\\Seen']);
  });

  test('§6.1.3, §6.2.3: LOGIN, then LOGOUT answers BYE before the tagged OK and closes the connection', async () => {
    const acc = await account('logouter');
    const c = await connect();
    assert.match((await c.send(`LOGIN ${acc.username} "${acc.password}"`)).status, /^OK/);
    const bye = await c.command('LOGOUT');
    assert.equal(bye.lines.length, 1);
    assert.match(text(bye)[0], /^\* BYE /);
    await assert.rejects(c.next(), /closed/, 'the server closes the connection');
  });
});

// ---------------------------------------------------------------- RFC 9051 §6.3

describe('RFC 9051 §6.3: authenticated state', () => {
  test('§6.3.1: ENABLE does not change CAPABILITY and ignores names it does not know; ENABLE CONDSTORE', async () => {
    const acc = await account('enabler');
    const c = await login(acc);
    const t1 = text(await c.command('CAPABILITY'));
    const t2 = await c.command('ENABLE CONDSTORE X-GOOD-IDEA');
    assert.deepEqual(text(t2), ['* ENABLED CONDSTORE'], 'X-GOOD-IDEA is unknown: ignored');
    assert.deepEqual(text(await c.command('CAPABILITY')), t1, 'the same capabilities after ENABLE');

    const fresh = await login(acc);
    assert.deepEqual(text(await fresh.command('ENABLE CONDSTORE')), ['* ENABLED CONDSTORE']);
  });

  test('§6.3.2, §7.3.5: SELECT INBOX answers EXISTS, UIDVALIDITY, UIDNEXT, FLAGS, PERMANENTFLAGS and LIST, then [READ-WRITE]', async () => {
    const { selected: r } = await withInbox('selector', 3, REV2);
    assert.ok(text(r).includes('* 3 EXISTS'), show(r));
    assert.match(code(lines(r, '* OK [UIDVALIDITY')[0], 'UIDVALIDITY') ?? '', /^\d+$/);
    assert.equal(code(lines(r, '* OK [UIDNEXT')[0], 'UIDNEXT'), '4');
    assert.deepEqual(flags(parseValues(Buffer.from(lines(r, '* FLAGS')[0]))[2]), ['\\Answered', '\\Deleted', '\\Draft', '\\Flagged', '\\Seen']);
    assert.equal(lines(r, '* OK [PERMANENTFLAGS').length, 1);
    assert.equal(lines(r, '* LIST').length, 1, 'RFC 9051 §6.3.2: LIST is a required response');
    assert.equal(listed(lines(r, '* LIST')[0]).name, 'INBOX');
    assert.match(r.status, /^OK \[READ-WRITE\]/);
  });

  test('§6.3.2, §7.1 CLOSED: SELECT while a mailbox is selected starts with OK [CLOSED], then the new mailbox', async () => {
    const acc = await account('reselector');
    await putMany(acc, 2, { mailbox: 'Drafts' });
    const c = await login(acc, REV2);
    await select(c);
    const r = await select(c, 'Drafts');
    assert.match(text(r)[0], /^\* OK \[CLOSED\]/, 'CLOSED comes before every response about Drafts');
    assert.ok(text(r).includes('* 2 EXISTS'));
    assert.equal(code(lines(r, '* OK [UIDNEXT')[0], 'UIDNEXT'), '3');
    assert.equal(listed(lines(r, '* LIST')[0]).name, 'Drafts');
    assert.match(lines(r, '* OK [PERMANENTFLAGS')[0], /\\\*\)\]/, 'keywords may be created');
    assert.match(r.status, /^OK \[READ-WRITE\]/);
  });

  test('RFC 7162 §3.2.11: CLOSED is sent by a CONDSTORE/QRESYNC server even when no CONDSTORE enabling command was issued (IMAP4rev1 session)', async () => {
    const acc = await account('closedrev1');
    const c = await login(acc);
    await select(c);
    const r = await select(c, 'Drafts');
    assert.match(text(r)[0] ?? '', /^\* OK \[CLOSED\]/, show(r));
  });

  test('§6.3.3: EXAMINE answers like SELECT, with no permanent flags and [READ-ONLY]', async () => {
    const c = await withMailbox('examiner', 'blurdybloop', 2, REV2);
    const r = await c.command('EXAMINE blurdybloop');
    assert.ok(text(r).includes('* 2 EXISTS'));
    assert.equal(lines(r, '* OK [UIDVALIDITY').length, 1);
    assert.equal(code(lines(r, '* OK [UIDNEXT')[0], 'UIDNEXT'), '3');
    assert.equal(listed(lines(r, '* LIST')[0]).name, 'blurdybloop');
    assert.equal(lines(r, '* FLAGS').length, 1);
    assert.match(r.status, /^OK \[READ-ONLY\]/);
    // "S: * OK [PERMANENTFLAGS ()] No permanent flags permitted": nothing can be changed in EXAMINE.
    assert.equal(code(lines(r, '* OK [PERMANENTFLAGS')[0], 'PERMANENTFLAGS'), '()', show(r));
  });

  test('§6.3.4: CREATE owatagusiam/ (trailing delimiter), then owatagusiam/blurdybloop inside it', async () => {
    const acc = await account('creator');
    const c = await login(acc, REV2);
    assert.match((await c.send('CREATE owatagusiam/')).status, /^OK/);
    assert.match((await c.send('CREATE owatagusiam/blurdybloop')).status, /^OK/);
    const list = listedOf(await c.command('LIST "" "owatagusiam*"'));
    assert.deepEqual(list.map((e) => e.name), ['owatagusiam', 'owatagusiam/blurdybloop'], 'a level of hierarchy, created without the "/"');
    assert.ok(list[0].attrs.includes('\\HasChildren'));
  });

  test('§6.3.4, §6.3.2: a name that is not NFC is created normalised, announced with LIST … ("OLDNAME" (…)); SELECT of it too', async () => {
    const acc = await account('normaliser');
    const c = await login(acc, REV2);
    const nonNormalized = 'Cafe\u0301';
    const normalized = nonNormalized.normalize('NFC');
    const create = await c.command(`CREATE "${nonNormalized}"`);
    assert.deepEqual(names(await c.command('LIST "" "Caf*"')), [normalized], 'stored in NFC');
    const sel = await c.command(`SELECT "${nonNormalized}"`);
    // §6.3.2: "the server MUST return LIST with the OLDNAME extended data item".
    assert.ok(lines(sel, '* LIST').some((l) => l.includes(`("OLDNAME" ("${nonNormalized}"))`)), show(sel));
    // §6.3.4 (SHOULD): "* LIST () "/" "Normalized" ("OLDNAME" ("NonNormalized"))".
    assert.ok(lines(create, '* LIST').some((l) => l.includes(`"${normalized}"`) && l.includes(`("OLDNAME" ("${nonNormalized}"))`)), show(create));
  });

  test('§6.3.5 first example: DELETE of a mailbox with an inferior is refused; the inferior is deleted, then the parent', async () => {
    const acc = await account('deleter');
    const c = await login(acc, REV2);
    for (const name of ['blurdybloop', 'foo', 'foo/bar']) await c.command(`CREATE ${name}`);
    const a682 = names(await c.command('LIST "" *'));
    for (const n of ['blurdybloop', 'foo', 'foo/bar']) assert.ok(a682.includes(n), n);
    assert.match((await c.send('DELETE blurdybloop')).status, /^OK/);
    const a684 = await c.send('DELETE foo');
    assert.match(a684.status, /^NO/, 'a mailbox with inferior names: NO');
    assert.match((await c.send('DELETE foo/bar')).status, /^OK/);
    const a686 = names(await c.command('LIST "" *'));
    assert.ok(a686.includes('foo') && !a686.includes('foo/bar') && !a686.includes('blurdybloop'), a686.join(' '));
    assert.match((await c.send('DELETE foo')).status, /^OK/);
    assert.ok(!names(await c.command('LIST "" *')).includes('foo'));
  });

  test('§7.1 HASCHILDREN (§6.3.5): DELETE Notes, which has children, is NO [HASCHILDREN]', async () => {
    const c = await login(await account('haschildren'), REV2);
    await c.command('CREATE Notes/2026');
    const m356 = await c.send('DELETE Notes');
    // §6.3.5: "The NO response SHOULD include the HASCHILDREN response code".
    assert.match(m356.status, /^NO \[HASCHILDREN\]/, `DELETE Notes answered ${m356.status}`);
  });

  test('§6.3.6: RENAME a mailbox, and one whose inferiors follow it', async () => {
    const acc = await account('renamer');
    const c = await login(acc, REV2);
    for (const name of ['blurdybloop', 'foo', 'foo/bar']) await c.command(`CREATE ${name}`);
    assert.match((await c.send('RENAME blurdybloop sarasoop')).status, /^OK/);
    assert.match((await c.send('RENAME foo zowie')).status, /^OK/);
    const a685 = names(await c.command('LIST "" *'));
    for (const n of ['sarasoop', 'zowie', 'zowie/bar']) assert.ok(a685.includes(n), `${n} in ${a685.join(' ')}`);
    for (const n of ['blurdybloop', 'foo', 'foo/bar']) assert.ok(!a685.includes(n), n);
  });

  test('§6.3.6: RENAME INBOX old-mail moves its messages; INBOX and INBOX/bar stay', async () => {
    const acc = await account('inboxrenamer');
    await putMany(acc, 3);
    const c = await login(acc, REV2);
    await c.command('CREATE INBOX/bar');
    const z432 = names(await c.command('LIST "" *'));
    assert.ok(z432.includes('INBOX') && z432.includes('INBOX/bar'), z432.join(' '));
    assert.match((await c.send('RENAME INBOX old-mail')).status, /^OK/);
    const z434 = names(await c.command('LIST "" *'));
    for (const n of ['INBOX', 'INBOX/bar', 'old-mail']) assert.ok(z434.includes(n), `${n} in ${z434.join(' ')}`);
    // "It moves all messages in INBOX to a new mailbox with the given name, leaving INBOX empty."
    assert.deepEqual(statusOf(lines(await c.command('STATUS INBOX (MESSAGES)'), '* STATUS')[0]).items, { MESSAGES: 0 });
    assert.deepEqual(statusOf(lines(await c.command('STATUS old-mail (MESSAGES)'), '* STATUS')[0]).items, { MESSAGES: 3 });
  });

  test('§6.3.6: RENAME X Y, SUBSCRIBE Y, UNSUBSCRIBE X (keeping subscriptions in step)', async () => {
    const c = await login(await account('renamer2'), REV2);
    await c.command('CREATE X');
    // "To keep subscription information in sync, the following sequence of commands can be used."
    assert.match((await c.send('RENAME X Y')).status, /^OK/);
    assert.match((await c.send('SUBSCRIBE Y')).status, /^OK/);
    // §6.3.8: UNSUBSCRIBE "returns a tagged OK response … if the mailbox is not subscribed".
    const unsub = await c.send('UNSUBSCRIBE X');
    assert.match(unsub.status, /^OK/, `UNSUBSCRIBE X after the rename answered ${unsub.status}`);
  });

  test('§6.3.7, §6.3.8: SUBSCRIBE and UNSUBSCRIBE (news/comp/mail/mime for #news.comp.mail.mime)', async () => {
    const acc = await account('subscriber');
    const c = await login(acc, REV2);
    await c.command('CREATE news/comp/mail/mime');
    await c.command('UNSUBSCRIBE news/comp/mail/mime');
    assert.match((await c.send('SUBSCRIBE news/comp/mail/mime')).status, /^OK/);
    assert.ok(listedOf(await c.command('LIST (SUBSCRIBED) "" "news/*"')).some((e) => e.name === 'news/comp/mail/mime' && e.attrs.includes('\\Subscribed')));
    assert.match((await c.send('SUBSCRIBE news/comp/mail/mime')).status, /^OK/, 'OK when already subscribed');
    assert.match((await c.send('UNSUBSCRIBE news/comp/mail/mime')).status, /^OK/);
    assert.ok(!names(await c.command('LIST (SUBSCRIBED) "" "news/*"')).includes('news/comp/mail/mime'));
    assert.match((await c.send('UNSUBSCRIBE news/comp/mail/mime')).status, /^OK/, 'OK when not subscribed');
  });
});

// ---------------------------------------------------------------- LIST (RFC 9051 §6.3.9.8, RFC 5258, 5819, 6154)

describe('LIST examples (RFC 9051 §6.3.9.8, RFC 5258 §5, RFC 5819 §5, RFC 6154 §5)', () => {
  /** LIST entries with attributes lower-cased (they are case-insensitive). */
  const listOf = (r: RawResponse) => listedOf(r).map((e) => ({ ...e, attrs: e.attrs.map((a) => a.toLowerCase()) }));
  const attrsOf = (r: RawResponse, name: string) => listOf(r).find((e) => e.name === name)?.attrs ?? [];

  /** An account whose only mailboxes are INBOX and `tree` (the default ones are deleted). */
  async function hierarchy(name: string, tree: string[], subscribed: string[]): Promise<{ acc: Account; c: RawImap }> {
    const a = await account(name);
    const c = await login(a, REV2);
    for (const n of ['Drafts', 'Sent', 'Junk', 'Trash', 'Archive']) await c.command(`DELETE ${n}`);
    for (const n of tree) await c.command(`CREATE "${n}"`);
    for (const n of ['INBOX', ...tree]) await c.command(`${subscribed.includes(n) ? 'SUBSCRIBE' : 'UNSUBSCRIBE'} "${n}"`);
    return { acc: a, c };
  }

  const FRUIT = ['Fruit', 'Fruit/Apple', 'Fruit/Banana', 'Tofu', 'Vegetable', 'Vegetable/Broccoli', 'Vegetable/Corn'];
  const FRUIT_SUBSCRIBED = ['INBOX', 'Fruit/Banana', 'Vegetable', 'Vegetable/Broccoli'];
  let c: RawImap;
  before(async () => {
    ({ c } = await hierarchy('fruitlist', FRUIT, FRUIT_SUBSCRIBED));
  });

  test('9051 ext. 1 (5258 ex. 1): LIST "" "*" is the whole hierarchy', async () => {
    const r = await c.command('LIST "" "*"');
    assert.deepEqual(names(r), ['INBOX', ...FRUIT]);
    assert.ok(attrsOf(r, 'Fruit').includes('\\haschildren') || !attrsOf(r, 'Fruit').includes('\\hasnochildren'));
  });

  test('9051 ext. 2, 5 (5258 ex. 2, 5): LIST (SUBSCRIBED) and LIST (REMOTE SUBSCRIBED) list the subscribed names, each \\Subscribed', async () => {
    for (const cmd of ['LIST (SUBSCRIBED) "" "*"', 'LIST (REMOTE SUBSCRIBED) "" "*"']) {
      const r = await c.command(cmd);
      assert.deepEqual(names(r), FRUIT_SUBSCRIBED, cmd);
      for (const e of listOf(r)) assert.ok(e.attrs.includes('\\subscribed'), `${cmd}: ${e.name}`);
    }
  });

  test('9051 ext. 3, 4 (5258 ex. 3, 4): RETURN (CHILDREN) tells \\HasChildren from \\HasNoChildren at the top level', async () => {
    for (const cmd of ['LIST () "" "%" RETURN (CHILDREN)', 'LIST (REMOTE) "" "%" RETURN (CHILDREN)']) {
      const r = await c.command(cmd);
      assert.deepEqual(names(r), ['INBOX', 'Fruit', 'Tofu', 'Vegetable'], cmd);
      assert.ok(attrsOf(r, 'Fruit').includes('\\haschildren'));
      assert.ok(attrsOf(r, 'Tofu').includes('\\hasnochildren'));
      assert.ok(attrsOf(r, 'Vegetable').includes('\\haschildren'));
      const inbox = attrsOf(r, 'INBOX');
      assert.ok(inbox.includes('\\hasnochildren') || inbox.includes('\\noinferiors'));
    }
  });

  test('9051 ext. 6 (5258 ex. 6): LIST (REMOTE) "" "*" RETURN (SUBSCRIBED) marks exactly the subscribed ones', async () => {
    const r = await c.command('LIST (REMOTE) "" "*" RETURN (SUBSCRIBED)');
    assert.deepEqual(names(r), ['INBOX', ...FRUIT]);
    for (const e of listOf(r)) assert.equal(e.attrs.includes('\\subscribed'), FRUIT_SUBSCRIBED.includes(e.name), e.name);
  });

  test('9051 §6.3.9.8 basic A102, A103, A202 (and §7.3.1): LIST with a reference', async () => {
    // "A102 LIST #news.comp.mail.misc """: the delimiter and the root of the reference.
    const a102 = lines(await c.command('LIST Fruit/Apple ""'), '* LIST');
    assert.equal(a102.length, 1);
    assert.match(a102[0], /^\* LIST \(\\Noselect\) "\/" /);
    // "A202 LIST ~/Mail/ %": the names come prefixed by the reference.
    const a202 = await c.command('LIST Fruit/ %');
    assert.deepEqual(names(a202), ['Fruit/Apple', 'Fruit/Banana']);
  });

  test('9051 ext. 7 (5258 ex. 8): CHILDREN vs CHILDINFO: cases C, B, A and A1', async () => {
    const { c: d } = await hierarchy('childinfo', ['Foo', 'Foo/Bar', 'Foo/Baz', 'Moo'], ['Foo', 'Moo']);
    assert.deepEqual(names(await d.command('LIST "" "*"')), ['INBOX', 'Foo', 'Foo/Bar', 'Foo/Baz', 'Moo']);
    const ca3 = await d.command('LIST "" "%" RETURN (CHILDREN)');
    assert.deepEqual(names(ca3), ['INBOX', 'Foo', 'Moo']);
    assert.ok(attrsOf(ca3, 'Foo').includes('\\haschildren') && attrsOf(ca3, 'Moo').includes('\\hasnochildren'));
    // C) Foo and Moo subscribed.
    const caseC = await d.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)');
    assert.deepEqual(names(caseC), ['Foo', 'Moo']);
    assert.deepEqual(attrsOf(caseC, 'Foo').sort(), ['\\haschildren', '\\subscribed']);
    assert.deepEqual(attrsOf(caseC, 'Moo').sort(), ['\\hasnochildren', '\\subscribed']);
    assert.ok(listOf(caseC).every((e) => !e.ext.includes('CHILDINFO')), 'no subscribed children: no CHILDINFO');
    // B) nothing subscribed: no responses.
    for (const n of ['Foo', 'Moo']) await d.command(`UNSUBSCRIBE ${n}`);
    assert.deepEqual(names(await d.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"')), []);
    // A) only Foo/Baz subscribed.
    await d.command('SUBSCRIBE Foo/Baz');
    assert.deepEqual(names(await d.command('LIST (SUBSCRIBED) "" "*"')), ['Foo/Baz']);
    assert.deepEqual(names(await d.command('LIST (SUBSCRIBED) "" "%"')), []);
    const caseA = await d.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"');
    assert.deepEqual(listOf(caseA), [{ attrs: [], name: 'Foo', ext: '("CHILDINFO" ("SUBSCRIBED"))' }], show(caseA));
    // A1) Foo subscribed too.
    await d.command('SUBSCRIBE Foo');
    const caseA1 = listOf(await d.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" "%"'));
    assert.deepEqual(caseA1.map((e) => e.name), ['Foo']);
    assert.ok(caseA1[0].attrs.includes('\\subscribed'));
    assert.equal(caseA1[0].ext, '("CHILDINFO" ("SUBSCRIBED"))');
  });

  test('9051 ext. 8 (5258 ex. 9): RECURSIVEMATCH returns CHILDINFO whether or not the children match the pattern', async () => {
    const tree = ['foo2', 'foo2/bar1', 'foo2/bar2', 'baz2', 'baz2/bar2', 'baz2/bar22', 'baz2/bar222', 'eps2', 'eps2/mamba', 'qux2', 'qux2/bar2'];
    const subscribed = ['foo2/bar1', 'foo2/bar2', 'baz2/bar2', 'baz2/bar22', 'baz2/bar222', 'eps2', 'eps2/mamba', 'qux2/bar2'];
    const { c: d } = await hierarchy('childinfo2', tree, subscribed);
    assert.deepEqual(names(await d.command('LIST (SUBSCRIBED) "" "*"')).sort(), [...subscribed].sort());
    const d03 = listOf(await d.command('LIST (RECURSIVEMATCH SUBSCRIBED) "" "*2"'));
    const byName = new Map(d03.map((e) => [e.name, e]));
    for (const n of ['foo2/bar2', 'baz2/bar2', 'baz2/bar22', 'baz2/bar222', 'qux2/bar2']) assert.ok(byName.get(n)?.attrs.includes('\\subscribed'), n);
    assert.ok(!byName.has('foo2/bar1') && !byName.has('eps2/mamba'), 'not matching "*2"');
    // baz2 and qux2 MAY come with a redundant CHILDINFO (which §6.3.9.6 asks servers to suppress).
    for (const e of d03) if (e.name === 'baz2' || e.name === 'qux2') assert.equal(e.ext, '("CHILDINFO" ("SUBSCRIBED"))');
    assert.ok(byName.get('eps2')?.attrs.includes('\\subscribed'));
    assert.equal(byName.get('eps2')?.ext, '("CHILDINFO" ("SUBSCRIBED"))', 'eps2: its subscribed child does not match "*2"');
    assert.deepEqual(byName.get('foo2'), { name: 'foo2', attrs: [], ext: '("CHILDINFO" ("SUBSCRIBED"))' }, 'foo2: not subscribed, has a subscribed child');
    const all = listOf(await d.command('LIST (RECURSIVEMATCH SUBSCRIBED) "" "*"'));
    for (const n of ['foo2', 'baz2', 'eps2', 'qux2']) assert.equal(all.find((e) => e.name === n)?.ext, '("CHILDINFO" ("SUBSCRIBED"))', n);
  });

  test('9051 §6.3.9.1: RECURSIVEMATCH alone (or only with REMOTE) is BAD', async () => {
    assert.match((await c.send('LIST (RECURSIVEMATCH) "" "*"')).status, /^BAD/);
    assert.match((await c.send('LIST (REMOTE RECURSIVEMATCH) "" "*"')).status, /^BAD/);
  });

  test('9051 ext. 9 a1 (5258 ex. 10 a1): a parenthesised list of patterns', async () => {
    const { c: d } = await hierarchy('patterns', ['foo'], []);
    assert.deepEqual(names(await d.command('LIST "" ("foo")')), ['foo']);
    assert.deepEqual(names(await d.command('LIST "" ("foo" "foo/*")')), ['foo']);
  });

  test('5258 ex. 7: LIST "" ("INBOX" "Drafts" "Sent/%")', async () => {
    const { c: d } = await hierarchy('multipattern', ['Drafts', 'Sent', 'Sent/March2004', 'Sent/December2003', 'Sent/August2004', 'Other'], []);
    assert.deepEqual(names(await d.command('LIST "" ("INBOX" "Drafts" "Sent/%")')).sort(), ['Drafts', 'INBOX', 'Sent/August2004', 'Sent/December2003', 'Sent/March2004']);
  });

  /** INBOX (4 messages, 3 unseen, subscribed) and foo (2 messages, not subscribed) with a subscribed child. */
  async function listStatus(name: string): Promise<RawImap> {
    const { acc: a, c: d } = await hierarchy(name, ['foo', 'foo/sub'], ['INBOX', 'foo/sub']);
    await putMany(a, 3, { keywords: [] });
    await put(a, { keywords: ['$seen'] });
    await putMany(a, 2, { mailbox: 'foo' });
    return d;
  }
  /** Each LIST or STATUS line as [kind, name, STATUS items]. */
  const seq = (r: RawResponse) => text(r).map((l) => (l.startsWith('* STATUS') ? ['STATUS', statusOf(l).name, statusOf(l).items] : ['LIST', listed(l).name]));

  test('9051 ext. 11 A01 (5819 §5 A01): LIST "" % RETURN (STATUS (MESSAGES UNSEEN)) follows each LIST with its STATUS', async () => {
    const d = await listStatus('liststatus1');
    const a01 = await d.command('LIST "" % RETURN (STATUS (MESSAGES UNSEEN))');
    assert.deepEqual(seq(a01), [['LIST', 'INBOX'], ['STATUS', 'INBOX', { MESSAGES: 4, UNSEEN: 3 }], ['LIST', 'foo'], ['STATUS', 'foo', { MESSAGES: 2, UNSEEN: 2 }]]);
  });

  test('9051 ext. 11 A02 (5819 §5 A02): with (SUBSCRIBED RECURSIVEMATCH), STATUS only for what meets the selection; foo comes with CHILDINFO', async () => {
    const d = await listStatus('liststatus2');
    const a02 = await d.command('LIST (SUBSCRIBED RECURSIVEMATCH) "" % RETURN (STATUS (MESSAGES))');
    const got = seq(a02);
    assert.deepEqual(got.slice(0, 2), [['LIST', 'INBOX'], ['STATUS', 'INBOX', { MESSAGES: 4 }]], show(a02));
    assert.ok(!got.some((e) => e[0] === 'STATUS' && e[1] === 'foo'), 'foo does not meet the selection: no STATUS');
    // "* LIST () "." "foo" (CHILDINFO ("SUBSCRIBED"))": foo is returned for its subscribed child.
    assert.deepEqual(listedOf(a02).find((e) => e.name === 'foo')?.ext, '("CHILDINFO" ("SUBSCRIBED"))', show(a02));
  });

  test('6154 §5.1, §5.2: special-use attributes in LIST, with RETURN (SPECIAL-USE) and with the SPECIAL-USE selection option', async () => {
    const a = await account('specialuse');
    const d = await login(a, REV2);
    await d.command('CREATE ToDo');
    await d.command('CREATE Projects/Sub');
    const t1 = listOf(await d.command('LIST "" "%"'));
    const use = (list: typeof t1, n: string) => list.find((e) => e.name === n)?.attrs ?? [];
    assert.ok(use(t1, 'Sent').includes('\\sent') && use(t1, 'Drafts').includes('\\drafts') && use(t1, 'Trash').includes('\\trash'));
    assert.ok(use(t1, 'Projects').includes('\\haschildren') && use(t1, 'ToDo').includes('\\hasnochildren'));
    const t2 = listOf(await d.command('LIST "" "%" RETURN (SPECIAL-USE)'));
    assert.deepEqual(t2.map((e) => e.name).sort(), t1.map((e) => e.name).sort(), 'RETURN (SPECIAL-USE) lists every mailbox');
    assert.ok(use(t2, 'Sent').includes('\\sent') && !use(t2, 'ToDo').some((x) => ['\\sent', '\\drafts', '\\trash', '\\junk', '\\archive'].includes(x)));
    const t3 = listOf(await d.command('LIST (SPECIAL-USE) "" "*"'));
    assert.deepEqual(t3.map((e) => e.name).sort(), ['Archive', 'Drafts', 'Junk', 'Sent', 'Trash']);
  });
});

// ---------------------------------------------------------------- NAMESPACE, STATUS, APPEND, IDLE

describe('RFC 9051 §6.3.10–§6.3.13', () => {
  test('§6.3.10 ex. 1 (RFC 2342 ex. 5.1): one personal namespace, "" with "/"', async () => {
    const c = await login(await account('namespacer'));
    assert.deepEqual(text(await c.command('NAMESPACE')), ['* NAMESPACE (("" "/")) NIL NIL']);
  });

  test('§6.3.11, §7.3.3: STATUS blurdybloop (UIDNEXT MESSAGES)', async () => {
    const c = await withMailbox('statuser', 'blurdybloop', 3, REV2);
    const r = await c.command('STATUS blurdybloop (UIDNEXT MESSAGES)');
    assert.equal(r.lines.length, 1);
    assert.deepEqual(statusOf(text(r)[0]), { name: 'blurdybloop', items: { UIDNEXT: 4, MESSAGES: 3 } });
  });

  const meeting = (host: string) =>
    [
      'Date: Mon, 7 Feb 1994 21:52:25 -0800 (PST)',
      `From: Fred Foobar <foobar@${host}>`,
      'Subject: afternoon meeting',
      `To: mooch@${host}`,
      `Message-Id: <B27397-0100000@${host}>`,
      'MIME-Version: 1.0',
      'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
      '',
      'Hello Joe, do you think we can meet at 3:30 tomorrow?',
      '',
    ].join('\r\n');

  test('§6.3.12 first example: APPEND saved-messages (\\Seen) with a synchronizing literal', async () => {
    const acc = await account('appender');
    const c = await login(acc, REV2);
    await c.command('CREATE saved-messages');
    const message = meeting('Blurdybloop.example');
    const r = await withLiteral(c, 'APPEND saved-messages (\\Seen)', message);
    assert.match(r.status, /^OK/);
    // §6.3.12: "On successful completion of an APPEND, the server returns an APPENDUID response code".
    assert.match(code(r.status, 'APPENDUID') ?? '', /^\d+ 1$/);
    await c.command('EXAMINE saved-messages');
    const f = fetches(await c.command('FETCH 1 (FLAGS RFC822.SIZE)')).get(1)!;
    assert.deepEqual(flags(f.get('FLAGS')), ['\\Seen']);
    assert.equal(f.get('RFC822.SIZE'), Buffer.byteLength(message));
  });

  test('§6.3.12 second example, §6.4.7, RFC 4315 §3: APPEND {297+} with APPENDUID, COPY 2:4 with COPYUID, UID COPY of no message, COPY 2 funny, SELECT funny', async () => {
    const acc = await account('copier');
    // INBOX numbers 1–4 hold UIDs 1, 2, 5, 6: "COPYUID 38505 304,319:320 3956:3958" has the same gap.
    await putMany(acc, 6);
    await expungeUids(acc, '3:4');
    const c = await login(acc, REV2);
    for (const m of ['saved-messages', 'meeting', 'funny']) await c.command(`CREATE ${m}`);
    await putMany(acc, 2, { mailbox: 'meeting' });
    const message = meeting('example.com');
    assert.equal(Buffer.byteLength(message), 297);
    const a003 = await c.command(`APPEND saved-messages (\\Seen) {297+}\r\n${message}`);
    assert.match(code(a003.status, 'APPENDUID') ?? '', /^\d+ 1$/);
    await select(c);
    const a004 = await c.command('COPY 2:4 meeting');
    const meetingValidity = (await c.command('STATUS meeting (UIDVALIDITY)')).lines[0].toString().match(/UIDVALIDITY (\d+)/)![1];
    assert.equal(code(a004.status, 'COPYUID'), `${meetingValidity} 2,5:6 3:5`);
    const a005 = await c.command('UID COPY 3:4 meeting');
    assert.equal(code(a005.status, 'COPYUID'), null, 'no matching messages, so nothing copied');
    assert.match(a005.status, /^OK/);
    const a006 = await c.command('COPY 2 funny');
    assert.match(code(a006.status, 'COPYUID') ?? '', /^\d+ 2 1$/, 'Gannet UIDs are sticky: COPYUID');
    const a007 = await select(c, 'funny');
    assert.ok(text(a007).includes('* 1 EXISTS'));
    assert.equal(code(lines(a007, '* OK [UIDNEXT')[0], 'UIDNEXT'), '2');
    assert.ok(!text(a007).some((l) => l.includes('UIDNOTSTICKY')));
    assert.equal(listed(lines(a007, '* LIST')[0]).name, 'funny');
    assert.match(a007.status, /^OK \[READ-WRITE\]/);
  });

  test('§6.3.13 (RFC 2177 §3): IDLE reports new mail and expunges as they happen, and expunges held back during FETCH', async () => {
    const acc = await account('idler');
    await putMany(acc, 3);
    const c = await login(acc, REV2);
    const other = await elsewhere(acc);
    await select(c);
    let tag = c.start('IDLE');
    assert.equal((await c.next()).toString(), '+ idling');
    await put(acc, { subject: 'new mail arrives' });
    await until(c, (l) => l === '* 4 EXISTS');
    c.write('DONE\r\n');
    assert.match((await c.finish(tag)).status, /^OK IDLE terminated/);
    // Another client expunges message 2 now; FETCH by number may not be told.
    await other.command('UID STORE 2 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 2');
    const a003 = await c.command('FETCH 4 ALL');
    assert.ok(!text(a003).some((l) => l.includes('EXPUNGE')), show(a003));
    assert.equal(fetches(a003).size, 1);
    tag = c.start('IDLE');
    const early = await until(c, (l) => l === '* 2 EXPUNGE');
    assert.ok(early.includes('+ idling') || (await until(c, (l) => l === '+ idling')).length > 0);
    // Another client expunges message 3 (UID 4), then new mail arrives.
    await other.command('UID STORE 4 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 4');
    await until(c, (l) => l === '* 3 EXPUNGE');
    await put(acc, { subject: 'more new mail' });
    await until(c, (l) => l === '* 3 EXISTS');
    c.write('DONE\r\n');
    assert.match((await c.finish(tag)).status, /^OK/);
    const a005 = fetches(await c.command('FETCH 3 ALL'));
    assert.deepEqual([...a005.keys()], [3]);
    assert.ok(['FLAGS', 'INTERNALDATE', 'RFC822.SIZE', 'ENVELOPE'].every((k) => a005.get(3)!.has(k)));
  });
});

// ---------------------------------------------------------------- RFC 9051 §6.4: selected state

describe('RFC 9051 §6.4: selected state', () => {
  test('§6.4.1: CLOSE expunges silently and leaves the selected state; after EXAMINE it expunges nothing', async () => {
    const { c } = await withInbox('closer', 3, REV2);
    await c.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    await c.command('EXAMINE INBOX');
    assert.deepEqual(text(await c.command('CLOSE')), []);
    await select(c);
    const close = await c.command('CLOSE');
    assert.deepEqual(text(close), [], 'no untagged EXPUNGE');
    assert.match((await c.send('FETCH 1 FLAGS')).status, /^BAD/, 'authenticated state');
    assert.match(text(await c.command('STATUS INBOX (MESSAGES)'))[0], /MESSAGES 2\)/);
  });

  test('§6.4.2: UNSELECT leaves the selected state without expunging', async () => {
    const acc = await account('unselector');
    await putMany(acc, 2, { keywords: ['$deleted'] });
    const c = await login(acc, REV2);
    await select(c);
    assert.deepEqual(text(await c.command('UNSELECT')), []);
    assert.match((await c.send('FETCH 1 FLAGS')).status, /^BAD/);
    assert.match(text(await c.command('STATUS INBOX (MESSAGES)'))[0], /MESSAGES 2\)/);
  });

  test('§6.4.3, §7.5.1 (RFC 7162 §3.2.7 A202): EXPUNGE of messages 3, 4, 7 and 11 answers one EXPUNGE each, consistent in order', async () => {
    const { c } = await withInbox('expunger', 11, REV2);
    await c.command('STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)');
    const r = await c.command('EXPUNGE');
    assert.equal(lines(r, '* ').filter((l) => / EXPUNGE$/.test(l)).length, 4, show(r));
    const all = Array.from({ length: 11 }, (_, i) => i + 1);
    assert.deepEqual(afterExpunges(all, r), [1, 2, 5, 6, 8, 9, 10]);
    assert.ok(text(await c.command('FETCH 1:* (UID)')).length === 7);
  });

  describe('§6.4.4 SEARCH (RFC 9051 answers in ESEARCH) and RFC 4731', () => {
    let c: RawImap;
    before(async () => {
      const acc = await searchFixture('searcher');
      c = await login(acc, REV2);
      await select(c);
    });

    test('A282 RETURN (MIN COUNT), A283 RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"', async () => {
      const tag = c.start('SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
      const a282 = esearch(await c.finish(tag));
      assert.equal(a282.tag, tag);
      assert.equal(a282.uid, false);
      assert.deepEqual(Object.fromEntries(a282.data), { MIN: 2, COUNT: 3 });
      const a283 = esearch(await c.command('SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"'));
      assert.deepEqual(Object.fromEntries(a283.data), { ALL: [2, 10, 11] });
    });

    test('A284 TEXT "string not in mailbox" answers an empty ESEARCH; A285 CHARSET UTF-8 TEXT {12} отпуск', async () => {
      const tag = c.start('SEARCH TEXT "string not in mailbox"');
      const a284 = await c.finish(tag);
      assert.deepEqual(text(a284), [`* ESEARCH (TAG "${tag}")`]);
      const a285 = await withLiteral(c, 'SEARCH CHARSET UTF-8 TEXT', 'отпуск');
      assert.equal(Buffer.byteLength('отпуск'), 12);
      assert.deepEqual(Object.fromEntries(esearch(a285).data), { ALL: [8] });
    });

    test('RETURN (MIN) UNSEEN; UID SEARCH RETURN (MIN MAX) 1:5000; RETURN (COUNT) DELETED; §7.3.4 UID COUNT … ALL', async () => {
      assert.deepEqual(Object.fromEntries(esearch(await c.command('SEARCH RETURN (MIN) UNSEEN')).data), { MIN: 4 });
      const a285 = esearch(await c.command('UID SEARCH RETURN (MIN MAX) 1:5000'));
      assert.equal(a285.uid, true);
      assert.deepEqual(Object.fromEntries(a285.data), { MIN: fixtureUid(1), MAX: fixtureUid(11) });
      assert.deepEqual(Object.fromEntries(esearch(await c.command('SEARCH RETURN (COUNT) DELETED')).data), { COUNT: 2 });
      const tag = c.start('UID SEARCH RETURN (COUNT ALL) UNDELETED');
      const a567 = esearch(await c.finish(tag));
      assert.equal(a567.tag, tag);
      assert.equal(a567.uid, true);
      assert.deepEqual(Object.fromEntries(a567.data), { COUNT: 9, ALL: [1, 2, 3, 4, 5, 7, 8, 10, 11].map(fixtureUid) });
    });

    test('§6.4.9: UID FETCH of a UID range answers FETCH by message number with the UID', async () => {
      const r = await c.command(`UID FETCH ${fixtureUid(5)}:${fixtureUid(7)} FLAGS`);
      const got = fetches(r);
      assert.deepEqual([...got.keys()], [5, 6, 7]);
      for (const [n, items] of got) assert.equal(items.get('UID'), fixtureUid(n));
      assert.deepEqual(flags(got.get(7)!.get('FLAGS')).map((f) => f.toLowerCase()), ['$junk', '\\seen']);
    });

    test('§7.5.2: * 23 FETCH (FLAGS (\\Seen) RFC822.SIZE 44827 UID 447)', async () => {
      const items = fetches(await c.command('FETCH 3 (FLAGS RFC822.SIZE UID)')).get(3)!;
      assert.equal(items.get('UID'), fixtureUid(3));
      assert.equal(typeof items.get('RFC822.SIZE'), 'number');
      const body = fetches(await c.command('FETCH 3 (BODY.PEEK[])')).get(3)!.get('BODY[]') as Buffer;
      assert.equal(items.get('RFC822.SIZE'), body.length);
    });
  });

  describe('§6.4.4.4 SAVE result option and RFC 5182 SEARCHRES', () => {
    const saved = async (c: RawImap) => (esearch(await c.command('SEARCH RETURN (ALL) $')).data.get('ALL') as number[] | undefined) ?? [];
    const SINCE_NOT_SMITH = [2, 3, 4, 6, 7, 8, 9, 10, 11];

    test('ex. 1 and 2: SEARCH RETURN (SAVE) answers no ESEARCH; FETCH $ fetches the saved messages, also pipelined', async () => {
      const c = await login(await searchFixture('saver1'), REV2);
      await select(c);
      const a282 = await c.command('SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
      assert.deepEqual(text(a282), []);
      const a283 = fetches(await c.command('FETCH $ (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])'));
      assert.deepEqual([...a283.keys()], [2, 10, 11]);
      assert.equal(a283.get(10)!.get('UID'), fixtureUid(10));
      // Pipelined: both sent before either answer.
      const t1 = c.start('SEARCH RETURN (SAVE) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"');
      const t2 = c.start('FETCH $ (UID INTERNALDATE FLAGS BODY.PEEK[HEADER])');
      assert.match((await c.finish(t1)).status, /^OK/);
      assert.deepEqual([...fetches(await c.finish(t2)).keys()], [2, 10, 11]);
    });

    test('ex. 3: UID SEARCH UID $ SMALLER 4096, and UID SEARCH $ SMALLER 4096 alike', async () => {
      const c = await login(await searchFixture('saver3'), REV2);
      await select(c);
      await c.command('SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM "Smith"');
      const want = SINCE_NOT_SMITH.filter((n) => n !== 11).map(fixtureUid);
      const a301 = esearch(await c.command('UID SEARCH UID $ SMALLER 4096'));
      assert.equal(a301.uid, true);
      assert.deepEqual(a301.data.get('ALL'), want);
      assert.deepEqual(esearch(await c.command('UID SEARCH $ SMALLER 4096')).data.get('ALL'), want);
    });

    test('ex. 4: SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT {8+} мать', async () => {
      const c = await login(await searchFixture('saver4'), REV2);
      await select(c);
      await c.command('SEARCH RETURN (SAVE) SINCE 1-Feb-1994 NOT FROM "Smith"');
      assert.equal(Buffer.byteLength('мать'), 8);
      const p283 = await c.command('SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT {8+}\r\nмать');
      assert.deepEqual(Object.fromEntries(esearch(p283).data), { ALL: [1, 9] });
    });

    test('ex. 5: a SEARCH RETURN (SAVE) refused with NO [BADCHARSET] empties $', async () => {
      const c = await login(await searchFixture('saver5'), REV2);
      await select(c);
      await c.command('SEARCH RETURN (SAVE) SINCE 1-Feb-1994 NOT FROM "Smith"');
      assert.deepEqual(await saved(c), SINCE_NOT_SMITH);
      const koi8 = Buffer.from([0xcd, 0xc1, 0xd4, 0xd8]);
      const b283 = await withLiteral(c, 'SEARCH RETURN (SAVE) CHARSET KOI8-R (OR $ 1,3000:3021) TEXT', koi8);
      assert.match(b283.status, /^NO \[BADCHARSET/);
      assert.deepEqual(await saved(c), []);
    });

    test('ex. 6: COPY $ with $ empty is OK and copies nothing (pipelined)', async () => {
      const acc = await searchFixture('saver6');
      const c = await login(acc, REV2);
      await c.command('CREATE "Other Messages"');
      await select(c);
      const t1 = c.start('SEARCH RETURN (SAVE) SINCE 28-Oct-2006 FROM "Eric"');
      const t2 = c.start('COPY $ "Other Messages"');
      assert.match((await c.finish(t1)).status, /^OK/);
      assert.match((await c.finish(t2)).status, /^OK/);
      assert.match(text(await c.command('STATUS "Other Messages" (MESSAGES)'))[0], /MESSAGES 0\)/);
    });

    test('ex. 7: SEARCH (SAVE) KEYWORD $Junk, COPY $ Junk, STORE $ +FLAGS.Silent (\\Deleted), pipelined', async () => {
      const c = await login(await searchFixture('saver7'), REV2);
      await select(c);
      const tags = [c.start('SEARCH RETURN (SAVE) KEYWORD $Junk'), c.start('COPY $ "Junk"'), c.start('STORE $ +FLAGS.Silent (\\Deleted)')];
      for (const t of tags) assert.match((await c.finish(t)).status, /^OK/);
      assert.match(text(await c.command('STATUS Junk (MESSAGES)'))[0], /MESSAGES 2\)/);
      assert.deepEqual(esearch(await c.command('SEARCH RETURN (ALL) DELETED')).data.get('ALL'), [3, 6, 7, 9]);
    });

    test('ex. 8 and 9: two SEARCHes pipelined; the later SAVE replaces the earlier', async () => {
      const c = await login(await searchFixture('saver8'), REV2);
      await select(c);
      const g282 = c.start('SEARCH RETURN (SAVE) KEYWORD $Junk');
      const g283 = c.start('SEARCH RETURN (ALL) SINCE 28-Oct-2006 FROM "Zoe"');
      const first = await c.finish(g282);
      const second = await c.finish(g283);
      assert.deepEqual(text(first), []);
      assert.equal(esearch(second).tag, g283);
      assert.deepEqual(esearch(second).data.get('ALL'), [2, 3, 4, 6, 7, 8, 9, 10, 11]);
      assert.deepEqual(await saved(c), [3, 7]);
      const h = [c.start('SEARCH RETURN (SAVE) KEYWORD $Junk'), c.start('SEARCH RETURN (SAVE) SINCE 28-Oct-2006 FROM "Zoe"')];
      for (const t of h) assert.match((await c.finish(t)).status, /^OK/);
      assert.deepEqual(await saved(c), [2, 3, 4, 6, 7, 8, 9, 10, 11]);
    });

    test('ex. 10 (RFC 5182 §2.4): what $ holds after ALL, SAVE MIN, MIN MAX, … (SAVE MIN saves only the MIN)', async () => {
      const c = await login(await searchFixture('saver10'), REV2);
      await select(c);
      const q = 'SINCE 12-Feb-2006 NOT FROM "Smith"';
      await c.command('SEARCH RETURN (SAVE) FLAGGED');
      const c282 = esearch(await c.command(`SEARCH RETURN (ALL) ${q}`));
      assert.deepEqual(c282.data.get('ALL'), SINCE_NOT_SMITH);
      assert.deepEqual(await saved(c), [1, 2, 5, 10, 11], '$ unchanged without SAVE');
      assert.deepEqual(Object.fromEntries(esearch(await c.command(`SEARCH RETURN (ALL SAVE) ${q}`)).data), { ALL: SINCE_NOT_SMITH });
      assert.deepEqual(await saved(c), SINCE_NOT_SMITH);
      const c286 = esearch(await c.command(`SEARCH RETURN (MAX SAVE MIN COUNT) ${q}`));
      assert.deepEqual(Object.fromEntries(c286.data), { MIN: 2, MAX: 11, COUNT: 9 });
      assert.deepEqual(await saved(c), SINCE_NOT_SMITH);
      const last = esearch(await c.command(`SEARCH RETURN (ALL SAVE MIN) ${q}`));
      assert.deepEqual(Object.fromEntries(last.data), { MIN: 2, ALL: SINCE_NOT_SMITH });
      assert.deepEqual(await saved(c), SINCE_NOT_SMITH);
      const c284 = esearch(await c.command(`SEARCH RETURN (SAVE MIN) ${q}`));
      assert.deepEqual(Object.fromEntries(c284.data), { MIN: 2 });
      assert.deepEqual(await saved(c), [2], '"SAVE MIN": $ is the MIN only');
      const c285 = esearch(await c.command(`SEARCH RETURN (MAX SAVE MIN) ${q}`));
      assert.deepEqual(Object.fromEntries(c285.data), { MIN: 2, MAX: 11 });
      assert.deepEqual(await saved(c), [2, 11], '"SAVE MIN MAX": $ is MIN and MAX');
    });
  });

  test('§6.4.5: FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)]) answers the two fields and sets \\Seen', async () => {
    const { c } = await withInbox('fetcher', 4, REV2);
    const r = fetches(await c.command('FETCH 2:4 (FLAGS BODY[HEADER.FIELDS (DATE FROM)])'));
    assert.deepEqual([...r.keys()], [2, 3, 4]);
    for (const items of r.values()) {
      const fields = (items.get('BODY[HEADER.FIELDS (DATE FROM)]') as Buffer).toString();
      assert.match(fields, /^(Date|From): .*\r\n(Date|From): .*\r\n\r\n$/);
      assert.deepEqual(flags(items.get('FLAGS')), ['\\Seen']);
    }
  });

  test('§6.4.6: STORE 2:4 +FLAGS (\\Deleted) answers each message\'s new flags', async () => {
    const acc = await account('storer');
    await put(acc);
    await put(acc, { keywords: ['$seen'] });
    await put(acc);
    await put(acc, { keywords: ['$flagged', '$seen'] });
    const c = await login(acc, REV2);
    await select(c);
    const r = fetches(await c.command('STORE 2:4 +FLAGS (\\Deleted)'));
    assert.deepEqual(flags(r.get(2)!.get('FLAGS')), ['\\Deleted', '\\Seen']);
    assert.deepEqual(flags(r.get(3)!.get('FLAGS')), ['\\Deleted']);
    assert.deepEqual(flags(r.get(4)!.get('FLAGS')), ['\\Deleted', '\\Flagged', '\\Seen']);
    assert.equal(r.size, 3);
  });

  test('§6.4.8 (RFC 6851 §3.3, §4.3): UID MOVE answers an untagged OK [COPYUID] before the EXPUNGEs; no \\Deleted is set', async () => {
    const acc = await account('mover');
    await putMany(acc, 5);
    const c = await login(acc, REV2);
    await c.command('CREATE foo');
    await select(c);
    const r = await c.command('UID MOVE 2:4 foo');
    const got = text(r);
    assert.match(got[0], /^\* OK \[COPYUID \d+ 2:4 1:3\]/, show(r));
    assert.deepEqual(afterExpunges([1, 2, 3, 4, 5], got.slice(1)), [1, 5]);
    assert.equal(got.slice(1).filter((l) => / EXPUNGE$/.test(l)).length, 3);
    assert.equal(code(r.status, 'COPYUID'), null, 'COPYUID went untagged');
    await c.command('EXAMINE foo');
    for (const items of fetches(await c.command('FETCH 1:* (FLAGS)')).values()) assert.ok(!flags(items.get('FLAGS')).includes('\\Deleted'));
  });

  test('§6.4.8 and RFC 6851 §3.3 text: MOVE into the selected mailbox itself is allowed (as COPY there is)', async () => {
    const { c } = await withInbox('selfmover', 2, REV2);
    assert.match((await c.send('COPY 1 INBOX')).status, /^OK/, 'COPY to the selected mailbox is allowed');
    const r = await c.send('MOVE 1 INBOX');
    assert.match(r.status, /^OK/, show(r));
    assert.match(anyCode(r, 'COPYUID') ?? '', /^\d+ 1 4$/);
    assert.deepEqual(esearch(await c.command('UID SEARCH RETURN (ALL) ALL')).data.get('ALL'), [2, 3, 4]);
  });

  test('§6.4.9 (RFC 4315 §2.1): UID EXPUNGE removes only the \\Deleted messages of the UID set', async () => {
    const { c } = await withInbox('uidexpunger', 6, REV2);
    await c.command('STORE 3:6 +FLAGS.SILENT (\\Deleted)');
    const r = await c.command('UID EXPUNGE 3:5');
    assert.deepEqual(afterExpunges([1, 2, 3, 4, 5, 6], r), [1, 2, 6]);
    assert.equal(text(r).length, 3, show(r));
    assert.deepEqual(esearch(await c.command('UID SEARCH RETURN (ALL) DELETED')).data.get('ALL'), [6]);
  });
});

// ---------------------------------------------------------------- RFC 9051 §7, §8

describe('RFC 9051 §7 response examples and §8', () => {
  test('§7.1 ALREADYEXISTS and NONEXISTENT: RENAME this that', async () => {
    const c = await login(await account('coder1'), REV2);
    await c.command('CREATE this');
    await c.command('CREATE that');
    assert.match((await c.send('RENAME this that')).status, /^NO \[ALREADYEXISTS\]/);
    // A name taken is ALREADYEXISTS whatever it says: a mailbox called "child" is no HASCHILDREN.
    await c.command('CREATE child');
    assert.match((await c.send('RENAME this child')).status, /^NO \[ALREADYEXISTS\]/);
    assert.match((await c.send('CREATE child')).status, /^NO \[ALREADYEXISTS\]/);
    await c.command('DELETE this');
    assert.match((await c.send('RENAME this other')).status, /^NO \[NONEXISTENT\]/);
  });

  test('§7.1 AUTHORIZATIONFAILED: AUTHENTICATE PLAIN acting as someone else', async () => {
    const acc = await account('coder2');
    const c = await connect();
    const ir = Buffer.from(`someone-else\0${acc.username}\0${acc.password}`).toString('base64');
    assert.match((await c.send(`AUTHENTICATE PLAIN ${ir}`)).status, /^NO \[AUTHORIZATIONFAILED\]/);
  });

  test('§7.1 CANNOT: create "///////" is refused with NO [CANNOT] (§6.3.4: "Any error in creation will return a tagged NO response")', async () => {
    const c = await login(await account('coder3'), REV2);
    const r = await c.send('create "///////"');
    assert.match(r.status, /^NO \[CANNOT\]/, r.status);
  });

  test('§7.1 CLIENTBUG: STATUS of the selected mailbox works (the CLIENTBUG code is optional)', async () => {
    const acc = await account('coder4');
    await putMany(acc, 2);
    const c = await login(acc, REV2);
    assert.match((await c.command('EXAMINE INBOX')).status, /^OK \[READ-ONLY\]/);
    const k2 = await c.command('STATUS INBOX (MESSAGES)');
    assert.deepEqual(k2.lines.length, 1);
    assert.deepEqual(statusOf(text(k2)[0]), { name: 'INBOX', items: { MESSAGES: 2 } });
  });

  test('§7.1 OVERQUOTA: uid copy 1:* oldmail over the quota', async () => {
    const acc = await account('coder5');
    await putMany(acc, 2, { body: 'y'.repeat(2000) });
    await server.services.directory.updateUser(acc.id, { quota: 5000 });
    const c = await login(acc, REV2);
    await c.command('CREATE oldmail');
    await select(c);
    const n1 = await c.send('uid copy 1:* oldmail');
    assert.match(n1.status, /^NO \[OVERQUOTA\]/);
    assert.match(text(await c.command('STATUS oldmail (MESSAGES)'))[0], /MESSAGES 0\)/, 'nothing copied');
  });

  test('§7.1.3: a command line too long and an empty line are answered BAD; the connection goes on', async () => {
    const c = await login(await account('badder'), REV2);
    c.write(`A1 NOOP ${'x'.repeat(70_000)}\r\n`);
    const tooLong = (await c.next()).toString();
    assert.match(tooLong, /^(\*|A1) BAD /);
    c.write('\r\n');
    assert.match((await c.next()).toString(), /^\* BAD /);
    assert.match((await c.send('NOOP')).status, /^OK/);
  });

  test('§7.2.1: ENABLE CONDSTORE QRESYNC answers * ENABLED CONDSTORE QRESYNC', async () => {
    const c = await login(await account('enabler2'));
    assert.deepEqual(text(await c.command('ENABLE CONDSTORE QRESYNC')), ['* ENABLED CONDSTORE QRESYNC']);
  });

  test('§7.6: LOGIN with synchronizing literals; BLURDYBLOOP {102856} is BAD', async () => {
    const acc = await account('literal');
    const c = await connect();
    const tag = c.start(`LOGIN {${acc.username.length}}`);
    assert.match((await c.next()).toString(), /^\+ /);
    c.write(`${acc.username} {${acc.password.length}}\r\n`);
    assert.match((await c.next()).toString(), /^\+ /);
    c.write(`${acc.password}\r\n`);
    assert.match((await c.finish(tag)).status, /^OK/);
    // The RFC's server refuses the unknown command before the literal; one that invites the
    // literal first and refuses after it is also right. Either way: BAD, and the session goes on.
    const bad = c.start('BLURDYBLOOP {102856}');
    const first = (await c.next()).toString();
    if (first.startsWith('+')) c.write(Buffer.alloc(102856, 0x61).toString() + '\r\n');
    const status = first.startsWith('+') ? (await c.finish(bad)).status : first.slice(bad.length + 1);
    assert.match(status, /^BAD/);
    assert.match((await c.send('NOOP')).status, /^OK/);
  });

  test('§8: the sample IMAP4rev2 connection (STARTTLS, then LOGIN where the RFC uses SCRAM-SHA-256)', async () => {
    const acc = await account('sample', tlsServer);
    const mail = [
      'Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)',
      'From: Terry Gray <gray@cac.washington.edu>',
      'Subject: IMAP4rev2 WG mtg summary and minutes',
      'To: imap@cac.washington.edu',
      'cc: minutes@CNRI.Reston.VA.US, John Klensin <KLENSIN@MIT.EDU>',
      'Message-Id: <B27397-0100000@cac.washington.edu>',
      'MIME-Version: 1.0',
      'Content-Type: TEXT/PLAIN; CHARSET=US-ASCII',
      '',
      'The minutes.',
      '',
    ].join('\r\n');
    for (let i = 0; i < 2; i++) await tlsServer.services.ingest.ingest({ accountId: acc.accountId, raw: simpleMessage({ subject: `filler ${i}` }) });
    await tlsServer.services.ingest.ingest({ accountId: acc.accountId, raw: Buffer.from(mail), keywords: ['$seen'], receivedAt: Date.parse('1996-07-17T09:44:25Z') });
    const c = await connect(tlsServer);
    assert.match(c.greeting.toString(), /^\* OK \[CAPABILITY [^\]]*STARTTLS[^\]]*\]/);
    assert.match((await c.send('starttls')).status, /^OK/);
    await c.startTls();
    await c.command(`LOGIN ${acc.username} "${acc.password}"`);
    assert.deepEqual(text(await c.command('ENABLE IMAP4rev2')), ['* ENABLED IMAP4rev2']);
    const a002 = await c.command('select inbox');
    assert.ok(text(a002).includes('* 3 EXISTS'));
    assert.deepEqual(listedOf(a002).map((e) => e.name), ['INBOX'], show(a002));
    assert.match(a002.status, /^OK \[READ-WRITE\]/);
    const full = fetches(await c.command('fetch 3 full')).get(3)!;
    assert.deepEqual(flags(full.get('FLAGS')), ['\\Seen']);
    assert.equal(full.get('INTERNALDATE')!.toString(), '17-Jul-1996 09:44:25 +0000');
    assert.equal(full.get('RFC822.SIZE'), Buffer.byteLength(mail));
    const env = full.get('ENVELOPE') as Value[];
    assert.equal((env[1] as Buffer).toString(), 'IMAP4rev2 WG mtg summary and minutes');
    assert.equal(((env[6] as Value[][])[1][0] as Buffer).toString(), 'John Klensin');
    const body = full.get('BODY') as Value[];
    assert.deepEqual([(body[0] as Buffer).toString().toUpperCase(), (body[1] as Buffer).toString().toUpperCase()], ['TEXT', 'PLAIN']);
    const header = fetches(await c.command('fetch 3 body[header]')).get(3)!.get('BODY[HEADER]') as Buffer;
    assert.equal(header.toString(), mail.slice(0, mail.indexOf('\r\n\r\n') + 4));
    const a005 = fetches(await c.command('store 3 +flags \\deleted')).get(3)!;
    assert.deepEqual(flags(a005.get('FLAGS')), ['\\Deleted', '\\Seen']);
    const bye = await c.command('logout');
    assert.match(text(bye)[0], /^\* BYE/);
  });
});

// ---------------------------------------------------------------- RFC 3501 where it differs

describe('RFC 3501 examples where IMAP4rev1 differs', () => {
  test('§6.3.1: SELECT in an IMAP4rev1 session: EXISTS, RECENT, OK [UNSEEN n] (a REQUIRED OK response), UIDVALIDITY, UIDNEXT', async () => {
    const acc = await account('rev1select');
    await put(acc, { keywords: ['$seen'] });
    await put(acc);
    await put(acc);
    const c = await login(acc);
    const r = await select(c);
    assert.ok(text(r).includes('* 3 EXISTS'));
    assert.ok(text(r).includes('* 0 RECENT'), 'RECENT in IMAP4rev1 (0: no per-message \\Recent)');
    assert.equal(lines(r, '* OK [UIDVALIDITY').length, 1);
    assert.equal(lines(r, '* OK [UIDNEXT').length, 1);
    assert.equal(lines(r, '* OK [PERMANENTFLAGS').length, 1);
    assert.equal(lines(r, '* LIST').length, 0, 'no LIST in an IMAP4rev1 SELECT');
    assert.match(r.status, /^OK \[READ-WRITE\]/);
    assert.equal(code(lines(r, '* OK [UNSEEN')[0], 'UNSEEN'), '2', show(r));
  });

  test('§6.3.9: LSUB "#news." "comp.mail.*", and LSUB with "%" answers an unsubscribed parent as \\Noselect', async () => {
    const acc = await account('lsubber');
    const c = await login(acc);
    for (const n of ['news/comp/mail/mime', 'news/comp/mail/misc']) await c.command(`CREATE ${n}`);
    for (const n of ['news', 'news/comp', 'news/comp/mail']) await c.command(`UNSUBSCRIBE ${n}`);
    assert.deepEqual(names(await c.command('LSUB "news/" "comp/mail/*"'), 'LSUB'), ['news/comp/mail/mime', 'news/comp/mail/misc']);
    const a003 = await c.command('LSUB "news/" "comp/%"');
    assert.deepEqual(names(a003, 'LSUB'), ['news/comp/mail'], show(a003));
    assert.ok(listedOf(a003, 'LSUB')[0].attrs.some((a) => a.toLowerCase() === '\\noselect'));
  });

  test('§6.4.1: CHECK', async () => {
    const acc = await account('checker');
    const c = await login(acc);
    await select(c);
    assert.match((await c.command('CHECK')).status, /^OK/);
  });

  test('§6.4.4, §7.2.5: SEARCH answers untagged SEARCH lines in an IMAP4rev1 session', async () => {
    const c = await login(await searchFixture('rev1searcher'));
    await select(c);
    assert.deepEqual(search(await c.command('SEARCH FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).numbers, [2, 10, 11]);
    assert.deepEqual(text(await c.command('SEARCH TEXT "string not in mailbox"')), ['* SEARCH']);
    assert.deepEqual(search(await withLiteral(c, 'SEARCH CHARSET UTF-8 TEXT', 'отпуск')).numbers, [8]);
  });

  test('RFC 4731 §3.1 A282, A283 in an IMAP4rev1 session: RETURN asks for ESEARCH', async () => {
    const c = await login(await searchFixture('rev1esearch'));
    await select(c);
    assert.deepEqual(Object.fromEntries(esearch(await c.command('SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).data), { MIN: 2, COUNT: 3 });
    assert.deepEqual(Object.fromEntries(esearch(await c.command('SEARCH RETURN () FLAGGED SINCE 1-Feb-1994 NOT FROM "Smith"')).data), { ALL: [2, 10, 11] });
  });

  test('RFC 5182 §2.2 ex. 3, 4, 5 in an IMAP4rev1 session (untagged SEARCH); B283 as printed, without SAVE, keeps $', async () => {
    const c = await login(await searchFixture('rev1saver'));
    await select(c);
    await c.command('SEARCH RETURN (SAVE) SINCE 1-Jan-2004 NOT FROM "Smith"');
    assert.deepEqual(search(await c.command('UID SEARCH UID $ SMALLER 4096')).numbers, [2, 3, 4, 6, 7, 8, 9, 10].map(fixtureUid));
    assert.deepEqual(search(await withLiteral(c, 'SEARCH CHARSET UTF-8 (OR $ 1,3000:3021) TEXT', 'мать')).numbers, [1, 9]);
    // RFC 5182 §2.1: "a SEARCH command with no SAVE result option that caused the server to return
    // NO tagged response" MUST NOT change $ (the printed comment says otherwise; RFC 9051 fixed
    // the example by adding RETURN (SAVE) to B283).
    const b283 = await withLiteral(c, 'SEARCH CHARSET KOI8-R (OR $ 1,3000:3021) TEXT', Buffer.from([0xcd, 0xc1, 0xd4, 0xd8]));
    assert.match(b283.status, /^NO \[BADCHARSET/);
    assert.deepEqual(search(await c.command('SEARCH $')).numbers, [2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });
});

// ---------------------------------------------------------------- RFC 7162 CONDSTORE

describe('RFC 7162 CONDSTORE', () => {
  /** n messages; `c` has INBOX open with SELECT (CONDSTORE) at HIGHESTMODSEQ x; `other` is another client. */
  async function condstoreSessions(name: string, n: number): Promise<{ c: RawImap; x: number; other: RawImap }> {
    const acc = await account(name);
    await putMany(acc, n);
    const c = await login(acc);
    const x = highestModseq(await c.command('SELECT INBOX (CONDSTORE)'));
    return { c, x, other: await elsewhere(acc) };
  }

  /** 8 messages numbered 1–8 with UIDs 3–10. */
  async function condstore(name: string): Promise<Account> {
    const acc = await account(name);
    await putMany(acc, 10);
    await expungeUids(acc, '1:2');
    return acc;
  }

  test('ex. 1, 18: SELECT INBOX (CONDSTORE) answers OK [HIGHESTMODSEQ n], the highest MODSEQ of its messages', async () => {
    const c = await login(await condstore('cs-select'));
    const r = await c.command('SELECT INBOX (CONDSTORE)');
    const highest = highestModseq(r);
    assert.ok(highest > 0, show(r));
    assert.match(r.status, /^OK \[READ-WRITE\]/);
    const all = [...fetches(await c.command('FETCH 1:* (MODSEQ)')).values()].map(modseqOf);
    assert.ok(Math.max(...all) <= highest);
  });

  test('ex. 3, 4: UID STORE 6,4,8 and STORE * with UNCHANGEDSINCE and .SILENT still answer FETCH with MODSEQ', async () => {
    const c = await login(await condstore('cs-store'));
    const x = highestModseq(await c.command('SELECT INBOX (CONDSTORE)'));
    const a103 = await c.command(`UID STORE 6,4,8 (UNCHANGEDSINCE ${x}) +FLAGS.SILENT (\\Deleted)`);
    const got = fetches(a103);
    assert.deepEqual([...got.keys()].sort(), [2, 4, 6]);
    for (const [n, items] of got) {
      assert.equal(items.get('UID'), n + 2);
      assert.ok(modseqOf(items) > x);
      assert.equal(items.has('FLAGS'), false, '.SILENT');
    }
    assert.equal(code(a103.status, 'MODIFIED'), null);
    const now = highestModseq(await c.command('STATUS INBOX (HIGHESTMODSEQ)'));
    assert.ok(now > x);
    const a104 = await c.command(`STORE * (UNCHANGEDSINCE ${now}) +FLAGS.SILENT (\\Deleted $Processed)`);
    const star = fetches(a104);
    assert.deepEqual([...star.keys()], [8]);
    assert.ok(modseqOf(star.get(8)) > x);
  });

  test('ex. 5: the first CONDSTORE enabling command with a mailbox selected answers OK [HIGHESTMODSEQ]', async () => {
    const c = await login(await condstore('cs-first'));
    const x = highestModseq(await c.command('SELECT INBOX'));
    const c101 = await c.command(`STORE 5 (UNCHANGEDSINCE ${x}) -FLAGS.SILENT (\\Deleted)`);
    assert.ok(modseqOf(fetches(c101).get(5)) > 0, show(c101));
    assert.ok(anyCode(c101, 'HIGHESTMODSEQ') !== null, `RFC 7162 §3.1: HIGHESTMODSEQ expected:\n${show(c101)}`);
  });

  test('ex. 6, 7: STORE 7,5,9 (UNCHANGEDSINCE) fails for the messages changed since and says so with MODIFIED', async () => {
    const { c, x, other } = await condstoreSessions('cs-modified', 9);
    await other.command('STORE 7 +FLAGS.SILENT (\\Seen)');
    await other.command('STORE 9 +FLAGS.SILENT (\\Answered)');
    const d105 = await c.command(`STORE 7,5,9 (UNCHANGEDSINCE ${x}) +FLAGS.SILENT (\\Deleted)`);
    assert.equal(code(d105.status, 'MODIFIED'), '7,9');
    assert.match(d105.status, /^OK/);
    const got = fetches(d105);
    assert.ok(modseqOf(got.get(5)) > x);
    // Example 7 (the SHOULD of RFC 3501 §6.4.6): the changes to 7 and 9 are told as well.
    for (const [n, flag] of [[7, '\\Seen'], [9, '\\Answered']] as const) {
      if (got.has(n)) assert.ok(flags(got.get(n)!.get('FLAGS')).includes(flag) && !flags(got.get(n)!.get('FLAGS')).includes('\\Deleted'));
    }
    assert.ok(!flags((fetches(await c.command('FETCH 7,9 (FLAGS)')).get(7) ?? new Map()).get('FLAGS')).includes('\\Deleted'));
  });

  test('ex. 8: UNCHANGEDSINCE 0 always fails', async () => {
    const { c } = await withInbox('cs-zero', 12);
    const a102 = await c.command('STORE 12 (UNCHANGEDSINCE 0) +FLAGS.SILENT ($MDNSent)');
    assert.equal(code(a102.status, 'MODIFIED'), '12');
    assert.ok(!flags(fetches(await c.command('FETCH 12 (FLAGS)')).get(12)!.get('FLAGS')).includes('$MDNSent'));
  });

  test('ex. 9, 10: MODIFIED for a message another client changed; the change is told (at once or at NOOP); the retry succeeds', async () => {
    const { c, x, other } = await condstoreSessions('cs-retry', 6);
    await other.command('STORE 3 +FLAGS.SILENT (\\Answered)');
    const a106 = await c.command(`STORE 2:6 (UNCHANGEDSINCE ${x}) +FLAGS.SILENT ($Processed)`);
    assert.equal(code(a106.status, 'MODIFIED'), '3');
    const got = fetches(a106);
    for (const n of [2, 4, 5, 6]) assert.ok(modseqOf(got.get(n)) > x, `${n}`);
    const told = got.get(3) ?? fetches(await c.command('NOOP')).get(3);
    assert.ok(told, 'message 3 is told, in the STORE (example 10) or at NOOP (example 9)');
    assert.ok(flags(told.get('FLAGS')).includes('\\Answered'));
    const b108 = await c.command(`STORE 3 (UNCHANGEDSINCE ${modseqOf(told)}) +FLAGS.SILENT ($Processed)`);
    assert.equal(code(b108.status, 'MODIFIED'), null);
    assert.ok(modseqOf(fetches(b108).get(3)) > modseqOf(told));
  });

  test('ex. 11: STORE 1:7 (UNCHANGEDSINCE) over messages expunged elsewhere: MODIFIED 2, then NOOP tells the expunges', async () => {
    const { c, x, other } = await condstoreSessions('cs-expunged', 7);
    await other.command('STORE 2 +FLAGS.SILENT (\\Deleted \\Answered)');
    await other.command('UID STORE 4:7 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 4:7');
    const b001 = await c.send(`STORE 1:7 (UNCHANGEDSINCE ${x}) +FLAGS (\\Seen)`);
    assert.match(b001.status, /^(OK|NO) \[MODIFIED 2\]/);
    const got = fetches(b001);
    for (const n of [1, 3]) {
      assert.ok(flags(got.get(n)?.get('FLAGS')).includes('\\Seen'), `${n}:\n${show(b001)}`);
      assert.ok(modseqOf(got.get(n)) > x);
    }
    assert.ok(!text(b001).some((l) => / EXPUNGE$/.test(l)), 'no EXPUNGE during STORE');
    const b002 = await c.command('NOOP');
    assert.deepEqual(afterExpunges([1, 2, 3, 4, 5, 6, 7], b002), [1, 2, 3]);
    const two = fetches(b001).get(2) ?? fetches(b002).get(2);
    assert.deepEqual(flags(two?.get('FLAGS')), ['\\Answered', '\\Deleted']);
    const b003 = await c.command(`STORE 2 (UNCHANGEDSINCE ${modseqOf(two)}) +FLAGS (\\Seen)`);
    assert.deepEqual(flags(fetches(b003).get(2)!.get('FLAGS')), ['\\Answered', '\\Deleted', '\\Seen']);
  });

  test('ex. 12, 13: UID FETCH 1:* (FLAGS) (CHANGEDSINCE) and FETCH 1:3 (MODSEQ)', async () => {
    const acc = await condstore('cs-fetch');
    const c = await login(acc);
    const x = highestModseq(await c.command('SELECT INBOX (CONDSTORE)'));
    await c.command('UID STORE 4,6 +FLAGS.SILENT (\\Seen)');
    const s100 = fetches(await c.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${x})`));
    assert.deepEqual([...s100.keys()], [2, 4]);
    assert.deepEqual([...s100.values()].map((i) => i.get('UID')), [4, 6]);
    for (const i of s100.values()) assert.ok(modseqOf(i) > x && flags(i.get('FLAGS')).includes('\\Seen'));
    const a = fetches(await c.command('FETCH 1:3 (MODSEQ)'));
    assert.deepEqual([...a.keys()], [1, 2, 3]);
    for (const i of a.values()) assert.ok(modseqOf(i) > 0);
  });

  test('ex. 14 (sessions 1 and 2): flag changes in one session are told to the other with MODSEQ', async () => {
    const acc = await account('cs-sessions');
    await putMany(acc, 7, { keywords: ['$answered'] });
    const s1 = await login(acc);
    const s2 = await login(acc);
    await s1.command('SELECT INBOX (CONDSTORE)');
    await s2.command('SELECT INBOX (CONDSTORE)');
    const a160 = fetches(await s1.command('STORE 7 +FLAGS.SILENT (\\Deleted)')).get(7);
    assert.ok(modseqOf(a160) > 0);
    const c180 = fetches(await s2.command('NOOP')).get(7);
    assert.deepEqual(flags(c180?.get('FLAGS')), ['\\Answered', '\\Deleted']);
    assert.equal(modseqOf(c180), modseqOf(a160));
    const a240 = fetches(await s1.command('STORE 7 +FLAGS.SILENT (\\Seen)')).get(7);
    const c270 = fetches(await s2.command('NOOP')).get(7);
    assert.deepEqual(flags(c270?.get('FLAGS')), ['\\Answered', '\\Deleted', '\\Seen']);
    assert.equal(modseqOf(c270), modseqOf(a240));
    const a330 = fetches(await s1.command('STORE 7 -FLAGS.SILENT (\\Answered \\Seen)')).get(7);
    const c360 = fetches(await s2.command('NOOP')).get(7);
    assert.deepEqual(flags(c360?.get('FLAGS')), ['\\Deleted']);
    assert.equal(modseqOf(c360), modseqOf(a330));
  });

  test('ex. 15, 16, 19: SEARCH MODSEQ (with an entry name), OR NOT MODSEQ, and SEARCH RETURN (ALL) MODSEQ', async () => {
    const acc = await condstore('cs-search');
    const c = await login(acc);
    const x = highestModseq(await c.command('SELECT INBOX (CONDSTORE)'));
    await c.command('STORE 2,5,6 +FLAGS.SILENT (\\Draft)');
    const changed = fetches(await c.command('FETCH 2,5,6 (MODSEQ)'));
    const top = Math.max(...[...changed.values()].map(modseqOf));
    const ex15 = search(await c.command(`SEARCH MODSEQ "/flags/\\\\draft" all ${x + 1}`));
    assert.deepEqual(ex15, { numbers: [2, 5, 6], modseq: top });
    assert.deepEqual(text(await c.command('SEARCH OR NOT MODSEQ 1 LARGER 50000')), ['* SEARCH'], 'no match: no (MODSEQ …)');
    const ex19 = esearch(await c.command(`SEARCH RETURN (ALL) MODSEQ ${x + 1}`));
    assert.deepEqual(Object.fromEntries(ex19.data), { ALL: [2, 5, 6], MODSEQ: top });
  });

  test('ex. 17: STATUS blurdybloop (UIDNEXT MESSAGES HIGHESTMODSEQ)', async () => {
    const c = await withMailbox('cs-status', 'blurdybloop', 3);
    const r = text(await c.command('STATUS blurdybloop (UIDNEXT MESSAGES HIGHESTMODSEQ)'));
    const st = statusOf(r[0]);
    assert.equal(st.name, 'blurdybloop');
    assert.deepEqual([st.items.UIDNEXT, st.items.MESSAGES, typeof st.items.HIGHESTMODSEQ], [4, 3, 'number']);
    await c.command('EXAMINE blurdybloop (CONDSTORE)');
    const all = [...fetches(await c.command('FETCH 1:* (MODSEQ)')).values()].map(modseqOf);
    assert.ok(Number(st.items.HIGHESTMODSEQ) >= Math.max(...all));
  });

  test('§3.1 text: STATUS (HIGHESTMODSEQ) is a CONDSTORE enabling command, so later unsolicited FETCHes carry MODSEQ', async () => {
    const acc = await account('cs-enabling');
    await putMany(acc, 2);
    const c = await login(acc);
    await c.command('STATUS INBOX (HIGHESTMODSEQ)');
    await select(c);
    const other = await elsewhere(acc);
    await other.command('STORE 1 +FLAGS.SILENT (\\Flagged)');
    const noop = fetches(await c.command('NOOP')).get(1);
    assert.ok(noop, 'the change is told');
    assert.ok(noop.has('MODSEQ'), `MODSEQ expected after STATUS (HIGHESTMODSEQ): ${[...noop.keys()]}`);
  });

  test('§3.2.4 text: once CONDSTORE is enabled, FETCH responses from STORE and from a FETCH that sets \\Seen carry UID and MODSEQ', async () => {
    const { c } = await withInbox('cs-uid', 3, 'CONDSTORE');
    const stored = fetches(await c.command('STORE 1 +FLAGS (\\Flagged)')).get(1);
    const read = fetches(await c.command('FETCH 2 (BODY[TEXT])')).get(2);
    assert.ok(flags(read?.get('FLAGS')).includes('\\Seen'), 'the implicit \\Seen is told');
    assert.deepEqual(
      { store: [...(stored?.keys() ?? [])].sort(), fetch: [...(read?.keys() ?? [])].sort() },
      { store: ['FLAGS', 'MODSEQ', 'UID'], fetch: ['BODY[TEXT]', 'FLAGS', 'MODSEQ', 'UID'] },
    );
  });

  test('RFC 4731 §3.2 a1–a4: with MODSEQ, RETURN (MIN) and (MAX) give the modseq of that message, (MIN MAX) of the two, else of all', async () => {
    const acc = await searchFixture('cs-esearch');
    const c = await login(acc);
    const x = highestModseq(await c.command('SELECT INBOX (CONDSTORE)'));
    // Changed in this order: 9, then 2, then 4; so 4 has the highest modseq, and is neither MIN nor MAX.
    for (const n of [9, 2, 4]) await c.command(`STORE ${n} +FLAGS.SILENT (\\Draft)`);
    const m = fetches(await c.command('FETCH 2,4,9 (MODSEQ)'));
    const [m2, m4, m9] = [2, 4, 9].map((n) => modseqOf(m.get(n)));
    assert.ok(m9 < m2 && m2 < m4);
    const q = `MODSEQ "/flags/\\\\draft" all ${x + 1}`;
    assert.deepEqual(Object.fromEntries(esearch(await c.command(`SEARCH RETURN (MIN COUNT) ${q}`)).data), { MIN: 2, COUNT: 3, MODSEQ: m4 });
    assert.deepEqual(Object.fromEntries(esearch(await c.command(`SEARCH RETURN (MIN) ${q}`)).data), { MIN: 2, MODSEQ: m2 });
    assert.deepEqual(Object.fromEntries(esearch(await c.command(`SEARCH RETURN (MAX) ${q}`)).data), { MAX: 9, MODSEQ: m9 });
    assert.deepEqual(Object.fromEntries(esearch(await c.command(`SEARCH RETURN (MIN MAX) ${q}`)).data), { MIN: 2, MAX: 9, MODSEQ: m2 });
  });
});

// ---------------------------------------------------------------- RFC 7162 QRESYNC

describe('RFC 7162 QRESYNC', () => {
  test('§3.2.5: with a UIDVALIDITY that does not match, SELECT (QRESYNC …) is a plain SELECT', async () => {
    const { acc, c, selected: first } = await withInbox('qr-mismatch', 3, 'QRESYNC');
    await c.command('UNSELECT');
    const other = await elsewhere(acc);
    await other.command('STORE 1 +FLAGS.SILENT (\\Deleted)');
    await other.command('EXPUNGE');
    const r = await c.command(`SELECT INBOX (QRESYNC (${uidValidity(first) + 1} 1 1:3))`);
    assert.ok(!text(r).some((l) => l.startsWith('* VANISHED') || / FETCH /.test(l)), show(r));
    assert.ok(text(r).includes('* 2 EXISTS'));
    assert.equal(lines(r, '* OK [HIGHESTMODSEQ').length, 1);
  });

  test('§3.2.5.1 A03 (and §6 A142): SELECT (QRESYNC (v m known-uids)) after another SELECT: CLOSED, VANISHED (EARLIER) of known UIDs, FETCH of changed ones', async () => {
    const { acc, c, selected: first } = await withInbox('qr-select', 10, 'QRESYNC');
    const [v, m] = [uidValidity(first), highestModseq(first)];
    const other = await elsewhere(acc);
    await other.command('UID STORE 2:4,9 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 2:4,9');
    await other.command('UID STORE 5,7 +FLAGS.SILENT (\\Answered)');
    await select(c, 'Drafts');
    // The client knows UIDs 1:3 and 5:8 (not 4, 9, 10).
    const a03 = await c.command(`SELECT INBOX (QRESYNC (${v} ${m} 1:3,5:8))`);
    const got = text(a03);
    assert.match(got[0], /^\* OK \[CLOSED\]/);
    assert.ok(got.includes('* 6 EXISTS'));
    const vanished = got.filter((l) => l.startsWith('* VANISHED'));
    assert.equal(vanished.length, 1, show(a03));
    assert.match(vanished[0], /^\* VANISHED \(EARLIER\) /);
    assert.deepEqual(expand(vanished[0].split(' ')[3]), [2, 3]);
    const f = fetches(a03);
    assert.deepEqual([...f.values()].map((i) => i.get('UID')).sort(), [5, 7]);
    for (const i of f.values()) assert.ok(flags(i.get('FLAGS')).includes('\\Answered') && modseqOf(i) > m);
    assert.ok(got.indexOf(vanished[0]) < got.findIndex((l) => / FETCH /.test(l)), 'VANISHED before FETCH');
    assert.match(a03.status, /^OK \[READ-WRITE\]/);
  });

  /**
   * A mailbox of 12 messages the client knew at modseq m, of which only the UIDs divisible by 3
   * remain (so message numbers 1:4 are UIDs 3,6,9,12), and 3 and 12 got a new keyword.
   */
  async function divisibleByThree(name: string): Promise<{ c: RawImap; v: number; m: number }> {
    const acc = await account(name);
    await putMany(acc, 12);
    const c = await login(acc, 'QRESYNC');
    const first = await select(c);
    const [v, m] = [uidValidity(first), highestModseq(first)];
    await c.command('UNSELECT');
    await expungeUids(acc, '1:2,4:5,7:8,10:11');
    const other = await elsewhere(acc);
    await other.command('UID STORE 3,12 +FLAGS.SILENT ($Important)');
    return { c, v, m };
  }

  test('§3.2.5.2 A04: without sequence match data, VANISHED (EARLIER) names every expunged UID of the known set', async () => {
    const { c, v, m } = await divisibleByThree('qr-seqmatch1');
    const a04 = await c.command(`SELECT INBOX (QRESYNC (${v} ${m} 1:12))`);
    const vanished = lines(a04, '* VANISHED (EARLIER) ');
    assert.deepEqual(expand(vanished[0]?.split(' ')[3] ?? ''), [1, 2, 4, 5, 7, 8, 10, 11]);
    assert.deepEqual([...fetches(a04).values()].map((i) => i.get('UID')).sort((a, b) => Number(a) - Number(b)), [3, 12]);
  });

  test('§3.2.5.2 B04: with sequence match data that all matches, VANISHED names no UID up to the last match', async () => {
    const { c, v, m } = await divisibleByThree('qr-seqmatch2');
    // B04: the client's message numbers 1:4 are UIDs 3,6,9,12, which all match: it knows of every expunge up to UID 12.
    const b04 = await c.command(`SELECT INBOX (QRESYNC (${v} ${m} 1:12 (1:4 3,6,9,12)))`);
    assert.deepEqual([...fetches(b04).values()].map((i) => i.get('UID')).sort((a, b) => Number(a) - Number(b)), [3, 12]);
    assert.deepEqual(lines(b04, '* VANISHED'), [], `§3.2.5.2: no UID up to a matching pair is in VANISHED:\n${show(b04)}`);
  });

  test('§3.2.6: UID FETCH (CHANGEDSINCE) and UID SEARCH, then the same in one UID FETCH (CHANGEDSINCE … VANISHED), VANISHED first', async () => {
    const { acc, c, selected } = await withInbox('qr-fetch', 8, 'QRESYNC');
    const m = highestModseq(selected);
    const other = await elsewhere(acc);
    await other.command('UID STORE 2,5 +FLAGS.SILENT (\\Seen)');
    await other.command('UID STORE 3,6 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 3,6');
    await c.command('NOOP');
    const s100 = fetches(await c.command(`UID FETCH 2:7 (FLAGS) (CHANGEDSINCE ${m})`));
    assert.deepEqual([...s100.values()].map((i) => i.get('UID')), [2, 5]);
    assert.deepEqual(search(await c.command('UID SEARCH UID 2:7')).numbers, [2, 4, 5, 7]);
    const r = await c.command(`UID FETCH 2:7 (FLAGS) (CHANGEDSINCE ${m} VANISHED)`);
    const got = text(r);
    assert.match(got[0], /^\* VANISHED \(EARLIER\) /);
    assert.deepEqual(expand(got[0].split(' ')[3]), [3, 6]);
    assert.deepEqual([...fetches(r).values()].map((i) => i.get('UID')), [2, 5]);
  });

  test('§3.2.10.2: with QRESYNC, EXPUNGE answers one VANISHED of the UIDs; a later one only those expunged since', async () => {
    const { c } = await withInbox('qr-vanished', 11, 'QRESYNC');
    await c.command('STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)');
    const a202 = await c.command('EXPUNGE');
    assert.deepEqual(lines(a202, '* '), ['* VANISHED 3:4,7,11']);
    // "C: A210 EXPUNGE / S: * VANISHED 504,508": only what was expunged since.
    await c.command('UID STORE 2,5 +FLAGS.SILENT (\\Deleted)');
    const a210 = await c.command('EXPUNGE');
    assert.deepEqual(lines(a210, '* '), ['* VANISHED 2,5']);
  });

  test('§3.2.7 B202: EXPUNGE with QRESYNC answers VANISHED and OK [HIGHESTMODSEQ]', async () => {
    const { c, selected } = await withInbox('qr-expunge', 11, 'QRESYNC');
    const before = highestModseq(selected);
    await c.command('STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)');
    const b202 = await c.command('EXPUNGE');
    assert.deepEqual(lines(b202, '* '), ['* VANISHED 3:4,7,11']);
    // "If at least one message got expunged and QRESYNC was enabled, the server MUST send the
    // updated per-mailbox modification sequence using the HIGHESTMODSEQ response code in the tagged OK".
    assert.ok(Number(code(b202.status, 'HIGHESTMODSEQ')) > before, `B202 answered ${b202.status}`);
  });

  test('§3.2.7 A202, §3.2.9 without QRESYNC: EXPUNGE and UID EXPUNGE answer EXPUNGE responses (HIGHESTMODSEQ optional)', async () => {
    const { c } = await withInbox('qr-rev1', 11, 'CONDSTORE');
    await c.command('STORE 3:4,7,11 +FLAGS.SILENT (\\Deleted)');
    const a202 = await c.command('EXPUNGE');
    assert.deepEqual(afterExpunges([...Array(11).keys()].map((i) => i + 1), a202), [1, 2, 5, 6, 8, 9, 10]);
    await c.command('UID STORE 5:6,8 +FLAGS.SILENT (\\Deleted)');
    const uidExpunge = await c.command('UID EXPUNGE 5:6');
    assert.deepEqual(afterExpunges([1, 2, 5, 6, 8, 9, 10], uidExpunge), [1, 2, 8, 9, 10]);
  });

  test('§3.2.8: CLOSE with QRESYNC answers no VANISHED and no HIGHESTMODSEQ', async () => {
    const { c } = await withInbox('qr-close', 3, 'QRESYNC');
    await c.command('STORE 2 +FLAGS.SILENT (\\Deleted)');
    const r = await c.command('CLOSE');
    assert.deepEqual(text(r), []);
    assert.equal(code(r.status, 'HIGHESTMODSEQ'), null);
  });

  test('§3.2.9: UID EXPUNGE 3000:3002 with QRESYNC answers VANISHED and OK [HIGHESTMODSEQ]', async () => {
    const { c, selected } = await withInbox('qr-uidexpunge', 6, 'QRESYNC');
    const before = highestModseq(selected);
    await c.command('STORE 3:6 +FLAGS.SILENT (\\Deleted)');
    const r = await c.command('UID EXPUNGE 3:5');
    assert.deepEqual(text(r), ['* VANISHED 3:5']);
    assert.ok(Number(code(r.status, 'HIGHESTMODSEQ')) > before, `UID EXPUNGE answered ${r.status}`);
  });

  test('RFC 6851 §4.4 text: MOVE with QRESYNC answers VANISHED, and HIGHESTMODSEQ in the tagged or an untagged OK', async () => {
    const acc = await account('qr-move');
    await putMany(acc, 4);
    const c = await login(acc, 'QRESYNC');
    await c.command('CREATE foo');
    const before = highestModseq(await select(c));
    const r = await c.command('UID MOVE 2:3 foo');
    assert.match(text(r)[0], /^\* OK \[COPYUID \d+ 2:3 1:2\]/);
    assert.ok(text(r).includes('* VANISHED 2:3'), show(r));
    assert.ok(Number(anyCode(r, 'HIGHESTMODSEQ')) > before, `MOVE answered:\n${show(r)}`);
  });

  test('§6 A150–A152: while an expunge is held back (STORE by number), MODSEQs above it come with a lower HIGHESTMODSEQ', async () => {
    const { acc, c } = await withInbox('qr-delayed', 4, 'QRESYNC');
    const other = await elsewhere(acc);
    await other.command('UID STORE 3 +FLAGS.SILENT (\\Deleted)');
    await other.command('UID EXPUNGE 3');
    const expungedAt = highestModseq(await other.command('STATUS INBOX (HIGHESTMODSEQ)'));
    assert.ok(expungedAt > 0);
    const a150 = await c.command(`STORE 1:2 (UNCHANGEDSINCE ${expungedAt}) +FLAGS.SILENT \\Seen`);
    const got = fetches(a150);
    assert.ok(!text(a150).some((l) => l.startsWith('* VANISHED')), 'no VANISHED during STORE');
    for (const n of [1, 2]) assert.ok(modseqOf(got.get(n)) > expungedAt, show(a150));
    const h = anyCode(a150, 'HIGHESTMODSEQ');
    assert.ok(h !== null && Number(h) < expungedAt, `RFC 7162 §3.2: HIGHESTMODSEQ below the held-back expunge's modseq expected:\n${show(a150)}`);
    // Without it, a client that keeps the highest MODSEQ it saw (§6) and reconnects with
    // SELECT (QRESYNC (v that-modseq)) is never told that UID 3 vanished.
    const a152 = await c.command('NOOP');
    assert.deepEqual(lines(a152, '* VANISHED'), ['* VANISHED 3']);
  });
});

// ---------------------------------------------------------------- RFC 9208 QUOTA

describe('RFC 9208 QUOTA', () => {
  test('§4.1.1, §4.1.2, §4.2: GETQUOTA and GETQUOTAROOT INBOX with the root "" and STORAGE in units of 1024 octets', async () => {
    const acc = await account('quotauser');
    await server.services.directory.updateUser(acc.id, { quota: 512 * 1024 });
    await putMany(acc, 3, { body: 'z'.repeat(3000) });
    const c = await login(acc);
    const g1 = text(await c.command('GETQUOTA ""'));
    assert.equal(g1.length, 1);
    const m = /^\* QUOTA "" \(STORAGE (\d+) 512\)$/.exec(g1[0]);
    assert.ok(m, g1[0]);
    assert.ok(Number(m[1]) >= 9 && Number(m[1]) <= 12, 'about 9 KiB used');
    const g2 = await c.command('GETQUOTAROOT INBOX');
    assert.equal(g2.lines.length, 2);
    assert.deepEqual(parseValues(g2.lines[0]).map(str), ['*', 'QUOTAROOT', 'INBOX', ''], 'INBOX is under the root ""');
    assert.equal(text(g2)[1], g1[0]);
  });

  test('§4.1.3 S0002: SETQUOTA on a root that cannot be changed is NO', async () => {
    const c = await login(await account('quotaset'));
    assert.match((await c.send('SETQUOTA "" (STORAGE 99999999)')).status, /^NO/);
  });

  test('§4.1.4: STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)', async () => {
    const acc = await account('quotastatus');
    await putMany(acc, 8);
    await putMany(acc, 4, { keywords: ['$deleted'], body: 'd'.repeat(1000) });
    const c = await login(acc);
    const r = await c.send('STATUS INBOX (MESSAGES DELETED DELETED-STORAGE)');
    assert.match(r.status, /^OK/, `DELETED-STORAGE is required with QUOTA=RES-STORAGE; STATUS answered ${r.status}`);
    const st = statusOf(text(r)[0]);
    assert.deepEqual([st.name, st.items.MESSAGES, st.items.DELETED], ['INBOX', 12, 4]);
    assert.ok(Number(st.items['DELETED-STORAGE']) >= 4000, text(r)[0]);
  });

  test('§4.3.1 ex. 1: APPEND over the quota is NO [OVERQUOTA]', async () => {
    const acc = await account('quotafull');
    await putMany(acc, 1, { body: 'q'.repeat(3000) });
    await server.services.directory.updateUser(acc.id, { quota: 3500 });
    const c = await login(acc);
    const message = 'Subject: afternoon meeting\r\n\r\n' + 'Hello Joe, do you think we can meet at 3:30 tomorrow?\r\n'.repeat(10);
    const r = await withLiteral(c, 'APPEND INBOX (\\Seen)', message);
    assert.match(r.status, /^NO \[OVERQUOTA\]/);
  });
});

// ---------------------------------------------------------------- RFC 8474 OBJECTID, RFC 2971 ID

describe('RFC 8474 OBJECTID and RFC 2971 ID', () => {
  test('§4.1, §4.2: MAILBOXID in the tagged OK of CREATE (not of a failed one) and in an untagged OK of SELECT', async () => {
    const c = await login(await account('objectid'));
    const foo = code((await c.command('create foo')).status, 'MAILBOXID');
    const bar = code((await c.command('create bar')).status, 'MAILBOXID');
    assert.match(foo ?? '', /^\([A-Za-z0-9_-]+\)$/);
    assert.notEqual(foo, bar);
    const again = await c.send('create foo');
    assert.match(again.status, /^NO/);
    assert.equal(code(again.status, 'MAILBOXID'), null);
    const sel = await c.command('select "foo"');
    assert.equal(code(lines(sel, '* OK [MAILBOXID')[0], 'MAILBOXID'), foo);
  });

  test('§4.3: STATUS (MAILBOXID) gives the same id across RENAME; LIST … RETURN (STATUS (MAILBOXID))', async () => {
    const c = await login(await account('objectid2'));
    const foo = code((await c.command('create foo')).status, 'MAILBOXID');
    const bar = code((await c.command('create bar')).status, 'MAILBOXID');
    // Read leniently first (quoted or not), so the meaning is checked apart from the syntax.
    const idIn = (line: string) => {
      const st = statusOf(line);
      return { name: st.name, id: String(st.items.MAILBOXID).replaceAll('"', '') };
    };
    const status = async (name: string) => text(await c.command(`status ${name} (mailboxid)`))[0];
    assert.deepEqual(idIn(await status('foo')), { name: 'foo', id: foo });
    await c.command('rename foo renamed');
    assert.deepEqual(idIn(await status('renamed')), { name: 'renamed', id: foo });
    assert.deepEqual(idIn(await status('bar')), { name: 'bar', id: bar });
    const all = text(await c.command('list "" "*" return (status (mailboxid))'));
    const i = all.findIndex((l) => l.startsWith('* LIST') && listed(l).name === 'renamed');
    assert.deepEqual(idIn(all[i + 1]), { name: 'renamed', id: foo });
    assert.ok(all.some((l) => l.startsWith('* STATUS') && statusOf(l).name === 'INBOX'));
  });

  test('§7 (the syntax of the §4.3 and §5 examples): STATUS MAILBOXID, FETCH EMAILID and THREADID carry a bare objectid, not a quoted string', async () => {
    const acc = await account('objectid3');
    await put(acc);
    const c = await login(acc);
    const st = text(await c.command('STATUS INBOX (MAILBOXID)'))[0];
    await select(c);
    const f = text(await c.command('FETCH 1 (EMAILID THREADID)'))[0];
    // objectid = 1*255(ALPHA / DIGIT / "_" / "-"): "* STATUS foo (MAILBOXID (F2212ea87-6097-4256-9d51-71338625))".
    assert.match(st, /\(MAILBOXID \([A-Za-z0-9_-]+\)\)$/, st);
    assert.match(f, /^\* 1 FETCH \(EMAILID \([A-Za-z0-9_-]+\) THREADID \([A-Za-z0-9_-]+\)\)$/, f);
  });

  test('§5, §6: EMAILID and THREADID from APPEND, kept by MOVE; SEARCH EMAILID and THREADID', async () => {
    const acc = await account('emailid');
    const c = await login(acc);
    await c.command('CREATE foo');
    const msg = (subject: string, id: string, refs?: string) =>
      [`Subject: ${subject}`, `Message-ID: <${id}>`, ...(refs ? [`References: <${refs}>`, `In-Reply-To: <${refs}>`] : []), 'From: a@example.com', '', 'body', ''].join('\r\n');
    const a = msg('Message A', 'fake.1521475657.54797@example.com');
    const b = msg('Re: Message A', 'fake.1521475657.21213@example.org', 'fake.1521475657.54797@example.com');
    const cc = msg('Message C', 'fake.1521475657.60280@example.com');
    for (const m of [a, b, cc]) assert.match(code((await withLiteral(c, 'append inbox "20-Mar-2018 03:07:37 +1100"', m)).status, 'APPENDUID') ?? '', /^\d+ \d+$/);
    await select(c);
    const ids = (r: RawResponse) => [...fetches(r).values()].map((i) => [(i.get('EMAILID') as Value[])[0], (i.get('THREADID') as Value[])[0]].map(str));
    const f22 = ids(await c.command('fetch 1:* (emailid threadid)'));
    assert.equal(f22.length, 3);
    assert.equal(f22[0][1], f22[1][1], 'A and its reply share a thread');
    assert.notEqual(f22[0][1], f22[2][1]);
    assert.equal(new Set(f22.map((x) => x[0])).size, 3);
    assert.deepEqual(search(await c.command(`search emailid ${f22[0][0]}`)).numbers, [1]);
    assert.deepEqual(search(await c.command(`search threadid ${f22[0][1]}`)).numbers, [1, 2]);
    const m23 = await c.command('move 2 foo');
    assert.match(text(m23)[0], /^\* OK \[COPYUID \d+ 2 1\]/);
    assert.ok(text(m23).includes('* 2 EXPUNGE'));
    assert.deepEqual(ids(await c.command('fetch 1:* (emailid threadid)')), [f22[0], f22[2]]);
    await c.command('select "foo"');
    assert.deepEqual(ids(await c.command('fetch 1:* (emailid threadid)')), [f22[1]], 'the moved message keeps its EMAILID');
  });

  test('RFC 2971 §3.1, §3.2: ID with the client\'s parameters, and ID NIL', async () => {
    const c = await connect();
    const a023 = await c.command('ID ("name" "sodr" "version" "19.34" "vendor" "Pink Floyd Music Limited")');
    assert.equal(a023.lines.length, 1);
    assert.match(text(a023)[0], /^\* ID (NIL|\(("[^"]*" ("[^"]*"|NIL) ?)*\))$/);
    const a042 = await c.command('ID NIL');
    assert.match(text(a042)[0], /^\* ID (NIL|\(.*"name" "[^"]+".*\))$/);
  });
});
