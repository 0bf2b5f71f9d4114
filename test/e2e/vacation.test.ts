import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import nodemailer from 'nodemailer';
import { addUser, inbox, rawMessage, startServer, splitTrace, type Mailbox } from '../protocols/smtp/fixtures.ts';
import { freePort } from '../helpers/ports.ts';
import type { TestServer } from '../helpers/server.ts';

const USING = ['urn:ietf:params:jmap:core', 'urn:ietf:params:jmap:mail', 'urn:ietf:params:jmap:vacationresponse'];
const PASSWORD = 'correct horse battery';

// A: example.test, where alice is on vacation. B: remote.test, a second Gannet acting as the
// receiving MX that A's queue reaches through a static route. down.test routes to a closed port.
let a: TestServer;
let b: TestServer;
let alice: Mailbox;
let bob: Mailbox;
let carol: Mailbox;

before(async () => {
  b = await startServer();
  carol = await addUser(b, 'carol@remote.test');
  const dead = await freePort();
  a = await startServer({ relayRoutes: `remote.test=127.0.0.1:${b.listeners.smtp.port},down.test=127.0.0.1:${dead}` });
  alice = await addUser(a, 'alice@example.test');
  bob = await addUser(a, 'bob@example.test');
});
after(async () => {
  await a?.stop();
  await b?.stop();
});

async function jmap(calls: [string, Record<string, unknown>, string][]) {
  const auth = 'Basic ' + Buffer.from(`${alice.address}:${PASSWORD}`).toString('base64');
  const res = await fetch(`${a.baseUrl}/jmap`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: JSON.stringify({ using: USING, methodCalls: calls }) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()).methodResponses as [string, Record<string, any>, string][];
}

function message(opts: { from: string; to: string; subject: string; headers?: string }): Buffer {
  return Buffer.from(
    `From: ${opts.from}\r\nTo: ${opts.to}\r\nSubject: ${opts.subject}\r\nMessage-ID: <${opts.subject.replace(/\W/g, '')}@sender.test>\r\n` +
      `Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n${opts.headers ?? ''}\r\nHello, are you there?\r\n`,
  );
}

async function send(server: TestServer, from: string, to: string[], raw: Buffer): Promise<void> {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.smtp.port, secure: false, ignoreTLS: true });
  await transport.sendMail({ envelope: { from, to }, raw });
  transport.close();
}

/** Waits for a message with this subject in the box; the reply is sent after delivery, not during it. */
async function arrival(server: TestServer, box: Mailbox, subject: string, timeoutMs = 5000): Promise<Buffer> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const found = (await inbox(server, box.accountId)).find((m) => m.subject === subject);
    if (found) return rawMessage(server, box.accountId, found.id);
    if (Date.now() > until) throw new Error(`no message "${subject}" for ${box.address}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lets the queue run, then counts the replies that arrived. */
async function repliesTo(server: TestServer, box: Mailbox, subject: string): Promise<number> {
  await new Promise((r) => setTimeout(r, 400));
  return (await inbox(server, box.accountId)).filter((m) => m.subject === subject).length;
}

const header = (raw: Buffer, name: string) => new RegExp(`^${name}: ?(.*)$`, 'mi').exec(raw.toString('latin1'))?.[1]?.trim();

test('VacationResponse/get returns the singleton, off by default', async () => {
  const [[name, res]] = await jmap([['VacationResponse/get', { accountId: alice.accountId }, 'v']]);
  assert.equal(name, 'VacationResponse/get');
  assert.deepEqual(res.list, [{ id: 'singleton', isEnabled: false, fromDate: null, toDate: null, subject: null, textBody: null, htmlBody: null }]);
  const [[, some]] = await jmap([['VacationResponse/get', { accountId: alice.accountId, ids: ['singleton', 'other'], properties: ['isEnabled'] }, 'v']]);
  assert.deepEqual(some.list, [{ id: 'singleton', isEnabled: false }]);
  assert.deepEqual(some.notFound, ['other']);
});

test('VacationResponse/set: create and destroy are refused as singleton, bad values as invalidProperties', async () => {
  const [[, res]] = await jmap([
    ['VacationResponse/set', { accountId: alice.accountId, create: { x: { isEnabled: true } }, destroy: ['singleton'], update: { other: { isEnabled: true } } }, 's'],
  ]);
  assert.equal(res.notCreated.x.type, 'singleton');
  assert.equal(res.notDestroyed.singleton.type, 'singleton');
  assert.equal(res.notUpdated.other.type, 'notFound');
  const [[, bad]] = await jmap([['VacationResponse/set', { accountId: alice.accountId, update: { singleton: { fromDate: 'tomorrow', isEnabled: 'yes' } } }, 's']]);
  assert.equal(bad.notUpdated.singleton.type, 'invalidProperties');
  const [[, order]] = await jmap([['VacationResponse/set', { accountId: alice.accountId, update: { singleton: { fromDate: '2030-01-02T00:00:00Z', toDate: '2030-01-01T00:00:00Z' } } }, 's']]);
  assert.deepEqual(order.notUpdated.singleton.properties, ['toDate']);
  const [[, stale]] = await jmap([['VacationResponse/set', { accountId: alice.accountId, ifInState: 'nope', update: { singleton: { isEnabled: true } } }, 's']]);
  assert.equal(stale.type, 'stateMismatch');
});

test('VacationResponse/set updates the singleton and moves the state', async () => {
  const [[, before]] = await jmap([['VacationResponse/get', { accountId: alice.accountId }, 'v']]);
  const [[, set], [, got]] = await jmap([
    ['VacationResponse/set', { accountId: alice.accountId, ifInState: before.state, update: { singleton: { isEnabled: true, subject: 'Away until Monday', textBody: 'I am out of the office.', fromDate: '2020-01-01T00:00:00Z' } } }, 's'],
    ['VacationResponse/get', { accountId: alice.accountId }, 'v'],
  ]);
  assert.deepEqual(set.updated, { singleton: null });
  assert.notEqual(set.newState, set.oldState);
  assert.deepEqual(got.list[0], { id: 'singleton', isEnabled: true, fromDate: '2020-01-01T00:00:00Z', toDate: null, subject: 'Away until Monday', textBody: 'I am out of the office.', htmlBody: null });
  assert.equal(got.state, set.newState);
});

test('a local sender gets one auto-reply per period, threaded and marked auto-replied, from the null sender', async () => {
  await send(a, bob.address, [alice.address], message({ from: bob.address, to: alice.address, subject: 'Lunch?' }));
  const reply = await arrival(a, bob, 'Away until Monday');
  const { returnPath, body } = splitTrace(reply);
  assert.equal(returnPath, '', 'sent with MAIL FROM:<> so it cannot loop or bounce');
  assert.equal(header(body, 'Auto-Submitted'), 'auto-replied');
  assert.equal(header(body, 'In-Reply-To'), '<Lunch@sender.test>');
  assert.equal(header(body, 'To'), bob.address);
  assert.match(header(body, 'From') ?? '', /alice@example\.test/);
  assert.match(body.toString(), /I am out of the office\./);
  assert.doesNotMatch(body.toString(), /are you there/, 'nothing of the original is echoed');

  await send(a, bob.address, [alice.address], message({ from: bob.address, to: alice.address, subject: 'Lunch again?' }));
  assert.equal(await repliesTo(a, bob, 'Away until Monday'), 1, 'the same sender is answered once per period');
});

test('a remote sender is answered through the outbound queue over SMTP', async () => {
  await send(a, carol.address, [alice.address], message({ from: `Carol <${carol.address}>`, to: alice.address, subject: 'Project update' }));
  const reply = await arrival(b, carol, 'Away until Monday');
  const { returnPath, body } = splitTrace(reply);
  assert.equal(returnPath, '');
  assert.equal(header(body, 'In-Reply-To'), '<Projectupdate@sender.test>');
});

test('RFC 3834: no reply to lists, bulk, auto-submitted mail, robots or mail not addressed to the user', async () => {
  const cases: { sender: string; subject: string; headers?: string; to?: string }[] = [
    { sender: 'l1@remote.test', subject: 'list mail', headers: 'List-Id: <team.remote.test>\r\n' },
    { sender: 'l2@remote.test', subject: 'bulk mail', headers: 'Precedence: bulk\r\n' },
    { sender: 'l3@remote.test', subject: 'auto mail', headers: 'Auto-Submitted: auto-generated\r\n' },
    { sender: 'l4@remote.test', subject: 'bcc mail', to: 'undisclosed-recipients:;' },
    { sender: 'mailer-daemon@remote.test', subject: 'robot mail' },
    { sender: 'owner-team@remote.test', subject: 'list owner mail' },
  ];
  const boxes = await Promise.all(cases.map((c) => addUser(b, c.sender)));
  const human = await addUser(b, 'l5@remote.test');
  for (const c of cases) await send(a, c.sender, [alice.address], message({ from: c.sender, to: c.to ?? alice.address, subject: c.subject, headers: c.headers }));
  await send(a, human.address, [alice.address], message({ from: human.address, to: alice.address, subject: 'explicitly human', headers: 'Auto-Submitted: no\r\n' }));
  // The human one is answered; by then the others, sent earlier, would have been too.
  assert.ok(await arrival(b, human, 'Away until Monday'), 'Auto-Submitted: no is a human message and is answered');
  for (const [i, box] of boxes.entries()) assert.equal(await repliesTo(b, box, 'Away until Monday'), 0, `${cases[i].subject} must not be answered`);
});

test('outside its dates, or switched off, nobody is answered', async () => {
  const dave = await addUser(a, 'dave@example.test');
  await jmap([['VacationResponse/set', { accountId: alice.accountId, update: { singleton: { fromDate: '2099-01-01T00:00:00Z' } } }, 's']]);
  await send(a, dave.address, [alice.address], message({ from: dave.address, to: alice.address, subject: 'Too early' }));
  assert.equal(await repliesTo(a, dave, 'Away until Monday'), 0);
  await jmap([['VacationResponse/set', { accountId: alice.accountId, update: { singleton: { fromDate: null, isEnabled: false } } }, 's']]);
  await send(a, dave.address, [alice.address], message({ from: dave.address, to: alice.address, subject: 'Switched off' }));
  assert.equal(await repliesTo(a, dave, 'Away until Monday'), 0);
  // Switching it on again answers everybody afresh.
  await jmap([['VacationResponse/set', { accountId: alice.accountId, update: { singleton: { isEnabled: true } } }, 's']]);
  await send(a, bob.address, [alice.address], message({ from: bob.address, to: alice.address, subject: 'Back yet?' }));
  await arrivalCount(a, bob, 'Away until Monday', 2);
});

async function arrivalCount(server: TestServer, box: Mailbox, subject: string, n: number): Promise<void> {
  const until = Date.now() + 5000;
  while ((await inbox(server, box.accountId)).filter((m) => m.subject === subject).length < n) {
    if (Date.now() > until) throw new Error(`fewer than ${n} messages "${subject}"`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('the queue keeps a recipient whose server is down for a later retry and fails one refused with 5xx', async () => {
  const raw = message({ from: alice.address, to: 'x@down.test', subject: 'queued' });
  const id = await a.services.queue.enqueue({ from: alice.address, to: ['x@down.test', 'nobody@remote.test'], raw, origin: 'test' });
  const until = Date.now() + 5000;
  let rows = await a.services.queue.recipients(id);
  while (rows.some((r) => r.attempts === 0) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    rows = await a.services.queue.recipients(id);
  }
  const byAddress = Object.fromEntries(rows.map((r) => [r.address, r]));
  assert.equal(byAddress['nobody@remote.test'].status, 'failed');
  assert.match(byAddress['nobody@remote.test'].lastResponse ?? '', /^5\d\d/);
  assert.equal(byAddress['x@down.test'].status, 'queued');
  assert.equal(byAddress['x@down.test'].attempts, 1);
  assert.match(byAddress['x@down.test'].lastResponse ?? '', /ECONNREFUSED|connect/i);
  const wait = byAddress['x@down.test'].nextAttemptAt - Date.now();
  assert.ok(wait > 4 * 60_000 && wait <= 5 * 60_000, `first retry after 5 minutes, not ${wait} ms`);
});
