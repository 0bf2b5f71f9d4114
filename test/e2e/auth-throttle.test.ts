import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { basic, httpFrom } from '../helpers/http-from.ts';
import { RawImap } from '../helpers/imap-raw.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const ATTACKER = '127.0.0.2';
const OWNER = '127.0.0.1';
const PASSWORD = 'correct horse battery';

type SmtpError = Error & { responseCode?: number };

/**
 * Brute force on each face: from one client address the guesses are slowed, then locked out
 * (the right password included), while the owner's right password from another address works,
 * and the auth log shows every attempt.
 */
describe('failed-login throttling', () => {
  let server: TestServer;
  let user: { id: string; username: string; address: string };

  before(async () => {
    server = (await startTestServer({ config: { loginFailuresPerUser: 4, loginFailuresPerAddress: 30, loginFailureDelayMaxMs: 100 } }))!;
    user = await createUser(server, 'victim');
  });
  after(() => server.stop());

  const smtp = (localAddress: string, pass: string, login = user.address) =>
    nodemailer.createTransport({
      host: '127.0.0.1',
      port: server.listeners.submission.port,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      localAddress,
      auth: { user: login, pass },
    } as nodemailer.TransportOptions);

  test('IMAP: guesses from one address are refused, then locked out; the owner logs in from another address', async () => {
    const attacker = await RawImap.connect(server.listeners.imap.port, '127.0.0.1', ATTACKER);
    for (let i = 0; i < 4; i++) await assert.rejects(attacker.command(`LOGIN victim guess${i}`), /NO \[AUTHENTICATIONFAILED\]/);
    await assert.rejects(attacker.command(`LOGIN victim "${PASSWORD}"`), /NO \[UNAVAILABLE\]/);
    attacker.close();

    const owner = new ImapFlow({ host: OWNER, port: server.listeners.imap.port, secure: false, auth: { user: 'victim', pass: PASSWORD }, tls: { rejectUnauthorized: false }, logger: false });
    await owner.connect();
    assert.ok(owner.authenticated);
    await owner.logout();

    const log = (await (await server.api(`/api/v1/users/${user.id}/authlog?limit=6`)).json()) as { results: Array<{ protocol: string; result: string; reason: string | null; ip: string; mechanism: string }> };
    assert.deepEqual(
      log.results.map((e) => [e.protocol, e.result, e.reason, e.ip]),
      [
        ['imap', 'success', null, OWNER],
        ['imap', 'fail', 'throttled', ATTACKER],
        ...Array.from({ length: 4 }, () => ['imap', 'fail', 'badCredentials', ATTACKER]),
      ],
    );
  });

  test('SMTP submission: the same, with 535 then 454', async () => {
    // The IMAP run above already locked this address out of the account: the lock spans protocols.
    await assert.rejects(smtp(ATTACKER, PASSWORD).verify(), (err: SmtpError) => err.responseCode === 454);
    const other = await createUser(server, 'victim2');
    const from = '127.0.0.3';
    for (let i = 0; i < 4; i++) await assert.rejects(smtp(from, `guess${i}`, other.address).verify(), (err: SmtpError) => err.responseCode === 535);
    await assert.rejects(smtp(from, PASSWORD, other.address).verify(), (err: SmtpError) => err.responseCode === 454);
    assert.equal(await smtp(OWNER, PASSWORD, other.address).verify(), true);
  });

  test('HTTP: the token endpoint and Basic are throttled the same way', async () => {
    await createUser(server, 'victim3');
    const token = `${server.baseUrl}/api/v1/auth/token`;
    const from = '127.0.0.4';
    for (let i = 0; i < 2; i++) assert.equal((await httpFrom(from, token, { json: { username: 'victim3', password: `guess${i}` } })).status, 401);
    for (let i = 0; i < 2; i++) assert.equal((await httpFrom(from, `${server.baseUrl}/api/v1/users/me`, { headers: basic('victim3', `guess${i}`) })).status, 401);
    const locked = await httpFrom(from, token, { json: { username: 'victim3', password: PASSWORD } });
    assert.equal(locked.status, 503);
    assert.equal(locked.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal((await httpFrom(from, `${server.baseUrl}/api/v1/users/me`, { headers: basic('victim3', PASSWORD) })).status, 503);
    assert.equal((await httpFrom('127.0.0.5', token, { json: { username: 'victim3', password: PASSWORD } })).status, 201);
    assert.equal((await httpFrom('127.0.0.5', `${server.baseUrl}/api/v1/users/me`, { headers: basic('victim3', PASSWORD) })).status, 200);
  });

  test('one address guessing across many accounts is locked out of all of them', async () => {
    const s = (await startTestServer({ config: { loginFailuresPerAddress: 5, loginFailureDelayMaxMs: 0 } }))!;
    try {
      await createUser(s, 'target');
      const c = await RawImap.connect(s.listeners.imap.port, '127.0.0.1', '127.0.0.6');
      for (let i = 0; i < 5; i++) await assert.rejects(c.command(`LOGIN user${i} guess`), /NO \[AUTHENTICATIONFAILED\]/);
      await assert.rejects(c.command(`LOGIN target "${PASSWORD}"`), /NO \[UNAVAILABLE\]/);
      c.close();
      const ok = await RawImap.connect(s.listeners.imap.port, '127.0.0.1', '127.0.0.7');
      await ok.command(`LOGIN target "${PASSWORD}"`);
      ok.close();
    } finally {
      await s.stop();
    }
  });
});
