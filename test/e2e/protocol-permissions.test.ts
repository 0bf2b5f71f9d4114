import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { Permission } from '../../src/services/auth/permissions.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

/**
 * The mail-protocol side of the authorization matrix: each face's login needs its
 * `<face>-authenticate` permission, sending needs `email-send`, and taking one away closes
 * exactly that door, at once, while the others stay open.
 */

let server: TestServer;
let alice: { id: string; username: string; address: string; password: string };

before(async () => {
  server = (await startTestServer())!;
  alice = await createUser(server, 'alice');
});
after(() => server.stop());

async function disable(permissions: Permission[]): Promise<void> {
  const res = await server.api(`/api/v1/principals/${alice.id}`, { method: 'PATCH', json: { disabledPermissions: permissions } });
  assert.equal(res.status, 200, await res.text());
}

const basic = () => ({ authorization: 'Basic ' + Buffer.from(`${alice.username}:${alice.password}`).toString('base64') });

/** Whether each face lets alice in with her password right now. */
async function faces(): Promise<Record<string, boolean>> {
  const imap = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user: alice.username, pass: alice.password }, tls: { rejectUnauthorized: false }, logger: false });
  const imapOk = await imap.connect().then(
    async () => (await imap.logout(), true),
    () => false,
  );
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: alice.username, pass: alice.password } });
  const smtpOk = await smtp.verify().then(
    () => true,
    () => false,
  );
  smtp.close();
  const jmap = (await fetch(`${server.baseUrl}/session`, { headers: basic() })).status === 200;
  const api = (await fetch(`${server.baseUrl}/api/v1/users/me`, { headers: basic() })).status === 200;
  return { imap: imapOk, smtp: smtpOk, jmap, api };
}

test('each face needs its own login permission; taking one away closes only that face, at once', async () => {
  assert.deepEqual(await faces(), { imap: true, smtp: true, jmap: true, api: true });
  for (const face of ['imap', 'smtp', 'jmap', 'api'] as const) {
    await disable([`${face}-authenticate`]);
    const open = await faces();
    assert.deepEqual(open, { imap: face !== 'imap', smtp: face !== 'smtp', jmap: face !== 'jmap', api: face !== 'api' }, `without ${face}-authenticate`);
  }
  await disable([]);
  assert.deepEqual(await faces(), { imap: true, smtp: true, jmap: true, api: true });
  const log = await (await server.api(`/api/v1/users/${alice.id}/authlog?limit=100`)).json();
  assert.ok(log.results.some((e: { protocol: string; reason: string }) => e.protocol === 'imap' && e.reason === 'notPermitted'), 'the refusals are in the auth log');
});

test('sending needs email-send: the login works, the sender is refused, on SMTP and JMAP alike', async () => {
  await disable(['email-send']);
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: alice.username, pass: alice.password } });
  await smtp.verify();
  await assert.rejects(smtp.sendMail({ from: alice.address, to: alice.address, subject: 'no', text: 'no' }), (err: Error & { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 550);
    assert.match(err.response ?? '', /5\.7\.1 .*may not send mail \(no email-send permission\)/);
    return true;
  });
  smtp.close();
  await disable([]);
  const smtpAgain = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.submission.port, secure: false, tls: { rejectUnauthorized: false }, auth: { user: alice.username, pass: alice.password } });
  const info = await smtpAgain.sendMail({ from: alice.address, to: alice.address, subject: 'yes', text: 'yes' });
  assert.deepEqual(info.accepted, [alice.address]);
  smtpAgain.close();
});

test('receiving needs email-receive: a person without it is refused at RCPT, a group skips them', async () => {
  const bob = await createUser(server, 'bob');
  const group = await server.api('/api/v1/principals', { method: 'POST', json: { type: 'group', name: 'pair', emails: ['pair@example.test'], members: ['alice', 'bob'] } });
  assert.equal(group.status, 201, await group.text());
  await disable(['email-receive']);
  const mx = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.smtp.port, secure: false, ignoreTLS: true });
  await assert.rejects(mx.sendMail({ from: 'carol@elsewhere.test', to: alice.address, subject: 'to alice', text: 'x' }), (err: Error & { responseCode?: number; response?: string }) => {
    assert.equal(err.responseCode, 550);
    assert.match(err.response ?? '', /alice@example\.test does not receive mail/);
    return true;
  });
  const sent = await mx.sendMail({ from: 'carol@elsewhere.test', to: 'pair@example.test', subject: 'to the pair', text: 'x' });
  assert.deepEqual(sent.accepted, ['pair@example.test']);
  const subjects = async (userId: string) => {
    const { accountId } = await server.services.directory.accountOfUser(userId);
    const inbox = (await server.services.mailboxes.list(accountId)).find((m) => m.role === 'inbox')!;
    return (await server.services.messages.list(accountId, inbox.id, { limit: 50 })).results.map((m) => m.subject);
  };
  assert.ok((await subjects(bob.id)).includes('to the pair'));
  assert.ok(!(await subjects(alice.id)).includes('to the pair'), 'the member without email-receive is skipped');
  await disable([]);
  await mx.sendMail({ from: 'carol@elsewhere.test', to: alice.address, subject: 'to alice again', text: 'x' });
  assert.ok((await subjects(alice.id)).includes('to alice again'));
  mx.close();
});
