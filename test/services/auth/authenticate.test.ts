import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { generate } from 'otplib';
import { AuthRefused, type AuthRequest } from '../../../src/services/auth/authenticate.ts';
import { AuthThrottle } from '../../../src/services/auth/throttle.ts';
import { createUser, startTestServer, type TestServer } from '../../helpers/server.ts';

const PASSWORD = 'correct horse battery';

async function refusal(p: Promise<unknown>): Promise<AuthRefused> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof AuthRefused, `an AuthRefused, not ${String(err)}`);
    return err;
  }
  assert.fail('the authentication was accepted');
}

describe('AuthService', () => {
  let server: TestServer;
  let alice: { id: string; username: string; address: string };
  let bob: { id: string; username: string };
  const auth = () => server.services.auth;
  const attempt = (r: Partial<AuthRequest>) => auth().authenticate({ login: 'alice', secret: PASSWORD, protocol: 'imap', ip: '192.0.2.1', ...r });
  const principal = async () => (await server.services.directory.principal(alice.id))!;

  before(async () => {
    server = (await startTestServer({ config: { loginFailuresPerUser: 3, loginFailuresPerAddress: 6, loginFailureDelayMaxMs: 400, loginLockoutMinutes: 5 } }))!;
    alice = await createUser(server, 'alice');
    bob = await createUser(server, 'bob');
  });
  after(() => server.stop());

  test('the master password, by login name or any address, on every protocol; the auth log has each attempt', async () => {
    for (const protocol of ['imap', 'smtp', 'pop3', 'jmap', 'api'] as const) {
      const ok = await attempt({ protocol, login: protocol === 'smtp' ? 'ALICE@example.test' : 'alice', ip: '192.0.2.10' });
      assert.equal(ok.principal.id, alice.id);
      assert.deepEqual(ok.credential, { kind: 'master' });
      assert.equal(ok.require2fa, false);
    }
    const log = await auth().log.list(alice.id, { limit: 5 });
    assert.deepEqual(log.results.map((e) => e.protocol), ['api', 'jmap', 'pop3', 'smtp', 'imap']);
    assert.ok(log.results.every((e) => e.result === 'success' && e.ip === '192.0.2.10' && e.action === 'authenticate'));
  });

  test('failures from one address grow the delay and lock that address out of the account; the right password from another address still works', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = Date.now();
      assert.equal((await refusal(attempt({ secret: `wrong ${i}`, ip: '198.51.100.7' }))).reason, 'badCredentials');
      times.push(Date.now() - t);
    }
    // 125, 250, then 500 capped at 400 ms.
    assert.ok(times[0] >= 120 && times[1] >= 245 && times[2] >= 395, `delays grow: ${times.join(', ')}`);
    assert.ok(times[2] < 1500, 'and stay bounded');
    const locked = await refusal(attempt({ ip: '198.51.100.7' }));
    assert.equal(locked.reason, 'throttled');
    assert.equal(locked.code, 'unavailable');
    assert.ok(locked.retryAt > Date.now() + 4 * 60_000, 'locked for loginLockoutMinutes');
    assert.equal((await attempt({ ip: '198.51.100.8' })).principal.id, alice.id);
    const entries = (await auth().log.list(alice.id, { limit: 5 })).results;
    assert.deepEqual(entries.slice(0, 2).map((e) => [e.result, e.reason, e.ip]), [['success', null, '198.51.100.8'], ['fail', 'throttled', '198.51.100.7']]);
  });

  test('one address trying many accounts is locked out of all of them, unknown logins included', async () => {
    const ip = '203.0.113.9';
    for (let i = 0; i < 6; i++) await refusal(attempt({ login: `nobody${i}`, secret: 'x', ip }));
    assert.equal((await refusal(attempt({ login: 'bob', ip }))).reason, 'throttled');
    assert.equal((await attempt({ login: 'bob', ip: '203.0.113.10' })).principal.id, bob.id);
  });

  test('an app password works only on its scopes, and the log names it', async () => {
    const { id, password } = await server.services.credentials.createAppPassword(await principal(), { description: 'phone', scopes: ['imap'] }, '192.0.2.1');
    assert.match(password, /^[a-z]{16}$/);
    const ok = await attempt({ secret: password.toUpperCase().replace(/(.{4})/g, '$1 '), ip: '192.0.2.20' });
    assert.deepEqual(ok.credential, { kind: 'asp', id });
    assert.equal((await refusal(attempt({ secret: password, protocol: 'smtp', ip: '192.0.2.20' }))).reason, 'scope');
    assert.equal((await refusal(attempt({ secret: password, scope: 'master', protocol: 'api', ip: '192.0.2.20' }))).reason, 'badCredentials');
    const [smtp, imap] = (await auth().log.list(alice.id, { limit: 3 })).results.slice(1);
    assert.deepEqual([smtp.protocol, smtp.result, smtp.reason, smtp.asp], ['smtp', 'fail', 'scope', id]);
    assert.deepEqual([imap.protocol, imap.result, imap.asp], ['imap', 'success', id]);
    const listed = (await server.services.credentials.listAppPasswords(await principal())).find((a) => a.id === id)!;
    assert.equal(listed.lastUse?.ip, '192.0.2.20');
    assert.ok(!('password' in listed));
  });

  test('TOTP: a valid code once, not a reused or an expired one; with 2FA the master password is refused on mail protocols', async () => {
    const me = await principal();
    const setup = await server.services.credentials.setupTotp(me, 'Test');
    assert.match(setup.otpauthUrl, /^otpauth:\/\/totp\/Test:alice\?secret=[A-Z2-7]+&issuer=Test$/);
    assert.match(setup.qrcode, /^data:image\/png;base64,/);
    const codes = await server.services.credentials.enableTotp(me, await generate({ secret: setup.secret }), '192.0.2.1');
    assert.equal(codes.length, 10);

    // Each refusal counts as a failure (so none tells a guesser more than a wrong password): one address each.
    assert.equal((await refusal(attempt({ protocol: 'imap', ip: '192.0.2.35' }))).reason, 'aspRequired');
    assert.equal((await refusal(attempt({ protocol: 'smtp', ip: '192.0.2.36' }))).reason, 'aspRequired');
    assert.equal((await refusal(attempt({ protocol: 'api', ip: '192.0.2.37' }))).reason, 'totpRequired');
    const pending = await attempt({ protocol: 'api', scope: 'master', ip: '192.0.2.30' });
    assert.equal(pending.require2fa, true);

    // The code that enabled 2FA is already used; a code of the step before it is older still.
    const now = Math.floor(Date.now() / 1000);
    const expired = await generate({ secret: setup.secret, epoch: now - 120 });
    assert.equal((await refusal(attempt({ protocol: 'api', totp: expired, ip: '192.0.2.31' }))).reason, 'totpInvalid');
    const next = await generate({ secret: setup.secret, epoch: now + 30 });
    assert.equal((await attempt({ protocol: 'api', totp: next, ip: '192.0.2.31' })).principal.id, alice.id);
    assert.equal((await refusal(attempt({ protocol: 'jmap', totp: next, ip: '192.0.2.32' }))).reason, 'totpInvalid', 'reused');

    assert.equal((await attempt({ protocol: 'jmap', totp: codes[0], ip: '192.0.2.33' })).principal.id, alice.id);
    assert.equal((await refusal(attempt({ protocol: 'jmap', totp: codes[0], ip: '192.0.2.33' }))).reason, 'totpInvalid', 'a recovery code works once');

    await server.services.credentials.disableTotp(me, '192.0.2.1');
    assert.equal((await attempt({ protocol: 'imap', ip: '192.0.2.34' })).credential.kind, 'master');
    const actions = (await auth().log.list(alice.id, { limit: 250 })).results.map((e) => e.action);
    for (const a of ['enable 2fa', 'disable 2fa', 'create asp']) assert.ok(actions.includes(a), a);
  });

  test('a disabled user or one without the protocol permission is refused with the right password', async () => {
    const carol = await createUser(server, 'carol');
    await server.services.directory.updateUser(carol.id, { disabled: true });
    assert.equal((await refusal(attempt({ login: 'carol', ip: '192.0.2.40' }))).reason, 'disabled');
  });

  test('prune drops entries past retention and counters that ran out', async () => {
    const old = Date.now() - 31 * 86_400_000;
    await server.store.write(async (w) => {
      await auth().log.record(w.trx, { principalId: bob.id, login: 'bob', action: 'authenticate', result: 'fail', protocol: 'imap' }, old);
      await w.trx.insertInto('auth_failures').values({ key: 'ip:old', failures: 3, window_start: old, last_at: old, locked_until: 0 }).execute();
    });
    const before = (await auth().log.list(bob.id, {})).total;
    assert.ok((await auth().prune()) >= 1);
    assert.equal((await auth().log.list(bob.id, {})).total, before - 1);
    assert.equal(await server.store.db.selectFrom('auth_failures').select('key').where('key', '=', 'ip:old').executeTakeFirst(), undefined);
  });

  test('the auth log pages newest first with an opaque cursor', async () => {
    const first = await auth().log.list(alice.id, { limit: 2 });
    assert.equal(first.results.length, 2);
    assert.ok(first.next);
    const second = await auth().log.list(alice.id, { limit: 2, cursor: first.next! });
    assert.equal(second.total, first.total);
    assert.ok(second.results[0].id < first.results[1].id);
  });
});

test('the growing delay doubles from 125 ms and is bounded', () => {
  const t = new AuthThrottle({ perAddress: 1, perAccount: 1, windowMs: 1, lockoutMs: 1, maxDelayMs: 4000 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 100].map((n) => t.delayFor(n)), [125, 250, 500, 1000, 2000, 4000, 4000, 4000]);
  assert.equal(new AuthThrottle({ perAddress: 1, perAccount: 1, windowMs: 1, lockoutMs: 1, maxDelayMs: 0 }).delayFor(5), 0);
});
