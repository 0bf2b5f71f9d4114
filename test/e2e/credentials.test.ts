import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { generate } from 'otplib';
import { sha512Crypt } from '../../src/services/auth/sha-crypt.ts';
import { basic } from '../helpers/http-from.ts';
import { createUser, startTestServer, type TestServer } from '../helpers/server.ts';

const PASSWORD = 'correct horse battery';
type SmtpError = Error & { responseCode?: number };

describe('app passwords, TOTP, the auth log and POST /authenticate', () => {
  let server: TestServer;
  let alice: { id: string; username: string; address: string };
  let aliceToken: string;

  const imapLogin = async (user: string, pass: string): Promise<boolean> => {
    const c = new ImapFlow({ host: '127.0.0.1', port: server.listeners.imap.port, secure: false, auth: { user, pass }, tls: { rejectUnauthorized: false }, logger: false });
    c.on('error', () => undefined);
    try {
      await c.connect();
      await c.logout();
      return true;
    } catch (err) {
      if ((err as { authenticationFailed?: boolean }).authenticationFailed) return false;
      throw err;
    }
  };
  const smtpLogin = async (user: string, pass: string): Promise<boolean> => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: server.listeners.submission.port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user, pass } });
    try {
      return await t.verify();
    } catch (err) {
      if ((err as SmtpError).responseCode === 535) return false;
      throw err;
    }
  };
  const asAlice = (path: string, init: Parameters<TestServer['api']>[1] = {}) => server.api(path, { ...init, token: aliceToken });
  const tokenFor = (body: Record<string, string>) => server.api('/api/v1/auth/token', { method: 'POST', token: null, json: { username: 'alice', ...body } });

  before(async () => {
    server = (await startTestServer({ config: { loginFailureDelayMaxMs: 0, loginFailuresPerUser: 50, loginFailuresPerAddress: 200 } }))!;
    alice = await createUser(server, 'alice');
    aliceToken = ((await (await tokenFor({ password: PASSWORD })).json()) as { token: string }).token;
  });
  after(() => server.stop());

  test('an app password is shown once, listed without it, works on its scope only, and stops working when deleted', async () => {
    const created = await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'Thunderbird', scopes: ['imap'] } });
    assert.equal(created.status, 201);
    const { id, password } = (await created.json()) as { id: string; password: string };
    assert.match(password, /^[a-z]{16}$/);

    assert.equal(await imapLogin('alice', password), true);
    assert.equal(await smtpLogin(alice.address, password), false, 'an imap-scoped password is refused on SMTP');

    const list = (await (await asAlice('/api/v1/users/me/asps')).json()) as { results: Array<Record<string, unknown>> };
    const listed = list.results.find((a) => a.id === id)!;
    assert.deepEqual(Object.keys(listed).sort(), ['created', 'description', 'id', 'lastUse', 'scopes']);
    assert.deepEqual(listed.scopes, ['imap']);
    assert.equal((listed.lastUse as { ip: string }).ip, '127.0.0.1');
    assert.ok(!JSON.stringify(list).includes(password));

    const log = (await (await asAlice('/api/v1/users/me/authlog?limit=3')).json()) as { results: Array<Record<string, unknown>> };
    assert.deepEqual(
      log.results.map((e) => [e.action, e.protocol, e.result, e.asp, e.ip]),
      [
        ['authenticate', 'smtp', 'fail', id, '127.0.0.1'],
        ['authenticate', 'imap', 'success', id, '127.0.0.1'],
        ['create asp', 'api', 'success', id, '127.0.0.1'],
      ],
    );

    assert.equal((await asAlice(`/api/v1/users/me/asps/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal(await imapLogin('alice', password), false);
    assert.equal((await asAlice(`/api/v1/users/me/asps/${id}`, { method: 'DELETE' })).status, 404);
    const bad = await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'x', scopes: ['ftp'] } });
    assert.equal(bad.status, 400);
  });

  test('TOTP: setup, verify, check; then the master password fails on IMAP and SMTP and HTTP needs the code; recovery codes work once', async () => {
    const setup = await asAlice('/api/v1/users/me/2fa/totp', { method: 'POST', json: { issuer: 'Gannet Test' } });
    assert.equal(setup.status, 200);
    const { secret, otpauthUrl, qrcode } = (await setup.json()) as { secret: string; otpauthUrl: string; qrcode: string };
    assert.match(otpauthUrl, /^otpauth:\/\/totp\/Gannet%20Test:alice\?secret=/);
    assert.match(qrcode, /^data:image\/png;base64,iVBOR/);

    const wrong = await asAlice('/api/v1/users/me/2fa/totp/verify', { method: 'POST', json: { token: '000000' === (await generate({ secret })) ? '111111' : '000000' } });
    assert.equal(wrong.status, 403);
    // One clock reading for every code below, so a step boundary passing mid-test changes nothing.
    const now = Math.floor(Date.now() / 1000);
    const verified = await asAlice('/api/v1/users/me/2fa/totp/verify', { method: 'POST', json: { token: await generate({ secret, epoch: now }) } });
    assert.equal(verified.status, 200);
    const { recoveryCodes } = (await verified.json()) as { recoveryCodes: string[] };
    assert.equal(recoveryCodes.length, 10);
    assert.equal(new Set(recoveryCodes).size, 10);

    // The enabling code is used up; one of the next step (within the ±1 step window) checks once.
    const next = await generate({ secret, epoch: now + 30 });
    const check = (token: string) => asAlice('/api/v1/users/me/2fa/totp/check', { method: 'POST', json: { token } });
    assert.equal((await check(await generate({ secret, epoch: now }))).status, 403, 'reused');
    assert.equal((await check(await generate({ secret, epoch: now - 90 }))).status, 403, 'expired');
    assert.equal((await check(await generate({ secret, epoch: now + 90 }))).status, 403, 'too far ahead');
    assert.equal((await check(recoveryCodes[0])).status, 200);
    assert.equal((await check(recoveryCodes[0])).status, 403, 'a recovery code works once');

    assert.equal(await imapLogin('alice', PASSWORD), false);
    assert.equal(await smtpLogin(alice.address, PASSWORD), false);
    const noCode = await tokenFor({ password: PASSWORD });
    assert.equal(noCode.status, 401);
    assert.match(((await noCode.json()) as { detail: string }).detail, /TOTP/);
    assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('alice', PASSWORD) })).status, 401, 'Basic has no room for a code');

    assert.equal((await tokenFor({ password: PASSWORD, totp: next })).status, 201);
    assert.equal((await tokenFor({ password: PASSWORD, totp: next })).status, 401, 'a TOTP code works once');
    assert.equal((await check(next)).status, 403, 'used up by the login');
    assert.equal((await tokenFor({ password: PASSWORD, totp: recoveryCodes[3] })).status, 201);
    assert.equal((await tokenFor({ password: PASSWORD, totp: recoveryCodes[3] })).status, 401, 'and once at login');

    // App passwords need no second factor: one with scope api works for Basic, one with smtp on SMTP.
    const api = (await (await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'script', scopes: ['api'] } })).json()) as { id: string; password: string };
    assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('alice', api.password) })).status, 200);
    // Basic results are cached for a minute, but not past the app password's deletion.
    const doomed = (await (await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'doomed', scopes: ['api'] } })).json()) as { id: string; password: string };
    assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('alice', doomed.password) })).status, 200);
    await server.services.credentials.deleteAppPassword((await server.services.directory.principal(alice.id))!, doomed.id, '127.0.0.1');
    assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('alice', doomed.password) })).status, 401);
    const mail = (await (await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'mail', scopes: ['smtp', 'imap'] } })).json()) as { password: string };
    assert.equal(await smtpLogin(alice.address, mail.password), true);
    assert.equal(await imapLogin('alice', mail.password), true);
    // JMAP is its own scope: the api password is refused there, a jmap one works (and not on the REST API).
    const jmap = (await (await asAlice('/api/v1/users/me/asps', { method: 'POST', json: { description: 'jmap app', scopes: ['jmap'] } })).json()) as { password: string };
    assert.equal((await server.api('/session', { token: null, headers: basic('alice', api.password) })).status, 401);
    assert.equal((await server.api('/session', { token: null, headers: basic('alice', jmap.password) })).status, 200);
    assert.equal((await server.api('/api/v1/users/me', { token: null, headers: basic('alice', jmap.password) })).status, 401);

    assert.equal((await asAlice('/api/v1/users/me/2fa/totp', { method: 'POST', json: {} })).status, 409, 'already enabled');
    assert.equal((await asAlice('/api/v1/users/me/2fa/totp', { method: 'DELETE' })).status, 204);
    assert.equal(await imapLogin('alice', PASSWORD), true);
    assert.equal((await check('123456')).status, 409, '2FA is off');
  });

  test('POST /api/v1/authenticate answers as WildDuck does, and logs and refuses like any login', async () => {
    const ok = await server.api('/api/v1/authenticate', { method: 'POST', json: { username: alice.address, password: PASSWORD, scope: 'imap', protocol: 'IMAP', ip: '192.0.2.77' } });
    assert.equal(ok.status, 200);
    assert.deepEqual(await ok.json(), { success: true, id: alice.id, username: 'alice', scope: 'imap', require2fa: false });

    const fail = await server.api('/api/v1/authenticate', { method: 'POST', json: { username: 'alice', password: 'nope', ip: '192.0.2.78' } });
    assert.equal(fail.status, 401);
    assert.equal(fail.headers.get('content-type'), 'application/problem+json; charset=utf-8');

    const log = (await (await asAlice('/api/v1/users/me/authlog?limit=2')).json()) as { results: Array<Record<string, unknown>> };
    assert.deepEqual(
      log.results.map((e) => [e.protocol, e.scope, e.result, e.ip]),
      [
        ['api', 'master', 'fail', '192.0.2.78'],
        ['imap', 'imap', 'success', '192.0.2.77'],
      ],
    );

    const { secret } = (await (await asAlice('/api/v1/users/me/2fa/totp', { method: 'POST', json: {} })).json()) as { secret: string };
    await asAlice('/api/v1/users/me/2fa/totp/verify', { method: 'POST', json: { token: await generate({ secret }) } });
    const pending = await server.api('/api/v1/authenticate', { method: 'POST', json: { username: 'alice', password: PASSWORD } });
    assert.deepEqual(await pending.json(), { success: true, id: alice.id, username: 'alice', scope: 'master', require2fa: true });
    assert.equal((await server.api('/api/v1/authenticate', { method: 'POST', json: { username: 'alice', password: PASSWORD, scope: 'pop3' } })).status, 401);
    await asAlice('/api/v1/users/me/2fa/totp', { method: 'DELETE' });

    assert.equal((await asAlice('/api/v1/authenticate', { method: 'POST', json: { username: 'alice', password: PASSWORD } })).status, 403, 'a user lacks principal-get');
  });

  test('the auth log pages with an opaque cursor and is the owner\'s only', async () => {
    const first = (await (await asAlice('/api/v1/users/me/authlog?limit=2')).json()) as { total: number; results: Array<{ id: string }>; next: string };
    assert.ok(first.total > 4);
    const second = (await (await asAlice(`/api/v1/users/me/authlog?limit=2&cursor=${first.next}`)).json()) as { total: number; results: Array<{ id: string }> };
    assert.equal(second.total, first.total);
    assert.ok(second.results[0].id < first.results[1].id);
    const bob = await createUser(server, 'bob');
    assert.equal((await asAlice(`/api/v1/users/${bob.id}/authlog`)).status, 404);
    assert.equal((await server.api(`/api/v1/users/${bob.id}/authlog`)).status, 200, 'the admin sees any user\'s');
  });

  test('Stalwart GET|POST /account/auth: app passwords sent as crypt hashes, and the admin token\'s fallback answer', async () => {
    const url = '/compat/stalwart/api/account/auth';
    const me = { token: null, headers: basic('alice', PASSWORD) };
    const name = Buffer.from('test$2025-01-05T14:12:51.847+00:00').toString('base64');
    const secret = 'stalwartgenerated';
    const added = await server.api(url, { ...me, method: 'POST', json: [{ type: 'addAppPassword', name, password: sha512Crypt(secret, 'saltsalt') }] });
    assert.equal(added.status, 200);
    assert.deepEqual(await added.json(), { data: null });
    const got = (await (await server.api(url, me)).json()) as { data: { otpEnabled: boolean; appPasswords: string[] } };
    assert.equal(got.data.otpEnabled, false);
    assert.ok(got.data.appPasswords.includes(name));
    assert.equal(await imapLogin('alice', secret), true);

    assert.deepEqual(await (await server.api(url, { ...me, method: 'POST', json: [{ type: 'removeAppPassword', name }] })).json(), { data: null });
    assert.equal(await imapLogin('alice', secret), false);
    const admin = await server.api(url);
    assert.deepEqual(await admin.json(), { error: 'other', details: 'Fallback administrator accounts do not support 2FA or AppPasswords', reason: null });
  });
});
