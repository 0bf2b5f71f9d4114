import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import nodemailer from 'nodemailer';
import type { TestServer } from '../helpers/server.ts';
import { addUser, rawMessage, splitTrace, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';

const run = promisify(execFile);
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const PYTHON = has('python3');
const SWAKS = has('swaks');
const PASSWORD = 'correct horse battery';

let server: TestServer;
let strict: TestServer;
let alice: Mailbox;
let bob: Mailbox;
let carol: Mailbox;
let dir: string;

type SmtpError = Error & { responseCode?: number; response?: string };

const message = (subject: string, opts: { from?: string; ids?: boolean } = {}) =>
  Buffer.from(
    `From: Alice <${opts.from ?? 'alice@example.test'}>\r\nTo: bob@example.test\r\nSubject: ${subject}\r\n` +
      (opts.ids ? `Message-ID: <${subject.replace(/\W/g, '')}@client.test>\r\nDate: Sun, 22 Nov 2026 09:00:00 +0000\r\n` : '') +
      `\r\nHello Bob.\r\n..a line that starts with a dot\r\n`,
  );

/** A message with its ids, also written to a file for a command-line client. */
function saved(subject: string): { raw: Buffer; path: string } {
  const raw = message(subject, { ids: true });
  const path = join(dir, `${subject.replace(/\W/g, '-')}.eml`);
  writeFileSync(path, raw);
  return { raw, path };
}

function transport(s: TestServer, opts: { implicit?: boolean; method?: 'PLAIN' | 'LOGIN'; user?: string; pass?: string } = {}) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: opts.implicit ? s.listeners.submissions.port : s.listeners.submission.port,
    secure: opts.implicit ?? false,
    requireTLS: !opts.implicit,
    tls: { rejectUnauthorized: false },
    auth: { user: opts.user ?? alice.address, pass: opts.pass ?? PASSWORD, method: opts.method ?? 'PLAIN' },
  });
}

async function mailbox(s: TestServer, who: Mailbox, role: string, subject: string): Promise<{ raw: Buffer; seen: boolean } | null> {
  const box = (await s.services.mailboxes.list(who.accountId)).find((m) => m.role === role);
  if (!box) throw new Error(`no ${role} mailbox`);
  const found = (await s.services.messages.list(who.accountId, box.id, { limit: 250 })).results.filter((m) => m.subject === subject);
  if (found.length === 0) return null;
  assert.equal(found.length, 1, `one "${subject}" in ${who.address}'s ${role}`);
  return { raw: await rawMessage(s, who.accountId, found[0].id), seen: found[0].seen };
}

/** Delivery goes through the outbound queue, so the copy arrives shortly after the 250. */
async function delivered(who: Mailbox, subject: string): Promise<Buffer> {
  for (let i = 0; i < 100; i++) {
    const got = await mailbox(server, who, 'inbox', subject);
    if (got) return got.raw;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`"${subject}" never reached ${who.address}`);
}

async function sent(who: Mailbox, subject: string): Promise<Buffer> {
  const got = await mailbox(server, who, 'sent', subject);
  assert.ok(got, `"${subject}" in ${who.address}'s Sent`);
  assert.equal(got.seen, true, 'Sent copy is $seen');
  return got.raw;
}

const ADDED = /^Message-ID: <[^<>\s]+@mx\.test\.gannet>\r\nDate: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000\r\n$/;

before(async () => {
  server = await startServer();
  alice = await addUser(server, 'alice@example.test');
  bob = await addUser(server, 'bob@example.test');
  carol = await addUser(server, 'carol@example.test');
  strict = await startServer({ plaintextAuth: 'never', submissionRecipientsPerHour: 2 });
  await addUser(strict, 'alice@example.test');
  await addUser(strict, 'bob@example.test');
  dir = mkdtempSync(join(tmpdir(), 'gannet-submission-'));
});

after(async () => {
  await server?.stop();
  await strict?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('nodemailer, STARTTLS + AUTH PLAIN: Message-ID and Date added, delivered and copied to Sent', async () => {
  const raw = message('plain no ids');
  const t = transport(server);
  const info = await t.sendMail({ envelope: { from: alice.address, to: [bob.address, carol.address] }, raw });
  t.close();
  assert.deepEqual(info.accepted.sort(), [bob.address, carol.address]);
  assert.match(info.response, /^250 2\.0\.0 Ok: queued as q/);

  const copy = await sent(alice, 'plain no ids');
  assert.deepEqual(copy.subarray(copy.length - raw.length), raw, 'the client bytes follow the added headers unchanged');
  assert.match(copy.subarray(0, copy.length - raw.length).toString('latin1'), ADDED);
  for (const who of [bob, carol]) {
    const traced = splitTrace(await delivered(who, 'plain no ids'), copy.length);
    assert.deepEqual(traced.body, copy, `${who.address} gets exactly what was sent`);
    assert.equal(traced.returnPath, alice.address);
  }
});

test('nodemailer, STARTTLS + AUTH LOGIN: a message with Message-ID and Date is untouched', async () => {
  const raw = message('login with ids', { ids: true });
  const t = transport(server, { method: 'LOGIN' });
  await t.sendMail({ envelope: { from: alice.address, to: [bob.address] }, raw });
  t.close();
  assert.deepEqual(await sent(alice, 'login with ids'), raw);
  assert.deepEqual(splitTrace(await delivered(bob, 'login with ids'), raw.length).body, raw);
});

test('implicit TLS with nodemailer: a recipient only in the envelope (Bcc) gets the message as sent', async () => {
  const raw = message('bcc', { ids: true });
  const t = transport(server, { implicit: true });
  await t.sendMail({ envelope: { from: alice.address, to: [bob.address, carol.address] }, raw });
  t.close();
  assert.deepEqual(splitTrace(await delivered(carol, 'bcc'), raw.length).body, raw);
  assert.deepEqual(await sent(alice, 'bcc'), raw);
});

test('Python smtplib.SMTP_SSL on the implicit TLS port', { skip: !PYTHON && 'skipped: python3 not installed' }, async () => {
  const { raw, path } = saved('python ssl');
  const script = `
import smtplib, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
c = smtplib.SMTP_SSL('127.0.0.1', int(sys.argv[1]), context=ctx)
c.login(sys.argv[2], sys.argv[3])
print(c.sendmail(sys.argv[2], ['bob@example.test'], open(sys.argv[4], 'rb').read()))
c.quit()
`;
  const { stdout } = await run('python3', ['-c', script, String(server.listeners.submissions.port), alice.address, PASSWORD, path]);
  assert.equal(stdout.trim(), '{}', 'no recipient refused');
  assert.deepEqual(splitTrace(await delivered(bob, 'python ssl'), raw.length).body, raw);
  assert.deepEqual(await sent(alice, 'python ssl'), raw);
});

test('swaks with implicit TLS and AUTH LOGIN', { skip: !SWAKS && 'skipped: swaks not installed' }, async () => {
  const { raw, path } = saved('swaks tlsc');
  const args = ['--server', '127.0.0.1', '--port', String(server.listeners.submissions.port), '--tls-on-connect', '--auth', 'LOGIN'];
  await run('swaks', [...args, '--auth-user', alice.address, '--auth-password', PASSWORD, '--from', alice.address, '--to', bob.address, '--data', path, '--silent', '2']);
  // swaks sends CRLF before the final dot even when the data already ends with one.
  const expected = Buffer.concat([raw, Buffer.from('\r\n')]);
  assert.deepEqual(splitTrace(await delivered(bob, 'swaks tlsc'), expected.length).body, expected);
});

test('AUTH before STARTTLS is refused with 538 when plaintextAuth is never; MAIL without AUTH gets 530', { skip: !PYTHON && 'skipped: python3 not installed' }, async () => {
  const script = `
import base64, smtplib, sys
c = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))
c.ehlo('client.test')
print(c.mail('alice@example.test')[0])
print(c.docmd('AUTH', 'PLAIN ' + base64.b64encode(b'\\0alice@example.test\\0correct horse battery').decode())[0])
c.quit()
`;
  const { stdout } = await run('python3', ['-c', script, String(strict.listeners.submission.port)]);
  assert.deepEqual(stdout.trim().split('\n'), ['530', '538']);
});

test('a wrong password is refused with 535', async () => {
  const t = transport(server, { pass: 'wrong password' });
  await assert.rejects(t.sendMail({ envelope: { from: alice.address, to: [bob.address] }, raw: message('wrong') }), (err: SmtpError) => err.responseCode === 535);
  t.close();
});

test('an envelope sender the user does not own, or the null sender, is refused with 553 5.7.1', async () => {
  const t = transport(server);
  for (const from of [bob.address, 'someone@elsewhere.test', '']) {
    await assert.rejects(
      t.sendMail({ envelope: { from, to: [carol.address] }, raw: message('spoof envelope') }),
      (err: SmtpError) => err.responseCode === 553 && /5\.7\.1/.test(err.response ?? ''),
      `MAIL FROM:<${from}>`,
    );
  }
  t.close();
  assert.equal(await mailbox(server, carol, 'inbox', 'spoof envelope'), null);
});

test('a From header the user does not own is refused with 550 5.7.1 at DATA, and nothing is kept', async () => {
  const t = transport(server);
  await assert.rejects(
    t.sendMail({ envelope: { from: alice.address, to: [carol.address] }, raw: message('spoof header', { from: 'bob@example.test' }) }),
    (err: SmtpError) => err.responseCode === 550 && /5\.7\.1 From: bob@example\.test/.test(err.response ?? ''),
  );
  t.close();
  assert.equal(await mailbox(server, alice, 'sent', 'spoof header'), null);
});

test('over the recipients-per-hour limit, RCPT gets 451 4.7.1', async () => {
  const alice2 = { address: 'alice@example.test' };
  const t = transport(strict, { user: alice2.address });
  const info = await t.sendMail({ envelope: { from: alice2.address, to: ['bob@example.test', 'alice@example.test'] }, raw: message('limit one', { ids: true }) });
  assert.equal(info.accepted.length, 2);
  await assert.rejects(
    t.sendMail({ envelope: { from: alice2.address, to: ['bob@example.test'] }, raw: message('limit two', { ids: true }) }),
    (err: SmtpError) => err.responseCode === 451 && /4\.7\.1 sending limit of 2 recipients per hour/.test(err.response ?? ''),
  );
  t.close();
});

test('a message over maxMessageSize is refused with 552', async () => {
  const small = await startServer({ maxMessageSize: 2048 });
  try {
    const user = await addUser(small, 'alice@example.test');
    const t = transport(small, { user: user.address });
    const raw = Buffer.concat([message('big', { ids: true }), Buffer.from(`${'x'.repeat(78)}\r\n`.repeat(40))]);
    await assert.rejects(t.sendMail({ envelope: { from: user.address, to: ['someone@remote.test'] }, raw }), (err: SmtpError) => err.responseCode === 552);
    t.close();
  } finally {
    await small.stop();
  }
});
