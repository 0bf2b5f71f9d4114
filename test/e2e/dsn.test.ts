import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Config } from '../../src/config/schema.ts';
import { parseMessage, type MimePart } from '../../src/mime/index.ts';
import type { TestServer } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';
import { addUser, inbox, rawMessage, startServer, type Mailbox } from '../protocols/smtp/fixtures.ts';

// A throwaway receiving MX for remote.test: a recipient's local part says how it answers.
// hard…: 550 at RCPT; soft…: 451 at RCPT; flaky…: 451 the first time, then accepted; else accepted.
// `answer` overrides that per address, for tests that change their mind between attempts.
const answer = new Map<string, 'ok' | 'soft' | 'hard'>();
const tries = new Map<string, number>();
const received: { to: string[]; raw: Buffer }[] = [];

function rcpt(address: SMTPServerAddress, _s: SMTPServerSession, callback: (err?: Error | null) => void) {
  const a = address.address.toLowerCase();
  const n = (tries.get(a) ?? 0) + 1;
  tries.set(a, n);
  const mode = answer.get(a) ?? (a.startsWith('hard') ? 'hard' : a.startsWith('soft') || (a.startsWith('flaky') && n === 1) ? 'soft' : 'ok');
  if (mode === 'ok') return callback();
  callback(Object.assign(new Error(mode === 'hard' ? '5.1.1 no such user here' : '4.3.0 try again later'), { responseCode: mode === 'hard' ? 550 : 451 }));
}

const mx = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo: rcpt,
    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null) => void) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) });
        callback();
      });
    },
  });
// Listening before any server starts, so the route can name its port.
await new Promise<void>((resolve) => mx.listen(0, '127.0.0.1', resolve));
const routes = `remote.test=127.0.0.1:${(mx.server.address() as { port: number }).port}`;
after(() => new Promise<void>((resolve) => mx.close(() => resolve())));

interface Dsn {
  raw: Buffer;
  subject: string | null;
  root: MimePart;
  /** The message/delivery-status text. */
  status: string;
  returned: { type: string; text: string } | null;
}

const text = (raw: Buffer, p: MimePart) => raw.subarray(p.bodyStart, p.bodyEnd).toString();

/** Every DSN in the mailbox's INBOX, oldest first. */
async function dsns(s: TestServer, who: Mailbox): Promise<Dsn[]> {
  const out: Dsn[] = [];
  for (const m of (await inbox(s, who.accountId)).reverse()) {
    if (m.from?.email !== `MAILER-DAEMON@${s.config.hostname}`) continue;
    const raw = await rawMessage(s, who.accountId, m.id);
    const root = parseMessage(raw).structure;
    const [, status, returned] = root.children;
    out.push({ raw, subject: m.subject, root, status: status ? text(raw, status) : '', returned: returned ? { type: returned.type, text: text(raw, returned) } : null });
  }
  return out;
}

function submitter(s: TestServer, who: Mailbox) {
  return nodemailer.createTransport({
    host: '127.0.0.1',
    port: s.listeners.submission.port,
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    auth: { user: `${who.address.split('@')[0]}.${who.address.split('@')[1]}`, pass: 'correct horse battery' },
  });
}

const message = (from: string, subject: string) => Buffer.from(`From: ${from}\r\nTo: someone@remote.test\r\nSubject: ${subject}\r\nMessage-ID: <${subject.replace(/\W/g, '')}@client.test>\r\n\r\nThe body of ${subject}.\r\n`);

async function submit(s: TestServer, who: Mailbox, to: string[], subject: string, dsn?: { id?: string; return?: 'headers' | 'full'; notify?: string | string[]; recipient?: string }) {
  const info: { response: string } = await submitter(s, who).sendMail({ envelope: { from: who.address, to }, raw: message(who.address, subject), dsn } as nodemailer.SendMailOptions);
  return /queued as (\S+)/.exec(info.response)![1];
}

/** Until the message left the queue (every recipient settled). */
const settled = (s: TestServer, queueId: string) => until(async () => (await s.services.queue.recipients(queueId)).length === 0, `${queueId} to settle`);
/** Until each waiting recipient was tried `n` times. */
const triedTimes = (s: TestServer, queueId: string, n: number) =>
  until(async () => {
    const rs = await s.services.queue.recipients(queueId);
    return rs.length > 0 && rs.every((r) => r.attempts >= n && r.status === 'queued');
  }, `${queueId} tried ${n} times`);
const retryNow = (s: TestServer, queueId: string) => s.api(`/api/v1/queue/messages/${queueId}`, { method: 'PATCH', json: {} });
/** Every DSN queued so far was delivered. */
const noDsnWaiting = (s: TestServer) => until(async () => (await s.store.db.selectFrom('queue_messages').select('id').where('origin', '=', 'dsn').execute()).length === 0, 'the DSNs to go out');
/** Nothing more is waiting anywhere in the queue (the DSNs went out too). */
const drained = (s: TestServer) => until(async () => Number((await s.store.db.selectFrom('queue_messages').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n) === 0, 'an empty queue');

describeServer('default schedule', {}, (ctx) => {
  test('a 5xx bounces: one RFC 3464 report to the local sender listing every failed recipient', async () => {
    const { s, alice } = ctx();
    const id = await submit(s, alice, ['hard1@remote.test', 'hard2@remote.test', 'fine@remote.test'], 'Bounced', { id: 'env-42', recipient: alice.address });
    await settled(s, id);
    await drained(s);
    const [dsn, ...more] = await dsns(s, alice);
    assert.equal(more.length, 0, 'one DSN for the pass');
    assert.equal(dsn.subject, 'Undelivered Mail Returned to Sender');
    assert.equal(dsn.root.type, 'multipart/report');
    assert.equal(dsn.root.params['report-type'], 'delivery-status');
    assert.deepEqual(dsn.root.children.map((c) => c.type), ['text/plain', 'message/delivery-status', 'message/rfc822']);
    assert.match(dsn.raw.toString(), /^Return-Path: <>\r\n/, 'sent from the null sender');
    assert.match(dsn.status, /^Reporting-MTA: dns; mx\.test\.gannet\r\nOriginal-Envelope-Id: env-42\r\nArrival-Date: [A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} [\d:]{8} \+0000\r\n\r\n/);
    for (const who of ['hard1@remote.test', 'hard2@remote.test']) {
      assert.match(dsn.status, new RegExp(`Final-Recipient: rfc822; ${who}\\r\\nAction: failed\\r\\nStatus: 5\\.1\\.1\\r\\nRemote-MTA: dns; 127\\.0\\.0\\.1\\r\\nDiagnostic-Code: smtp; 550 5\\.1\\.1 no such user here\\r\\n`));
    }
    assert.doesNotMatch(dsn.status, /fine@remote/);
    assert.match(dsn.returned!.text, /Subject: Bounced\r\n[\s\S]*The body of Bounced\./, 'RET absent: the whole message');
    assert.equal(received.filter((r) => r.to.includes('fine@remote.test')).length, 1);
  });

  test('RET=HDRS returns only the header', async () => {
    const { s, bob } = ctx();
    const id = await submit(s, bob, ['hard3@remote.test'], 'Headers only', { return: 'headers' });
    await settled(s, id);
    await drained(s);
    const [dsn] = await dsns(s, bob);
    assert.equal(dsn.returned!.type, 'text/rfc822-headers');
    assert.match(dsn.returned!.text, /Subject: Headers only\r\n/);
    assert.doesNotMatch(dsn.returned!.text, /The body of/);
  });

  test('NOTIFY=NEVER sends nothing; NOTIFY=SUCCESS reports the delivery', async () => {
    const { s, carol } = ctx();
    const never = await submit(s, carol, ['hard4@remote.test'], 'Never tell', { notify: 'never' });
    const success = await submit(s, carol, ['glad@remote.test'], 'Tell me', { notify: ['success', 'failure'], id: 'ok-1' });
    await settled(s, never);
    await settled(s, success);
    await drained(s);
    const got = await dsns(s, carol);
    assert.equal(got.length, 1);
    assert.equal(got[0].subject, 'Successful Mail Delivery Report');
    assert.match(got[0].status, /Final-Recipient: rfc822; glad@remote\.test\r\nAction: relayed\r\nStatus: 2\.0\.0\r\nRemote-MTA: dns; 127\.0\.0\.1\r\nDiagnostic-Code: smtp; 250 /);
    assert.equal(got[0].returned!.type, 'text/rfc822-headers');
  });

  test('a 4xx then 2xx is delivered on the retry, with no report', async () => {
    const { s, dave } = ctx();
    const id = await submit(s, dave, ['flaky@remote.test'], 'Second time lucky');
    await triedTimes(s, id, 1);
    assert.equal((await retryNow(s, id)).status, 200);
    await settled(s, id);
    assert.equal(received.filter((r) => r.to.includes('flaky@remote.test')).length, 1);
    assert.equal((await dsns(s, dave)).length, 0);
  });

  test('a bounce of a message from the null sender is not sent', async () => {
    const { s } = ctx();
    const id = await s.services.queue.enqueue({ from: '', to: ['hard5@remote.test'], raw: message('MAILER-DAEMON@elsewhere.test', 'A bounce'), origin: 'test' });
    await settled(s, id);
    await drained(s);
    // A DSN would be addressed to the empty path, which no route takes: it would stay queued.
    assert.deepEqual(await s.store.db.selectFrom('queue_messages').select('origin').execute(), []);
  });
});

describeServer('tiny expiry', { queueExpiryDays: 0.00001 }, (ctx) => {
  test('a recipient that only got 4xx until expiry bounces with status 4.4.7', async () => {
    const { s, alice } = ctx();
    const id = await submit(s, alice, ['soft-expiring@remote.test'], 'Expired');
    await settled(s, id);
    await drained(s);
    const [dsn, ...more] = await dsns(s, alice);
    assert.equal(more.length, 0);
    assert.match(dsn.status, /Final-Recipient: rfc822; soft-expiring@remote\.test\r\nAction: failed\r\nStatus: 4\.4\.7\r\nRemote-MTA: dns; 127\.0\.0\.1\r\nDiagnostic-Code: smtp; 451 4\.3\.0 try again later\r\n/);
  });
});

describeServer('tiny delay notice', { queueDelayNoticeHours: 0.000001 }, (ctx) => {
  test('a delay is reported once per recipient, survives a restart, and the final bounce comes once', async () => {
    let { s, alice } = ctx();
    await s.services.queue.stop();
    const id = await submit(s, alice, ['soft-a@remote.test', 'soft-b@remote.test'], 'Slow');
    const silent = await submit(s, alice, ['soft-c@remote.test'], 'Slow but quiet', { notify: ['failure'] });
    await new Promise((r) => setTimeout(r, 20));
    s.services.queue.start();
    await triedTimes(s, id, 1);
    await triedTimes(s, silent, 1);
    const first = await until(async () => {
      const got = await dsns(s, alice);
      return got.length > 0 && got;
    }, 'the delay notice');
    assert.equal(first.length, 1, 'one notice for both recipients, none for NOTIFY=FAILURE');
    assert.equal(first[0].subject, 'Delayed Mail (still being retried)');
    assert.match(first[0].status, /Final-Recipient: rfc822; soft-a@remote\.test\r\nAction: delayed\r\nStatus: 4\.3\.0\r\n/);
    assert.match(first[0].status, /Final-Recipient: rfc822; soft-b@remote\.test\r\nAction: delayed\r\n[\s\S]*Will-Retry-Until: /);
    assert.equal(first[0].returned!.type, 'text/rfc822-headers');

    // Restart on the same data: the message is still queued and the notice is not sent again.
    const config = { ...s.config };
    await s.close();
    s = await startServer({ dataDir: config.dataDir, databaseUrl: config.databaseUrl, relayRoutes: config.relayRoutes, queueDelayNoticeHours: config.queueDelayNoticeHours });
    ctx().replace(s);
    assert.deepEqual((await s.services.queue.recipients(id)).map((r) => [r.address, r.attempts]).sort(), [['soft-a@remote.test', 1], ['soft-b@remote.test', 1]]);
    assert.equal((await retryNow(s, id)).status, 200);
    await triedTimes(s, id, 2);
    await noDsnWaiting(s);
    assert.equal((await dsns(s, alice)).length, 1, 'no second delay notice');

    // Then the remote refuses for good: one bounce listing both.
    answer.set('soft-a@remote.test', 'hard');
    answer.set('soft-b@remote.test', 'hard');
    assert.equal((await retryNow(s, id)).status, 200);
    await settled(s, id);
    await noDsnWaiting(s);
    const all = await dsns(s, alice);
    assert.deepEqual(all.map((d) => d.subject), ['Delayed Mail (still being retried)', 'Undelivered Mail Returned to Sender']);
    assert.match(all[1].status, /soft-a@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1/);
    assert.match(all[1].status, /soft-b@remote\.test\r\nAction: failed\r\nStatus: 5\.1\.1/);
  });
});

/** A Gannet routing remote.test to the throwaway MX, with users alice, bob, carol and dave. */
describeServer('signed reports', {}, (ctx) => {
  test("a bounce is DKIM-signed as it leaves, by the server's own domain when that domain has a key", async () => {
    const { s, carol } = ctx();
    const domain = s.config.hostname;
    assert.equal((await s.api('/api/v1/domains', { method: 'POST', json: { name: domain } })).status, 201);
    const key = await s.api(`/api/v1/domains/${domain}/dkim`, { method: 'POST', json: { algorithm: 'ed25519', selector: 'bounces' } });
    assert.equal(key.status, 201);
    const id = await submit(s, carol, ['hard9@remote.test'], 'Signed bounce');
    await settled(s, id);
    await drained(s);
    const [dsn] = await dsns(s, carol);
    assert.match(dsn.raw.toString(), new RegExp(`\\r\\nDKIM-Signature: [^]*?d=${domain.replace(/\./g, '\\.')};[^]*?s=bounces;`), 'signed with the key of the reporting host');
  });
});

function describeServer(
  _name: string,
  config: Partial<Config>,
  body: (ctx: () => { s: TestServer; alice: Mailbox; bob: Mailbox; carol: Mailbox; dave: Mailbox; replace(s: TestServer): void }) => void,
) {
  let s: TestServer;
  const users: Record<string, Mailbox> = {};
  before(async () => {
    s = await startServer({ relayRoutes: routes, ...config });
    for (const name of ['alice', 'bob', 'carol', 'dave']) users[name] = await addUser(s, `${name}@example.test`);
  });
  after(() => s?.stop());
  body(() => ({ s, alice: users.alice, bob: users.bob, carol: users.carol, dave: users.dave, replace: (next) => (s = next) }));
}
